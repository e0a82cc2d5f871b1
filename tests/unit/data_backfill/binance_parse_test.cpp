// Pure parts of the Binance client: symbols, intervals, base URLs, backoff, kline parsing.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "data/binance_market_data.hpp"
#include "data/http_client.hpp"

namespace aurum {
namespace {

TEST(BinanceSymbol, converts_user_spellings_to_exchange_symbols) {
    EXPECT_EQ(to_binance_symbol("BTC/USDT"), "BTCUSDT");
    EXPECT_EQ(to_binance_symbol("btcusdt"), "BTCUSDT");
    EXPECT_EQ(to_binance_symbol("eth-btc"), "ETHBTC");
    EXPECT_EQ(to_binance_symbol("1000SATS/USDT"), "1000SATSUSDT");
    EXPECT_EQ(from_binance_symbol("BTCUSDT"), "BTC/USDT");
    EXPECT_EQ(from_binance_symbol("ETHBTC"), "ETH/BTC");
    // Round trip for the pairs we trade.
    for (const char* s : {"BTC/USDT", "ETH/USDT", "SOL/USDC", "ETH/BTC"})
        EXPECT_EQ(from_binance_symbol(to_binance_symbol(s)), s);
}

TEST(BinanceSymbol, rejects_what_cannot_be_an_exchange_symbol) {
    for (const char* bad : {"", "BTC/", "/USDT", "BTC/USDT/X", "BTC$USDT", "BTC USDT", "B",
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}) {
        try {
            to_binance_symbol(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const InputError& e) {
            EXPECT_NE(std::string(e.what()).find(std::string("symbol '") + bad + "'"),
                      std::string::npos)
                << e.what();
        }
    }
}

TEST(BinanceInterval, maps_timeframes_and_rejects_the_rest) {
    EXPECT_EQ(binance_interval(Timeframe(kMsPerMinute)), "1m");
    EXPECT_EQ(binance_interval(Timeframe(kMsPerHour)), "1h");
    EXPECT_EQ(binance_interval(Timeframe(4 * kMsPerHour)), "4h");
    EXPECT_EQ(binance_interval(Timeframe(kMsPerDay)), "1d");
    EXPECT_EQ(binance_interval(Timeframe(kMsPerWeek)), "1w");
    try {
        binance_interval(Timeframe(10 * kMsPerMinute));
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("'10m'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("supported: 1m, 3m"), std::string::npos) << e.what();
    }
}

TEST(BaseUrl, parses_scheme_host_port_and_prefix) {
    const BaseUrl a = BaseUrl::parse("http://127.0.0.1:8080");
    EXPECT_EQ(a.scheme, "http");
    EXPECT_EQ(a.host, "127.0.0.1");
    EXPECT_EQ(a.port, 8080);
    EXPECT_EQ(a.prefix, "");
    EXPECT_EQ(a.to_string(), "http://127.0.0.1:8080");
    const BaseUrl b = BaseUrl::parse("https://localhost/");
    EXPECT_EQ(b.port, 443);
    EXPECT_EQ(b.origin(), "https://localhost:443");
    const BaseUrl c = BaseUrl::parse("HTTP://localhost:9000/proxy/binance/");
    EXPECT_EQ(c.scheme, "http");
    EXPECT_EQ(c.prefix, "/proxy/binance");
}

TEST(BaseUrl, rejects_malformed_urls_naming_the_value) {
    for (const char* bad :
         {"127.0.0.1:8080", "ftp://127.0.0.1", "http://", "http://:80", "http://127.0.0.1:0",
          "http://127.0.0.1:99999", "http://127.0.0.1:x1", "http://u:p@127.0.0.1",
          "http://127.0.0.1/x?y=1", "http://127.0.0.1 st"}) {
        try {
            BaseUrl::parse(bad);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const InputError& e) {
            EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos)
                << e.what();
        }
    }
}

TEST(HttpRequest, encodes_the_query_in_order) {
    HttpRequest r;
    r.path = "/api/v3/klines";
    r.query = {{"symbol", "BTCUSDT"}, {"interval", "1h"}, {"note", "a b&c"}};
    EXPECT_EQ(r.target(), "/api/v3/klines?symbol=BTCUSDT&interval=1h&note=a%20b%26c");
}

TEST(RetryPolicy, backs_off_exponentially_up_to_the_cap) {
    RetryPolicy p;
    p.initial_backoff_ms = 500;
    p.max_backoff_ms = 4000;
    EXPECT_EQ(p.backoff(1), 500);
    EXPECT_EQ(p.backoff(2), 1000);
    EXPECT_EQ(p.backoff(3), 2000);
    EXPECT_EQ(p.backoff(4), 4000);
    EXPECT_EQ(p.backoff(5), 4000);
    EXPECT_EQ(p.backoff(60), 4000); // no overflow for large retry numbers
    for (int i = 1; i < 30; ++i)
        EXPECT_LE(p.backoff(i), p.backoff(i + 1));
}

TEST(BodyExcerpt, escapes_control_characters_and_truncates) {
    EXPECT_EQ(body_excerpt(""), "<empty>");
    EXPECT_EQ(body_excerpt("a\nb\x01"), "a\\nb\\x01");
    const std::string long_body(500, 'x');
    const std::string e = body_excerpt(long_body, 10);
    EXPECT_EQ(e.substr(0, 10), "xxxxxxxxxx");
    EXPECT_NE(e.find("500 bytes"), std::string::npos);
}

// --- parse_klines ---------------------------------------------------------------------------

constexpr TimeMs kT0 = 1700000000000 - 1700000000000 % kMsPerHour; // an hour boundary
const Timeframe kH1(kMsPerHour);

std::string kline(TimeMs open, const char* o, const char* h, const char* l, const char* c,
                  const char* v = "1.5", std::optional<TimeMs> close = std::nullopt) {
    return "[" + std::to_string(open) + ",\"" + o + "\",\"" + h + "\",\"" + l + "\",\"" + c +
           "\",\"" + v + "\"," + std::to_string(close.value_or(open + kMsPerHour - 1)) +
           ",\"100.0\",42,\"0.7\",\"50.0\",\"0\"]";
}

KlinePage parse(const std::string& body, TimeMs now = kT0 + 100 * kMsPerHour) {
    return parse_klines(body, "BTC/USDT", kH1, now, TimeRange{kT0, kT0 + 50 * kMsPerHour},
                        "GET http://127.0.0.1:1/api/v3/klines?symbol=BTCUSDT");
}

std::string parse_error(const std::string& body) {
    try {
        parse(body);
    } catch (const SystemError& e) {
        return e.what();
    }
    return "(accepted)";
}

TEST(ParseKlines, reads_the_documented_layout) {
    const std::string body = "[" + kline(kT0, "100.5", "101", "99.25", "100", "12.5") + "," +
                             kline(kT0 + kMsPerHour, "100", "102", "100", "101.75", "0") + "]";
    const KlinePage p = parse(body);
    ASSERT_EQ(p.bars.size(), 2u);
    EXPECT_EQ(p.received, 2u);
    EXPECT_EQ(p.dropped_open, 0u);
    EXPECT_EQ(p.bars.symbol, "BTC/USDT");
    EXPECT_EQ(p.bars.timeframe, kH1);
    EXPECT_EQ(p.bars.time[0], kT0);
    EXPECT_DOUBLE_EQ(p.bars.open[0], 100.5);
    EXPECT_DOUBLE_EQ(p.bars.high[0], 101);
    EXPECT_DOUBLE_EQ(p.bars.low[0], 99.25);
    EXPECT_DOUBLE_EQ(p.bars.close[0], 100);
    EXPECT_DOUBLE_EQ(p.bars.volume[0], 12.5);
    EXPECT_DOUBLE_EQ(p.bars.close[1], 101.75);
    EXPECT_EQ(*p.last_open, kT0 + kMsPerHour);
    EXPECT_TRUE(parse("[]").bars.empty());
}

TEST(ParseKlines, accepts_microsecond_timestamps) {
    const std::string body =
        "[[" + std::to_string(kT0 * 1000) + ",\"1\",\"2\",\"0.5\",\"1.5\",\"3\"," +
        std::to_string((kT0 + kMsPerHour) * 1000 - 1) + ",\"0\",1,\"0\",\"0\",\"0\"]]";
    const KlinePage p = parse(body);
    ASSERT_EQ(p.bars.size(), 1u);
    EXPECT_EQ(p.bars.time[0], kT0);
}

TEST(ParseKlines, drops_the_candle_still_open_at_now) {
    const std::string body = "[" + kline(kT0, "1", "2", "1", "2") + "," +
                             kline(kT0 + kMsPerHour, "2", "3", "2", "3") + "]";
    // now inside the second candle: its close time (kT0 + 2h - 1) is >= now.
    const KlinePage open = parse(body, kT0 + kMsPerHour + 30 * kMsPerMinute);
    ASSERT_EQ(open.bars.size(), 1u);
    EXPECT_EQ(open.bars.time[0], kT0);
    EXPECT_EQ(open.dropped_open, 1u);
    EXPECT_EQ(open.received, 2u);
    // Exactly at the close time it is still open; one millisecond later it is closed.
    EXPECT_EQ(parse(body, kT0 + 2 * kMsPerHour - 1).bars.size(), 1u);
    EXPECT_EQ(parse(body, kT0 + 2 * kMsPerHour).bars.size(), 2u);
}

TEST(ParseKlines, rejects_malformed_json_naming_the_request) {
    const std::string e = parse_error("[[1700000000000,\"0.0163\",");
    EXPECT_NE(e.find("malformed JSON"), std::string::npos) << e;
    EXPECT_NE(e.find("GET http://127.0.0.1:1/api/v3/klines?symbol=BTCUSDT"), std::string::npos)
        << e;
    EXPECT_NE(e.find("body: [[1700000000000"), std::string::npos) << e;
    EXPECT_NE(parse_error("<html>502 Bad Gateway</html>").find("malformed JSON"),
              std::string::npos);
    EXPECT_NE(parse_error("").find("malformed JSON"), std::string::npos);
    // Found by fuzz_binance_klines: a number too large for a double is a JSON error too.
    EXPECT_NE(parse_error("[[1700000000000,\"1\",\"1\",\"1\",\"1\",\"1\",1e9999]]")
                  .find("malformed JSON"),
              std::string::npos);
}

TEST(ParseKlines, rejects_wrong_shapes) {
    EXPECT_NE(parse_error(R"({"code":0})").find("expected a JSON array of klines"),
              std::string::npos);
    EXPECT_NE(parse_error("[1,2,3]").find("expected an array of 12 fields"), std::string::npos);
    EXPECT_NE(parse_error("[[1700000000000,\"1\"]]").find("expected an array of 12 fields"),
              std::string::npos);
    EXPECT_NE(parse_error("[[\"x\",\"1\",\"1\",\"1\",\"1\",\"1\",1]]")
                  .find("open time must be an integer"),
              std::string::npos);
    EXPECT_NE(parse_error("[" + kline(kT0, "1", "abc", "1", "1") + "]")
                  .find("high is not a number: \"abc\""),
              std::string::npos);
    EXPECT_NE(parse_error("[" + kline(kT0, "1", "1.5x", "1", "1") + "]").find("not a number"),
              std::string::npos);
}

TEST(ParseKlines, rejects_inconsistent_prices) {
    const auto err = [&](const char* o, const char* h, const char* l, const char* c,
                         const char* v = "1") {
        return parse_error("[" + kline(kT0, o, h, l, c, v) + "]");
    };
    EXPECT_NE(err("1", "1", "2", "1").find("high 1 < low 2"), std::string::npos)
        << err("1", "1", "2", "1");
    EXPECT_NE(err("3", "2", "1", "1.5").find("outside [low"), std::string::npos);
    EXPECT_NE(err("1", "2", "1.5", "1.6").find("outside [low"), std::string::npos);
    EXPECT_NE(err("0", "2", "0", "1").find("positive"), std::string::npos);
    EXPECT_NE(err("-1", "2", "-2", "1").find("positive"), std::string::npos);
    EXPECT_NE(err("1", "2", "1", "1", "-3").find("negative volume"), std::string::npos);
    EXPECT_NE(err("1", "inf", "1", "1").find("not finite"), std::string::npos);
    EXPECT_NE(err("1", "2", "1", "nan").find("not finite"), std::string::npos);
    const std::string e = err("1", "1", "2", "1");
    EXPECT_NE(e.find("invalid kline #1"), std::string::npos) << e;
    EXPECT_NE(e.find("open time 2023-11-14 22:00:00"), std::string::npos) << e;
}

TEST(ParseKlines, rejects_duplicates_disorder_range_and_interval_mismatch) {
    const std::string a = kline(kT0, "1", "2", "1", "2");
    const std::string b = kline(kT0 + kMsPerHour, "1", "2", "1", "2");
    EXPECT_NE(parse_error("[" + a + "," + a + "]").find("duplicate or out of order"),
              std::string::npos);
    EXPECT_NE(parse_error("[" + b + "," + a + "]").find("duplicate or out of order"),
              std::string::npos);
    EXPECT_NE(parse_error("[" + kline(kT0 - kMsPerHour, "1", "2", "1", "2") + "]")
                  .find("outside the requested range"),
              std::string::npos);
    EXPECT_NE(parse_error("[" + kline(kT0 + 50 * kMsPerHour, "1", "2", "1", "2") + "]")
                  .find("outside the requested range"),
              std::string::npos);
    // A 4h kline (close time 4h later) answered to a 1h request.
    EXPECT_NE(parse_error("[" + kline(kT0, "1", "2", "1", "2", "1", kT0 + 4 * kMsPerHour - 1) + "]")
                  .find("does not match a 1h interval"),
              std::string::npos);
}

} // namespace
} // namespace aurum
