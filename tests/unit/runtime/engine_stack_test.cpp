// The composition root: RunSpec -> engine stack, the --risk option, and the risk-on
// walk-forward that gating judges with (statistics pinned on real BTC/USDT + ETH/USDT 4h).
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "backtest/strategies.hpp"
#include "core/error.hpp"
#include "models/gating.hpp"
#include "models/walkforward.hpp"
#include "runtime/engine_stack.hpp"
#include "support/data/shared_bars.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

BarSeries trend(const std::string& sym, std::size_t n) {
    BarSeries b;
    b.symbol = sym;
    b.timeframe = Timeframe(4 * kMsPerHour);
    double p = 100;
    for (std::size_t i = 0; i < n; ++i) {
        const double o = p;
        p *= 1 + 0.01 * std::sin(static_cast<double>(i) / 15.0);
        b.push_back({make_time(2023, 1, 1) + static_cast<TimeMs>(i) * 4 * kMsPerHour, o,
                     std::max(o, p) * 1.001, std::min(o, p) * 0.999, p, 1e9});
    }
    return b;
}

StrategySpec all_in() {
    StrategySpec s;
    s.name = "sma-cross";
    s.params = {{"fast", 5}, {"slow", 20}};
    s.sizing.fraction = 0.98;
    return s;
}

/// Causal lagged returns of every symbol's bars as features, 6-bar forward labels.
Dataset lagged_returns(const MarketData& m) {
    Dataset d;
    d.feature_set_id = "test";
    for (const auto& b : m.bars) d.symbols.push_back(b.symbol);
    d.feature_names = {"ret_1", "ret_4", "ret_12"};
    d.cols = 3;
    const int h = 6;
    struct Row {
        TimeMs t;
        std::size_t k, i;
    };
    std::vector<Row> rows;
    for (std::size_t k = 0; k < m.bars.size(); ++k)
        for (std::size_t i = 12; i + h < m.bars[k].size(); ++i) rows.push_back({m.bars[k].time[i], k, i});
    std::sort(rows.begin(), rows.end(),
              [](const Row& a, const Row& b) { return a.t != b.t ? a.t < b.t : a.k < b.k; });
    for (const auto& [t, k, i] : rows) {
        const BarSeries& b = m.bars[k];
        const TimeMs tf = b.timeframe.ms();
        const double fwd = b.close[i + h] / b.close[i] - 1;
        const std::vector<float> x{static_cast<float>(std::log(b.close[i] / b.close[i - 1])),
                                   static_cast<float>(std::log(b.close[i] / b.close[i - 4])),
                                   static_cast<float>(std::log(b.close[i] / b.close[i - 12]))};
        d.push_row(x, fwd > 0 ? 1.0f : 0.0f, t + tf, b.time[i + h] + tf, static_cast<int>(k), 1.0f,
                   fwd);
    }
    return d;
}

} // namespace

TEST(EngineStack, risk_off_is_todays_backtest_bit_for_bit) {
    const BarSeries b = trend("BTC/USDT", 600);
    const Instrument inst = InstrumentRegistry().get("BTC/USDT");
    BacktestConfig cfg;
    cfg.initial_capital = 10000;
    auto s1 = make_strategy(all_in());
    auto s2 = make_strategy(all_in());
    const auto plain = run_backtest({inst}, {&b}, *s1, cfg);
    const auto off = SpecBacktestRunner(RiskSpec::off()).run({inst}, {&b}, *s2, cfg);
    EXPECT_EQ(off.final_equity, plain.final_equity);
    EXPECT_EQ(off.trades.size(), plain.trades.size());
    EXPECT_EQ(SpecBacktestRunner(RiskSpec::off()).risk_label(), "");
}

TEST(EngineStack, risk_on_caps_every_position_at_the_max_position_limit) {
    const BarSeries b = trend("BTC/USDT", 600);
    const Instrument inst = InstrumentRegistry().get("BTC/USDT");
    BacktestConfig cfg;
    cfg.initial_capital = 10000;
    cfg.record_fills = true;
    auto s = make_strategy(all_in());
    const SpecBacktestRunner on(RiskSpec::account(RiskLimits{}, "test"));
    const auto r = on.run({inst}, {&b}, *s, cfg);
    ASSERT_FALSE(r.trades.empty());
    for (const auto& t : r.trades)
        EXPECT_LE(t.qty * t.entry_price, 0.25 * 10000 * 1.6) << "98 % of equity asked, 25 % allowed";
    auto s_off = make_strategy(all_in());
    const auto off = SpecBacktestRunner(RiskSpec::off()).run({inst}, {&b}, *s_off, cfg);
    EXPECT_GT(off.trades.front().qty, r.trades.front().qty * 3);
    EXPECT_NE(on.risk_label().find("max position 25%"), std::string::npos) << on.risk_label();
}

TEST(EngineStack, risk_option_off_default_file_and_bad_values) {
    test::TempDir dir;
    const std::string ws_yaml = (dir / "risk.yaml").string();
    EXPECT_FALSE(parse_risk_option("--risk", "off", ws_yaml).on());
    const RiskSpec dflt = parse_risk_option("--risk", "", ws_yaml);
    EXPECT_TRUE(dflt.on());
    EXPECT_EQ(dflt.limits.max_position, RiskLimits{}.max_position);
    test::write_text(dir / "tight.yaml", "risk:\n  max_position: 0.10\n");
    const RiskSpec tight = parse_risk_option("--risk", (dir / "tight.yaml").string(), ws_yaml);
    EXPECT_DOUBLE_EQ(tight.limits.max_position, 0.10);
    try {
        parse_risk_option("--risk", "nosuch.yaml", ws_yaml);
        FAIL() << "a missing file is bad input";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("--risk 'nosuch.yaml'"), std::string::npos) << e.what();
    }
    test::write_text(dir / "bad.yaml", "risk:\n  max_position: -1\n");
    try {
        parse_risk_option("--risk", (dir / "bad.yaml").string(), ws_yaml);
        FAIL() << "an out-of-range limit is bad input";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("max_position"), std::string::npos) << e.what();
    }
}

TEST(EngineStack, risk_on_walkforward_statistics_on_real_btc_eth_4h) {
    AURUM_REQUIRE_SHARED_DATA(btc, "crypto/binance/BTCUSDT_4h.csv");
    AURUM_REQUIRE_SHARED_DATA(eth, "crypto/binance/ETHUSDT_4h.csv");
    MarketData m;
    InstrumentRegistry reg;
    for (const char* f : {"crypto/binance/BTCUSDT_4h.csv", "crypto/binance/ETHUSDT_4h.csv"}) {
        BarSeries b = test::load_shared_bars(f).slice({make_time(2021, 1, 1), make_time(2024, 1, 1)});
        m.instruments.push_back(reg.get(b.symbol));
        m.bars.push_back(std::move(b));
    }
    const Dataset d = lagged_returns(m);
    ModelsConfig cfg = ModelsConfig::parse(default_models_yaml(), "test");
    cfg.split.folds = 3;
    cfg.labels.horizon = 6;
    cfg.gbdt = {{"rounds", 40}, {"max_depth", 3}, {"eta", 0.1}, {"early_stopping", 10}, {"nthread", 1}};
    const SpecBacktestRunner on(RiskSpec::account(RiskLimits{}, "config/risk.yaml"));
    const auto wf_on = run_walkforward(d, m, "gbdt", cfg, on);
    const auto wf_off = run_walkforward(d, m, "gbdt", cfg);
    EXPECT_EQ(wf_on.risk, on.risk_label());
    EXPECT_EQ(wf_off.risk, "");
    // The same model decisions; only the engine stack differs.
    EXPECT_EQ(wf_on.oos_p, wf_off.oos_p);
    EXPECT_EQ(wf_on.entries, wf_off.entries);
    // Risk-on: positions capped at 25 % and heat at 50 % of equity instead of 49 % each.
    EXPECT_LT(std::fabs(wf_on.backtest.max_drawdown), std::fabs(wf_off.backtest.max_drawdown));
    // Pinned (real data 2021-2023, 3 folds, 40-round GBDT on lagged returns): risk-on halves
    // the drawdown and the return of the 49 %-per-symbol allow-all run; the Sharpe barely moves.
    EXPECT_EQ(wf_on.backtest.trades, 4u);
    EXPECT_NEAR(wf_on.backtest.sharpe, 0.855047, 1e-5);
    EXPECT_NEAR(wf_on.backtest.max_drawdown, -0.002759, 1e-5);
    EXPECT_NEAR(wf_on.backtest.final_equity, 10078.8612, 1e-3);
    EXPECT_EQ(wf_off.backtest.trades, 4u);
    EXPECT_NEAR(wf_off.backtest.max_drawdown, -0.005388, 1e-5);
    EXPECT_NEAR(wf_off.backtest.final_equity, 10154.5244, 1e-3);
}
