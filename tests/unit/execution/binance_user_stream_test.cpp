// The user data stream of the WebSocket API against the fake exchange's REST and WebSocket sides
// on 127.0.0.1: fills of a resting order come as executionReports (no REST polling while the
// subscription holds), and every fault -- a duplicated or reordered report, eventStreamTerminated,
// a connection dropped in the middle of a fill, a refused subscription -- still delivers each fill
// exactly once, with REST filling in whatever the stream missed.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "execution/binance_spot_client.hpp"
#include "execution/binance_user_stream.hpp"
#include "support/fake_binance.hpp"
#include "support/fake_binance_spot.hpp"
#include "support/fake_binance_ws.hpp"
#include "support/live_helpers.hpp"
#include "support/binance_spot_rig.hpp"
#include "support/recording_sink.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

struct Rig : test::SpotRig {
    test::FakeBinanceWs ws;
    std::atomic<int> wakes{0};

    /// `ws_key`: the key the WebSocket API accepts (another one refuses the subscription).
    explicit Rig(const std::string& ws_key = "test-key") : ws(clock, &ex, ws_key, "test-secret") {}
    ~Rig() { client.reset(); } // its stream's thread uses ws and wakes before they go
    BinanceSpotClient& start() {
        BinanceSpotOptions o = options();
        o.ws_api_url = ws.ws_api_url();
        o.stream_tuning.reconnect_min_ms = 20;
        o.stream_tuning.idle_timeout_ms = 600;
        o.wake = [this] { ++wakes; };
        return SpotRig::start(o);
    }
    int order_queries() const { return server.request_count("/api/v3/order") - order_posts(); }
    /// A resting buy limit at 29,000 (the market is at 30,000).
    void rest_limit(OrderId id, double qty = 0.01) {
        Order o;
        o.id = id;
        o.req = OrderRequest::limit(0, Side::Buy, qty, 29000);
        client->submit_with_id(o, "AE" + std::to_string(1000 + id));
        client->poll();
    }
    double filled(OrderId id) const {
        double q = 0;
        for (const auto& f : sink.fills) q += f.order_id == id ? f.qty : 0;
        return q;
    }
    bool ended(OrderId id) const {
        for (const auto& e : sink.events)
            if (e.order_id == id && e.status == OrderStatus::Filled) return true;
        return false;
    }
    /// Polls until `id` has ended (the engine polls at every step).
    bool poll_until_filled(OrderId id) {
        return test::wait_until([&] {
            client->poll();
            return ended(id);
        }, std::chrono::seconds(30));
    }
};

bool subscribed(Rig& r) {
    return test::wait_until([&] { return r.client->user_stream()->subscribed(); },
                            std::chrono::seconds(30));
}

} // namespace

TEST(ExecutionReport, ParsesTheDocumentedFieldsAndRefusesBadOnes) {
    const std::string ok =
        R"({"e":"executionReport","E":1,"s":"BTCUSDT","c":"AE1","S":"BUY","o":"LIMIT","f":"GTC","q":"1.0","p":"10","P":"0","F":"0","g":-1,"C":"","x":"TRADE","X":"PARTIALLY_FILLED","r":"NONE","i":42,"l":"0.4","z":"0.4","L":"10.5","n":"0.0004","N":"BTC","T":7,"t":99,"I":1,"w":true,"m":true,"M":false,"O":1,"Z":"4.2","Y":"4.2","Q":"0","W":1,"V":"NONE"})";
    const ExecutionReport r = parse_execution_report(ok);
    EXPECT_EQ(r.client_id, "AE1");
    EXPECT_EQ(r.exec_type, "TRADE");
    EXPECT_EQ(r.trade_id, 99);
    EXPECT_DOUBLE_EQ(r.last_qty, 0.4);
    EXPECT_DOUBLE_EQ(r.last_price, 10.5);
    EXPECT_EQ(r.commission_asset, "BTC");
    EXPECT_TRUE(r.maker);
    // A cancel names the cancelled order in C.
    std::string cancel = ok;
    cancel.replace(cancel.find(R"("C":"")"), 6, R"("C":"AE7")");
    cancel.replace(cancel.find(R"("x":"TRADE")"), 11, R"("x":"CANCELED")");
    EXPECT_EQ(parse_execution_report(cancel).client_id, "AE7");
    std::string bad = ok;
    bad.replace(bad.find(R"("L":"10.5")"), 10, R"("L":"abc")");
    EXPECT_THROW(parse_execution_report(bad), SystemError);
    std::string no_trade = ok;
    no_trade.replace(no_trade.find(R"("t":99)"), 6, R"("t":-1)");
    EXPECT_THROW(parse_execution_report(no_trade), SystemError);
}

TEST(BinanceUserStream, FillsOfRestingOrdersComeOnTheStreamWithoutPolling) {
    Rig rig;
    rig.start();
    ASSERT_TRUE(subscribed(rig));
    rig.client->poll(); // the subscription's resync
    rig.rest_limit(1);
    const int queries = rig.order_queries();
    for (int i = 0; i < 5; ++i) rig.client->poll(); // steps while it rests: no REST question
    EXPECT_EQ(rig.order_queries(), queries);
    rig.ex.set_price("BTCUSDT", 28900); // crosses: the fake fills it and reports it
    ASSERT_TRUE(rig.poll_until_filled(1));
    EXPECT_DOUBLE_EQ(rig.filled(1), 0.01 - 0.01 * 0.001); // net of the BTC commission
    EXPECT_EQ(rig.order_queries(), queries) << "the fill came on the stream";
    EXPECT_GE(rig.wakes.load(), 1);
}

TEST(BinanceUserStream, DuplicatedAndReorderedReportsCountEachFillOnce) {
    Rig rig;
    rig.start();
    ASSERT_TRUE(subscribed(rig));
    rig.client->poll();
    rig.ws.set_duplicate_reports(true);
    rig.rest_limit(1);
    rig.rest_limit(2);
    rig.ws.hold_reports(true);
    rig.ex.set_price("BTCUSDT", 28900);
    rig.ws.release_reports(); // newest first
    ASSERT_TRUE(rig.poll_until_filled(1));
    ASSERT_TRUE(rig.poll_until_filled(2));
    for (int i = 0; i < 5; ++i) rig.client->poll();
    EXPECT_DOUBLE_EQ(rig.filled(1), 0.01 * 0.999);
    EXPECT_DOUBLE_EQ(rig.filled(2), 0.01 * 0.999);
    EXPECT_EQ(rig.sink.fills.size(), 2u);
}

TEST(BinanceUserStream, TerminatedOrDroppedStreamsLoseNoFill) {
    Rig rig;
    rig.start();
    ASSERT_TRUE(subscribed(rig));
    rig.client->poll();
    // eventStreamTerminated, and a fill before the new subscription: REST brings it.
    rig.rest_limit(1);
    rig.ws.hold_reports(true);
    rig.ws.terminate_user_streams();
    rig.ex.set_price("BTCUSDT", 28900); // fills while unsubscribed (report held = never sent)
    ASSERT_TRUE(test::wait_until([&] { return rig.client->user_stream()->stats().terminated == 1; }));
    ASSERT_TRUE(subscribed(rig));
    ASSERT_TRUE(rig.poll_until_filled(1));
    // The connection drops in the middle of a fill.
    rig.ex.set_price("BTCUSDT", 30000);
    rig.rest_limit(2);
    rig.ws.drop_all();
    rig.ex.set_price("BTCUSDT", 28900);
    ASSERT_TRUE(rig.poll_until_filled(2));
    rig.ws.release_reports(); // stale reports of both orders arrive late: ignored
    for (int i = 0; i < 5; ++i) rig.client->poll();
    EXPECT_DOUBLE_EQ(rig.filled(1), 0.01 * 0.999);
    EXPECT_DOUBLE_EQ(rig.filled(2), 0.01 * 0.999);
    EXPECT_EQ(rig.sink.fills.size(), 2u);
    EXPECT_EQ(rig.order_posts(), 2) << "nothing sent twice";
}

TEST(BinanceUserStream, ARefusedSubscriptionFallsBackToAskingOverRest) {
    // The WebSocket API knows another key: the subscription is refused (-2015), REST still works.
    Rig rig("another-key");
    rig.start();
    ASSERT_TRUE(test::wait_until(
        [&] { return rig.client->user_stream()->stats().refused >= 1; }, std::chrono::seconds(30)));
    EXPECT_NE(rig.client->user_stream()->last_error().find("-2015"), std::string::npos);
    EXPECT_FALSE(rig.client->user_stream()->subscribed());
    rig.rest_limit(1);
    rig.ex.set_price("BTCUSDT", 28900);
    ASSERT_TRUE(rig.poll_until_filled(1));
    EXPECT_DOUBLE_EQ(rig.filled(1), 0.01 * 0.999);
}
