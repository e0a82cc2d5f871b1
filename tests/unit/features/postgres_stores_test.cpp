// The features layer's own tables (matrix and label metadata, external series, regimes) on a real
// PostgreSQL server: the same SQL as on SQLite.
#include <gtest/gtest.h>

#include "data/database.hpp"
#include "feature_test_helpers.hpp"
#include "features/external_data.hpp"
#include "features/feature_set.hpp"
#include "features/feature_store.hpp"
#include "features/labels.hpp"
#include "features/regimes.hpp"
#include "support/postgres_server.hpp"
#include "support/test_support.hpp"

using namespace aurum;

TEST(PostgresStores, feature_label_external_and_regime_tables_round_trip) {
    AURUM_REQUIRE_POSTGRES(pg);
    auto db = open_database(pg->fresh_database());
    ASSERT_EQ(db->dialect(), SqlDialect::Postgres);
    test::TempDir dir;

    const BarSeries bars = test::synthetic_bars(400, 3);
    const FeatureConfig cfg = FeatureConfig::parse(FeatureConfig::default_yaml(), "d.yaml");
    FeatureContext ctx;
    ctx.symbol = bars.symbol;
    ctx.timeframe = bars.timeframe;
    const FeatureMatrix m = build_feature_matrix(bars, cfg.get("default"), ctx);
    FeatureStore fs(*db, dir / "features");
    fs.save(m);
    fs.save(m);
    ASSERT_EQ(fs.list().size(), 1u);
    EXPECT_EQ(fs.list()[0].columns, m.names);
    EXPECT_EQ(fs.load(m.symbol, m.timeframe, "default").values, m.values);
    const LabelSet l = triple_barrier_labels(bars, {});
    fs.save_labels(l);
    EXPECT_EQ(fs.load_labels(l.symbol, l.timeframe, "triple-barrier").t1, l.t1);

    ExternalStore ext(*db);
    ExternalSeries s;
    s.name = "coinmetrics:btc:CapMVRVCur";
    s.time = {make_time(2024, 1, 1), make_time(2024, 1, 2)};
    s.value = {1.25, 1.5};
    ext.upsert(s, "coinmetrics");
    s.value = {1.25, 1.75};
    ext.upsert(s, "coinmetrics");
    EXPECT_EQ(ext.load(s.name).value, (std::vector<double>{1.25, 1.75}));
    ASSERT_EQ(ext.list().size(), 1u);
    EXPECT_EQ(ext.list()[0].rows, 2);

    const auto r = classify_regimes(bars, RegimeParams{.trend_window = 20, .vol_window = 10,
                                                       .lookback = 100, .min_history = 50});
    store_regimes(*db, bars, "percentile", r);
    const RegimeSeries back = load_regimes(*db, bars.symbol, bars.timeframe);
    ASSERT_FALSE(back.time.empty());
    EXPECT_EQ(back.at(bars.time[300]), r[300]);
}
