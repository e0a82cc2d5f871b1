// Take-profit targets of order_target (the rule strategies' take-profit parameter): with a
// stop-loss the stop and the target are one OCO pair (one leg trading ends the other, replaced
// together when the position changes, cancelled together on exit); alone, the target only.
#include <gtest/gtest.h>

#include <cmath>

#include "backtest/instrument_rules.hpp"
#include "backtest/strategies.hpp"
#include "bt_helpers.hpp"
#include "core/error.hpp"
#include "support/data/shared_bars.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using namespace aurum::bt_test;

namespace {

/// Buys 1 unit at the close of bar `entry` with a 5 % stop and an 8 % target; sells at the close
/// of bar `exit`. Records the live stop and target after every bar.
struct Bracketed {
    std::vector<OrderId> stops, targets;
    Scripted st;
    Bracketed(std::size_t entry, std::size_t exit, double stop_loss = 0.05)
        : st([this, entry, exit, stop_loss](StrategyContext& ctx, InstrumentId i, std::size_t k) {
              if (k == entry) ctx.order_target(i, 1.0, stop_loss, 0.08);
              if (k == exit) ctx.order_target(i, 0.0, stop_loss, 0.08);
              stops.push_back(ctx.protective_stop(i));
              targets.push_back(ctx.protective_target(i));
          }) {}
};

std::size_t count_events(const std::vector<OrderEvent>& evs, OrderStatus st, RejectReason why) {
    std::size_t n = 0;
    for (const auto& e : evs) n += e.status == st && e.reason == why;
    return n;
}

} // namespace

TEST(TakeProfit, the_target_fills_at_its_limit_and_ends_the_stop) {
    // Entry at bar 1's open (100): stop 95, target 108. Bar 2 stays inside; bar 3 reaches 109.
    const BarSeries s = series({{100, 101, 99, 100}, {100, 102, 99, 101}, {101, 104, 97, 103},
                                {103, 109, 102, 107}, {107, 108, 90, 91}});
    Bracketed b(0, 99);
    const auto r = run1(spot(), s, b.st, no_costs());
    ASSERT_EQ(b.st.fills.size(), 2u);
    EXPECT_DOUBLE_EQ(b.st.fills[1].price, 108) << "a resting limit fills at its price";
    EXPECT_TRUE(b.st.fills[1].maker);
    EXPECT_EQ(b.st.fills[1].order_id, b.targets[2]);
    EXPECT_NE(b.stops[1], 0u);
    EXPECT_NE(b.targets[1], 0u);
    EXPECT_EQ(b.stops[3], 0u) << "the stop ended with the target's fill";
    EXPECT_EQ(b.targets[3], 0u);
    EXPECT_EQ(count_events(b.st.events, OrderStatus::Cancelled, RejectReason::OcoCancelled), 1u);
    EXPECT_EQ(r.open_orders_at_end, 0u) << "bar 4 falls through 95: no stop left to fire";
    EXPECT_TRUE(r.open_trades.empty());
}

TEST(TakeProfit, the_stop_fills_and_ends_the_target) {
    const BarSeries s = series({{100, 101, 99, 100}, {100, 102, 99, 101}, {101, 103, 94, 96},
                                {96, 120, 95, 119}});
    Bracketed b(0, 99);
    const auto r = run1(spot(), s, b.st, no_costs());
    ASSERT_EQ(b.st.fills.size(), 2u);
    EXPECT_DOUBLE_EQ(b.st.fills[1].price, 95);
    EXPECT_EQ(b.st.fills[1].order_id, b.stops[1]);
    EXPECT_EQ(count_events(b.st.events, OrderStatus::Cancelled, RejectReason::OcoCancelled), 1u);
    EXPECT_EQ(r.open_orders_at_end, 0u) << "the 120 high finds no target";
}

TEST(TakeProfit, both_legs_inside_one_bar_follow_the_configured_priority) {
    const BarSeries s = series({{100, 101, 99, 100}, {100, 102, 99, 101}, {101, 110, 90, 100}});
    for (const auto prio : {IntrabarPriority::StopFirst, IntrabarPriority::TakeProfitFirst}) {
        Bracketed b(0, 99);
        BacktestConfig cfg = no_costs();
        cfg.fill.intrabar = prio;
        run1(spot(), s, b.st, cfg);
        ASSERT_EQ(b.st.fills.size(), 2u);
        EXPECT_DOUBLE_EQ(b.st.fills[1].price, prio == IntrabarPriority::StopFirst ? 95 : 108);
    }
}

TEST(TakeProfit, a_stop_limit_that_triggers_ends_the_target_even_unfilled) {
    // Stop-limit 95 / 94.52 (0.5 % below). Bar 2 gaps to 94 (below the limit): the stop
    // triggers without a fill, which ends the target (Binance cancels the other leg then); bar 3
    // returns to 94.6 and fills the resting limit, bar 4 reaches 108 where no target is left.
    const BarSeries s = series({{100, 101, 99, 100}, {100, 102, 99, 101}, {94, 94.4, 93, 94},
                                {94, 95, 93.5, 94.8}, {100, 110, 99, 109}});
    Bracketed b(0, 99);
    BacktestConfig cfg = no_costs();
    cfg.fill.stop_limit_offset = 0.005;
    run1(spot(), s, b.st, cfg);
    ASSERT_EQ(b.st.fills.size(), 2u);
    EXPECT_NEAR(b.st.fills[1].price, 94.52, 1e-9);
    EXPECT_EQ(b.st.fills[1].time, s.time[3]);
    EXPECT_EQ(b.targets[2], 0u) << "ended when the stop triggered in bar 2";
}

TEST(TakeProfit, alone_the_target_is_one_limit_order) {
    const BarSeries s = series({{100, 101, 99, 100}, {100, 102, 99, 101}, {101, 103, 60, 70},
                                {70, 110, 69, 109}});
    Bracketed b(0, 99, 0.0);
    const auto r = run1(spot(), s, b.st, no_costs());
    EXPECT_EQ(b.stops[1], 0u);
    ASSERT_EQ(b.st.fills.size(), 2u) << "no stop: the crash to 60 does not sell";
    EXPECT_DOUBLE_EQ(b.st.fills[1].price, 108);
    EXPECT_EQ(r.open_orders_at_end, 0u);
}

TEST(TakeProfit, the_pair_is_replaced_together_when_the_position_grows) {
    // Long 1 at 100, then 2 at (100 + 104) / 2 = 102 average: stop 96.9, target 110.16.
    const BarSeries s = series({{100, 101, 99, 100}, {100, 101, 99, 100}, {104, 105, 103, 104},
                                {104, 109, 103, 108}, {108, 111, 107, 110}});
    std::vector<OrderId> stops, targets;
    Scripted st([&](StrategyContext& ctx, InstrumentId i, std::size_t k) {
        if (k == 0) ctx.order_target(i, 1.0, 0.05, 0.08);
        if (k == 1) ctx.order_target(i, 2.0, 0.05, 0.08);
        stops.push_back(ctx.protective_stop(i));
        targets.push_back(ctx.protective_target(i));
    });
    const auto r = run1(spot(), s, st, no_costs(100000));
    ASSERT_EQ(st.fills.size(), 3u);
    EXPECT_DOUBLE_EQ(st.fills[2].price, 110.16) << "the 2-unit target at 102 x 1.08";
    EXPECT_DOUBLE_EQ(st.fills[2].qty, 2.0);
    EXPECT_NE(stops[2], stops[1]);
    EXPECT_NE(targets[2], targets[1]);
    EXPECT_EQ(count_events(st.events, OrderStatus::Cancelled, RejectReason::UserCancelled), 2u)
        << "the 1-unit stop and target, replaced on the add";
    EXPECT_EQ(r.open_orders_at_end, 0u);
}

TEST(TakeProfit, the_strategy_exit_cancels_both_legs_and_neither_fires_afterwards) {
    // CFD: exit sent at bar 2's close; bar 3 gaps to 90 (through the stop), bar 4 to 120
    // (through the target). A leg left live would open a new position.
    const BarSeries s = series({{100, 101, 99, 100}, {100, 101, 99, 100}, {100, 101, 99, 100},
                                {90, 91, 80, 85}, {120, 125, 119, 121}});
    Bracketed b(0, 2);
    BacktestConfig cfg = no_costs();
    cfg.allow_short = true;
    const auto r = run1(cfd(), s, b.st, cfg);
    ASSERT_EQ(b.st.fills.size(), 2u) << "entry and the strategy's exit only";
    EXPECT_EQ(b.stops[2], 0u);
    EXPECT_EQ(b.targets[2], 0u);
    EXPECT_EQ(count_events(b.st.events, OrderStatus::Cancelled, RejectReason::UserCancelled), 2u);
    EXPECT_TRUE(r.open_trades.empty());
    EXPECT_EQ(r.open_orders_at_end, 0u);
}

TEST(TakeProfit, a_short_gets_the_mirrored_pair) {
    // CFD short 1 at 100: stop 105 above, target 92 below; bar 3 reaches 91.
    const BarSeries s = series({{100, 101, 99, 100}, {100, 101, 99, 100}, {100, 104, 96, 97},
                                {97, 98, 91, 92}});
    Scripted st([&](StrategyContext& ctx, InstrumentId i, std::size_t k) {
        if (k == 0) ctx.order_target(i, -1.0, 0.05, 0.08);
    });
    BacktestConfig cfg = no_costs();
    cfg.allow_short = true;
    const auto r = run1(cfd(), s, st, cfg);
    ASSERT_EQ(st.fills.size(), 2u);
    EXPECT_EQ(st.fills[1].side, Side::Buy);
    EXPECT_DOUBLE_EQ(st.fills[1].price, 92);
    EXPECT_EQ(r.open_orders_at_end, 0u);
}

TEST(TakeProfit, a_bad_take_profit_parameter_is_refused_naming_it) {
    for (const double bad : {0.0, 1.0, -0.1, 2.0}) {
        StrategySpec spec;
        spec.name = "sma-cross";
        spec.params = {{kTakeProfitParam, bad}};
        try {
            make_strategy(spec);
            FAIL() << "accepted take-profit " << bad;
        } catch (const InputError& e) {
            EXPECT_NE(std::string(e.what()).find("take-profit"), std::string::npos) << e.what();
        }
    }
    StrategySpec spec;
    spec.name = "sma-cross";
    spec.params = {{"target", 0.05}};
    try {
        make_strategy(spec);
        FAIL() << "accepted";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("take-profit"), std::string::npos)
            << "the error lists take-profit among the parameters: " << e.what();
    }
}

TEST(TakeProfit, on_real_btc_targets_fill_at_or_beyond_their_price_and_never_oversell) {
    AURUM_REQUIRE_SHARED_DATA(path, "crypto/binance/BTCUSDT_4h.csv");
    const BarSeries s = test::load_shared_bars("crypto/binance/BTCUSDT_4h.csv");
    const Instrument btc = InstrumentRegistry().get("BTC/USDT");
    const double sl = 0.03, tp = 0.04;
    StrategySpec spec;
    spec.name = "sma-cross";
    spec.params = {{kStopLossParam, sl}, {kTakeProfitParam, tp}};
    auto st = make_strategy(spec);
    BacktestConfig cfg;
    cfg.initial_capital = 10000;
    cfg.fill.fees = {0.001, 0.001};
    cfg.fill.stop_limit_offset = 0.005;
    const auto r = run_backtest({btc}, {&s}, *st, cfg);

    // Walk the fills: a maker fill is a target (market orders and stops take), at or above the
    // position's average x (1 + tp); the position never goes below zero (one leg only).
    double pos = 0, cost = 0;
    std::size_t targets = 0, stops = 0;
    for (const Fill& f : r.fills) {
        if (f.side == Side::Buy) {
            cost += f.qty * f.price;
            pos += f.qty;
            continue;
        }
        const double avg = cost / pos;
        if (f.maker) {
            ++targets;
            EXPECT_GE(f.price, round_to_tick(avg * (1 + tp), btc.tick_size) - 1e-9);
        } else if (f.price < avg) {
            ++stops;
        }
        cost -= f.qty * avg;
        pos -= f.qty;
        ASSERT_GE(pos, -1e-9) << "sold more than held: both legs filled";
        if (pos < 1e-12) pos = 0, cost = 0;
    }
    EXPECT_GT(targets, 30u) << "a 4 % target on BTC 4h is reached often";
    EXPECT_GT(stops, 30u);
    EXPECT_LE(r.open_orders_at_end, 2u) << "at most the pair of the position still open";

    // Without take-profit the run is the stop-only run it always was.
    StrategySpec plain = spec;
    plain.params.erase(kTakeProfitParam);
    auto st2 = make_strategy(plain);
    const auto r2 = run_backtest({btc}, {&s}, *st2, cfg);
    EXPECT_NE(r2.final_equity, r.final_equity);
}
