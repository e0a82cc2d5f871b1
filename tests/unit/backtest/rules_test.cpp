// Instrument rules (exchange-style rejections), the risk hook, and portfolio accounting.
#include <gtest/gtest.h>

#include "backtest/instrument_rules.hpp"
#include "bt_helpers.hpp"

using namespace aurum;
using namespace aurum::bt_test;

namespace {
const auto kBars = series({{100, 101, 99, 100}, {100, 101, 99, 100}, {100, 101, 99, 100}});

RejectReason first_reject(const Instrument& inst, OrderRequest req, bool allow_short = false) {
    Scripted st([&](StrategyContext& ctx, InstrumentId, std::size_t k) {
        if (k == 0)
            ctx.submit(req);
    });
    BacktestConfig cfg = no_costs();
    cfg.allow_short = allow_short;
    run1(inst, kBars, st, cfg);
    for (const auto& e : st.events)
        if (e.status == OrderStatus::Rejected)
            return e.reason;
    return RejectReason::None;
}
} // namespace

TEST(Rules, rounds_quantity_down_to_lot_step_and_price_to_tick) {
    EXPECT_DOUBLE_EQ(round_qty_down(0.12345, 0.001), 0.123);
    EXPECT_NEAR(round_qty_down(0.3, 0.1), 0.3, 1e-12);
    EXPECT_DOUBLE_EQ(round_to_tick(100.004, 0.01), 100.0);
    EXPECT_DOUBLE_EQ(round_to_tick(100.006, 0.01), 100.01);
    Scripted st([](StrategyContext& ctx, InstrumentId, std::size_t k) {
        if (k == 0)
            ctx.submit(OrderRequest::market(0, Side::Buy, 1.23456));
    });
    run1(spot(), kBars, st, no_costs());
    ASSERT_EQ(st.fills.size(), 1u);
    EXPECT_DOUBLE_EQ(st.fills[0].qty, 1.234);
}

TEST(Rules, exchange_style_rejections) {
    EXPECT_EQ(to_string(first_reject(spot(), OrderRequest::market(0, Side::Buy, 0.0004))),
              "LOT_SIZE");
    EXPECT_EQ(to_string(first_reject(spot(), OrderRequest::market(0, Side::Buy, 0.005))),
              "MIN_NOTIONAL"); // 0.5 quote < 1
    EXPECT_EQ(to_string(first_reject(spot(), OrderRequest::market(0, Side::Buy, 0))),
              "INVALID_ORDER");
    EXPECT_EQ(to_string(first_reject(spot(), OrderRequest::limit(0, Side::Buy, 1, -5))),
              "INVALID_ORDER");
    EXPECT_EQ(to_string(first_reject(spot(), OrderRequest::limit(0, Side::Buy, 1, 0.001))),
              "PRICE_FILTER");
    EXPECT_EQ(to_string(first_reject(spot(), OrderRequest::market(0, Side::Buy, 200))),
              "INSUFFICIENT_BALANCE");
    EXPECT_EQ(to_string(first_reject(spot(), OrderRequest::market(0, Side::Sell, 1))),
              "SHORT_NOT_ALLOWED");
    EXPECT_EQ(to_string(first_reject(cfd(), OrderRequest::market(0, Side::Sell, 1), false)),
              "SHORT_NOT_ALLOWED");
    EXPECT_EQ(first_reject(cfd(), OrderRequest::market(0, Side::Sell, 1), true),
              RejectReason::None);
    EXPECT_EQ(to_string(first_reject(cfd(), OrderRequest::market(0, Side::Buy, 1001))), "MARGIN");
    EXPECT_EQ(first_reject(cfd(), OrderRequest::market(0, Side::Buy, 999)), RejectReason::None);
    // A long bracket with the take-profit below the stop-loss is malformed.
    EXPECT_EQ(
        to_string(first_reject(spot(), OrderRequest::market(0, Side::Buy, 1).bracket(90, 110))),
        "INVALID_ORDER");
}

TEST(Rules, spot_sell_more_than_held_is_insufficient_balance) {
    Scripted st([](StrategyContext& ctx, InstrumentId, std::size_t k) {
        if (k == 0)
            ctx.submit(OrderRequest::market(0, Side::Buy, 1));
        if (k == 1)
            ctx.submit(OrderRequest::market(0, Side::Sell, 2));
    });
    run1(spot(), kBars, st, no_costs());
    ASSERT_FALSE(st.events.empty());
    EXPECT_EQ(st.events.back().reason, RejectReason::InsufficientBalance);
}

namespace {
class HalfOrNothing final : public RiskHook {
  public:
    RiskDecision review(const OrderRequest& r, const Instrument&, double, const Portfolio&,
                        TimeMs) override {
        if (r.side == Side::Sell)
            return RiskDecision::deny("no selling today");
        return RiskDecision::reduce(r.qty / 2, "max position");
    }
};
} // namespace

TEST(Rules, risk_hook_reduces_and_denies_with_reasons) {
    HalfOrNothing risk;
    Scripted st([](StrategyContext& ctx, InstrumentId, std::size_t k) {
        if (k == 0)
            ctx.submit(OrderRequest::market(0, Side::Buy, 4));
        if (k == 1)
            ctx.submit(OrderRequest::market(0, Side::Sell, 1));
    });
    const auto r = run1(spot(), kBars, st, no_costs(), &risk);
    ASSERT_EQ(st.fills.size(), 1u);
    EXPECT_DOUBLE_EQ(st.fills[0].qty, 2.0);
    bool reduced = false, denied = false;
    for (const auto& e : r.events) {
        if (e.status == OrderStatus::Accepted && e.note.find("max position") != std::string::npos)
            reduced = true;
        if (e.status == OrderStatus::Rejected && e.reason == RejectReason::RiskDenied &&
            e.note == "no selling today")
            denied = true;
    }
    EXPECT_TRUE(reduced);
    EXPECT_TRUE(denied);
}

TEST(Portfolio, flip_closes_the_trade_and_opens_the_opposite_one) {
    Portfolio p(1000, {cfd()});
    Fill f;
    f.instrument = 0;
    f.side = Side::Buy;
    f.qty = 1;
    f.price = 100;
    f.fee = 1;
    f.time = 1;
    p.apply_fill(f, 0);
    f.side = Side::Sell;
    f.qty = 3;
    f.price = 110;
    f.fee = 3;
    f.time = 2;
    p.apply_fill(f, 1);
    ASSERT_EQ(p.trades().size(), 1u);
    EXPECT_NEAR(p.trades()[0].gross_pnl, 10, 1e-12);
    EXPECT_NEAR(p.trades()[0].fees, 1 + 1, 1e-12); // entry fee + a third of the flip's fee
    EXPECT_DOUBLE_EQ(p.position(0).qty, -2);
    EXPECT_DOUBLE_EQ(p.position(0).avg_price, 110);
    EXPECT_NEAR(p.open_trade(0).fees, 2, 1e-12);
    p.mark(0, 105);
    // cash: 1000 - 100 - 1 + 330 - 3 = 1226; position -2 x 105 = -210.
    EXPECT_NEAR(p.cash(), 1226, 1e-9);
    EXPECT_NEAR(p.equity(), 1016, 1e-9);
    EXPECT_NEAR(p.equity() - 1000, p.realized_pnl() + p.unrealized_pnl() - p.fees_paid(), 1e-9);
}

TEST(Portfolio, contract_size_scales_pnl_and_cash) {
    Instrument gold = cfd("XAUUSD");
    gold.contract_size = 100;
    Portfolio p(10000, {gold});
    Fill f;
    f.side = Side::Buy;
    f.qty = 0.5;
    f.price = 2000;
    p.apply_fill(f, 0);
    p.mark(0, 2010);
    EXPECT_NEAR(p.equity(), 10000 + 0.5 * 100 * 10, 1e-9);
    EXPECT_NEAR(p.gross_exposure(), 0.5 * 100 * 2010, 1e-9);
}
