// OCO order lists at Binance (issue 17 item 3): the engine's stop-loss + take-profit pair (two
// orders naming each other in Order::oco) goes as ONE POST /api/v3/orderList/oco to the fake
// exchange on 127.0.0.1; one leg trading or the stop triggering expires the other; cancelling a
// leg cancels the list with one DELETE /api/v3/orderList; an unknown outcome or a restart finds
// the legs by client id (never a second list); bad pairs are refused locally, nothing sent.
#include <gtest/gtest.h>

#include "execution/binance_spot_client.hpp"
#include "support/binance_spot_rig.hpp"
#include "support/fake_binance.hpp"
#include "support/fake_binance_spot.hpp"
#include "support/recording_sink.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using aurum::test::FakeResponse;

namespace {

const std::string kStopCid = "AE00000000000000a1", kTargetCid = "AE00000000000000a2";

/// A long's exit pair: sell `qty` with a stop at 29000 (limit 28855) and a target at `target`.
std::pair<Order, Order> exit_pair(double qty, double target = 31000) {
    Order stop, tp;
    stop.id = 1;
    stop.req = OrderRequest::stop_limit(0, Side::Sell, qty, 29000, 28855);
    tp.id = 2;
    tp.req = OrderRequest::limit(0, Side::Sell, qty, target);
    stop.oco = tp.id;
    tp.oco = stop.id;
    return {stop, tp};
}

struct OcoRig : test::SpotRig {
    OcoRig() : test::SpotRig(1.0) {}
    BinanceSpotClient& send_pair(std::pair<Order, Order> p) {
        BinanceSpotClient& c = client ? *client : start();
        c.submit_with_id(p.first, kStopCid);
        c.submit_with_id(p.second, kTargetCid);
        return c;
    }
    int requests(const std::string& method, const std::string& path) const {
        int n = 0;
        for (const auto& r : server.requests()) n += r.method == method && r.path == path;
        return n;
    }
    const OrderEvent* event_of(OrderId id) const {
        for (auto it = sink.events.rbegin(); it != sink.events.rend(); ++it)
            if (it->order_id == id) return &*it;
        return nullptr;
    }
};

} // namespace

TEST(BinanceOco, the_pair_goes_as_one_order_list_with_the_journal_ids) {
    OcoRig rig;
    auto& c = rig.start();
    const auto [stop, tp] = exit_pair(0.5);
    c.submit_with_id(stop, kStopCid);
    EXPECT_TRUE(rig.ex.order_lists().empty()) << "the first leg waits for its partner";
    c.submit_with_id(tp, kTargetCid);
    const auto lists = rig.ex.order_lists();
    ASSERT_EQ(lists.size(), 1u);
    EXPECT_EQ(lists[0].client_id, "OCO" + kStopCid);
    EXPECT_EQ(lists[0].order_client_ids, (std::vector<std::string>{kStopCid, kTargetCid}));
    EXPECT_EQ(rig.ex.order(kStopCid)->type, "STOP_LOSS_LIMIT");
    EXPECT_DOUBLE_EQ(rig.ex.order(kStopCid)->stop_price, 29000);
    EXPECT_DOUBLE_EQ(rig.ex.order(kStopCid)->price, 28855);
    EXPECT_EQ(rig.ex.order(kTargetCid)->type, "LIMIT_MAKER");
    EXPECT_DOUBLE_EQ(rig.ex.order(kTargetCid)->price, 31000);
    EXPECT_EQ(rig.requests("POST", "/api/v3/order"), 0);
    EXPECT_NEAR(rig.ex.locked("BTC"), 0.5, 1e-12) << "one lock for both legs";
    EXPECT_EQ(c.open_order_count(), 2u);
    c.poll();
    EXPECT_TRUE(rig.sink.events.empty()) << "both resting, nothing to report";
}

TEST(BinanceOco, the_target_fill_expires_the_stop) {
    OcoRig rig;
    auto& c = rig.send_pair(exit_pair(0.5));
    rig.ex.set_price("BTCUSDT", 31500);
    c.poll();
    ASSERT_EQ(rig.sink.fills.size(), 1u);
    EXPECT_EQ(rig.sink.fills[0].order_id, 2u);
    EXPECT_DOUBLE_EQ(rig.sink.fills[0].price, 31000);
    EXPECT_TRUE(rig.sink.fills[0].maker);
    ASSERT_NE(rig.event_of(1), nullptr);
    EXPECT_EQ(rig.event_of(1)->status, OrderStatus::Cancelled);
    EXPECT_EQ(rig.event_of(1)->reason, RejectReason::OcoCancelled);
    EXPECT_EQ(rig.event_of(2)->status, OrderStatus::Filled);
    EXPECT_EQ(rig.ex.order_lists()[0].status, "ALL_DONE");
    EXPECT_NEAR(rig.ex.locked("BTC"), 0, 1e-12);
    EXPECT_NEAR(rig.ex.balance("BTC"), 0.5, 1e-12);
    EXPECT_EQ(c.open_order_count(), 0u);
}

TEST(BinanceOco, the_stop_fill_expires_the_target) {
    OcoRig rig;
    auto& c = rig.send_pair(exit_pair(0.5));
    rig.ex.set_price("BTCUSDT", 28900);
    c.poll();
    ASSERT_EQ(rig.sink.fills.size(), 1u);
    EXPECT_EQ(rig.sink.fills[0].order_id, 1u);
    EXPECT_DOUBLE_EQ(rig.sink.fills[0].price, 29000);
    EXPECT_EQ(rig.event_of(2)->reason, RejectReason::OcoCancelled);
    rig.ex.set_price("BTCUSDT", 32000);
    c.poll();
    EXPECT_EQ(rig.sink.fills.size(), 1u) << "no target left";
    EXPECT_NEAR(rig.ex.balance("BTC"), 0.5, 1e-12);
}

TEST(BinanceOco, cancelling_a_leg_cancels_the_list_with_one_request) {
    OcoRig rig;
    auto& c = rig.send_pair(exit_pair(0.5));
    c.cancel(1, rig.clock.now());
    EXPECT_EQ(rig.requests("DELETE", "/api/v3/orderList"), 1);
    EXPECT_EQ(rig.event_of(1)->reason, RejectReason::UserCancelled);
    c.cancel(2, rig.clock.now()); // the engine cancels both legs: the second costs no request
    EXPECT_EQ(rig.requests("DELETE", "/api/v3/orderList"), 1);
    EXPECT_EQ(rig.requests("DELETE", "/api/v3/order"), 0);
    ASSERT_NE(rig.event_of(2), nullptr);
    EXPECT_EQ(rig.event_of(2)->status, OrderStatus::Cancelled);
    EXPECT_EQ(rig.event_of(2)->reason, RejectReason::UserCancelled);
    EXPECT_EQ(rig.ex.order(kStopCid)->status, "CANCELED");
    EXPECT_EQ(rig.ex.order(kTargetCid)->status, "CANCELED");
    EXPECT_NEAR(rig.ex.locked("BTC"), 0, 1e-12);
    EXPECT_NEAR(rig.ex.balance("BTC"), 1.0, 1e-12);
    EXPECT_EQ(c.open_order_count(), 0u);
}

TEST(BinanceOco, bad_pairs_are_refused_locally_naming_the_leg_and_rule_and_nothing_is_sent) {
    struct Case {
        std::pair<Order, Order> pair;
        std::string says;
    };
    std::vector<Case> cases{
        {exit_pair(0.5, 28000), "inverted pair"},                  // target below the stop
        {exit_pair(0.0001), "stop leg: Filter failure: NOTIONAL"}, // 0.0001 x 28855 < 5
        {exit_pair(0.000001), "Filter failure: LOT_SIZE"}};
    auto mismatched = exit_pair(0.5);
    mismatched.second.req.qty = 0.4;
    cases.push_back({mismatched, "one side and quantity"});
    for (const auto& k : cases) {
        OcoRig rig;
        rig.send_pair(k.pair);
        EXPECT_EQ(rig.requests("POST", "/api/v3/orderList/oco"), 0) << k.says;
        EXPECT_EQ(rig.requests("POST", "/api/v3/order"), 0) << k.says;
        rig.client->poll();
        for (const OrderId id : {OrderId{1}, OrderId{2}}) {
            const OrderEvent* e = rig.event_of(id);
            ASSERT_NE(e, nullptr) << k.says;
            EXPECT_EQ(e->status, OrderStatus::Rejected);
            EXPECT_NE(e->note.find(k.says), std::string::npos) << e->note;
            EXPECT_NE(e->note.find(id == 1 ? "OCO stop leg" : "OCO target leg"),
                      std::string::npos)
                << e->note;
        }
        EXPECT_NEAR(rig.ex.locked("BTC"), 0, 1e-12);
    }
}

TEST(BinanceOco, a_list_the_market_has_passed_leaves_the_stop_alone_on_the_exchange) {
    // Above the 31000 target: a LIMIT_MAKER would take. Below the 29000 stop: the list's prices
    // are out of order. Either way the exchange refuses the list and the stop goes alone (a
    // passed stop as its limit order), so the position stays protected.
    for (const double market : {31200.0, 28950.0}) {
        OcoRig rig;
        auto& c = rig.start();
        rig.ex.set_price("BTCUSDT", market);
        rig.send_pair(exit_pair(0.5));
        c.poll();
        EXPECT_EQ(rig.requests("POST", "/api/v3/orderList/oco"), 1);
        EXPECT_TRUE(rig.ex.order_lists().empty());
        ASSERT_NE(rig.event_of(2), nullptr);
        EXPECT_EQ(rig.event_of(2)->status, OrderStatus::Rejected);
        EXPECT_NE(rig.event_of(2)->note.find("the stop went alone"), std::string::npos)
            << rig.event_of(2)->note;
        const auto stop = rig.ex.order(kStopCid);
        ASSERT_TRUE(stop.has_value()) << market;
        EXPECT_EQ(stop->type, market > 30000 ? "STOP_LOSS_LIMIT" : "LIMIT") << market;
        EXPECT_EQ(rig.ex.posts_with_client_id(kStopCid), market > 30000 ? 1 : 2)
            << "the refused STOP_LOSS_LIMIT, then its LIMIT";
        EXPECT_EQ(rig.ex.orders_with_client_id(kStopCid), 1);
        if (market > 30000) {
            EXPECT_EQ(rig.event_of(1), nullptr) << "the stop rests";
            c.cancel(1, rig.clock.now()); // a single order now: DELETE /api/v3/order
            EXPECT_EQ(rig.requests("DELETE", "/api/v3/order"), 1);
            EXPECT_EQ(rig.ex.order(kStopCid)->status, "CANCELED");
        }
    }
}

TEST(BinanceOco, an_unknown_outcome_is_asked_for_by_client_id_never_sent_twice) {
    OcoRig rig;
    auto& c = rig.start();
    rig.ex.fail_after_accept(FakeResponse::server_error(502));
    rig.send_pair(exit_pair(0.5));
    c.poll();
    EXPECT_EQ(rig.ex.list_posts_with_client_id("OCO" + kStopCid), 1);
    EXPECT_EQ(rig.ex.order_lists().size(), 1u);
    EXPECT_EQ(c.stats().adopted, 2) << "both legs found by their client ids";
    EXPECT_EQ(c.open_order_count(), 2u);
    EXPECT_TRUE(c.settled());
    rig.ex.set_price("BTCUSDT", 31500);
    c.poll();
    ASSERT_EQ(rig.sink.fills.size(), 1u) << "the adopted legs are followed";
    EXPECT_EQ(rig.event_of(1)->reason, RejectReason::OcoCancelled);
}

TEST(BinanceOco, a_list_the_exchange_never_got_is_sent_again_once_both_legs_are_absent) {
    OcoRig rig;
    auto& c = rig.start();
    rig.server.inject("/api/v3/orderList/oco", FakeResponse::server_error(503));
    rig.server.inject("/api/v3/order", FakeResponse::server_error(503), 3); // its queries too
    rig.send_pair(exit_pair(0.5));
    EXPECT_TRUE(rig.ex.order_lists().empty());
    EXPECT_EQ(c.open_order_count(), 2u);
    c.poll(); // the exchange answers -2013 for both legs: now the list goes again
    EXPECT_EQ(rig.requests("POST", "/api/v3/orderList/oco"), 2);
    EXPECT_EQ(rig.ex.order_lists().size(), 1u);
    EXPECT_EQ(c.stats().resent_after_absent, 1);
    c.poll();
    EXPECT_EQ(rig.ex.order_lists().size(), 1u);
}

TEST(BinanceOco, after_a_restart_the_legs_are_found_by_id_and_a_target_hit_meanwhile_is_booked) {
    OcoRig rig;
    rig.send_pair(exit_pair(0.5));
    rig.client.reset(); // the daemon dies; the list keeps working at the exchange
    rig.ex.set_price("BTCUSDT", 31500);
    auto& after = rig.start();
    const auto [stop, tp] = exit_pair(0.5);
    after.resume(stop, kStopCid);
    after.resume(tp, kTargetCid);
    after.poll();
    EXPECT_EQ(rig.ex.list_posts_with_client_id("OCO" + kStopCid), 1) << "never a second list";
    EXPECT_EQ(rig.ex.order_lists().size(), 1u);
    ASSERT_EQ(rig.sink.fills.size(), 1u);
    EXPECT_EQ(rig.sink.fills[0].order_id, 2u);
    EXPECT_DOUBLE_EQ(rig.sink.fills[0].price, 31000);
    EXPECT_EQ(rig.event_of(1)->reason, RejectReason::OcoCancelled);
    EXPECT_EQ(after.open_order_count(), 0u);

    // A restart with the list still resting adopts both legs and sends nothing.
    OcoRig rig2;
    rig2.send_pair(exit_pair(0.5));
    rig2.client.reset();
    auto& again = rig2.start();
    again.resume(stop, kStopCid);
    again.resume(tp, kTargetCid);
    again.poll();
    EXPECT_EQ(rig2.ex.order_lists().size(), 1u);
    EXPECT_EQ(again.open_order_count(), 2u);
    EXPECT_TRUE(rig2.sink.fills.empty());
    again.cancel(1, rig2.clock.now());
    EXPECT_EQ(rig2.ex.order(kTargetCid)->status, "CANCELED") << "the resumed list is cancelled";
}
