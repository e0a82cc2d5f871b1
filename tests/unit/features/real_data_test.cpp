// The batch = streaming and no-look-ahead properties, labels and regimes on the real data in
// ../shared/data (Binance BTCUSDT 4h and the MT5 XAUUSD H1 export).
#include <gtest/gtest.h>

#include <random>

#include "feature_test_helpers.hpp"
#include "features/feature_set.hpp"
#include "features/labels.hpp"
#include "features/regimes.hpp"
#include "support/data/shared_bars.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

/// Every indicator (with all outputs), the regime included; spread when the data has it.
FeatureSetDef every_indicator(bool spread) {
    std::string y = "sets:\n  all:\n    features:\n";
    for (const auto& info : indicator_catalogue()) {
        if (info.name == "cross_asset" || info.name == "external") continue;
        if (info.name == "spread" && !spread) continue;
        y += "      - {indicator: " + info.name + "}\n";
    }
    y += "      - {indicator: skew, input: return, period: 50}\n";
    return FeatureConfig::parse(y, "test").get("all");
}

FeatureContext ctx_for(const BarSeries& b, TradingSessions sessions) {
    FeatureContext c;
    c.symbol = b.symbol;
    c.timeframe = b.timeframe;
    c.has_spread = b.has_spread();
    c.sessions = sessions;
    return c;
}

void check_batch_equals_streaming(const BarSeries& bars, const FeatureSetDef& def,
                                  const FeatureContext& ctx) {
    const FeatureMatrix batch = build_feature_matrix(bars, def, ctx);
    ASSERT_GT(batch.rows(), bars.size() / 2);
    FeaturePipeline live(def, ctx);
    std::size_t r = 0;
    for (std::size_t i = 0; i < bars.size(); ++i) {
        if (!live.update(bars.at(i))) continue;
        ASSERT_EQ(batch.time[r], bars.time[i]);
        for (std::size_t c = 0; c < batch.cols(); ++c)
            ASSERT_EQ(batch.at(r, c), live.row()[c]) << batch.names[c] << " at "
                                                     << format_time(bars.time[i]);
        ++r;
    }
    EXPECT_EQ(r, batch.rows());
}

void check_no_look_ahead(const BarSeries& bars, const FeatureSetDef& def,
                         const FeatureContext& ctx, int trials) {
    const FeatureMatrix base = build_feature_matrix(bars, def, ctx);
    std::mt19937_64 rng(2024);
    std::uniform_int_distribution<std::size_t> pick(bars.size() / 3, bars.size() - 2);
    std::uniform_real_distribution<double> u(0.8, 1.25);
    for (int k = 0; k < trials; ++k) {
        const std::size_t t = pick(rng);
        BarSeries p = bars;
        for (std::size_t i = t + 1; i < p.size(); ++i) {
            p.close[i] *= u(rng);
            p.open[i] *= u(rng);
            p.high[i] = std::max({p.high[i], p.open[i], p.close[i]}) * u(rng) * 1.3;
            p.low[i] = std::min({p.low[i], p.open[i], p.close[i]}) / 1.3;
            p.volume[i] *= u(rng);
            if (p.has_spread()) p.spread[i] *= u(rng);
        }
        const FeatureMatrix m = build_feature_matrix(p, def, ctx);
        for (std::size_t r = 0; r < base.rows() && base.time[r] <= bars.time[t]; ++r)
            for (std::size_t c = 0; c < base.cols(); ++c)
                ASSERT_EQ(base.at(r, c), m.at(r, c)) << base.names[c] << " trial " << k;
    }
}

} // namespace

TEST(RealData, btc_4h_batch_equals_streaming_and_no_look_ahead) {
    AURUM_REQUIRE_SHARED_DATA(path, "crypto/binance/BTCUSDT_4h.csv");
    const BarSeries bars = test::load_shared_bars("crypto/binance/BTCUSDT_4h.csv");
    ASSERT_GT(bars.size(), 18000u);
    const FeatureSetDef def = every_indicator(false);
    const FeatureContext ctx = ctx_for(bars, TradingSessions::crypto());
    check_batch_equals_streaming(bars, def, ctx);
    const BarSeries tail = bars.slice({bars.time[bars.size() - 3000], INT64_MAX});
    check_no_look_ahead(tail, def, ctx, 8);
    // The shipped default set builds over the whole history without NaN.
    const FeatureConfig cfg = FeatureConfig::parse(FeatureConfig::default_yaml(), "d");
    BuildReport rep;
    const FeatureMatrix m = build_feature_matrix(bars, cfg.get("default"), ctx, &rep);
    EXPECT_GT(m.rows(), bars.size() - 400);
}

TEST(RealData, xauusd_h1_batch_equals_streaming_and_no_look_ahead) {
    AURUM_REQUIRE_SHARED_DATA(path, "mt5/XAUUSD_H1_201501020900_202512221100.csv");
    const BarSeries bars = test::load_shared_bars("mt5/XAUUSD_H1_201501020900_202512221100.csv");
    ASSERT_GT(bars.size(), 60000u);
    ASSERT_TRUE(bars.has_spread());
    const FeatureSetDef def = every_indicator(true);
    const FeatureContext ctx = ctx_for(bars, TradingSessions::forex_metal());
    const BarSeries recent = bars.slice({bars.time[bars.size() - 20000], INT64_MAX});
    check_batch_equals_streaming(recent, def, ctx);
    const BarSeries tail = bars.slice({bars.time[bars.size() - 3000], INT64_MAX});
    check_no_look_ahead(tail, def, ctx, 8);
    const FeatureConfig cfg = FeatureConfig::parse(FeatureConfig::default_yaml(), "d");
    BuildReport rep;
    const FeatureMatrix m = build_feature_matrix(bars, cfg.get("gold"), ctx, &rep);
    EXPECT_GT(m.rows(), bars.size() * 9 / 10);
}

TEST(RealData, labels_and_regimes_build_for_btc_4h_and_xauusd_h1) {
    AURUM_REQUIRE_SHARED_DATA(btc_path, "crypto/binance/BTCUSDT_4h.csv");
    AURUM_REQUIRE_SHARED_DATA(xau_path, "mt5/XAUUSD_H1_201501020900_202512221100.csv");
    const BarSeries btc = test::load_shared_bars("crypto/binance/BTCUSDT_4h.csv");
    const BarSeries xau = test::load_shared_bars("mt5/XAUUSD_H1_201501020900_202512221100.csv");
    for (const BarSeries* bars : {&btc, &xau}) {
        const LabelSet tb = triple_barrier_labels(*bars, {});
        ASSERT_GT(tb.size(), bars->size() * 9 / 10);
        const LabelCounts c = count_labels(tb);
        // All three outcomes occur, none dominates completely.
        EXPECT_GT(c.positive, static_cast<std::int64_t>(tb.size() / 10));
        EXPECT_GT(c.negative, static_cast<std::int64_t>(tb.size() / 10));
        EXPECT_GT(c.neutral, 0);
        for (std::size_t i = 0; i < tb.size(); ++i) {
            ASSERT_GT(tb.t1[i], tb.time[i]);
            ASSERT_LE(tb.t1[i] - tb.time[i], 24 * bars->timeframe.ms() * 30); // 24 bars + gaps
        }
        FixedHorizonParams fp;
        fp.dead_zone_vol = 0.25;
        EXPECT_GT(fixed_horizon_labels(*bars, fp).size(), bars->size() * 9 / 10);
        const auto regimes = classify_regimes(*bars);
        const auto counts = regime_counts(regimes);
        for (Regime r : {Regime::Bull, Regime::Bear, Regime::Ranging, Regime::HighVol})
            EXPECT_GT(counts[static_cast<int>(r)], static_cast<std::int64_t>(bars->size() / 50))
                << bars->symbol << " " << to_string(r);
    }
    // The HMM on BTC 4h: four states, every regime present.
    const auto hmm = hmm_regimes(btc, {});
    const auto hc = regime_counts(hmm);
    for (Regime r : {Regime::Bull, Regime::Bear, Regime::HighVol})
        EXPECT_GT(hc[static_cast<int>(r)], 100) << to_string(r);
}
