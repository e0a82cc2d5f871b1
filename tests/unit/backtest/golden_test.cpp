// Golden backtests on real data (../shared/data): BTC/USDT 4h from Binance and XAUUSD H1 from an
// MT5 export. The statistics were computed once, checked for plausibility against the market's
// history (see the comments), and pinned; any change to fills, costs or metrics shows up here.
#include <gtest/gtest.h>

#include <cstdio>

#include "backtest/metrics.hpp"
#include "backtest/strategies.hpp"
#include "support/data/shared_bars.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

struct Expect {
    std::size_t trades;
    double final_equity, sharpe, max_drawdown, win_rate, profit_factor, fees;
};

void check(const Metrics& m, const Expect& e, const std::string& what) {
    // Print the table so a deliberate change can be re-pinned from the log.
    std::printf("%s: trades %zu final %.6f sharpe %.6f maxdd %.6f win %.6f pf %.6f fees %.6f\n",
                what.c_str(), m.trades, m.final_equity, m.sharpe, m.max_drawdown, m.win_rate,
                m.profit_factor, m.fees);
    EXPECT_EQ(m.trades, e.trades) << what;
    EXPECT_NEAR(m.final_equity, e.final_equity, 1e-6 * e.final_equity) << what;
    EXPECT_NEAR(m.sharpe, e.sharpe, 1e-5) << what;
    EXPECT_NEAR(m.max_drawdown, e.max_drawdown, 1e-6) << what;
    EXPECT_NEAR(m.win_rate, e.win_rate, 1e-9) << what;
    EXPECT_NEAR(m.profit_factor, e.profit_factor, 1e-5) << what;
    EXPECT_NEAR(m.fees, e.fees, 1e-6 * std::max(1.0, e.fees)) << what;
}

Metrics run(const Instrument& inst, const BarSeries& s, StrategySpec spec, BacktestConfig cfg) {
    auto st = make_strategy(spec);
    const auto r = run_backtest({inst}, {&s}, *st, cfg);
    return compute_metrics(r, {&s});
}

} // namespace

TEST(Golden, btc_usdt_4h_sma_cross_and_buy_hold) {
    AURUM_REQUIRE_SHARED_DATA(path, "crypto/binance/BTCUSDT_4h.csv");
    const BarSeries s = test::load_shared_bars("crypto/binance/BTCUSDT_4h.csv");
    ASSERT_EQ(s.size(), 18371u);
    const Instrument btc = InstrumentRegistry().get("BTC/USDT");
    BacktestConfig cfg;
    cfg.initial_capital = 10000;
    cfg.fill.fees = {0.001, 0.001};
    cfg.fill.slippage.fixed_bps = 2;

    StrategySpec bh;
    bh.name = "buy-hold";
    const Metrics mb = run(btc, s, bh, cfg);
    // BTC went from ~4,300 (Aug 2017) to ~93,000 (Jan 2026): about 21x, and fell 84 % from the
    // Dec 2017 top to the Dec 2018 bottom. The buy-hold strategy buys at the second bar's open
    // with fees and slippage, so it ends within a few percent of the cost-free benchmark.
    EXPECT_EQ(mb.bars, 18371u);
    EXPECT_NEAR((1 + mb.total_return) / (1 + mb.buy_hold[0].total_return), 1.0, 0.05);
    check(mb, {0, 215513.1133, 0.873563, -0.838386, 0, 0, 9.953676}, "btc buy-hold");

    // Trend following on 4h bars: many small losers, a few large winners (win rate ~35 %,
    // profit factor ~1.3), ~60 round trips a year, and fees of several times the capital.
    StrategySpec sc;
    sc.name = "sma-cross";
    sc.params = {{"fast", 10}, {"slow", 30}};
    const Metrics ms = run(btc, s, sc, cfg);
    check(ms, {358, 204553.6404, 1.007555, -0.697823, 127.0 / 358, 1.294506, 68103.097834},
          "btc sma-cross 10/30");
}

TEST(Golden, xauusd_h1_donchian_with_mt5_spread_and_shorts) {
    AURUM_REQUIRE_SHARED_DATA(path, "mt5/XAUUSD_H1_201501020900_202512221100.csv");
    // Times as exported (broker time, no UTC shift), as when the figures were pinned.
    const BarSeries s = test::load_shared_bars("mt5/XAUUSD_H1_201501020900_202512221100.csv");
    ASSERT_EQ(s.size(), 64642u);
    const Instrument gold = InstrumentRegistry().get("XAUUSD");
    BacktestConfig cfg;
    cfg.initial_capital = 10000;
    cfg.fill.fees = {0.0, 0.0}; // MT5 brokers charge through the spread
    cfg.fill.spread = {SpreadModel::Mode::Column, 0, 0, PriceBasis::Bid};
    cfg.allow_short = true;
    StrategySpec dc;
    dc.name = "donchian-breakout";
    dc.params = {{"entry", 50}, {"exit", 25}};
    dc.sizing.fraction = 1.0;
    // Breakouts on H1 gold with shorts and the broker's spread: a thin edge (profit factor ~1.05)
    // and a -30 % drawdown; ~70 round trips a year.
    const Metrics m = run(gold, s, dc, cfg);
    check(m, {793, 11935.1300, 0.198606, -0.300803, 310.0 / 793, 1.045066, 0.0},
          "xauusd donchian 50/25");
    EXPECT_GT(m.spread_cost, 0);
    // Gold rose from ~1,186 to ~4,400 over 2015-2025.
    EXPECT_GT(m.buy_hold[0].total_return, 2.0);
}
