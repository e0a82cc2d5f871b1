// Protective stops of order_target (the rule strategies' stop-loss parameter): placed when the
// entry fills, filled at the trigger or the gap open, resized with the position, cancelled
// before the strategy exits, and on real BTC data no position outlives a bar through its stop.
#include <gtest/gtest.h>

#include <cmath>

#include "backtest/instrument_rules.hpp"
#include "core/error.hpp"
#include "backtest/strategies.hpp"
#include "bt_helpers.hpp"
#include "support/data/shared_bars.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using namespace aurum::bt_test;

namespace {

/// Buys 1 unit at the close of bar `entry` with a 5 % stop; sells at the close of bar `exit`.
Scripted long_between(std::size_t entry, std::size_t exit, std::vector<OrderId>* stops = nullptr) {
    return Scripted([=](StrategyContext& ctx, InstrumentId i, std::size_t k) {
        if (k == entry) ctx.order_target(i, 1.0, 0.05);
        if (k == exit) ctx.order_target(i, 0.0, 0.05);
        if (stops) stops->push_back(ctx.protective_stop(i));
    });
}

} // namespace

TEST(ProtectiveStop, a_stop_goes_in_when_the_entry_fills_and_fills_at_its_trigger) {
    // Entry at bar 1's open (100): stop at 95. Bar 2 stays above it; bar 3 trades through it.
    const BarSeries s = series({{100, 101, 99, 100}, {100, 102, 99, 101}, {101, 103, 96, 102},
                                {99, 100, 94, 95}, {95, 96, 90, 91}, {91, 92, 90, 91}});
    std::vector<OrderId> stops;
    Scripted st = long_between(0, 99, &stops);
    const auto r = run1(spot(), s, st, no_costs());
    ASSERT_EQ(st.fills.size(), 2u);
    EXPECT_EQ(st.fills[0].side, Side::Buy);
    EXPECT_DOUBLE_EQ(st.fills[0].price, 100);
    EXPECT_EQ(st.fills[1].side, Side::Sell);
    EXPECT_DOUBLE_EQ(st.fills[1].price, 95) << "a stop becomes a market order at its trigger";
    EXPECT_EQ(st.fills[1].time, s.time[3]);
    // Live from the entry bar's close until it filled, then gone.
    EXPECT_EQ(stops[0], 0u);
    EXPECT_NE(stops[1], 0u);
    EXPECT_EQ(stops[2], stops[1]);
    EXPECT_EQ(stops[3], 0u);
    EXPECT_EQ(r.trades.size(), 1u);
    EXPECT_TRUE(r.open_trades.empty());
    EXPECT_EQ(r.open_orders_at_end, 0u);
}

TEST(ProtectiveStop, a_gap_through_the_stop_fills_at_the_open_not_at_the_trigger) {
    const BarSeries s = series({{100, 101, 99, 100}, {100, 101, 99, 100}, {100, 101, 97, 98},
                                {90, 92, 88, 91}, {91, 92, 90, 91}});
    Scripted st = long_between(0, 99);
    run1(spot(), s, st, no_costs());
    ASSERT_EQ(st.fills.size(), 2u);
    EXPECT_DOUBLE_EQ(st.fills[1].price, 90) << "the stop triggered at the open, below 95";
}

TEST(ProtectiveStop, the_stop_is_cancelled_before_the_strategy_exits_and_never_fires_afterwards) {
    // Exit sent at bar 2's close; bar 3 gaps to 90, through the 95 stop. On a shortable CFD a
    // stop left live would sell too and turn the exit into a short.
    const BarSeries s = series({{100, 101, 99, 100}, {100, 101, 99, 100}, {100, 101, 99, 100},
                                {90, 91, 80, 85}, {80, 81, 70, 75}, {75, 76, 70, 71}});
    std::vector<OrderId> stops;
    Scripted st = long_between(0, 2, &stops);
    BacktestConfig cfg = no_costs();
    cfg.allow_short = true;
    const auto r = run1(cfd(), s, st, cfg);
    ASSERT_EQ(st.fills.size(), 2u) << "entry and the strategy's exit, no stop fill";
    EXPECT_DOUBLE_EQ(st.fills[1].price, 90);
    EXPECT_EQ(stops[2], 0u) << "cancelled when the exit was sent";
    bool cancelled = false;
    for (const auto& e : st.events)
        cancelled = cancelled || (e.status == OrderStatus::Cancelled && e.type == OrderType::Stop);
    EXPECT_TRUE(cancelled);
    EXPECT_TRUE(r.open_trades.empty()) << "flat after the exit, not short";
    EXPECT_EQ(r.open_orders_at_end, 0u);
}

TEST(ProtectiveStop, the_stop_follows_the_position_through_adds_and_a_flip) {
    // CFD: long 1, add to 2 (the stop grows to 2 at 5 % below the average), then flip short 1:
    // the sell stop goes, a buy stop 5 % above the short's entry replaces it.
    const BarSeries s = series({{100, 101, 99, 100}, {100, 101, 99, 100}, {110, 111, 109, 110},
                                {105, 106, 104, 105}, {105, 106, 104, 105}, {105, 106, 104, 105}});
    Scripted st([&](StrategyContext& ctx, InstrumentId i, std::size_t k) {
        if (k == 0) ctx.order_target(i, 1.0, 0.05);
        if (k == 1) ctx.order_target(i, 2.0, 0.05);
        if (k == 2) ctx.order_target(i, -1.0, 0.05);
    });
    BacktestConfig cfg = no_costs();
    cfg.allow_short = true;
    cfg.record_fills = true;
    cfg.record_events = true;
    run1(cfd(), s, st, cfg);
    ASSERT_EQ(st.fills.size(), 3u) << "no stop fired: the prices stayed inside the stops";
    EXPECT_DOUBLE_EQ(st.fills[2].price, 105);
    std::size_t cancelled_stops = 0;
    for (const auto& e : st.events)
        cancelled_stops += e.status == OrderStatus::Cancelled && e.type == OrderType::Stop;
    EXPECT_EQ(cancelled_stops, 2u) << "the 1-unit stop on the add, the 2-unit stop on the flip";
}

TEST(ProtectiveStop, a_bad_stop_loss_parameter_is_refused_naming_it) {
    StrategySpec spec;
    spec.name = "sma-cross";
    spec.params = {{kStopLossParam, 1.5}};
    try {
        make_strategy(spec);
        FAIL() << "accepted";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("stop-loss"), std::string::npos) << e.what();
    }
    spec.params = {{"stop", 0.05}};
    try {
        make_strategy(spec);
        FAIL() << "accepted";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("stop-loss"), std::string::npos)
            << "the error lists stop-loss among the parameters: " << e.what();
    }
}

TEST(ProtectiveStop, on_real_btc_no_long_outlives_a_bar_through_its_stop_and_none_goes_short) {
    AURUM_REQUIRE_SHARED_DATA(path, "crypto/binance/BTCUSDT_4h.csv");
    const BarSeries s = test::load_shared_bars("crypto/binance/BTCUSDT_4h.csv");
    const Instrument btc = InstrumentRegistry().get("BTC/USDT");
    const double frac = 0.03;
    StrategySpec spec;
    spec.name = "sma-cross";
    spec.params = {{kStopLossParam, frac}};
    auto st = make_strategy(spec);
    BacktestConfig cfg;
    cfg.initial_capital = 10000;
    cfg.fill.fees = {0.001, 0.001};
    cfg.record_fills = true;
    const auto r = run_backtest({btc}, {&s}, *st, cfg);

    std::size_t stopped = 0;
    for (const Trade& t : r.trades) {
        ASSERT_EQ(t.direction, 1) << "spot: never short, not even by a leftover stop";
        const double trigger = round_to_tick(t.entry_price * (1 - frac), btc.tick_size);
        std::size_t k = 0;
        while (s.time[k] < t.entry_time) ++k;
        // The stop works from the bar after the entry's; every later bar before the exit
        // stayed above it, or the trade would have ended there.
        for (++k; s.time[k] < t.exit_time; ++k)
            ASSERT_GT(s.low[k], trigger) << "a long held through its stop at " << s.time[k];
        if (s.low[k] <= trigger && t.exit_price <= trigger + 1e-9) {
            ++stopped;
            // No slippage configured: the trigger, or the open when the bar gapped through it.
            EXPECT_NEAR(t.exit_price, std::min(trigger, s.open[k]), 1e-9);
        }
    }
    EXPECT_GT(stopped, 50u) << "a 3 % stop on BTC 4h fires often";
    EXPECT_LE(r.open_orders_at_end, 1u) << "at most the stop of the position still open";
}
