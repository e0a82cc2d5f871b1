// Hand-computed fees, spread and slippage models.
#include <gtest/gtest.h>

#include <cmath>

#include "backtest/costs.hpp"
#include "bt_helpers.hpp"
#include "core/error.hpp"

using namespace aurum;
using namespace aurum::bt_test;

namespace {
Scripted round_trip() {
    return Scripted([](StrategyContext& ctx, InstrumentId, std::size_t k) {
        if (k == 0)
            ctx.submit(OrderRequest::market(0, Side::Buy, 2.0));
        if (k == 1)
            ctx.submit(OrderRequest::market(0, Side::Sell, 2.0));
    });
}
} // namespace

TEST(Costs, fees_reduce_trade_pnl_and_equity_exactly) {
    const auto s = series({{100, 101, 99, 100}, {100, 111, 99, 110}, {120, 121, 119, 120}});
    auto st = round_trip();
    BacktestConfig cfg = no_costs();
    cfg.fill.fees = {0.0005, 0.002};
    const auto r = run1(spot(), s, st, cfg);
    ASSERT_EQ(r.trades.size(), 1u);
    const double fees = 2 * 100 * 0.002 + 2 * 120 * 0.002;
    EXPECT_NEAR(r.trades[0].gross_pnl, 40.0, 1e-9);
    EXPECT_NEAR(r.trades[0].fees, fees, 1e-12);
    EXPECT_NEAR(r.final_equity, 10000 + 40 - fees, 1e-9);
    EXPECT_NEAR(r.fees, fees, 1e-12);
}

TEST(Costs, fixed_spread_on_mid_prices_costs_half_each_side) {
    const auto s = series({{100, 101, 99, 100}, {100, 111, 99, 110}, {120, 121, 119, 120}});
    auto st = round_trip();
    BacktestConfig cfg = no_costs();
    cfg.fill.spread = {SpreadModel::Mode::Fixed, 0.5, 0, PriceBasis::Mid};
    const auto r = run1(spot(), s, st, cfg);
    ASSERT_EQ(st.fills.size(), 2u);
    EXPECT_DOUBLE_EQ(st.fills[0].price, 100.25);
    EXPECT_DOUBLE_EQ(st.fills[1].price, 119.75);
    EXPECT_NEAR(r.spread_cost, 2 * 0.25 * 2, 1e-12);
}

TEST(Costs, bid_bars_with_spread_column_charge_buyers_the_full_spread) {
    // MT5 bars are bid prices: a buy pays bid + spread, a sell gets the bid.
    const auto s = series({{100, 101, 99, 100, 1000, 0.3},
                           {100, 111, 99, 110, 1000, 0.4},
                           {120, 121, 119, 120, 1000, 0.5}},
                          "TESTCFD", Timeframe(kMsPerHour), make_time(2024, 1, 1), true);
    auto st = round_trip();
    BacktestConfig cfg = no_costs();
    cfg.fill.spread = {SpreadModel::Mode::Column, 0, 0, PriceBasis::Bid};
    run1(cfd(), s, st, cfg);
    ASSERT_EQ(st.fills.size(), 2u);
    EXPECT_DOUBLE_EQ(st.fills[0].price, 100.4);
    EXPECT_DOUBLE_EQ(st.fills[1].price, 120.0);
}

TEST(Costs, buy_limit_on_bid_bars_needs_the_ask_to_reach_it) {
    // Ask low = bid low 95 + spread 1 = 96: a buy limit at 95.5 does not fill.
    const auto s = series({{100, 101, 99, 100, 1000, 1}, {100, 101, 95, 97, 1000, 1}}, "TESTCFD",
                          Timeframe(kMsPerHour), make_time(2024, 1, 1), true);
    Scripted st([](StrategyContext& ctx, InstrumentId, std::size_t k) {
        if (k == 0)
            ctx.submit(OrderRequest::limit(0, Side::Buy, 1.0, 95.5));
    });
    BacktestConfig cfg = no_costs();
    cfg.fill.spread = {SpreadModel::Mode::Column, 0, 0, PriceBasis::Bid};
    run1(cfd(), s, st, cfg);
    EXPECT_TRUE(st.fills.empty());
}

TEST(Costs, fixed_bps_slippage_moves_taker_fills_adversely) {
    const auto s = series({{100, 101, 99, 100}, {100, 111, 99, 110}, {120, 121, 119, 120}});
    auto st = round_trip();
    BacktestConfig cfg = no_costs();
    cfg.fill.slippage.fixed_bps = 10;
    const auto r = run1(spot(), s, st, cfg);
    ASSERT_EQ(st.fills.size(), 2u);
    EXPECT_DOUBLE_EQ(st.fills[0].price, 100.1);
    EXPECT_DOUBLE_EQ(st.fills[1].price, 120 * (1 - 0.001));
    EXPECT_NEAR(r.slippage_cost, 2 * 0.1 + 2 * 0.12, 1e-9);
}

TEST(Costs, slippage_never_pushes_a_limit_beyond_its_price) {
    const auto s = series({{100, 101, 99, 100}, {100, 101, 99, 100}});
    Scripted st([](StrategyContext& ctx, InstrumentId, std::size_t k) {
        if (k == 0)
            ctx.submit(OrderRequest::limit(0, Side::Buy, 1.0, 100.05));
    });
    BacktestConfig cfg = no_costs();
    cfg.fill.slippage.fixed_bps = 10; // would be 100.10
    run1(spot(), s, st, cfg);
    ASSERT_EQ(st.fills.size(), 1u);
    EXPECT_DOUBLE_EQ(st.fills[0].price, 100.05);
}

TEST(Costs, volatility_slippage_uses_ewma_range_of_past_bars) {
    // Bar 0 range/close = 2/100 = 0.02 (EWMA seed); bar 1 = 4/100 = 0.04; alpha = 2/(2+1).
    // The fill in bar 2 sees sigma = 0.02 + 2/3 * (0.04 - 0.02).
    const auto s = series({{100, 101, 99, 100}, {100, 102, 98, 100}, {100, 130, 70, 100}});
    Scripted st([](StrategyContext& ctx, InstrumentId, std::size_t k) {
        if (k == 1)
            ctx.submit(OrderRequest::market(0, Side::Buy, 1.0));
    });
    BacktestConfig cfg = no_costs();
    cfg.fill.slippage.vol_k = 0.5;
    cfg.fill.slippage.ewma_bars = 2;
    run1(spot(), s, st, cfg);
    ASSERT_EQ(st.fills.size(), 1u);
    const double sigma = 0.02 + 2.0 / 3.0 * (0.04 - 0.02);
    EXPECT_NEAR(st.fills[0].price, 100 * (1 + 0.5 * sigma), 1e-9);
}

TEST(Costs, square_root_impact_grows_with_participation) {
    // One past bar: sigma = 0.02, volume 400. Buying 4 units: impact = 1.0 * 0.02 * sqrt(4/400).
    const auto s = series({{100, 101, 99, 100, 400}, {100, 101, 99, 100, 400}});
    for (double q : {4.0, 16.0}) {
        Scripted st([q](StrategyContext& ctx, InstrumentId, std::size_t k) {
            if (k == 0)
                ctx.submit(OrderRequest::market(0, Side::Buy, q));
        });
        BacktestConfig cfg = no_costs(1e6);
        cfg.fill.slippage.impact_y = 1.0;
        run1(spot(), s, st, cfg);
        ASSERT_EQ(st.fills.size(), 1u);
        EXPECT_NEAR(st.fills[0].price, 100 * (1 + 0.02 * std::sqrt(q / 400)), 1e-9) << q;
    }
}

TEST(Costs, parse_slippage_and_spread_values) {
    const auto m = parse_slippage("5bps,vol:0.1,sqrt:0.5");
    EXPECT_DOUBLE_EQ(m.fixed_bps, 5);
    EXPECT_DOUBLE_EQ(m.vol_k, 0.1);
    EXPECT_DOUBLE_EQ(m.impact_y, 0.5);
    EXPECT_DOUBLE_EQ(parse_slippage("0").fixed_bps, 0);
    EXPECT_THROW(parse_slippage("fast"), InputError);
    EXPECT_THROW(parse_slippage("-3bps"), InputError);
    EXPECT_THROW(parse_slippage(""), InputError);
    EXPECT_EQ(parse_spread("column").mode, SpreadModel::Mode::Column);
    EXPECT_DOUBLE_EQ(parse_spread("0.25").fixed, 0.25);
    EXPECT_DOUBLE_EQ(parse_spread("2bps").fixed_bps, 2);
    EXPECT_THROW(parse_spread("wide"), InputError);
}
