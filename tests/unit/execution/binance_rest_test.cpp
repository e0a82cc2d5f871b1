// The one Binance REST transport (issue 17 item 1) against the fake exchange on 127.0.0.1, with
// market data and orders sharing it: the fake counts weight and orders per window and the tests
// assert the limits are never passed under bursts; 429 and 418 with Retry-After pause every
// request; malformed rateLimits are an error. Clock and sleeper are simulated (no real waits).
#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "backtest/portfolio.hpp"
#include "core/error.hpp"
#include "data/binance_errors.hpp"
#include "data/binance_market_data.hpp"
#include "data/binance_rest.hpp"
#include "execution/binance_spot_client.hpp"
#include "support/fake_binance.hpp"
#include "support/fake_binance_spot.hpp"
#include "support/recording_sink.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using aurum::test::FakeBinance;
using aurum::test::FakeRequest;
using aurum::test::FakeResponse;
using aurum::test::FakeSpotExchange;
using aurum::test::FakeSymbol;
using aurum::test::RecordingSink;

namespace {

const TimeMs kNow = make_time(2024, 3, 1, 0, 0, 3);
const std::string kKlines = "/api/v3/klines";


Order market_buy(OrderId id, double qty) {
    Order o;
    o.id = id;
    o.req = OrderRequest::market(0, Side::Buy, qty);
    return o;
}

/// The fake's route weights (tests/support), to recount what reached it per minute.
int weight_of(const FakeRequest& r) {
    static const std::map<std::string, int> w{
        {"/api/v3/ping", 1},     {"/api/v3/time", 1},      {"/api/v3/klines", 2},
        {"/api/v3/account", 20}, {"/api/v3/myTrades", 20}, {"/api/v3/exchangeInfo", 20}};
    const auto it = w.find(r.path);
    if (it != w.end())
        return it->second;
    return r.path == "/api/v3/order" && r.method == "GET" ? 4 : 1;
}

/// Largest count of `times` inside one aligned window of `len` ms.
std::int64_t max_per_window(const std::vector<TimeMs>& times, TimeMs len) {
    std::map<TimeMs, std::int64_t> n;
    for (TimeMs t : times)
        ++n[floor_to(t, len)];
    std::int64_t most = 0;
    for (const auto& [start, c] : n)
        most = std::max(most, c);
    return most;
}

/// One fake exchange, one shared transport, the market-data and the order client on it.
struct Rig {
    SimulatedClock clock{kNow};
    FakeBinance server{clock};
    FakeSpotExchange ex{server, clock, "test-key", "test-secret"};
    test::RecordingSleeper sleeper{&clock};
    std::vector<Instrument> instruments{InstrumentRegistry().get("BTC/USDT")};
    RecordingSink sink{instruments, 1e9};
    std::shared_ptr<BinanceRest> rest;
    std::unique_ptr<BinanceMarketDataClient> md;
    std::unique_ptr<BinanceSpotClient> spot;

    Rig() {
        server.add_symbol("BTCUSDT", make_time(2023, 1, 1));
        ex.list(FakeSymbol{}, 30000);
        ex.set_balance("USDT", 1e9);
        BinanceRestOptions o;
        o.base_url = server.base_url();
        o.read_timeout_ms = 2000;
        o.weight_budget = 1.0;
        rest = std::make_shared<BinanceRest>(o, clock, sleeper);
    }
    BinanceSpotClient& connect() {
        BinanceSpotOptions so;
        so.base_url = server.base_url();
        spot = std::make_unique<BinanceSpotClient>(rest, so,
                                                   BinanceCredentials{"test-key", "test-secret", "t"},
                                                   instruments);
        spot->connect();
        spot->bind(sink);
        BinanceOptions mo;
        mo.base_url = server.base_url();
        mo.page_limit = 24;
        md = std::make_unique<BinanceMarketDataClient>(rest, mo);
        return *spot;
    }
    int posts() const {
        int n = 0;
        for (const auto& r : server.requests())
            n += r.method == "POST" && r.path == "/api/v3/order" ? 1 : 0;
        return n;
    }
};

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(BinanceRateLimits, the_documented_entries_parse_with_their_header_names) {
    const auto j = nlohmann::json::parse(
        R"([{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000},
            {"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":50},
            {"rateLimitType":"ORDERS","interval":"DAY","intervalNum":1,"limit":160000},
            {"rateLimitType":"RAW_REQUESTS","interval":"MINUTE","intervalNum":5,"limit":61000}])");
    const auto l = parse_rate_limits(j, "test");
    ASSERT_EQ(l.size(), 4u);
    EXPECT_EQ(l[0].header_suffix(), "1M");
    EXPECT_EQ(l[1].header_suffix(), "10S");
    EXPECT_EQ(l[1].window_ms(), 10 * kMsPerSecond);
    EXPECT_EQ(l[2].header_suffix(), "1D");
    EXPECT_EQ(l[2].limit, 160000);
    EXPECT_EQ(l[3].type, BinanceRateLimit::Type::RawRequests);
    EXPECT_EQ(l[3].window_ms(), 5 * kMsPerMinute);
}

TEST(BinanceRateLimits, a_malformed_entry_is_an_error_naming_it) {
    const auto err = [](const std::string& entry) {
        return error_of([&] {
            parse_rate_limits(nlohmann::json::parse(
                                  R"([{"rateLimitType":"ORDERS","interval":"SECOND",)"
                                  R"("intervalNum":10,"limit":50},)" +
                                  entry + "]"),
                              "GET exchangeInfo");
        });
    };
    std::string e = err(R"({"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1})");
    EXPECT_NE(e.find("GET exchangeInfo: rateLimits[1] limit must be an integer >= 1"),
              std::string::npos)
        << e;
    e = err(R"({"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":"6000"})");
    EXPECT_NE(e.find("rateLimits[1] limit must be"), std::string::npos) << e;
    e = err(R"({"rateLimitType":"ORDERS","interval":"WEEK","intervalNum":1,"limit":5})");
    EXPECT_NE(e.find("rateLimits[1] interval must be SECOND, MINUTE, HOUR or DAY"),
              std::string::npos)
        << e;
    e = err(R"({"rateLimitType":"ORDER","interval":"DAY","intervalNum":1,"limit":5})");
    EXPECT_NE(e.find("rateLimits[1] rateLimitType must be"), std::string::npos) << e;
    e = err(R"({"rateLimitType":"ORDERS","interval":"DAY","intervalNum":0,"limit":5})");
    EXPECT_NE(e.find("rateLimits[1] intervalNum must be an integer >= 1"), std::string::npos) << e;
    e = err(R"({"rateLimitType":"ORDERS","interval":"DAY","intervalNum":1,"limit":0})");
    EXPECT_NE(e.find("rateLimits[1] limit must be an integer >= 1"), std::string::npos) << e;
    e = err("7");
    EXPECT_NE(e.find("rateLimits[1] is not an object"), std::string::npos) << e;
}

TEST(BinanceRest, connect_refuses_malformed_rate_limits_from_the_exchange) {
    Rig rig;
    rig.ex.set_rate_limits_json(
        R"([{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000},)"
        R"({"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":-50}])");
    const std::string e = error_of([&] { rig.connect(); });
    EXPECT_NE(e.find("/api/v3/exchangeInfo: rateLimits[1] limit must be an integer >= 1"),
              std::string::npos)
        << e;
}

TEST(BinanceRest, connect_takes_the_exchanges_rate_limits) {
    Rig rig;
    rig.ex.set_order_limits(7, 300);
    rig.connect();
    const auto& l = rig.rest->rate_limits();
    ASSERT_EQ(l.size(), 3u);
    EXPECT_EQ(l[1].describe(), "ORDERS 7 per 10 SECOND");
    EXPECT_EQ(l[2].describe(), "ORDERS 300 per 1 DAY");
    EXPECT_EQ(rig.spot->weight_limit_1m(), 6000);
}

TEST(BinanceRest, an_exchange_listing_no_order_limit_keeps_the_documented_ones) {
    Rig rig;
    rig.ex.set_rate_limits_json(
        R"([{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":1200}])");
    rig.connect();
    std::vector<std::string> got;
    for (const auto& l : rig.rest->rate_limits())
        got.push_back(l.describe());
    EXPECT_EQ(got, (std::vector<std::string>{"REQUEST_WEIGHT 1200 per 1 MINUTE",
                                             "ORDERS 50 per 10 SECOND", "ORDERS 160000 per 1 DAY"}));
}

TEST(BinanceRest, a_burst_of_120_orders_never_passes_50_per_10_seconds) {
    Rig rig;
    auto& c = rig.connect();
    for (int i = 0; i < 120; ++i)
        c.submit_with_id(market_buy(i + 1, 0.001), fmt::format("AEburst{:04d}", i));
    c.poll();
    EXPECT_EQ(rig.ex.order_limit_hits(), 0);
    EXPECT_EQ(rig.posts(), 120);
    EXPECT_EQ(rig.sink.fills.size(), 120u);
    const auto times = rig.ex.order_times();
    ASSERT_EQ(times.size(), 120u);
    EXPECT_LE(max_per_window(times, 10 * kMsPerSecond), 50);
    EXPECT_GE(rig.rest->stats().order_waits, 2); // 120 orders need at least three windows
    EXPECT_EQ(rig.rest->stats().rate_limit_waits, 0);
}

TEST(BinanceRest, order_count_headers_carry_orders_of_another_process) {
    // Another process on the same account has placed 30 orders in this window: the transport
    // learns it from X-MBX-ORDER-COUNT-10S of its first order and waits before the 51st.
    Rig rig;
    auto& c = rig.connect();
    {
        RecordingSink other_sink(rig.instruments, 1e9);
        BinanceSpotOptions so;
        so.base_url = rig.server.base_url();
        BinanceSpotClient other(so, BinanceCredentials{"test-key", "test-secret", "t"},
                                rig.instruments, rig.clock, rig.sleeper);
        other.connect();
        other.bind(other_sink);
        for (int i = 0; i < 30; ++i)
            other.submit_with_id(market_buy(i + 1, 0.001), fmt::format("AEother{:04d}", i));
    }
    for (int i = 0; i < 40; ++i)
        c.submit_with_id(market_buy(i + 100, 0.001), fmt::format("AEmine{:04d}", i));
    EXPECT_EQ(rig.ex.order_limit_hits(), 0);
    EXPECT_LE(max_per_window(rig.ex.order_times(), 10 * kMsPerSecond), 50);
    EXPECT_EQ(rig.ex.order_times().size(), 70u);
    EXPECT_GE(rig.rest->stats().order_waits, 1);
}

TEST(BinanceRest, an_order_past_the_daily_count_is_refused_with_a_clear_error) {
    Rig rig;
    rig.ex.set_order_limits(50, 60);
    auto& c = rig.connect();
    for (int i = 0; i < 61; ++i)
        c.submit_with_id(market_buy(i + 1, 0.001), fmt::format("AEday{:04d}", i));
    c.poll();
    EXPECT_EQ(rig.posts(), 60);
    EXPECT_EQ(rig.ex.order_limit_hits(), 0);
    ASSERT_FALSE(rig.sink.events.empty());
    const OrderEvent& last = rig.sink.events.back();
    EXPECT_EQ(last.order_id, 61);
    EXPECT_EQ(last.status, OrderStatus::Rejected);
    EXPECT_NE(last.note.find("ORDERS 60 per 1 DAY"), std::string::npos) << last.note;
    EXPECT_NE(last.note.find("code -1015"), std::string::npos) << last.note;
    EXPECT_EQ(rig.rest->stats().refused, 1);
}

TEST(BinanceRest, market_data_and_orders_share_one_weight_limit) {
    // A small limit (100 weight / minute) the exchange enforces and reports: heavy klines paging
    // and orders on the same transport never reach the fake's 429.
    Rig rig;
    rig.server.set_weight_limit(100);
    rig.ex.set_rate_limits_json(
        R"([{"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":100},)"
        R"({"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":50}])");
    auto& c = rig.connect();
    const TimeMs day = make_time(2023, 12, 1);
    for (int i = 0; i < 60; ++i) {
        const KlinePage p = rig.md->fetch_klines("BTC/USDT", Timeframe::parse_or_throw("1h"),
                                                 day + i * kMsPerDay, day + (i + 1) * kMsPerDay);
        EXPECT_FALSE(p.bars.empty());
        if (i % 3 == 0)
            c.submit_with_id(market_buy(i + 1, 0.001), fmt::format("AEw{:04d}", i));
    }
    c.poll();
    EXPECT_EQ(rig.server.weight_limit_hits(), 0);
    EXPECT_EQ(rig.rest->stats().rate_limit_waits, 0);
    EXPECT_GE(rig.rest->stats().weight_waits, 1);
    std::map<TimeMs, int> per_minute;
    for (const auto& r : rig.server.requests())
        per_minute[floor_to(r.time, kMsPerMinute)] += weight_of(r);
    for (const auto& [minute, w] : per_minute)
        EXPECT_LE(w, 100) << format_time(minute);
    EXPECT_EQ(rig.sink.fills.size(), 20u);
}

TEST(BinanceRest, a_429_then_a_418_pause_every_request_until_retry_after) {
    Rig rig;
    auto& c = rig.connect();
    rig.server.inject(kKlines, FakeResponse::rate_limited(5), 1);
    rig.server.inject(kKlines, FakeResponse::banned(120), 1, /*after=*/1);
    const TimeMs from = make_time(2024, 2, 1);
    const KlinePage p =
        rig.md->fetch_klines("BTC/USDT", Timeframe::parse_or_throw("1h"), from, from + kMsPerDay);
    EXPECT_EQ(p.bars.size(), 24u);
    c.submit_with_id(market_buy(1, 0.001), "AEafterban");
    c.poll();
    EXPECT_EQ(rig.sink.fills.size(), 1u);
    // After each 429/418 nothing reached the exchange before its Retry-After had passed.
    const auto log = rig.server.requests();
    int paused = 0;
    for (std::size_t i = 0; i < log.size(); ++i) {
        if (log[i].status != 429 && log[i].status != 418)
            continue;
        ++paused;
        const TimeMs until = log[i].time + (log[i].status == 429 ? 5000 : 120000);
        for (std::size_t k = i + 1; k < log.size(); ++k)
            EXPECT_GE(log[k].time, until) << log[k].method << " " << log[k].path;
    }
    EXPECT_EQ(paused, 2);
    EXPECT_EQ(rig.rest->stats().rate_limit_waits, 2);
}

TEST(BinanceRest, a_long_ban_stops_market_data_and_orders_without_a_request) {
    Rig rig;
    auto& c = rig.connect();
    rig.server.inject(kKlines, FakeResponse::banned(3600), 1);
    const TimeMs from = make_time(2024, 2, 1);
    const std::string e = error_of(
        [&] { rig.md->fetch_klines("BTC/USDT", Timeframe::parse_or_throw("1h"), from, from + kMsPerDay); });
    EXPECT_NE(e.find("IP banned (HTTP 418)"), std::string::npos) << e;
    EXPECT_NE(e.find("Retry-After is 3600 s"), std::string::npos) << e;
    const int before = rig.server.request_count();
    // During the ban: the order is refused here (never sent), market data too.
    c.submit_with_id(market_buy(1, 0.001), "AEbanned");
    c.poll();
    EXPECT_EQ(rig.server.request_count(), before);
    ASSERT_FALSE(rig.sink.events.empty());
    EXPECT_EQ(rig.sink.events.back().status, OrderStatus::Rejected);
    EXPECT_NE(rig.sink.events.back().note.find("until"), std::string::npos)
        << rig.sink.events.back().note;
    EXPECT_THROW(rig.md->server_time(), BinanceLimitError);
    EXPECT_EQ(rig.server.request_count(), before);
    // After it: requests flow again.
    rig.clock.advance(3600 * kMsPerSecond);
    c.submit_with_id(market_buy(2, 0.001), "AEafter");
    c.poll();
    EXPECT_EQ(rig.sink.fills.size(), 1u);
    EXPECT_EQ(rig.ex.orders_with_client_id("AEbanned"), 0);
}

TEST(BinanceRest, signed_requests_carry_recv_window_timestamp_and_signature) {
    Rig rig;
    rig.connect();
    const auto log = rig.server.requests();
    const auto it = std::find_if(log.begin(), log.end(),
                                 [](const FakeRequest& r) { return r.path == "/api/v3/account"; });
    ASSERT_NE(it, log.end());
    EXPECT_EQ(it->param("recvWindow").value_or(""), "5000");
    EXPECT_TRUE(it->param("timestamp").has_value());
    EXPECT_EQ(it->param("signature").value_or("").size(), 64u);
    EXPECT_EQ(it->header("X-MBX-APIKEY").value_or(""), "test-key");
    EXPECT_EQ(rig.ex.signature_failures(), 0);
    EXPECT_EQ(rig.rest->stats().time_syncs, 1);
}

TEST(BinanceRest, a_timestamp_outside_recv_window_resyncs_the_clock_once_and_resends) {
    SimulatedClock exchange(kNow), local(kNow);
    FakeBinance server(exchange);
    FakeSpotExchange ex(server, exchange, "test-key", "test-secret");
    ex.list(FakeSymbol{}, 30000);
    ex.set_balance("USDT", 10000);
    BinanceRestOptions o;
    o.base_url = server.base_url();
    auto rest = std::make_shared<BinanceRest>(o, local, [](TimeMs) {});
    const std::vector<Instrument> inst{InstrumentRegistry().get("BTC/USDT")};
    BinanceSpotOptions so;
    so.base_url = server.base_url();
    BinanceSpotClient c(rest, so, BinanceCredentials{"test-key", "test-secret", "t"}, inst);
    c.connect();
    RecordingSink sink(inst);
    c.bind(sink);
    EXPECT_EQ(rest->stats().time_syncs, 1);
    exchange.advance(30 * kMsPerSecond); // this machine's clock falls 30 s behind the exchange
    c.submit_with_id(market_buy(1, 0.001), "AEskew");
    c.poll();
    EXPECT_EQ(rest->stats().time_syncs, 2);
    EXPECT_NEAR(static_cast<double>(rest->time_offset()), 30000, 5);
    EXPECT_EQ(ex.orders_with_client_id("AEskew"), 1);
    EXPECT_EQ(sink.fills.size(), 1u);
    int refused = 0;
    for (const auto& r : server.requests())
        refused += r.status == 400 ? 1 : 0;
    EXPECT_EQ(refused, 1); // the one -1021, then the resent order
}
