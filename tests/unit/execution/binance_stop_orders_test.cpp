// Protective stops on the exchange (issue 17 item 3) and third-asset commissions (item 4): the
// Binance spot client sends stop-limits as STOP_LOSS_LIMIT with prices and quantities rounded to
// the symbol's filters, refuses locally (naming the filter, nothing sent) what the exchange would
// refuse, follows the fake exchange's stop triggers, and books a BNB-paid commission at the BNB
// price as the fill's fee. Everything against the fake exchange on 127.0.0.1.
#include <gtest/gtest.h>

#include "backtest/engine.hpp"
#include "core/error.hpp"
#include "execution/binance_spot_client.hpp"
#include "support/fake_binance.hpp"
#include "support/fake_binance_spot.hpp"
#include "support/binance_spot_rig.hpp"
#include "support/recording_sink.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using aurum::test::FakeBinance;
using aurum::test::FakeSpotExchange;
using aurum::test::FakeSymbol;
using aurum::test::RecordingSink;

namespace {

const TimeMs kNow = make_time(2024, 3, 1);

/// The fake exchange, with 0.5 BTC to protect.
struct Rig : test::SpotRig {
    Rig() : SpotRig(0.5) {}
};

Order stop_limit(OrderId id, double qty, double stop, double limit, Side side = Side::Sell) {
    Order o;
    o.id = id;
    o.req = OrderRequest::stop_limit(0, side, qty, stop, limit);
    return o;
}

/// The documented examples of ../shared/data/docs/binance/filters.md (PRICE_FILTER, LOT_SIZE,
/// NOTIONAL).
BinanceSymbolRules documented_rules() {
    BinanceSymbolRules r;
    r.symbol = "BNBBTC";
    r.tick_size = 0.000001, r.min_price = 0.000001, r.max_price = 100000;
    r.step_size = 0.001, r.min_qty = 0.001, r.max_qty = 100000;
    r.min_notional = 10, r.max_notional = 10000;
    return r;
}

} // namespace

TEST(BinanceStopOrders, stop_limit_goes_as_STOP_LOSS_LIMIT_locks_the_coins_and_fills_at_its_stop) {
    Rig rig;
    auto& c = rig.start();
    c.submit_with_id(stop_limit(1, 0.1, 29000, 28855), "AE0000000000000001");
    c.poll();
    const auto o = rig.ex.order("AE0000000000000001");
    ASSERT_TRUE(o.has_value());
    EXPECT_EQ(o->type, "STOP_LOSS_LIMIT");
    EXPECT_DOUBLE_EQ(o->stop_price, 29000);
    EXPECT_DOUBLE_EQ(o->price, 28855);
    EXPECT_EQ(o->status, "NEW");
    EXPECT_NEAR(rig.ex.locked("BTC"), 0.1, 1e-12) << "the exchange holds the coins for the stop";
    EXPECT_NEAR(rig.ex.balance("BTC"), 0.4, 1e-12);
    EXPECT_TRUE(rig.sink.fills.empty());
    EXPECT_EQ(c.open_order_count(), 1u);

    rig.ex.set_price("BTCUSDT", 29500); // not there yet
    c.poll();
    EXPECT_TRUE(rig.sink.fills.empty());
    rig.ex.set_price("BTCUSDT", 28000); // trades through 29000 on the way down
    c.poll();
    ASSERT_EQ(rig.sink.fills.size(), 1u);
    EXPECT_DOUBLE_EQ(rig.sink.fills[0].price, 29000);
    EXPECT_DOUBLE_EQ(rig.sink.fills[0].qty, 0.1);
    EXPECT_NEAR(rig.sink.fills[0].fee, 0.1 * 29000 * 0.001, 1e-9);
    EXPECT_EQ(rig.sink.events.back().status, OrderStatus::Filled);
    EXPECT_NEAR(rig.ex.locked("BTC"), 0, 1e-12);
    EXPECT_EQ(c.open_order_count(), 0u);
}

TEST(BinanceStopOrders, a_gap_past_the_limit_leaves_the_stop_limit_unfilled_until_the_price_returns) {
    Rig rig;
    auto& c = rig.start();
    c.submit_with_id(stop_limit(2, 0.1, 29000, 28855), "AE0000000000000002");
    rig.ex.gap_price("BTCUSDT", 28000); // opens below the limit: triggered, nothing trades
    c.poll();
    EXPECT_TRUE(rig.sink.fills.empty());
    EXPECT_TRUE(rig.ex.order("AE0000000000000002")->triggered);
    EXPECT_EQ(rig.ex.order("AE0000000000000002")->status, "NEW");
    rig.ex.set_price("BTCUSDT", 29500); // back up through the limit: a resting sell at 28855
    c.poll();
    ASSERT_EQ(rig.sink.fills.size(), 1u);
    EXPECT_DOUBLE_EQ(rig.sink.fills[0].price, 28855);
    EXPECT_TRUE(rig.sink.fills[0].maker);
}

TEST(BinanceStopOrders, cancel_releases_the_locked_coins) {
    Rig rig;
    auto& c = rig.start();
    c.submit_with_id(stop_limit(3, 0.2, 29000, 28855), "AE0000000000000003");
    EXPECT_NEAR(rig.ex.locked("BTC"), 0.2, 1e-12);
    c.cancel(3, kNow);
    EXPECT_EQ(rig.ex.order("AE0000000000000003")->status, "CANCELED");
    EXPECT_NEAR(rig.ex.locked("BTC"), 0, 1e-12);
    EXPECT_NEAR(rig.ex.balance("BTC"), 0.5, 1e-12);
    ASSERT_FALSE(rig.sink.events.empty());
    EXPECT_EQ(rig.sink.events.back().status, OrderStatus::Cancelled);
}

TEST(BinanceStopOrders, a_stop_the_market_already_passed_goes_as_its_limit_order_once) {
    Rig rig;
    auto& c = rig.start();
    // The market (30000) is below a sell stop at 31000: the exchange refuses the stop ("would
    // trigger immediately"); a triggered stop-limit is its limit order, so that goes instead.
    c.submit_with_id(stop_limit(4, 0.1, 31000, 30845), "AE0000000000000004");
    EXPECT_EQ(rig.ex.posts_with_client_id("AE0000000000000004"), 2);
    EXPECT_EQ(rig.ex.orders_with_client_id("AE0000000000000004"), 1);
    EXPECT_EQ(rig.ex.order("AE0000000000000004")->type, "LIMIT");
    EXPECT_DOUBLE_EQ(rig.ex.order("AE0000000000000004")->price, 30845);
    // A stop already passed inside its limit fills at the market at once.
    c.submit_with_id(stop_limit(5, 0.1, 30100, 29950), "AE0000000000000005");
    c.poll();
    ASSERT_EQ(rig.sink.fills.size(), 1u);
    EXPECT_EQ(rig.sink.fills[0].order_id, 5u);
    EXPECT_DOUBLE_EQ(rig.sink.fills[0].price, 30000);
}

TEST(BinanceStopOrders, rounding_of_stop_and_limit_prices_and_quantities_follows_the_documented_filters) {
    const BinanceSymbolRules r = documented_rules();
    // Quantity rounds down to stepSize 0.001; price and stopPrice to the nearest tick 0.000001.
    OrderRequest q = OrderRequest::stop_limit(0, Side::Sell, 1000.12345, 0.0123456789, 0.01199996);
    BinanceOrderPrices p = binance_order_prices(q, r, 0, 0);
    EXPECT_EQ(p.reason, RejectReason::None) << p.error;
    EXPECT_EQ(p.qty_text, "1000.123");
    EXPECT_EQ(p.stop_text, "0.012346");
    EXPECT_EQ(p.price_text, "0.012");
    // What already filled is not sent again.
    p = binance_order_prices(q, r, 100.1, 0);
    EXPECT_EQ(p.qty_text, "900.023");
    // Prices and quantities exactly on the grid are kept as they are.
    q = OrderRequest::limit(0, Side::Buy, 10000, 0.002001);
    p = binance_order_prices(q, r, 0, 0);
    EXPECT_EQ(p.reason, RejectReason::None) << p.error;
    EXPECT_EQ(p.price_text, "0.002001");
    EXPECT_EQ(p.qty_text, "10000");
}

TEST(BinanceStopOrders, every_filter_violation_is_named_for_stop_limits) {
    const BinanceSymbolRules r = documented_rules();
    auto fails = [&](OrderRequest q, RejectReason want, const std::string& text) {
        const BinanceOrderPrices p = binance_order_prices(q, r, 0, 0);
        EXPECT_EQ(p.reason, want) << p.error;
        EXPECT_NE(p.error.find(text), std::string::npos) << p.error;
    };
    fails(OrderRequest::stop_limit(0, Side::Sell, 0.0004, 0.01, 0.009), RejectReason::LotSize,
          "Filter failure: LOT_SIZE");
    fails(OrderRequest::stop_limit(0, Side::Sell, 200000, 0.01, 0.009), RejectReason::LotSize,
          "Filter failure: LOT_SIZE");
    fails(OrderRequest::stop_limit(0, Side::Sell, 1000, 150000, 0.009), RejectReason::PriceFilter,
          "Filter failure: PRICE_FILTER (stopPrice 150000");
    fails(OrderRequest::stop_limit(0, Side::Sell, 1000, 0.01, 0.0000004), RejectReason::PriceFilter,
          "Filter failure: PRICE_FILTER (price");
    fails(OrderRequest::stop_limit(0, Side::Sell, 100, 0.01, 0.009), RejectReason::MinNotional,
          "Filter failure: NOTIONAL (100 x 0.009 = 0.9000 below the minimum 10)");
    fails(OrderRequest::stop_limit(0, Side::Sell, 90000, 0.2, 0.19), RejectReason::MinNotional,
          "above the maximum 10000");
}

TEST(BinanceStopOrders, a_stop_that_violates_a_filter_is_rejected_locally_and_nothing_is_sent) {
    Rig rig;
    auto& c = rig.start();
    const int before = rig.order_posts();
    c.submit_with_id(stop_limit(6, 0.1, 2000000, 28855), "AE0000000000000006"); // > maxPrice
    c.submit_with_id(stop_limit(7, 0.000001, 29000, 28855), "AE0000000000000007"); // < minQty
    c.submit_with_id(stop_limit(8, 0.0001, 29000, 28855), "AE0000000000000008"); // < 5 USDT
    c.poll();
    EXPECT_EQ(rig.order_posts(), before) << "nothing reached the exchange";
    ASSERT_EQ(rig.sink.events.size(), 3u);
    EXPECT_EQ(rig.sink.events[0].reason, RejectReason::PriceFilter);
    EXPECT_NE(rig.sink.events[0].note.find("PRICE_FILTER (stopPrice"), std::string::npos)
        << rig.sink.events[0].note;
    EXPECT_EQ(rig.sink.events[1].reason, RejectReason::LotSize);
    EXPECT_EQ(rig.sink.events[2].reason, RejectReason::MinNotional);
    for (const auto& e : rig.sink.events) EXPECT_EQ(e.status, OrderStatus::Rejected);
    // A stop-market order is refused with the reason (the exchange-side stop is a stop-limit).
    Order m;
    m.id = 9;
    m.req = OrderRequest::stop(0, Side::Sell, 0.1, 29000);
    c.submit_with_id(m, "AE0000000000000009");
    c.poll();
    EXPECT_EQ(rig.order_posts(), before);
    EXPECT_NE(rig.sink.events.back().note.find("STOP_LOSS_LIMIT"), std::string::npos);
}

TEST(BinanceStopOrders, a_symbol_without_stop_limit_orders_refuses_the_stop_locally_naming_it) {
    Rig rig;
    FakeSymbol sym;
    sym.order_types = {"LIMIT", "MARKET"};
    rig.ex.list(sym, 30000);
    auto& c = rig.start();
    const int before = rig.order_posts();
    c.submit_with_id(stop_limit(11, 0.1, 29000, 28855), "AE000000000000000b");
    c.poll();
    EXPECT_EQ(rig.order_posts(), before);
    ASSERT_EQ(rig.sink.events.size(), 1u);
    EXPECT_EQ(rig.sink.events[0].status, OrderStatus::Rejected);
    EXPECT_NE(rig.sink.events[0].note.find("BTCUSDT does not take STOP_LOSS_LIMIT"),
              std::string::npos)
        << rig.sink.events[0].note;
}

TEST(BinanceStopOrders, the_engine_protective_stop_is_a_tick_rounded_stop_limit_beyond_the_trigger) {
    const OrderRequest sell = protective_stop_request(0, Side::Sell, 0.1, 29000.004, 0.005, 0.01);
    EXPECT_EQ(sell.type, OrderType::StopLimit);
    EXPECT_DOUBLE_EQ(sell.stop_price, 29000);
    EXPECT_NEAR(sell.limit_price, 28855, 1e-9);
    const OrderRequest buy = protective_stop_request(0, Side::Buy, 0.1, 100.003, 0.01, 0.01);
    EXPECT_NEAR(buy.stop_price, 100.0, 1e-9);
    EXPECT_NEAR(buy.limit_price, 101.0, 1e-9);
    EXPECT_EQ(protective_stop_request(0, Side::Sell, 0.1, 29000, 0, 0.01).type, OrderType::Stop);
}

TEST(BinanceCommission, bnb_paid_commission_is_valued_at_the_bnb_price_and_booked_as_the_fee) {
    Rig rig;
    rig.ex.set_commission_asset("BNB");
    rig.ex.set_balance("BNB", 1);
    rig.ex.set_price("BNBUSDT", 600);
    auto& c = rig.start();
    Order buy;
    buy.id = 10;
    buy.req = OrderRequest::market(0, Side::Buy, 0.1);
    c.submit_with_id(buy, "AE000000000000000a");
    c.poll();
    ASSERT_EQ(rig.sink.fills.size(), 1u);
    const auto trades = rig.ex.trades();
    ASSERT_EQ(trades.size(), 1u);
    EXPECT_EQ(trades[0].commission_asset, "BNB");
    // By hand: 0.1 BTC x 30000 x 0.1 % = 3 USDT, paid as 0.005 BNB at 600 USDT.
    EXPECT_NEAR(trades[0].commission, 0.005, 1e-12);
    EXPECT_DOUBLE_EQ(rig.sink.fills[0].qty, 0.1) << "the BTC bought is not reduced";
    EXPECT_NEAR(rig.sink.fills[0].fee, 3.0, 1e-9);
    EXPECT_NEAR(rig.ex.balance("BNB"), 0.995, 1e-12);
    EXPECT_EQ(rig.server.request_count("/api/v3/ticker/price"), 1);
    EXPECT_EQ(c.stats().fee_other_asset, 1);
}

TEST(BinanceStopOrders, a_cancel_that_fails_is_sent_again_until_the_stop_is_gone) {
    Rig rig;
    auto& c = rig.start();
    c.submit_with_id(stop_limit(12, 0.2, 29000, 28855), "AE000000000000000c");
    rig.server.inject("/api/v3/order", test::FakeResponse::server_error(503), 2); // DELETE, GET
    c.cancel(12, kNow);
    EXPECT_EQ(rig.ex.order("AE000000000000000c")->status, "NEW") << "the exchange kept it";
    EXPECT_TRUE(rig.sink.events.empty()) << "no outcome yet";
    c.poll(); // the GET fails too: still unknown
    EXPECT_EQ(rig.ex.order("AE000000000000000c")->status, "NEW");
    c.poll(); // asked: open, so cancelled again
    EXPECT_EQ(rig.ex.order("AE000000000000000c")->status, "CANCELED");
    EXPECT_NEAR(rig.ex.locked("BTC"), 0, 1e-12) << "the coins are free for the exit";
    ASSERT_EQ(rig.sink.events.size(), 1u);
    EXPECT_EQ(rig.sink.events[0].status, OrderStatus::Cancelled);
    EXPECT_EQ(c.open_order_count(), 0u);
}
