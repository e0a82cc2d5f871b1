// The compiled trees against XGBoost itself: every row's probability and every SHAP contribution,
// on synthetic data with missing values and on GBDTs trained on the real BTC 4h and gold H1 data.
#include <cmath>
#include <numeric>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "features/feature_set.hpp"
#include "features/labels.hpp"
#include "models/dataset_builder.hpp"
#include "models/gbdt.hpp"
#include "support/data/shared_bars.hpp"
#include "support/test_support.hpp"
#include "synthetic.hpp"

using namespace aurum;

namespace {

std::vector<std::size_t> all_rows(const Dataset& d) {
    std::vector<std::size_t> v(d.rows());
    std::iota(v.begin(), v.end(), std::size_t{0});
    return v;
}

/// Checks the compiled path against XGBoost's DMatrix path: predict_one vs predict_proba on
/// every row, contributions_one vs contributions on every `shap_stride`-th row (TreeSHAP is
/// slow in both). Returns the rows compared.
std::size_t expect_same_as_xgboost(const GbdtModel& m, const Dataset& d,
                                   std::size_t shap_stride = 1) {
    const auto rows = all_rows(d);
    const auto p = m.predict_proba(d, rows);
    double worst_p = 0, worst_c = 0;
    for (std::size_t k = 0; k < rows.size(); ++k)
        worst_p = std::max(worst_p, std::abs(m.predict_one(d.row(k)) - p[k]));
    std::vector<std::size_t> sampled;
    for (std::size_t k = 0; k < rows.size(); k += shap_stride) sampled.push_back(k);
    const auto c = m.contributions(d, sampled);
    std::vector<double> mine(d.cols + 1);
    for (std::size_t s = 0; s < sampled.size(); ++s) {
        m.contributions_one(d.row(sampled[s]), mine);
        for (std::size_t j = 0; j <= d.cols; ++j)
            worst_c = std::max(worst_c, std::abs(mine[j] - c[s][j]));
    }
    EXPECT_LE(worst_p, 1e-6);
    EXPECT_LE(worst_c, 1e-6);
    return rows.size();
}

/// A GBDT of the production shape (depth 4, up to 400 rounds) on the default feature set and
/// fixed-horizon labels of `bars`, trained on the first 70 % and compared on every row.
std::size_t check_real(const BarSeries& bars, TradingSessions sessions) {
    const FeatureSetDef def = FeatureConfig::parse(FeatureConfig::default_yaml(), "default")
                                  .get("default");
    FeatureContext ctx;
    ctx.symbol = bars.symbol;
    ctx.timeframe = bars.timeframe;
    ctx.has_spread = bars.has_spread();
    ctx.sessions = sessions;
    SymbolData s{build_feature_matrix(bars, def, ctx), fixed_horizon_labels(bars, {})};
    const Dataset d = build_dataset({s});
    std::vector<std::size_t> fit(d.rows() * 7 / 10);
    std::iota(fit.begin(), fit.end(), std::size_t{0});
    // No validation rows: all 400 rounds are kept, the largest model the defaults can produce.
    GbdtModel m;
    m.fit(d, fit, {});
    EXPECT_EQ(m.boosted_rounds(), 400);
    return expect_same_as_xgboost(m, d, 25);
}

} // namespace

TEST(CompiledTrees, equal_xgboost_with_missing_values_and_after_a_reload) {
    Dataset d = test::synthetic_dataset(1500, 8, 1.0);
    for (std::size_t i = 0; i < d.rows(); i += 7) d.x[i * d.cols + (i % d.cols)] = NAN;
    GbdtParams p;
    p.rounds = 120;
    p.early_stopping = 0;
    p.max_depth = 6;
    GbdtModel m(p);
    const auto rows = all_rows(d);
    m.fit(d, std::span(rows).first(1000), std::span(rows).subspan(1000));
    expect_same_as_xgboost(m, d);
    // Contributions sum to the margin: logit of the probability.
    std::vector<double> c(d.cols + 1);
    m.contributions_one(d.row(3), c);
    const double prob = m.predict_one(d.row(3));
    EXPECT_NEAR(std::accumulate(c.begin(), c.end(), 0.0), std::log(prob / (1 - prob)), 1e-4);

    test::TempDir dir;
    m.save(dir.path());
    GbdtModel loaded;
    loaded.load(dir.path());
    for (std::size_t k = 0; k < d.rows(); ++k)
        ASSERT_EQ(loaded.predict_one(d.row(k)), m.predict_one(d.row(k)));
}

TEST(CompiledTrees, equal_xgboost_for_regression) {
    Dataset d = test::synthetic_dataset(800, 5, 1.0);
    for (std::size_t i = 0; i < d.rows(); ++i) d.y[i] = d.x[i * d.cols] * 0.5f + d.y[i];
    GbdtParams p;
    p.objective = "reg:squarederror";
    p.rounds = 50;
    p.early_stopping = 0;
    GbdtModel m(p);
    const auto rows = all_rows(d);
    m.fit(d, std::span(rows).first(600), std::span(rows).subspan(600));
    expect_same_as_xgboost(m, d);
}

TEST(CompiledTrees, malformed_model_bytes_are_an_input_error) {
    const std::string junk = "not a model";
    EXPECT_THROW(CompiledTrees::from_ubjson(junk), InputError);
    EXPECT_THROW(GbdtModel().predict_one(nullptr), InputError);
}

TEST(CompiledTrees, equal_xgboost_on_every_row_of_real_btc_4h) {
    AURUM_REQUIRE_SHARED_DATA(path, "crypto/binance/BTCUSDT_4h.csv");
    EXPECT_GT(check_real(test::load_shared_bars("crypto/binance/BTCUSDT_4h.csv"),
                         TradingSessions::crypto()),
              15000u);
}

TEST(CompiledTrees, equal_xgboost_on_every_row_of_real_gold_h1) {
    constexpr const char* kGold = "mt5/XAUUSD_H1_201501020900_202512221100.csv";
    AURUM_REQUIRE_SHARED_DATA(path, kGold);
    EXPECT_GT(check_real(test::load_shared_bars(kGold, 2 * kMsPerHour),
                         TradingSessions::forex_metal()),
              50000u);
}
