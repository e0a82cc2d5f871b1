// Walk-forward, leakage controls and gating on a synthetic random-walk market.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/instrument.hpp"
#include "models/gating.hpp"
#include "models/walkforward.hpp"

using namespace aurum;

namespace {

constexpr int kHorizon = 6;

MarketData random_walk(std::size_t n, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> z(0.0, 0.01);
    BarSeries b;
    b.symbol = "BTC/USDT";
    b.timeframe = Timeframe(4 * kMsPerHour);
    double price = 20000;
    for (std::size_t i = 0; i < n; ++i) {
        const double open = price;
        price *= std::exp(z(rng));
        b.push_back({static_cast<TimeMs>(1'600'000'000'000LL + static_cast<TimeMs>(i) * 4 * kMsPerHour),
                     open, std::max(open, price) * 1.001, std::min(open, price) * 0.999, price, 100.0});
    }
    MarketData m;
    m.instruments.push_back(InstrumentRegistry().get("BTC/USDT"));
    m.bars.push_back(std::move(b));
    return m;
}

/// Causal lagged returns as features; `leak` adds the label's own forward return (look-ahead).
Dataset dataset_from(const MarketData& m, bool leak) {
    const BarSeries& b = m.bars[0];
    Dataset d;
    d.feature_set_id = "test";
    d.symbols = {b.symbol};
    d.feature_names = {"ret_1", "ret_4", "ret_12"};
    if (leak) d.feature_names.push_back("leak");
    d.cols = d.feature_names.size();
    std::mt19937_64 rng(3);
    std::normal_distribution<double> noise(0.0, 0.01);
    const TimeMs tf = b.timeframe.ms();
    for (std::size_t i = 12; i + kHorizon < b.size(); ++i) {
        std::vector<float> row{static_cast<float>(std::log(b.close[i] / b.close[i - 1])),
                               static_cast<float>(std::log(b.close[i] / b.close[i - 4])),
                               static_cast<float>(std::log(b.close[i] / b.close[i - 12]))};
        const double fwd = b.close[i + kHorizon] / b.close[i] - 1;
        if (leak) row.push_back(static_cast<float>(fwd + noise(rng)));
        d.push_row(row, fwd > 0 ? 1.0f : 0.0f, b.time[i] + tf, b.time[i + kHorizon] + tf, 0, 1.0f, fwd);
    }
    return d;
}

ModelsConfig fast_config() {
    ModelsConfig c = ModelsConfig::parse(default_models_yaml(), "test");
    c.split.folds = 3;
    c.split.min_train_rows = 100;
    c.split.min_test_rows = 20;
    c.labels.horizon = kHorizon;
    c.gbdt = {{"rounds", 60}, {"max_depth", 3}, {"eta", 0.1}, {"early_stopping", 10}, {"nthread", 1}};
    return c;
}

} // namespace

TEST(WalkForward, noise_market_finds_no_edge_controls_clean_and_gating_refuses) {
    const MarketData m = random_walk(3000, 11);
    const Dataset d = dataset_from(m, false);
    const auto cfg = fast_config();
    const auto wf = run_walkforward(d, m, "gbdt", cfg);
    ASSERT_EQ(wf.folds.size(), 3u);
    EXPECT_EQ(wf.leakage.t1_overlaps, 0u);
    EXPECT_TRUE(wf.leakage.shuffled_ok) << wf.leakage.shuffled_auc;
    EXPECT_TRUE(wf.leakage.suspicious_features.empty());
    EXPECT_NEAR(wf.oos.auc, 0.5, 0.06);
    for (const auto& f : wf.folds) {
        EXPECT_GT(f.purged, 0u); // the last training labels reach into the test window
        EXPECT_EQ(f.overlaps, 0u);
    }
    // The stitched OOS run covers every fold's test bars.
    ASSERT_FALSE(wf.equity.time.empty());
    EXPECT_LE(wf.equity.time.front(), wf.folds.front().test_from);
    EXPECT_EQ(wf.buy_hold_equity.size(), wf.equity.size());
    const auto v = evaluate_gating(wf, cfg.gating);
    EXPECT_FALSE(v.passed);
    bool sharpe_failed = false;
    for (const auto& r : v.rules)
        if (r.name == "sharpe") sharpe_failed = !r.passed;
    EXPECT_TRUE(sharpe_failed) << wf.backtest.sharpe;
}

TEST(WalkForward, deliberately_leaking_feature_is_caught_and_blocks_gating) {
    const MarketData m = random_walk(3000, 12);
    const Dataset d = dataset_from(m, true);
    auto cfg = fast_config();
    const auto wf = run_walkforward(d, m, "gbdt", cfg);
    ASSERT_FALSE(wf.leakage.clean());
    ASSERT_FALSE(wf.leakage.suspicious_features.empty());
    EXPECT_EQ(wf.leakage.suspicious_features.front().first, "leak");
    EXPECT_TRUE(wf.leakage.oos_implausible) << wf.oos.auc;
    // Even with every other rule relaxed, the leakage rule refuses promotion.
    cfg.gating.min_sharpe = -100;
    cfg.gating.max_drawdown = 1.0;
    cfg.gating.min_trades = 0;
    cfg.gating.beat_buy_hold = false;
    const auto v = evaluate_gating(wf, cfg.gating);
    EXPECT_FALSE(v.passed);
    EXPECT_NE(v.failures().find("leak"), std::string::npos) << v.failures();
}

TEST(WalkForward, shuffled_label_control_stays_at_chance_on_honest_data) {
    // On honest data the control stays inside its chance band and the train/test gap is reported.
    const MarketData m = random_walk(2000, 13);
    const Dataset d = dataset_from(m, false);
    const auto wf = run_walkforward(d, m, "gbdt", fast_config());
    EXPECT_GT(wf.leakage.train_accuracy, 0.0);
    EXPECT_GT(wf.leakage.test_accuracy, 0.0);
    EXPECT_LE(std::abs(wf.leakage.shuffled_auc - 0.5), wf.leakage.shuffled_band);
}

TEST(WalkForward, too_little_data_and_one_class_labels_are_input_errors) {
    const MarketData m = random_walk(150, 14);
    const Dataset d = dataset_from(m, false);
    EXPECT_THROW(run_walkforward(d, m, "gbdt", fast_config()), InputError);
    const MarketData m2 = random_walk(1500, 15);
    Dataset one = dataset_from(m2, false);
    for (auto& y : one.y) y = 1.0f;
    try {
        run_walkforward(one, m2, "gbdt", fast_config());
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("one class"), std::string::npos) << e.what();
    }
}
