// The Binance spot execution client against the fake exchange on 127.0.0.1: signing, start-up,
// fills and commissions, rejections, the unknown-status path (never a duplicate order),
// resting limits, cancel, reconciliation after a restart, credentials.
#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "backtest/portfolio.hpp"
#include "core/error.hpp"
#include "data/http_client.hpp"
#include "execution/binance_spot_client.hpp"
#include "support/fake_binance.hpp"
#include "support/fake_binance_spot.hpp"
#include "support/binance_spot_rig.hpp"
#include "support/recording_sink.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using aurum::test::FakeBinance;
using aurum::test::FakeResponse;
using aurum::test::FakeSpotExchange;
using aurum::test::FakeSymbol;
using aurum::test::RecordingSink;

namespace {

const TimeMs kNow = make_time(2024, 3, 1);


Order make_order(OrderId id, Side side, double qty, OrderType type = OrderType::Market,
                 double limit = 0) {
    Order o;
    o.id = id;
    o.req = type == OrderType::Market ? OrderRequest::market(0, side, qty)
                                      : OrderRequest::limit(0, side, qty, limit);
    return o;
}

using Rig = test::SpotRig;

} // namespace

TEST(BinanceAuth, signature_matches_the_documented_hmac_example) {
    // rest-api.md "SIGNED Endpoint Examples for POST /api/v3/order" (HMAC keys); the value is
    // what `openssl dgst -sha256 -hmac` prints for that payload and key.
    EXPECT_EQ(hmac_sha256_hex("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
                              "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&"
                              "price=0.1&recvWindow=5000&timestamp=1499827319559"),
              "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
}

TEST(BinanceSpotClient, connect_reads_filters_balances_and_clock_offset) {
    Rig rig;
    // The machine's clock runs 3 s behind the exchange: without the offset every signed request
    // would be refused for its timestamp.
    SimulatedClock local{kNow - 3000};
    BinanceSpotClient c(rig.options(), {"test-key", "test-secret", "test"}, rig.instruments, local,
                        rig.sleeper);
    c.connect();
    EXPECT_NEAR(static_cast<double>(c.time_offset()), 3000, 5);
    const Instrument in = c.instruments().at(0);
    EXPECT_DOUBLE_EQ(in.lot_step, 0.00001);
    EXPECT_DOUBLE_EQ(in.min_notional, 5);
    EXPECT_DOUBLE_EQ(c.rules(0).tick_size, 0.01);
    EXPECT_EQ(c.rules(0).base, "BTC");
    EXPECT_DOUBLE_EQ(c.balances().at("USDT").free, 10000);
    EXPECT_EQ(rig.ex.signature_failures(), 0);
}

TEST(BinanceSpotClient, market_buy_fills_with_commission_in_the_bought_asset) {
    Rig rig;
    auto& c = rig.start();
    c.submit_with_id(make_order(1, Side::Buy, 0.01), "AE00000000000000a1");
    EXPECT_TRUE(rig.sink.fills.empty()) << "reports wait for the engine's poll";
    c.poll();
    ASSERT_EQ(rig.sink.fills.size(), 1u);
    const Fill& f = rig.sink.fills[0];
    EXPECT_EQ(f.order_id, 1u);
    EXPECT_DOUBLE_EQ(f.price, 30000);
    // 0.1% of 0.01 BTC paid in BTC: 0.00999 BTC received, the commission's coins cost 0.30 USDT.
    EXPECT_NEAR(f.qty, 0.00999, 1e-12);
    EXPECT_NEAR(f.fee, 0.3, 1e-9);
    EXPECT_NEAR(f.qty * f.price + f.fee, 300, 1e-9) << "cash paid = 0.01 x 30000";
    ASSERT_EQ(rig.sink.events.size(), 1u);
    EXPECT_EQ(rig.sink.events[0].status, OrderStatus::Filled);
    // The exchange saw the journal's client id, with a valid signature.
    const auto o = rig.ex.order("AE00000000000000a1");
    ASSERT_TRUE(o.has_value());
    EXPECT_EQ(o->status, "FILLED");
    EXPECT_EQ(rig.ex.signature_failures(), 0);
    EXPECT_NEAR(rig.ex.balance("BTC"), 0.00999, 1e-12);
    EXPECT_EQ(c.open_order_count(), 0u);
    // Applied to a portfolio, cash and position equal the exchange's balances.
    rig.sink.pf.apply_fill(f, 0);
    EXPECT_NEAR(rig.sink.pf.cash(), rig.ex.balance("USDT"), 1e-9);
    EXPECT_NEAR(rig.sink.pf.position(0).qty, rig.ex.balance("BTC"), 1e-12);
}

TEST(BinanceSpotClient, market_sell_pays_commission_in_quote) {
    Rig rig;
    rig.ex.set_balance("BTC", 1);
    auto& c = rig.start();
    c.submit_with_id(make_order(2, Side::Sell, 0.5), "AE00000000000000b2");
    c.poll();
    ASSERT_EQ(rig.sink.fills.size(), 1u);
    EXPECT_DOUBLE_EQ(rig.sink.fills[0].qty, 0.5);
    EXPECT_NEAR(rig.sink.fills[0].fee, 15, 1e-9);
    EXPECT_NEAR(rig.ex.balance("USDT"), 10000 + 15000 - 15, 1e-6);
}

TEST(BinanceSpotClient, exchange_rejection_carries_the_exchange_message) {
    Rig rig;
    auto& c = rig.start();
    c.submit_with_id(make_order(3, Side::Buy, 1.0), "AE00000000000000c3"); // 30000 > 10000 USDT
    c.poll();
    EXPECT_TRUE(rig.sink.fills.empty());
    ASSERT_EQ(rig.sink.events.size(), 1u);
    const OrderEvent& e = rig.sink.events[0];
    EXPECT_EQ(e.status, OrderStatus::Rejected);
    EXPECT_EQ(e.reason, RejectReason::InsufficientBalance);
    EXPECT_NE(e.note.find("Account has insufficient balance"), std::string::npos) << e.note;
    EXPECT_NE(e.note.find("-2010"), std::string::npos) << e.note;
    EXPECT_EQ(c.open_order_count(), 0u);
}

TEST(BinanceSpotClient, filters_reject_locally_like_the_exchange_without_a_request) {
    Rig rig;
    auto& c = rig.start();
    Bar b;
    b.close = 30000;
    c.on_bar(0, b);
    c.submit_with_id(make_order(4, Side::Buy, 0.000004), "AE00000000000000d4"); // < minQty
    c.submit_with_id(make_order(5, Side::Buy, 0.0001), "AE00000000000000d5");   // 3 USDT < 5
    c.poll();
    ASSERT_EQ(rig.sink.events.size(), 2u);
    EXPECT_EQ(rig.sink.events[0].reason, RejectReason::LotSize);
    EXPECT_NE(rig.sink.events[0].note.find("Filter failure: LOT_SIZE"), std::string::npos);
    EXPECT_EQ(rig.sink.events[1].reason, RejectReason::MinNotional);
    EXPECT_NE(rig.sink.events[1].note.find("Filter failure: NOTIONAL"), std::string::npos);
    EXPECT_EQ(rig.order_posts(), 0);
    // A quantity off the lot grid is rounded down to it, as the exchange requires.
    c.submit_with_id(make_order(6, Side::Buy, 0.0123456789), "AE00000000000000d6");
    c.poll();
    ASSERT_TRUE(rig.ex.order("AE00000000000000d6").has_value());
    EXPECT_NEAR(rig.ex.order("AE00000000000000d6")->qty, 0.01234, 1e-12);
}

TEST(BinanceSpotClient, server_error_after_acceptance_is_queried_never_resent) {
    Rig rig;
    auto& c = rig.start();
    rig.ex.fail_after_accept(FakeResponse::server_error(502));
    c.submit_with_id(make_order(7, Side::Buy, 0.01), "AE00000000000000e7");
    c.poll();
    EXPECT_EQ(rig.ex.posts_with_client_id("AE00000000000000e7"), 1) << "no duplicate send";
    EXPECT_EQ(rig.ex.orders_with_client_id("AE00000000000000e7"), 1);
    ASSERT_EQ(rig.sink.fills.size(), 1u) << "the fill was found through the order query";
    EXPECT_NEAR(rig.sink.fills[0].fee, 0.3, 1e-9) << "commission from the trade list";
    ASSERT_EQ(rig.sink.events.size(), 1u);
    EXPECT_EQ(rig.sink.events[0].status, OrderStatus::Filled);
    EXPECT_EQ(c.stats().unknown_outcomes, 1);
    EXPECT_EQ(c.stats().adopted, 1);
}

TEST(BinanceSpotClient, timeout_after_acceptance_is_queried_never_resent) {
    Rig rig;
    BinanceSpotOptions o = rig.options();
    o.read_timeout_ms = 150;
    auto& c = rig.start(o);
    FakeResponse late = FakeResponse::slow(600);
    late.then_normal = true;
    rig.ex.fail_after_accept(late);
    c.submit_with_id(make_order(8, Side::Buy, 0.01), "AE00000000000000f8");
    c.poll();
    EXPECT_EQ(rig.ex.posts_with_client_id("AE00000000000000f8"), 1);
    EXPECT_EQ(rig.ex.orders_with_client_id("AE00000000000000f8"), 1);
    EXPECT_EQ(rig.sink.fills.size(), 1u);
}

TEST(BinanceSpotClient, server_error_before_acceptance_is_sent_again_only_after_minus_2013) {
    Rig rig;
    auto& c = rig.start();
    // The POST and the next two queries fail: the outcome stays unknown and nothing is re-sent.
    rig.server.inject("/api/v3/order", FakeResponse::server_error(503), 4);
    c.submit_with_id(make_order(9, Side::Buy, 0.01), "AE0000000000000009");
    EXPECT_EQ(rig.ex.orders_with_client_id("AE0000000000000009"), 0);
    EXPECT_EQ(rig.order_posts(), 1);
    EXPECT_EQ(c.open_order_count(), 1u) << "unknown, so still tracked";
    // The next poll asks again; the exchange says -2013 (it never got it): now it is sent.
    c.poll();
    EXPECT_EQ(rig.order_posts(), 2);
    EXPECT_EQ(rig.ex.orders_with_client_id("AE0000000000000009"), 1);
    c.poll();
    EXPECT_EQ(rig.sink.fills.size(), 1u);
    EXPECT_EQ(c.stats().resent_after_absent, 1);
}

TEST(BinanceSpotClient, rate_limit_waits_retry_after_then_sends_once) {
    Rig rig;
    auto& c = rig.start();
    rig.server.inject("/api/v3/order", FakeResponse::rate_limited(2));
    c.submit_with_id(make_order(10, Side::Buy, 0.01), "AE000000000000000a");
    c.poll();
    ASSERT_FALSE(rig.sleeper.waits->empty());
    EXPECT_EQ(rig.sleeper.waits->back(), 2000);
    EXPECT_EQ(rig.ex.orders_with_client_id("AE000000000000000a"), 1);
    EXPECT_EQ(rig.sink.fills.size(), 1u);
}

TEST(BinanceSpotClient, resting_limit_fills_when_the_price_moves_and_cancel_releases_funds) {
    Rig rig;
    auto& c = rig.start();
    c.submit_with_id(make_order(11, Side::Buy, 0.1, OrderType::Limit, 29000), "AE000000000000000b");
    c.submit_with_id(make_order(12, Side::Buy, 0.1, OrderType::Limit, 28000), "AE000000000000000c");
    c.poll();
    EXPECT_TRUE(rig.sink.fills.empty());
    EXPECT_EQ(c.open_order_count(), 2u);
    EXPECT_NEAR(rig.ex.locked("USDT"), 2900 + 2800, 1e-6);
    rig.ex.set_price("BTCUSDT", 28900);
    c.poll();
    ASSERT_EQ(rig.sink.fills.size(), 1u);
    EXPECT_EQ(rig.sink.fills[0].order_id, 11u);
    EXPECT_DOUBLE_EQ(rig.sink.fills[0].price, 29000);
    EXPECT_TRUE(rig.sink.fills[0].maker);
    c.cancel(12, kNow);
    ASSERT_FALSE(rig.sink.events.empty());
    EXPECT_EQ(rig.sink.events.back().order_id, 12u);
    EXPECT_EQ(rig.sink.events.back().status, OrderStatus::Cancelled);
    EXPECT_EQ(rig.sink.events.back().reason, RejectReason::UserCancelled);
    EXPECT_EQ(rig.ex.order("AE000000000000000c")->status, "CANCELED");
    EXPECT_NEAR(rig.ex.locked("USDT"), 0, 1e-6);
    EXPECT_EQ(c.open_order_count(), 0u);
    c.cancel(12, kNow); // finished: reported as unknown, nothing sent
    EXPECT_EQ(rig.sink.events.back().reason, RejectReason::UnknownOrder);
}

TEST(BinanceSpotClient, resume_adopts_an_order_sent_before_a_crash_without_resending) {
    Rig rig;
    {
        auto& before = rig.start();
        before.submit_with_id(make_order(13, Side::Buy, 0.01), "AE000000000000000d");
        // crash: the fills were never delivered
    }
    rig.sink.fills.clear();
    rig.sink.events.clear();
    auto& after = rig.start();
    after.resume(make_order(13, Side::Buy, 0.01), "AE000000000000000d");
    after.poll();
    EXPECT_EQ(rig.ex.posts_with_client_id("AE000000000000000d"), 1);
    ASSERT_EQ(rig.sink.fills.size(), 1u);
    EXPECT_NEAR(rig.sink.fills[0].qty, 0.00999, 1e-12);
    EXPECT_EQ(rig.sink.events.back().status, OrderStatus::Filled);

    // Fills already journaled (filled_qty) are not reported twice.
    rig.sink.fills.clear();
    auto& again = rig.start();
    Order o = make_order(13, Side::Buy, 0.01);
    o.filled_qty = 0.00999;
    again.resume(o, "AE000000000000000d");
    again.poll();
    EXPECT_TRUE(rig.sink.fills.empty());
    EXPECT_EQ(rig.ex.posts_with_client_id("AE000000000000000d"), 1);
}

TEST(BinanceSpotClient, resume_sends_an_order_the_exchange_never_got) {
    Rig rig;
    auto& c = rig.start();
    c.resume(make_order(14, Side::Buy, 0.01), "AE000000000000000e");
    c.poll();
    EXPECT_EQ(rig.ex.posts_with_client_id("AE000000000000000e"), 1);
    EXPECT_EQ(rig.sink.fills.size(), 1u);
}

TEST(BinanceSpotClient, bad_secret_is_refused_by_the_exchange_signature_check) {
    Rig rig;
    try {
        rig.start(rig.options(), "wrong-secret");
        FAIL() << "connect should refuse";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("-1022"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("credentials"), std::string::npos) << e.what();
    }
    EXPECT_GE(rig.ex.signature_failures(), 1);
}

TEST(BinanceSpotClient, refuses_an_mt5_instrument) {
    Rig rig;
    try {
        BinanceSpotClient c(rig.options(), {"k", "s", "test"}, {InstrumentRegistry().get("XAUUSD")},
                            rig.clock, rig.sleeper);
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("MetaTrader 5"), std::string::npos) << e.what();
    }
}

TEST(BinanceCredentials, file_must_be_owner_only_and_complete) {
    ::unsetenv("AURUM_BINANCE_API_KEY");
    ::unsetenv("AURUM_BINANCE_API_SECRET");
    test::TempDir home;
    EXPECT_THROW(load_binance_credentials(home.path()), InputError);
    const auto file = home.path() / "secrets" / "binance.json";
    test::write_text(file, R"({"api_key": "k1", "api_secret": "s1"})");
    ::chmod(file.c_str(), 0644);
    try {
        load_binance_credentials(home.path());
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
    }
    ::chmod(file.c_str(), 0600);
    const auto c = load_binance_credentials(home.path());
    EXPECT_EQ(c.api_key, "k1");
    EXPECT_EQ(c.api_secret, "s1");
    test::write_text(file, R"({"api_key": "k1"})");
    ::chmod(file.c_str(), 0600);
    EXPECT_THROW(load_binance_credentials(home.path()), InputError);
    ::setenv("AURUM_BINANCE_API_KEY", "envk", 1);
    EXPECT_THROW(load_binance_credentials(home.path()), InputError) << "secret missing";
    ::setenv("AURUM_BINANCE_API_SECRET", "envs", 1);
    EXPECT_EQ(load_binance_credentials(home.path()).api_key, "envk");
    ::unsetenv("AURUM_BINANCE_API_KEY");
    ::unsetenv("AURUM_BINANCE_API_SECRET");
}

TEST(BinanceSpotClient, malformed_order_response_is_an_unknown_outcome_not_a_crash) {
    Rig rig;
    auto& c = rig.start();
    rig.ex.fail_after_accept(FakeResponse::json(200, "{\"symbol\":\"BTCUSDT\",\"fills\":[{"));
    c.submit_with_id(make_order(15, Side::Buy, 0.01), "AE000000000000000f");
    c.poll();
    EXPECT_EQ(rig.ex.posts_with_client_id("AE000000000000000f"), 1);
    ASSERT_EQ(rig.sink.fills.size(), 1u) << "adopted through the order query";
    EXPECT_EQ(rig.sink.events.back().status, OrderStatus::Filled);
}

TEST(BinanceSpotClient, cancelling_an_order_the_exchange_never_got_never_sends_it) {
    Rig rig;
    auto& c = rig.start();
    rig.server.inject("/api/v3/order", FakeResponse::server_error(503), 4);
    c.submit_with_id(make_order(16, Side::Buy, 0.01), "AE0000000000000010");
    ASSERT_EQ(c.open_order_count(), 1u);
    c.cancel(16, kNow); // asks (-2013): cancelled here
    ASSERT_FALSE(rig.sink.events.empty());
    EXPECT_EQ(rig.sink.events.back().status, OrderStatus::Cancelled);
    c.poll();
    EXPECT_EQ(rig.order_posts(), 1) << "only the first, failed POST";
    EXPECT_EQ(rig.ex.orders_with_client_id("AE0000000000000010"), 0);
    EXPECT_EQ(c.open_order_count(), 0u);
    EXPECT_TRUE(rig.sink.fills.empty());
}

namespace {

/// A transport answering with valid exchange responses, randomly broken (cut short, bytes
/// flipped, a 4xx/5xx/429 instead), recording what the client sent.
class ChaosHttp final : public HttpClient {
  public:
    explicit ChaosHttp(std::uint64_t seed)
        : rng_(seed), base_(BaseUrl::parse("http://127.0.0.1:1")) {}
    bool chaos = false;
    int posts = 0;
    bool last_query_absent = false;
    bool resent_without_absent = false;

    HttpResponse send(const HttpRequest& r) override {
        HttpResponse out;
        out.status = 200;
        if (r.path == "/api/v3/time") {
            out.body = fmt::format(R"({{"serverTime":{}}})", kNow);
        } else if (r.path == "/api/v3/exchangeInfo") {
            out.body =
                R"({"symbols":[{"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT","filters":[{"filterType":"LOT_SIZE","minQty":"0.00001","maxQty":"9000","stepSize":"0.00001"},{"filterType":"PRICE_FILTER","minPrice":"0.01","maxPrice":"1000000","tickSize":"0.01"}]}]})";
        } else if (r.path == "/api/v3/account") {
            out.body = R"({"balances":[{"asset":"USDT","free":"10000","locked":"0"}]})";
        } else if (r.path == "/api/v3/order" && r.method == "POST") {
            if (posts > 0 && !last_query_absent)
                resent_without_absent = true;
            ++posts;
            last_query_absent = false;
            out.body =
                R"({"symbol":"BTCUSDT","orderId":7,"clientOrderId":"AEchaos","transactTime":1,"executedQty":"0.01000000","status":"FILLED","fills":[{"price":"30000.00","qty":"0.01000000","commission":"0.00001","commissionAsset":"BTC","tradeId":1}]})";
        } else if (r.path == "/api/v3/order") {
            out.body =
                R"({"symbol":"BTCUSDT","orderId":7,"clientOrderId":"AEchaos","executedQty":"0.01000000","status":"FILLED"})";
        } else if (r.path == "/api/v3/myTrades") {
            out.body =
                R"([{"id":1,"orderId":7,"price":"30000.00","qty":"0.01000000","commission":"0.00001","commissionAsset":"BTC","time":1,"isMaker":false}])";
        }
        if (chaos) {
            const int k = static_cast<int>(rng_() % 8);
            if (k == 0 && !out.body.empty()) {
                out.body.resize(rng_() % out.body.size());
            } else if (k == 1 && !out.body.empty()) {
                for (int i = 0; i < 3; ++i)
                    out.body[rng_() % out.body.size()] = static_cast<char>(rng_() % 128);
            } else if (k == 2) {
                out.status = 400;
                out.body = R"({"code":-2013,"msg":"Order does not exist."})";
            } else if (k == 3) {
                out.status = 503;
                out.body = "<html>down</html>";
            } else if (k == 4) {
                out.status = 429;
                out.headers.emplace_back("Retry-After", std::to_string(rng_() % 100));
            } else if (k == 5) {
                throw HttpTransportError(HttpFailure::Timeout, "chaos timeout");
            }
        }
        if (r.path == "/api/v3/order" && r.method == "POST" && out.status == 429)
            last_query_absent = true; // refused before processing: sending again is right
        if (r.path == "/api/v3/order" && r.method == "GET")
            last_query_absent = out.status == 400 && out.body.find("-2013") != std::string::npos;
        return out;
    }
    const BaseUrl& base_url() const override { return base_; }

  private:
    std::mt19937_64 rng_;
    BaseUrl base_;
};

} // namespace

TEST(BinanceSpotClient, broken_responses_never_escape_overfill_or_duplicate_an_order) {
    for (std::uint64_t seed = 1; seed <= 300; ++seed) {
        SimulatedClock clock(kNow);
        auto http = std::make_unique<ChaosHttp>(seed);
        ChaosHttp& h = *http;
        std::vector<Instrument> inst{InstrumentRegistry().get("BTC/USDT")};
        BinanceSpotOptions o;
        o.base_url = "http://127.0.0.1:1";
        BinanceSpotClient c(std::move(http), o, {"k", "s", "t"}, inst, clock, [](TimeMs) {});
        c.connect();
        RecordingSink sink(inst);
        c.bind(sink);
        h.chaos = true;
        ASSERT_NO_THROW({
            c.submit_with_id(make_order(1, Side::Buy, 0.01), "AEchaos");
            for (int k = 0; k < 6; ++k)
                c.poll();
        }) << "seed "
           << seed;
        double filled = 0;
        for (const auto& f : sink.fills) {
            EXPECT_GT(f.qty, 0) << "seed " << seed;
            EXPECT_TRUE(std::isfinite(f.price) && std::isfinite(f.fee)) << "seed " << seed;
            filled += f.qty;
        }
        EXPECT_LE(filled, 0.01 + 1e-12) << "seed " << seed;
        EXPECT_FALSE(h.resent_without_absent) << "seed " << seed << ": sent again without -2013";
        int ends = 0;
        for (const auto& e : sink.events)
            ends += e.status == OrderStatus::Filled || e.status == OrderStatus::Rejected ||
                    e.status == OrderStatus::Cancelled;
        EXPECT_LE(ends, 1) << "seed " << seed;
    }
}

namespace {

/// Answers time, account and an exchangeInfo whose BTCUSDT filters are `filters` (JSON array).
class FixedInfoHttp final : public HttpClient {
  public:
    explicit FixedInfoHttp(std::string filters)
        : filters_(std::move(filters)), base_(BaseUrl::parse("http://127.0.0.1:1")) {}
    HttpResponse send(const HttpRequest& r) override {
        HttpResponse out;
        out.status = 200;
        if (r.path == "/api/v3/time")
            out.body = fmt::format(R"({{"serverTime":{}}})", kNow);
        else if (r.path == "/api/v3/exchangeInfo")
            out.body = R"({"symbols":[{"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC",)"
                       R"("quoteAsset":"USDT","filters":)" + filters_ + "}]}";
        else if (r.path == "/api/v3/account")
            out.body = R"({"canTrade":true,"balances":[]})";
        return out;
    }
    const BaseUrl& base_url() const override { return base_; }

  private:
    std::string filters_;
    BaseUrl base_;
};

std::string connect_error(const std::string& filters) {
    SimulatedClock clock(kNow);
    BinanceSpotOptions o;
    o.base_url = "http://127.0.0.1:1";
    BinanceSpotClient c(std::make_unique<FixedInfoHttp>(filters), o, {"k", "s", "t"},
                        {InstrumentRegistry().get("BTC/USDT")}, clock, [](TimeMs) {});
    try {
        c.connect();
    } catch (const SystemError& e) {
        return e.what();
    }
    return "";
}

} // namespace

// Issue 17 item 1: a malformed exchangeInfo filter is an error naming it, never a silent 0 that
// would switch the rule off. Values from the documented examples (filters.md).
TEST(BinanceSpotClient, a_malformed_or_missing_filter_field_is_an_error_naming_it) {
    const std::string price = R"({"filterType":"PRICE_FILTER","minPrice":"0.00000100","maxPrice":"100000.00000000","tickSize":"0.00000100"})";
    const std::string lot = R"({"filterType":"LOT_SIZE","minQty":"0.00100000","maxQty":"100000.00000000","stepSize":"0.00100000"})";
    EXPECT_EQ(connect_error("[" + price + "," + lot + "]"), "") << "the documented examples load";
    std::string bad = lot;
    bad.replace(bad.find("0.00100000\"}"), 10, "0.001O0000");
    auto err = connect_error("[" + price + "," + bad + "]");
    EXPECT_NE(err.find("BTCUSDT LOT_SIZE stepSize is not a number >= 0: \"0.001O0000\""),
              std::string::npos)
        << err;
    err = connect_error(R"([{"filterType":"PRICE_FILTER","minPrice":"0.01","maxPrice":"1000"}])");
    EXPECT_NE(err.find("BTCUSDT PRICE_FILTER tickSize is missing"), std::string::npos) << err;
    err = connect_error(R"([{"filterType":"NOTIONAL","minNotional":"-5","maxNotional":"9000000","applyMinToMarket":true}])");
    EXPECT_NE(err.find("BTCUSDT NOTIONAL minNotional is not a number >= 0"), std::string::npos)
        << err;
}
