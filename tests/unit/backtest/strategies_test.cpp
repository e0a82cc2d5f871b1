// Built-in strategies, sizing, signals, metrics and sweeps.
#include <gtest/gtest.h>

#include <cmath>

#include "backtest/grid.hpp"
#include "backtest/instrument_rules.hpp"
#include "backtest/metrics.hpp"
#include "backtest/strategies.hpp"
#include "bt_helpers.hpp"
#include "core/error.hpp"
#include "data/database.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using namespace aurum::bt_test;

namespace {
BarSeries closes(const std::vector<double>& c, TimeMs start = make_time(2024, 1, 1)) {
    std::vector<B> b;
    for (double x : c)
        b.push_back({x, x + 1, x - 1, x});
    return series(b, "TEST/USDT", Timeframe(kMsPerHour), start);
}
} // namespace

TEST(Strategies, sma_cross_enters_after_the_cross_and_fills_next_open) {
    // fast=2, slow=3: both SMAs are ready at bar 2 (fast 8.5 < slow 9: flat).
    const auto s = closes({10, 9, 8, 10, 12, 14, 15, 16, 12, 8, 7});
    StrategySpec spec;
    spec.name = "sma-cross";
    spec.params = {{"fast", 2}, {"slow", 3}};
    spec.sizing.mode = SizingConfig::Mode::FixedQty;
    spec.sizing.qty = 1;
    auto st = make_strategy(spec);
    const auto r = run1(spot(), s, *st, no_costs());
    ASSERT_GE(r.fills.size(), 2u);
    // Bar 4: fast (10+12)/2=11 > slow (8+10+12)/3=10 already -> the entry is decided at bar 4.
    EXPECT_EQ(r.fills[0].time, s.time[5]);
    EXPECT_EQ(r.fills[0].side, Side::Buy);
    EXPECT_DOUBLE_EQ(r.fills[0].price, 14);
    // Bar 8: fast (16+12)/2=14 < slow (15+16+12)/3=14.33 -> sell at bar 9's open (8).
    EXPECT_EQ(r.fills[1].time, s.time[9]);
    EXPECT_EQ(r.fills[1].side, Side::Sell);
    EXPECT_DOUBLE_EQ(r.fills[1].price, 8);
    ASSERT_EQ(r.trades.size(), 1u);
    EXPECT_NEAR(r.trades[0].gross_pnl, 8 - 14, 1e-12);
}

TEST(Strategies, buy_hold_buys_once_with_the_fraction_of_equity_net_of_fees) {
    const auto s = closes({100, 100, 110, 120});
    StrategySpec spec;
    spec.name = "buy-hold";
    spec.sizing.fraction = 1.0;
    auto st = make_strategy(spec);
    BacktestConfig cfg = no_costs();
    cfg.fill.fees = {0.001, 0.001};
    const auto r = run1(spot(), s, *st, cfg);
    ASSERT_EQ(r.fills.size(), 1u);
    EXPECT_NEAR(r.fills[0].qty, round_qty_down(10000 / (100 * 1.001), 0.001), 1e-12);
    EXPECT_GE(r.curve.cash.back(), 0);
}

TEST(Strategies, rsi_reversion_and_donchian_trade_on_synthetic_swings) {
    std::vector<double> c;
    for (int k = 0; k < 300; ++k)
        c.push_back(100 + 10 * std::sin(k / 6.0) + (k % 7) * 0.3);
    const auto s = closes(c);
    for (const std::string name : {"rsi-reversion", "donchian-breakout"}) {
        StrategySpec spec;
        spec.name = name;
        auto st = make_strategy(spec);
        const auto r = run1(spot(), s, *st, no_costs());
        EXPECT_GT(r.trades.size(), 3u) << name;
        for (const auto& t : r.trades)
            EXPECT_EQ(t.direction, 1) << name; // spot: long only
    }
}

TEST(Strategies, bad_strategy_input_is_rejected_with_a_clear_message) {
    StrategySpec s;
    s.name = "moon";
    EXPECT_THROW(make_strategy(s), InputError);
    s.name = "sma-cross";
    s.params = {{"fast", 30}, {"slow", 10}};
    try {
        make_strategy(s);
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("--fast (30) must be less than --slow (10)"),
                  std::string::npos);
    }
    s.params = {{"fast", 2.5}, {"slow", 10}};
    EXPECT_THROW(make_strategy(s), InputError);
    s.params = {{"period", 3}};
    EXPECT_THROW(make_strategy(s), InputError); // sma-cross has no 'period'
    s.name = "rsi-reversion";
    s.params = {{"lower", 80}, {"upper", 20}};
    EXPECT_THROW(make_strategy(s), InputError);
    s.name = "signals";
    s.params = {};
    EXPECT_THROW(make_strategy(s), InputError); // no signals given
}

TEST(Sizing, fraction_fixed_vol_target_and_kelly) {
    const auto s = closes({100, 100, 100, 100, 100, 100});
    SizingConfig vol;
    vol.mode = SizingConfig::Mode::VolTarget;
    vol.vol_target = 0.5;
    vol.atr_period = 3;
    vol.fraction = 1.0;
    double qty_vol = -1;
    Sizer sizer(vol);
    Scripted st([&](StrategyContext& ctx, InstrumentId i, std::size_t k) {
        if (k == 0)
            sizer.start(ctx);
        sizer.update(i, ctx.bars(i));
        if (k == 5)
            qty_vol = sizer.target_qty(ctx, i, 1.0);
    });
    run1(spot(), s, st, no_costs());
    // ATR = 2 (range 2, flat closes): sigma = 0.02 x sqrt(8760) = 1.872; lev = 0.5 / 1.872.
    const double lev = 0.5 / (0.02 * std::sqrt(8760.0));
    EXPECT_NEAR(qty_vol, lev * 10000 / 100, 1e-9);

    // Kelly from closed trades: 3 wins of +10 %, 1 loss of -5 %: p = .75, b = 2,
    // f = .75 - .25 / 2 = .625; half Kelly .3125, capped at .25.
    Portfolio p(1000, {cfd()});
    auto trade = [&](double entry, double exit) {
        Fill f;
        f.side = Side::Buy, f.qty = 1, f.price = entry;
        p.apply_fill(f, 0);
        f.side = Side::Sell, f.price = exit;
        p.apply_fill(f, 1);
    };
    trade(100, 110), trade(100, 110), trade(100, 110), trade(100, 95);
    SizingConfig kc;
    kc.mode = SizingConfig::Mode::Kelly;
    kc.kelly_min_trades = 4;
    kc.kelly_cap = 1.0;
    Sizer k1(kc);
    EXPECT_NEAR(k1.kelly_fraction(p), 0.3125, 1e-12);
    kc.kelly_cap = 0.25;
    Sizer k2(kc);
    EXPECT_NEAR(k2.kelly_fraction(p), 0.25, 1e-12);
    kc.kelly_min_trades = 10;
    Sizer k3(kc);
    EXPECT_NEAR(k3.kelly_fraction(p), 0.125, 1e-12); // too few trades: half the cap
}

TEST(Signals, csv_as_of_lookup_and_strategy_uses_a_record_from_its_bar_close) {
    test::TempDir dir;
    const auto s = closes({100, 101, 102, 103, 104, 105});
    test::write_text(dir / "sig.csv", "time,symbol,target\n" + format_iso(s.time[1]) +
                                          ",TEST/USDT,0.5\n" + format_iso(s.time[3]) +
                                          ",TEST/USDT,0\n");
    auto sig = std::make_shared<SignalSeries>(SignalSeries::load_csv(dir / "sig.csv"));
    EXPECT_EQ(sig->kind(), SignalSeries::Kind::Target);
    const int idx = sig->index_of("TEST/USDT");
    ASSERT_GE(idx, 0);
    EXPECT_TRUE(std::isnan(sig->value_at(idx, s.time[0])));
    EXPECT_DOUBLE_EQ(sig->value_at(idx, s.time[2]), 0.5);
    EXPECT_EQ(sig->index_of("OTHER"), -1);

    StrategySpec spec;
    spec.name = "signals";
    spec.signals = sig;
    auto st = make_strategy(spec);
    const auto r = run1(spot(), s, *st, no_costs());
    ASSERT_EQ(r.fills.size(), 2u);
    EXPECT_EQ(r.fills[0].time, s.time[2]); // known at bar 1's close, filled at bar 2's open
    EXPECT_NEAR(r.fills[0].qty * 101, 5000,
                101 * 0.001 + 1e-9); // half of equity at 101 (close of 1)
    EXPECT_EQ(r.fills[1].time, s.time[4]);
    EXPECT_EQ(r.fills[1].side, Side::Sell);
}

TEST(Signals, bad_files_name_the_line_and_store_round_trip) {
    test::TempDir dir;
    test::write_text(dir / "a.csv", "time,probability\n2024-01-01,0.4\n2024-01-02,1.7\n");
    try {
        SignalSeries::load_csv(dir / "a.csv");
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("outside [0, 1]"), std::string::npos);
    }
    test::write_text(dir / "b.csv", "when,target\n2024-01-01,0.4\n");
    EXPECT_THROW(SignalSeries::load_csv(dir / "b.csv"), InputError);
    test::write_text(dir / "c.csv", "time,target\n2024-01-01,abc\n");
    try {
        SignalSeries::load_csv(dir / "c.csv");
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("c.csv:2"), std::string::npos);
    }
    EXPECT_THROW(SignalSeries::load_csv(dir / "missing.csv"), InputError);

    auto db = open_database((dir / "s.db").string());
    const auto sig = SignalSeries::from_records(
        {{make_time(2024, 1, 2), "BTC/USDT", 0.7}, {make_time(2024, 1, 1), "BTC/USDT", 0.2}},
        SignalSeries::Kind::Probability);
    sig.store_table(*db, "model_signals", "gbdt-v1");
    const auto back = SignalSeries::load_table(*db, "model_signals", "gbdt-v1");
    EXPECT_EQ(back.kind(), SignalSeries::Kind::Probability);
    EXPECT_EQ(back.size(), 2u);
    EXPECT_DOUBLE_EQ(back.value_at(back.index_of("BTC/USDT"), make_time(2024, 1, 1, 12)), 0.2);
    EXPECT_THROW(SignalSeries::load_table(*db, "model_signals", "other"), InputError);
    EXPECT_THROW(SignalSeries::load_table(*db, "drop table x;--", "gbdt-v1"), InputError);
}

TEST(Metrics, hand_computed_returns_drawdown_and_trade_stats) {
    BacktestResult r;
    r.instruments = {spot()};
    r.timeframe = Timeframe(kMsPerDay);
    r.initial_capital = 100;
    const std::vector<double> eq = {100, 110, 99, 121};
    for (std::size_t k = 0; k < eq.size(); ++k) {
        r.curve.time.push_back(make_time(2024, 1, 30) + static_cast<TimeMs>(k) * kMsPerDay);
        r.curve.equity.push_back(eq[k]);
        r.curve.cash.push_back(eq[k]);
        r.curve.exposure.push_back(k == 1 || k == 2 ? 1.0 : 0.0);
    }
    r.final_equity = 121;
    Trade w, l;
    w.gross_pnl = 12, w.fees = 2, w.exit_step = 2;
    l.gross_pnl = -4, l.fees = 1, l.exit_step = 1;
    r.trades = {w, l};
    const auto bars = closes({1, 1, 1, 1}, make_time(2024, 1, 30));
    const Metrics m = compute_metrics(r, {&bars});
    EXPECT_NEAR(m.total_return, 0.21, 1e-12);
    EXPECT_NEAR(m.max_drawdown, 99.0 / 110 - 1, 1e-12);
    EXPECT_EQ(m.max_drawdown_bars, 1u);
    const std::vector<double> rets = {0, 0.1, 99.0 / 110 - 1, 121.0 / 99 - 1};
    double mean = 0;
    for (double x : rets)
        mean += x / 4;
    double var = 0;
    for (double x : rets)
        var += (x - mean) * (x - mean) / 3;
    EXPECT_NEAR(m.sharpe, mean / std::sqrt(var) * std::sqrt(365.0), 1e-9);
    EXPECT_NEAR(m.periods_per_year, 365.0, 1e-9);
    EXPECT_NEAR(m.cagr, std::pow(1.21, 365.0 / 4) - 1, 1e-6 * std::pow(1.21, 365.0 / 4));
    EXPECT_EQ(m.trades, 2u);
    EXPECT_DOUBLE_EQ(m.win_rate, 0.5);
    EXPECT_DOUBLE_EQ(m.profit_factor, 10.0 / 5.0);
    EXPECT_DOUBLE_EQ(m.expectancy, (10.0 - 5.0) / 2);
    EXPECT_DOUBLE_EQ(m.best_trade, 10);
    EXPECT_DOUBLE_EQ(m.worst_trade, -5);
    EXPECT_DOUBLE_EQ(m.exposure, 0.5);
    // Jan 30, 31 | Feb 1, 2: January ends at 110 (+10 %), February at 121 (+10 %).
    ASSERT_EQ(m.monthly.size(), 2u);
    EXPECT_EQ(m.monthly[0].month, 1);
    EXPECT_NEAR(m.monthly[0].ret, 0.10, 1e-12);
    EXPECT_NEAR(m.monthly[1].ret, 0.10, 1e-12);
    ASSERT_EQ(m.buy_hold.size(), 1u);
    EXPECT_NEAR(m.buy_hold[0].total_return, 0, 1e-12);

    RegimeTimeline reg;
    reg.time = {r.curve.time[0], r.curve.time[2]};
    reg.label = {"calm", "storm"};
    const Metrics mr = compute_metrics(r, {&bars}, &reg);
    // Bar k belongs to the regime known at the close of bar k - 1: bar 0 has none yet, bars 1
    // and 2 are "calm" (label of bar 0), bar 3 is "storm" (label of bar 2).
    ASSERT_EQ(mr.regimes.size(), 3u);
    EXPECT_EQ(mr.regimes[0].regime, "calm");
    EXPECT_EQ(mr.regimes[0].bars, 2u);
    EXPECT_NEAR(mr.regimes[0].total_return, 1.1 * (99.0 / 110) - 1, 1e-12);
    EXPECT_EQ(mr.regimes[1].regime, "storm");
    EXPECT_NEAR(mr.regimes[1].total_return, 121.0 / 99 - 1, 1e-12);
    EXPECT_EQ(mr.regimes[2].regime, "unknown");
    EXPECT_EQ(mr.regimes[2].bars, 1u);
}

TEST(Grid, parses_ranges_and_ranks_combinations) {
    const auto axes = parse_grid("fast=5:15:5,slow=10:30:10");
    ASSERT_EQ(axes.size(), 2u);
    EXPECT_EQ(axes[0].values, (std::vector<double>{5, 10, 15}));
    EXPECT_EQ(axes[1].values, (std::vector<double>{10, 20, 30}));
    EXPECT_THROW(parse_grid("fast"), InputError);
    EXPECT_THROW(parse_grid("fast=5:1:1"), InputError);
    EXPECT_THROW(parse_grid("fast=1:2:0"), InputError);
    EXPECT_THROW(parse_grid("fast=1:2:x"), InputError);
    EXPECT_THROW(parse_grid("fast=1:100000:1,slow=1:100:1"), InputError);

    std::vector<double> c;
    for (int k = 0; k < 500; ++k)
        c.push_back(100 + 15 * std::sin(k / 25.0) + k * 0.05);
    const auto s = closes(c);
    StrategySpec base;
    base.name = "sma-cross";
    const auto g = run_grid(base, axes, {spot()}, {&s}, no_costs(), "sharpe", 2);
    // fast >= slow combinations (10/10, 15/10) are skipped.
    EXPECT_EQ(g.skipped, 2u);
    ASSERT_EQ(g.rows.size(), 7u);
    for (std::size_t k = 1; k < g.rows.size(); ++k)
        EXPECT_GE(g.rows[k - 1].sharpe, g.rows[k].sharpe);
    // The sweep's numbers equal a single run's.
    StrategySpec one = base;
    one.params = g.rows[0].params;
    auto st = make_strategy(one);
    const auto r = run1(spot(), s, *st, no_costs());
    const Metrics m = compute_metrics(r, {&s});
    EXPECT_DOUBLE_EQ(m.sharpe, g.rows[0].sharpe);
    EXPECT_DOUBLE_EQ(m.final_equity, g.rows[0].final_equity);
    EXPECT_THROW(run_grid(base, axes, {spot()}, {&s}, no_costs(), "luck", 2), InputError);
}

TEST(Strategies, two_spot_symbols_never_ask_for_more_than_the_cash) {
    // Each symbol gets half the equity; when one position has grown, the other's buy is capped
    // at the remaining cash instead of being rejected for insufficient balance.
    std::vector<double> up, wave;
    for (int k = 0; k < 400; ++k) {
        up.push_back(100 * std::exp(0.004 * k));
        wave.push_back(100 + 20 * std::sin(k / 15.0));
    }
    const auto a = closes(up), b0 = closes(wave);
    BarSeries b = b0;
    b.symbol = "TWO/USDT";
    StrategySpec spec;
    spec.name = "sma-cross";
    spec.params = {{"fast", 3}, {"slow", 12}};
    spec.sizing.fraction = 0.5;
    auto st = make_strategy(spec);
    BacktestConfig cfg = no_costs();
    cfg.fill.fees = {0.001, 0.001};
    const auto r = run_backtest({spot("TEST/USDT"), spot("TWO/USDT")}, {&a, &b}, *st, cfg);
    EXPECT_EQ(r.orders_rejected, 0u);
    std::size_t two_buys = 0;
    for (const auto& f : r.fills)
        two_buys += f.instrument == 1 && f.side == Side::Buy;
    EXPECT_GE(two_buys, 3u);
    for (double c : r.curve.cash)
        EXPECT_GE(c, -1e-9);
}
