// Hand-computed scenarios: every order type, time in force, brackets, latency, participation.
#include <gtest/gtest.h>

#include "bt_helpers.hpp"

using namespace aurum;
using namespace aurum::bt_test;

namespace {

/// Sends `req` at the close of bar `at`.
Scripted send_at(std::size_t at, OrderRequest req) {
    return Scripted([=](StrategyContext& ctx, InstrumentId, std::size_t k) {
        if (k == at)
            ctx.submit(req);
    });
}

} // namespace

TEST(Orders, market_order_fills_at_next_bar_open_with_taker_fee) {
    const auto s = series({{100, 101, 99, 100}, {102, 104, 101, 103}, {103, 105, 102, 104}});
    auto st = send_at(0, OrderRequest::market(0, Side::Buy, 1.0));
    BacktestConfig cfg = no_costs();
    cfg.fill.fees = {0.0002, 0.001};
    const auto r = run1(spot(), s, st, cfg);
    ASSERT_EQ(st.fills.size(), 1u);
    EXPECT_DOUBLE_EQ(st.fills[0].price, 102.0);
    EXPECT_EQ(st.fills[0].time, s.time[1]);
    EXPECT_DOUBLE_EQ(st.fills[0].fee, 0.102);
    EXPECT_FALSE(st.fills[0].maker);
    // Equity after bar 1 close: 10000 - 102 - 0.102 + 103.
    EXPECT_NEAR(r.curve.equity[1], 10000 - 102 - 0.102 + 103, 1e-9);
    EXPECT_NEAR(r.final_equity, 10000 - 102 - 0.102 + 104, 1e-9);
    EXPECT_DOUBLE_EQ(r.curve.equity[0], 10000); // nothing can fill in the decision bar
}

TEST(Orders, limit_buy_fills_at_limit_when_range_reaches_it_as_maker) {
    const auto s = series({{100, 101, 99, 100}, {100, 101, 97, 98}, {98, 99, 94, 96}});
    auto st = send_at(0, OrderRequest::limit(0, Side::Buy, 1.0, 95));
    BacktestConfig cfg = no_costs();
    cfg.fill.fees = {0.0002, 0.001};
    run1(spot(), s, st, cfg);
    ASSERT_EQ(st.fills.size(), 1u);
    EXPECT_EQ(st.fills[0].time, s.time[2]);
    EXPECT_DOUBLE_EQ(st.fills[0].price, 95.0);
    EXPECT_TRUE(st.fills[0].maker);
    EXPECT_DOUBLE_EQ(st.fills[0].fee, 95 * 0.0002);
}

TEST(Orders, limit_buy_gapped_through_fills_at_the_open) {
    const auto s = series({{100, 101, 99, 100}, {100, 101, 97, 98}, {93, 94, 90, 92}});
    auto st = send_at(0, OrderRequest::limit(0, Side::Buy, 1.0, 95));
    run1(spot(), s, st, no_costs());
    ASSERT_EQ(st.fills.size(), 1u);
    EXPECT_DOUBLE_EQ(st.fills[0].price, 93.0);
    EXPECT_TRUE(st.fills[0].maker); // it was resting before the gap
}

TEST(Orders, marketable_limit_on_arrival_is_a_taker_fill_at_the_open) {
    const auto s = series({{100, 101, 99, 100}, {100, 101, 97, 98}});
    auto st = send_at(0, OrderRequest::limit(0, Side::Buy, 1.0, 105));
    run1(spot(), s, st, no_costs());
    ASSERT_EQ(st.fills.size(), 1u);
    EXPECT_DOUBLE_EQ(st.fills[0].price, 100.0);
    EXPECT_FALSE(st.fills[0].maker);
}

TEST(Orders, stop_buy_triggers_at_stop_price_or_gap_open) {
    {
        const auto s = series({{100, 101, 99, 100}, {100, 104, 99, 103}, {103, 106, 102, 105}});
        auto st = send_at(0, OrderRequest::stop(0, Side::Buy, 1.0, 105));
        run1(spot(), s, st, no_costs());
        ASSERT_EQ(st.fills.size(), 1u);
        EXPECT_EQ(st.fills[0].time, s.time[2]);
        EXPECT_DOUBLE_EQ(st.fills[0].price, 105.0);
        EXPECT_FALSE(st.fills[0].maker);
    }
    {
        const auto s = series({{100, 101, 99, 100}, {100, 104, 99, 103}, {107, 108, 106, 107}});
        auto st = send_at(0, OrderRequest::stop(0, Side::Buy, 1.0, 105));
        run1(spot(), s, st, no_costs());
        ASSERT_EQ(st.fills.size(), 1u);
        EXPECT_DOUBLE_EQ(st.fills[0].price, 107.0);
    }
}

TEST(Orders, stop_sell_on_cfd_opens_a_short_at_the_stop) {
    const auto s = series({{100, 101, 99, 100}, {100, 101, 94, 96}, {96, 97, 90, 91}});
    auto st = send_at(0, OrderRequest::stop(0, Side::Sell, 2.0, 95));
    BacktestConfig cfg = no_costs();
    cfg.allow_short = true;
    const auto r = run1(cfd(), s, st, cfg);
    ASSERT_EQ(st.fills.size(), 1u);
    EXPECT_DOUBLE_EQ(st.fills[0].price, 95.0);
    // Short 2 from 95, marked at 91: +8.
    EXPECT_NEAR(r.final_equity, 10008, 1e-9);
    ASSERT_EQ(r.open_trades.size(), 1u);
    EXPECT_EQ(r.open_trades[0].direction, -1);
}

TEST(Orders, stop_limit_fills_at_stop_when_limit_is_above_it) {
    const auto s = series({{100, 101, 99, 100}, {100, 106, 99, 105}});
    auto st = send_at(0, OrderRequest::stop_limit(0, Side::Buy, 1.0, 104, 105));
    run1(spot(), s, st, no_costs());
    ASSERT_EQ(st.fills.size(), 1u);
    EXPECT_DOUBLE_EQ(st.fills[0].price, 104.0);
}

TEST(Orders, stop_limit_with_limit_below_stop_rests_from_the_next_bar) {
    // Triggered in bar 1 (high 106 >= 105) but the limit 103 is below the trigger: no fill in
    // the trigger bar even though its low (102) reaches 103; bar 2 reaches 103 -> maker fill.
    const auto s = series({{100, 101, 99, 100}, {104, 106, 102, 104}, {104, 105, 102.5, 103.5}});
    auto st = send_at(0, OrderRequest::stop_limit(0, Side::Buy, 1.0, 105, 103));
    run1(spot(), s, st, no_costs());
    ASSERT_EQ(st.fills.size(), 1u);
    EXPECT_EQ(st.fills[0].time, s.time[2]);
    EXPECT_DOUBLE_EQ(st.fills[0].price, 103.0);
    EXPECT_TRUE(st.fills[0].maker);
}

TEST(Orders, stop_limit_gap_above_limit_does_not_fill) {
    const auto s = series({{100, 101, 99, 100}, {110, 112, 108, 111}});
    auto st = send_at(0, OrderRequest::stop_limit(0, Side::Buy, 1.0, 104, 105));
    const auto r = run1(spot(), s, st, no_costs());
    EXPECT_TRUE(st.fills.empty());
    EXPECT_EQ(r.open_orders_at_end, 1u);
}

TEST(Orders, ioc_limit_not_marketable_at_open_is_cancelled) {
    const auto s = series({{100, 101, 99, 100}, {100, 101, 94, 96}, {95, 96, 90, 91}});
    auto st = send_at(0, OrderRequest::limit(0, Side::Buy, 1.0, 95).with_tif(TimeInForce::IOC));
    const auto r = run1(spot(), s, st, no_costs());
    EXPECT_TRUE(st.fills.empty()); // the low touched 95 but IOC only gets the open
    ASSERT_FALSE(st.events.empty());
    EXPECT_EQ(st.events.back().status, OrderStatus::Cancelled);
    EXPECT_EQ(st.events.back().reason, RejectReason::Expired);
    EXPECT_EQ(r.open_orders_at_end, 0u);
}

TEST(Orders, stop_with_ioc_is_invalid) {
    const auto s = series({{100, 101, 99, 100}, {100, 101, 94, 96}});
    auto st = send_at(0, OrderRequest::stop(0, Side::Buy, 1.0, 105).with_tif(TimeInForce::IOC));
    const auto r = run1(spot(), s, st, no_costs());
    ASSERT_EQ(st.events.size(), 1u);
    EXPECT_EQ(st.events[0].reason, RejectReason::InvalidOrder);
    EXPECT_EQ(r.orders_rejected, 1u);
}

TEST(Orders, bracket_take_profit_fills_and_cancels_stop_loss) {
    const auto s = series({{100, 101, 99, 100}, {100, 102, 99, 101}, {101, 111, 100, 109}});
    auto st = send_at(0, OrderRequest::market(0, Side::Buy, 1.0).bracket(110, 95));
    BacktestConfig cfg = no_costs();
    cfg.fill.fees = {0.0002, 0.001};
    const auto r = run1(spot(), s, st, cfg);
    ASSERT_EQ(st.fills.size(), 2u);
    EXPECT_DOUBLE_EQ(st.fills[1].price, 110.0);
    EXPECT_EQ(st.fills[1].role, OrderRole::TakeProfit);
    EXPECT_TRUE(st.fills[1].maker);
    ASSERT_EQ(r.trades.size(), 1u);
    EXPECT_NEAR(r.trades[0].gross_pnl, 10.0, 1e-9);
    EXPECT_NEAR(r.trades[0].fees, 100 * 0.001 + 110 * 0.0002, 1e-12);
    EXPECT_EQ(r.open_orders_at_end, 0u); // the stop-loss was cancelled (OCO)
    bool oco = false;
    for (const auto& e : st.events)
        oco = oco || e.reason == RejectReason::OcoCancelled;
    EXPECT_TRUE(oco);
}

TEST(Orders, bracket_both_legs_in_one_bar_stop_first_by_default) {
    const auto s = series({{100, 101, 99, 100}, {100, 102, 99, 101}, {101, 111, 94, 100}});
    for (auto prio : {IntrabarPriority::StopFirst, IntrabarPriority::TakeProfitFirst}) {
        auto st = send_at(0, OrderRequest::market(0, Side::Buy, 1.0).bracket(110, 95));
        BacktestConfig cfg = no_costs();
        cfg.fill.intrabar = prio;
        const auto r = run1(spot(), s, st, cfg);
        ASSERT_EQ(st.fills.size(), 2u);
        ASSERT_EQ(r.trades.size(), 1u);
        if (prio == IntrabarPriority::StopFirst) {
            EXPECT_EQ(st.fills[1].role, OrderRole::StopLoss);
            EXPECT_DOUBLE_EQ(st.fills[1].price, 95.0);
            EXPECT_NEAR(r.trades[0].gross_pnl, -5.0, 1e-9);
        } else {
            EXPECT_EQ(st.fills[1].role, OrderRole::TakeProfit);
            EXPECT_NEAR(r.trades[0].gross_pnl, 10.0, 1e-9);
        }
    }
}

TEST(Orders, bracket_legs_can_fill_in_the_entry_bar_after_an_open_entry) {
    // Entry at bar 1's open (100); the same bar falls to 94: the stop-loss at 95 fills in it.
    const auto s = series({{100, 101, 99, 100}, {100, 101, 94, 96}});
    auto st = send_at(0, OrderRequest::market(0, Side::Buy, 1.0).bracket(110, 95));
    const auto r = run1(spot(), s, st, no_costs());
    ASSERT_EQ(st.fills.size(), 2u);
    EXPECT_EQ(st.fills[1].role, OrderRole::StopLoss);
    EXPECT_EQ(st.fills[1].time, s.time[1]);
    EXPECT_EQ(r.trades.size(), 1u);
}

TEST(Orders, after_an_intrabar_entry_the_take_profit_waits_for_the_next_bar) {
    // Limit entry at 98 inside bar 1, whose high (111) is above the take-profit: we cannot know
    // the high came after the entry, so the take-profit only fills from bar 2.
    const auto s = series({{100, 101, 99, 100}, {100, 111, 97, 105}, {105, 112, 104, 111}});
    auto st = send_at(0, OrderRequest::limit(0, Side::Buy, 1.0, 98).bracket(110, 90));
    run1(spot(), s, st, no_costs());
    ASSERT_EQ(st.fills.size(), 2u);
    EXPECT_EQ(st.fills[0].time, s.time[1]);
    EXPECT_EQ(st.fills[1].role, OrderRole::TakeProfit);
    EXPECT_EQ(st.fills[1].time, s.time[2]);
    EXPECT_DOUBLE_EQ(st.fills[1].price, 110.0);
}

TEST(Orders, cancel_removes_a_resting_order_and_unknown_ids_are_reported) {
    const auto s = series({{100, 101, 99, 100}, {100, 101, 97, 98}, {98, 99, 90, 91}});
    OrderId id = 0;
    Scripted st([&](StrategyContext& ctx, InstrumentId, std::size_t k) {
        if (k == 0)
            id = ctx.submit(OrderRequest::limit(0, Side::Buy, 1.0, 95));
        if (k == 1) {
            ctx.cancel(id);
            ctx.cancel(999);
        }
    });
    const auto r = run1(spot(), s, st, no_costs());
    EXPECT_TRUE(st.fills.empty());
    ASSERT_EQ(st.events.size(), 2u);
    EXPECT_EQ(st.events[0].reason, RejectReason::UserCancelled);
    EXPECT_EQ(st.events[1].reason, RejectReason::UnknownOrder);
    EXPECT_EQ(r.open_orders_at_end, 0u);
}

TEST(Orders, latency_defers_a_market_order_by_one_bar) {
    const auto s = series({{100, 101, 99, 100}, {102, 104, 101, 103}, {103, 105, 102, 104}});
    auto st = send_at(0, OrderRequest::market(0, Side::Buy, 1.0));
    BacktestConfig cfg = no_costs();
    cfg.fill.latency_ms = 250;
    run1(spot(), s, st, cfg);
    ASSERT_EQ(st.fills.size(), 1u);
    EXPECT_EQ(st.fills[0].time, s.time[2]);
    EXPECT_DOUBLE_EQ(st.fills[0].price, 103.0);
}

TEST(Orders, participation_cap_splits_a_market_order_into_partial_fills) {
    const auto s = series({{100, 101, 99, 100, 10},
                           {100, 101, 99, 100, 10},
                           {100, 101, 99, 100, 10},
                           {100, 101, 99, 100, 10}});
    auto st = send_at(0, OrderRequest::market(0, Side::Buy, 2.5));
    BacktestConfig cfg = no_costs();
    cfg.fill.max_participation = 0.1; // 1 unit per bar
    const auto r = run1(spot(), s, st, cfg);
    ASSERT_EQ(st.fills.size(), 3u);
    EXPECT_DOUBLE_EQ(st.fills[0].qty, 1.0);
    EXPECT_DOUBLE_EQ(st.fills[1].qty, 1.0);
    EXPECT_DOUBLE_EQ(st.fills[2].qty, 0.5);
    EXPECT_EQ(st.fills[2].time, s.time[3]);
    EXPECT_EQ(r.orders_filled, 1u);
}

TEST(Orders, spot_buy_beyond_cash_at_fill_time_is_trimmed_and_rest_cancelled) {
    // Sized on the close (100) for all the cash; the next open gaps to 125.
    const auto s = series({{100, 101, 99, 100}, {125, 126, 124, 125}});
    auto st = send_at(0, OrderRequest::market(0, Side::Buy, 99.0));
    const auto r = run1(spot(), s, st, no_costs());
    ASSERT_EQ(st.fills.size(), 1u);
    EXPECT_DOUBLE_EQ(st.fills[0].qty, 80.0);
    EXPECT_EQ(st.events.back().reason, RejectReason::InsufficientBalance);
    EXPECT_GE(r.curve.cash.back(), 0.0);
}
