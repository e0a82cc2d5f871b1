// The Binance market stream over a real WebSocket (Boost.Beast on both sides, 127.0.0.1): what a
// closed candle, a book update and malformed input become, and that the connection heals itself
// after drops, a silent server, a serverShutdown and the maximum connection age.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "data/binance_streams.hpp"
#include "support/fake_binance_ws.hpp"
#include "support/fake_ws_server.hpp"

namespace aurum {
namespace {

const Timeframe k4h(4 * kMsPerHour);

template <class Ready>
bool eventually(Ready&& ready, int seconds = 30) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < end) {
        if (ready()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return ready();
}

std::string kline(const std::string& fields_k) {
    return R"({"stream":"btcusdt@kline_4h","data":{"e":"kline","E":1,"s":"BTCUSDT","k":{)" +
           fields_k + "}}}";
}

const std::string kGood =
    R"("t":1672531200000,"T":1672545599999,"s":"BTCUSDT","i":"4h","o":"100.5","c":"101.0","h":"102.0","l":"99.0","v":"12.5","x":true)";

TEST(BinanceStreamParse, ClosedKlineBecomesABar) {
    const auto ev = parse_market_stream_message(kline(kGood), k4h);
    ASSERT_EQ(ev.kind, MarketStreamEvent::Kind::Kline);
    EXPECT_EQ(ev.symbol, "BTC/USDT");
    EXPECT_TRUE(ev.closed);
    EXPECT_EQ(ev.bar.time, 1672531200000);
    EXPECT_DOUBLE_EQ(ev.bar.open, 100.5);
    EXPECT_DOUBLE_EQ(ev.bar.high, 102.0);
    EXPECT_DOUBLE_EQ(ev.bar.low, 99.0);
    EXPECT_DOUBLE_EQ(ev.bar.close, 101.0);
    EXPECT_DOUBLE_EQ(ev.bar.volume, 12.5);
    // A raw (not combined) payload parses the same.
    const auto raw = parse_market_stream_message(
        R"({"e":"kline","E":1,"s":"BTCUSDT","k":{)" + kGood + "}}", k4h);
    EXPECT_EQ(raw.bar.time, ev.bar.time);
}

TEST(BinanceStreamParse, BadKlinesNameWhatIsWrong) {
    auto fails_with = [](const std::string& text, const std::string& what) {
        try {
            parse_market_stream_message(text, k4h);
            ADD_FAILURE() << "accepted: " << text;
        } catch (const SystemError& e) {
            EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
        }
    };
    std::string s = kGood;
    fails_with(kline(std::string(kGood).replace(kGood.find(R"("o":"100.5")"), 11, R"("o":"nan")")),
               "field 'o' is not a number");
    fails_with(kline(std::string(kGood).replace(kGood.find(R"("i":"4h")"), 8, R"("i":"1h")")),
               "interval is not 4h");
    fails_with(kline(std::string(kGood).replace(kGood.find("1672545599999"), 13, "1672545600000")),
               "close time");
    fails_with(kline(std::string(kGood).replace(kGood.find(R"("h":"102.0")"), 11, R"("h":"100.0")")),
               "high/low");
    fails_with(kline(std::string(kGood).replace(kGood.find(R"("x":true)"), 8, R"("x":1)")),
               "field 'x'");
    fails_with("{not json", "malformed JSON");
}

TEST(BinanceStreamParse, BookTickerAndShutdown) {
    const auto ev = parse_market_stream_message(
        R"({"stream":"btcusdt@bookTicker","data":{"u":7,"s":"BTCUSDT","b":"100.1","B":"2","a":"100.2","A":"3"}})",
        k4h);
    ASSERT_EQ(ev.kind, MarketStreamEvent::Kind::BookTicker);
    EXPECT_DOUBLE_EQ(ev.book.bid, 100.1);
    EXPECT_DOUBLE_EQ(ev.book.ask, 100.2);
    EXPECT_EQ(ev.book.update_id, 7);
    EXPECT_EQ(parse_market_stream_message(R"({"e":"serverShutdown","E":5})", k4h).kind,
              MarketStreamEvent::Kind::ServerShutdown);
    EXPECT_EQ(market_stream_target({"BTC/USDT", "ETH/USDT"}, k4h),
              "/stream?streams=btcusdt@kline_4h/btcusdt@bookTicker/ethusdt@kline_4h/ethusdt@bookTicker");
}

TEST(WebSocketUrl, ParsesAndRefuses) {
    const auto u = WebSocketUrl::parse("wss://stream.binance.com:9443/stream?streams=a");
    EXPECT_TRUE(u.tls);
    EXPECT_EQ(u.port, 9443);
    EXPECT_EQ(u.target, "/stream?streams=a");
    EXPECT_EQ(WebSocketUrl::parse("ws://127.0.0.1").port, 80);
    EXPECT_THROW(WebSocketUrl::parse("http://127.0.0.1:1/x"), InputError);
    EXPECT_THROW(WebSocketUrl::parse("ws://:80/"), InputError);
    EXPECT_THROW(WebSocketUrl::parse("ws://h:99999/"), InputError);
}

struct StreamFixture : ::testing::Test {
    SimulatedClock clock{1672531200000};
    test::FakeBinanceWs fake{clock};
    std::atomic<int> wakes{0};
    WebSocketOptions tuning() {
        WebSocketOptions t;
        t.reconnect_min_ms = 20;
        t.reconnect_max_ms = 200;
        t.idle_timeout_ms = 600;
        t.jitter_seed = 7;
        return t;
    }
    Bar bar(TimeMs t, double px) { return Bar{t, px, px + 2, px - 2, px + 1, 10, 0}; }
};

TEST_F(StreamFixture, ClosedCandlesArriveAndWakeTheEngine) {
    BinanceMarketStream s(fake.stream_url(), {"BTC/USDT", "ETH/USDT"}, k4h, tuning(),
                          [this] { ++wakes; });
    s.start();
    ASSERT_TRUE(eventually([&] { return fake.market_connections() == 1; }));
    ASSERT_TRUE(eventually([&] { return s.pending(); }));
    EXPECT_TRUE(s.take_resync()); // the first connect asks for a REST backfill
    EXPECT_FALSE(s.take_resync());
    const TimeMs t0 = 1672531200000;
    fake.push_kline("BTCUSDT", k4h, bar(t0, 100), false); // still open: not a bar
    fake.push_kline("BTCUSDT", k4h, bar(t0, 100), true);
    fake.push_kline("ETHUSDT", k4h, bar(t0, 50), true);
    fake.push_kline("SOLUSDT", k4h, bar(t0, 5), true); // not subscribed
    fake.push_book_ticker("BTCUSDT", 100.5, 100.6);
    std::vector<StreamedBar> got;
    ASSERT_TRUE(eventually([&] {
        for (auto& b : s.take_bars()) got.push_back(b);
        return got.size() >= 2 && s.book("BTC/USDT");
    }));
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].symbol, "BTC/USDT");
    EXPECT_EQ(got[1].symbol, "ETH/USDT");
    EXPECT_DOUBLE_EQ(got[0].bar.close, 101);
    EXPECT_DOUBLE_EQ(s.book("BTC/USDT")->ask, 100.6);
    EXPECT_EQ(wakes.load(), 2); // the connect, and the bar once both symbols' candles came
}

TEST_F(StreamFixture, TheEngineIsWokenOncePerBarOrWhenACandleIsOverdue) {
    BinanceMarketStream s(fake.stream_url(), {"BTC/USDT", "ETH/USDT"}, k4h, tuning(),
                          [this] { ++wakes; });
    s.start();
    ASSERT_TRUE(eventually([&] { return fake.market_connections() == 1 && s.take_resync(); }));
    const TimeMs t0 = 1672531200000, t1 = t0 + k4h.ms();
    const int after_connect = wakes.load();
    fake.push_kline("BTCUSDT", k4h, bar(t0, 100), true); // half a bar: nothing to act on yet
    ASSERT_TRUE(eventually([&] { return s.stats().klines_closed == 1; }));
    EXPECT_FALSE(s.pending());
    EXPECT_EQ(wakes.load(), after_connect);
    fake.push_kline("BTCUSDT", k4h, bar(t1, 101), true); // the next bar's: ETH's t0 is overdue
    ASSERT_TRUE(eventually([&] { return s.pending(); }));
    EXPECT_EQ(wakes.load(), after_connect + 1);
    EXPECT_EQ(s.take_bars().size(), 2u);
    fake.push_kline("ETHUSDT", k4h, bar(t1, 51), true); // completes t1
    ASSERT_TRUE(eventually([&] { return s.pending(); }));
    EXPECT_EQ(wakes.load(), after_connect + 2);
}

TEST_F(StreamFixture, ReconnectsAfterDropsSilenceShutdownAndAge) {
    WebSocketOptions t = tuning();
    BinanceMarketStream s(fake.stream_url(), {"BTC/USDT"}, k4h, t, {});
    s.start();
    ASSERT_TRUE(eventually([&] { return fake.market_connections() == 1 && s.take_resync(); }));
    // 1. The server drops the connection.
    fake.drop_all();
    ASSERT_TRUE(eventually([&] { return fake.accepted() == 2 && s.take_resync(); }));
    // 2. The server goes silent: no pong to our keep-alive ping, so the idle timeout reconnects.
    fake.freeze(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    fake.freeze(false);
    ASSERT_TRUE(eventually([&] { return fake.accepted() >= 3 && s.take_resync(); }));
    // 3. serverShutdown: reconnect at once.
    const auto before = fake.accepted();
    ASSERT_TRUE(eventually([&] { return s.connected(); }));
    fake.server_shutdown();
    ASSERT_TRUE(eventually([&] { return fake.accepted() > before && s.take_resync(); }));
    // 4. A malformed message is dropped, counted, and asks for a resync; the stream goes on.
    ASSERT_TRUE(eventually([&] { return fake.market_connections() == 1; }));
    fake.push_raw(R"({"stream":"btcusdt@kline_4h","data":{"e":"kline","k":{"i":"4h"}}})");
    ASSERT_TRUE(eventually([&] { return s.stats().malformed == 1 && s.take_resync(); }));
    fake.push_kline("BTCUSDT", k4h, bar(1672531200000, 100), true);
    ASSERT_TRUE(eventually([&] { return s.take_bars().size() == 1; }));
    EXPECT_GE(s.stats().connection.drops, 3);
}

TEST_F(StreamFixture, RotatesBeforeTheMaximumAge) {
    WebSocketOptions t = tuning();
    t.max_connection_age_ms = 150;
    BinanceMarketStream s(fake.stream_url(), {"BTC/USDT"}, k4h, t, {});
    s.start();
    // Each rotation closes the old connection and opens a new one.
    ASSERT_TRUE(eventually(
        [&] { return s.stats().connection.rotations >= 2 && fake.accepted() >= 3; }));
}

TEST(WebSocketClient, PacesOutboundMessagesAndReconnectsWithBackoff) {
    std::mutex mu;
    std::vector<std::chrono::steady_clock::time_point> arrivals;
    test::FakeWsHandlers h;
    h.on_connect = [](std::uint64_t, const std::string&) { return true; };
    h.on_message = [&](std::uint64_t, std::string_view) {
        std::lock_guard lock(mu);
        arrivals.push_back(std::chrono::steady_clock::now());
    };
    test::FakeWsServer server(h);
    WebSocketOptions o;
    o.url = server.url() + "/ws";
    o.max_outbound_per_second = 5;
    std::atomic<int> opens{0};
    WebSocketClient c(o, WebSocketHandlers{[&] { ++opens; }, {}, {}});
    c.start();
    ASSERT_TRUE(eventually([&] { return c.connected(); }));
    for (int i = 0; i < 12; ++i) c.send("{\"n\":" + std::to_string(i) + "}");
    ASSERT_TRUE(eventually([&] {
        std::lock_guard lock(mu);
        return arrivals.size() == 12;
    }));
    // Never more than 5 in any window of one second (Binance disconnects past it).
    std::lock_guard lock(mu);
    for (std::size_t i = 5; i < arrivals.size(); ++i)
        EXPECT_GE(arrivals[i] - arrivals[i - 5], std::chrono::milliseconds(990)) << i;
    EXPECT_EQ(opens.load(), 1);
}

TEST(WebSocketClient, KeepsTryingAServerThatIsNotThereYet) {
    // A port with nothing listening: the client backs off and keeps trying without throwing.
    WebSocketOptions o;
    o.url = "ws://127.0.0.1:1/ws";
    o.reconnect_min_ms = 10;
    o.reconnect_max_ms = 40;
    std::atomic<int> closes{0};
    WebSocketClient c(o, WebSocketHandlers{{}, {}, [&](const std::string&) { ++closes; }});
    c.start();
    ASSERT_TRUE(eventually([&] { return closes.load() >= 3; }));
    EXPECT_FALSE(c.connected());
    c.stop();
}

} // namespace
} // namespace aurum
