// BinanceMarketDataClient + backfill_klines against the fake Binance server on 127.0.0.1.
// Clock and sleeper are simulated: retries, Retry-After and weight waits advance the clock
// instead of sleeping, so every fault path runs in milliseconds.
#include <gtest/gtest.h>

#include <set>

#include "core/error.hpp"
#include "data/binance_backfill.hpp"
#include "support/fake_binance.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

using test::FakeBinance;
using test::FakeResponse;
using test::RecordingSleeper;

const Timeframe kH1(kMsPerHour);
const std::string kKlines = "/api/v3/klines";

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(no error)";
}

class BinanceBackfill : public ::testing::Test {
  protected:
    // Now is half past midnight: the 00:00 candle is still open.
    SimulatedClock clock{make_time(2024, 3, 1, 0, 30)};
    FakeBinance fake{clock};
    RecordingSleeper sleeper{&clock};
    test::TempDir dir;
    std::unique_ptr<MarketStore> store = open_market_store((dir / "aurum.db").string());

    BinanceBackfill() { fake.add_symbol("BTCUSDT", make_time(2023, 1, 1)); }

    BinanceOptions options() {
        BinanceOptions o;
        o.base_url = fake.base_url();
        o.connect_timeout_ms = 2000;
        o.read_timeout_ms = 5000;
        o.retry.max_retries = 3;
        o.retry.initial_backoff_ms = 500;
        o.retry.max_backoff_ms = 4000;
        return o;
    }
    BinanceMarketDataClient client(BinanceOptions o) {
        return BinanceMarketDataClient(o, clock, sleeper);
    }

    BackfillReport run(BinanceMarketDataClient& c, TimeMs from) {
        BackfillRequest r;
        r.symbol = "BTC/USDT";
        r.timeframe = kH1;
        r.from = from;
        return backfill_klines(c, *store, r);
    }

    /// Every stored bar equals what the fake served; open times are exactly `expected`.
    void expect_store_matches(const std::vector<TimeMs>& expected) {
        const BarSeries s = store->load_bars("BTC/USDT", kH1);
        ASSERT_EQ(s.size(), expected.size());
        for (std::size_t i = 0; i < s.size(); ++i) {
            ASSERT_EQ(s.time[i], expected[i]) << "bar " << i;
            const Bar want = fake.generated_bar("BTCUSDT", kH1, expected[i]);
            ASSERT_EQ(s.open[i], want.open) << i;
            ASSERT_EQ(s.high[i], want.high) << i;
            ASSERT_EQ(s.low[i], want.low) << i;
            ASSERT_EQ(s.close[i], want.close) << i;
            ASSERT_EQ(s.volume[i], want.volume) << i;
        }
    }
};

TEST_F(BinanceBackfill, paginates_across_pages_without_duplicates_or_gaps) {
    auto c = client(options());
    const TimeMs from = make_time(2023, 9, 1);
    const TimeMs now = clock.now();
    const BackfillReport rep = run(c, from);

    // 2023-09-01 .. 2024-03-01 00:00 is 182 days = 4368 closed hourly bars, + the open 00:00
    // candle.
    const std::vector<TimeMs> expected = fake.served_open_times("BTCUSDT", kH1, from, now);
    ASSERT_EQ(expected.size(), 4368u);
    EXPECT_EQ(rep.pages, 5);
    EXPECT_EQ(rep.bars_received, 4369);
    EXPECT_EQ(rep.dropped_open, 1);
    EXPECT_EQ(rep.bars_stored, 4368);
    EXPECT_EQ(rep.inserted, 4368);
    EXPECT_EQ(rep.updated, 0);
    EXPECT_EQ(*rep.first_bar, from);
    EXPECT_EQ(*rep.last_bar, make_time(2024, 2, 29, 23));
    EXPECT_FALSE(rep.resumed_after);
    EXPECT_EQ(rep.exchange_symbol, "BTCUSDT");
    expect_store_matches(expected);

    // Each page starts right after the previous one; limit is the documented maximum.
    const auto reqs = fake.requests();
    ASSERT_EQ(reqs.size(), 5u);
    for (std::size_t i = 0; i < reqs.size(); ++i) {
        EXPECT_EQ(reqs[i].param("symbol"), "BTCUSDT");
        EXPECT_EQ(reqs[i].param("interval"), "1h");
        EXPECT_EQ(reqs[i].param("limit"), "1000");
        EXPECT_EQ(reqs[i].param("startTime"),
                  std::to_string(from + static_cast<TimeMs>(i) * 1000 * kMsPerHour));
        EXPECT_EQ(reqs[i].param("endTime"), std::to_string(now - 1));
    }
    EXPECT_EQ(rep.requests.requests, 5);
    EXPECT_EQ(rep.requests.retries, 0);
    EXPECT_TRUE(sleeper.waits->empty());
    EXPECT_EQ(rep.requests.used_weight, 10); // 5 requests of weight 2, as the header reported
}

TEST_F(BinanceBackfill, continues_across_an_exchange_outage) {
    fake.add_gap("BTCUSDT", make_time(2024, 1, 10), make_time(2024, 1, 12, 7));
    auto c = client(options());
    const TimeMs from = make_time(2023, 12, 1);
    run(c, from);
    const auto expected = fake.served_open_times("BTCUSDT", kH1, from, clock.now());
    EXPECT_EQ(expected.size(), 91u * 24 - (2 * 24 + 7));
    expect_store_matches(expected);
}

TEST_F(BinanceBackfill, resume_fetches_only_new_bars) {
    const TimeMs from = make_time(2024, 1, 1);
    {
        auto c = client(options());
        EXPECT_EQ(run(c, from).bars_stored, 60 * 24);
    }
    const int before = fake.request_count(kKlines);
    clock.advance(10 * kMsPerHour); // 10:30: ten more closed bars
    auto c = client(options());
    const BackfillReport rep = run(c, from);
    EXPECT_EQ(*rep.resumed_after, make_time(2024, 2, 29, 23));
    EXPECT_EQ(rep.fetch_from, make_time(2024, 3, 1, 0));
    EXPECT_EQ(rep.pages, 1);
    EXPECT_EQ(rep.inserted, 10);
    EXPECT_EQ(rep.updated, 0);
    EXPECT_EQ(rep.dropped_open, 1);
    EXPECT_EQ(fake.request_count(kKlines), before + 1);
    EXPECT_EQ(fake.requests().back().param("startTime"), std::to_string(make_time(2024, 3, 1)));
    expect_store_matches(fake.served_open_times("BTCUSDT", kH1, from, clock.now()));

    // Nothing new: one request, nothing written.
    auto again = client(options());
    const BackfillReport none = run(again, from);
    EXPECT_EQ(none.bars_stored, 0);
    EXPECT_EQ(none.pages, 1);
}

TEST_F(BinanceBackfill, extends_history_backwards_when_the_store_starts_later) {
    auto c = client(options());
    run(c, make_time(2024, 2, 1));
    const int before = fake.request_count(kKlines);
    // Asking for an earlier start must not skip January just because February is stored, and
    // must not download February again either.
    const BackfillReport rep = run(c, make_time(2024, 1, 1));
    EXPECT_EQ(*rep.resumed_after, make_time(2024, 2, 29, 23));
    EXPECT_EQ(rep.fetch_from, make_time(2024, 1, 1));
    EXPECT_EQ(rep.pages, 2); // January (one short page), then the tail after the newest bar
    EXPECT_EQ(rep.inserted, 31 * 24);
    EXPECT_EQ(rep.updated, 0);
    const auto reqs = fake.requests();
    ASSERT_EQ(static_cast<int>(reqs.size()), before + 2);
    EXPECT_EQ(reqs[before].param("endTime"), std::to_string(make_time(2024, 2, 1) - 1));
    EXPECT_EQ(reqs[before + 1].param("startTime"), std::to_string(make_time(2024, 3, 1)));
    expect_store_matches(
        fake.served_open_times("BTCUSDT", kH1, make_time(2024, 1, 1), clock.now()));
}

TEST_F(BinanceBackfill, a_window_reaching_before_the_listing_resumes_cheaply) {
    // Listed 2023-01-01; ask for two years. The rerun sees stored bars starting long after the
    // window start and spends one empty request on the pre-listing head, not a full refetch.
    auto c = client(options());
    const TimeMs from = make_time(2022, 3, 1);
    const BackfillReport first = run(c, from);
    EXPECT_EQ(*first.first_bar, make_time(2023, 1, 1));
    clock.advance(2 * kMsPerHour);
    const int before = fake.request_count(kKlines);
    const BackfillReport again = run(c, from);
    EXPECT_EQ(fake.request_count(kKlines), before + 2);
    EXPECT_EQ(again.inserted, 2);
    EXPECT_EQ(again.updated, 0);
    expect_store_matches(fake.served_open_times("BTCUSDT", kH1, from, clock.now()));
}

TEST_F(BinanceBackfill, never_stores_the_open_candle) {
    auto c = client(options());
    const BackfillReport rep = run(c, make_time(2024, 2, 29));
    EXPECT_EQ(rep.dropped_open, 1);
    EXPECT_EQ(store->last_bar_time("BTC/USDT", kH1), make_time(2024, 2, 29, 23));
    // The fake did serve the 00:00 candle (still forming).
    clock.set(make_time(2024, 3, 1, 1, 0)); // now it has closed: the next run stores it
    const BackfillReport next = run(c, make_time(2024, 2, 29));
    EXPECT_EQ(next.inserted, 1);
    EXPECT_EQ(store->last_bar_time("BTC/USDT", kH1), make_time(2024, 3, 1, 0));
}

TEST_F(BinanceBackfill, honours_retry_after_on_429) {
    fake.inject(kKlines, FakeResponse::rate_limited(7), 1, /*after=*/1);
    auto c = client(options());
    const TimeMs from = make_time(2023, 11, 1);
    const BackfillReport rep = run(c, from);
    EXPECT_EQ(rep.requests.rate_limit_waits, 1);
    EXPECT_EQ(rep.requests.retries, 0);
    ASSERT_EQ(sleeper.waits->size(), 1u);
    EXPECT_EQ(sleeper.waits->at(0), 7000);
    EXPECT_EQ(rep.requests.waited_ms, 7000);
    EXPECT_EQ(fake.request_count(kKlines), 3 + 1);
    expect_store_matches(
        fake.served_open_times("BTCUSDT", kH1, from, make_time(2024, 3, 1, 0, 30)));
}

TEST_F(BinanceBackfill, waits_out_a_short_418_ban_but_reports_a_long_one) {
    {
        fake.inject(kKlines, FakeResponse::banned(120));
        auto c = client(options());
        const BackfillReport rep = run(c, make_time(2024, 2, 1));
        EXPECT_EQ(rep.requests.rate_limit_waits, 1);
        EXPECT_EQ(sleeper.waits->at(0), 120000);
        EXPECT_EQ(rep.inserted, 29 * 24);
    }
    fake.inject(kKlines, FakeResponse::banned(3 * 24 * 3600));
    auto c = client(options());
    const std::string e = error_of([&] { run(c, make_time(2024, 1, 1)); });
    EXPECT_NE(e.find("IP banned (HTTP 418)"), std::string::npos) << e;
    EXPECT_NE(e.find("Retry-After is 259200 s"), std::string::npos) << e;
    EXPECT_EQ(c.stats().rate_limit_waits, 0);
}

TEST_F(BinanceBackfill, gives_up_after_repeated_429s) {
    BinanceOptions o = options();
    o.max_rate_limit_retries = 2;
    fake.inject(kKlines, FakeResponse::rate_limited(1), 10);
    auto c = client(o);
    const std::string e = error_of([&] { run(c, make_time(2024, 2, 1)); });
    EXPECT_NE(e.find("still rate limited (HTTP 429) after 2 waits"), std::string::npos) << e;
    EXPECT_EQ(fake.request_count(kKlines), 3);
    EXPECT_EQ(store->load_bars("BTC/USDT", kH1).size(), 0u);
}

TEST_F(BinanceBackfill, retries_5xx_with_capped_exponential_backoff) {
    fake.inject(kKlines, FakeResponse::server_error(503), 3, /*after=*/1);
    auto c = client(options());
    const TimeMs from = make_time(2023, 11, 1);
    const BackfillReport rep = run(c, from);
    EXPECT_EQ(rep.requests.retries, 3);
    EXPECT_EQ(*sleeper.waits, (std::vector<long long>{500, 1000, 2000}));
    expect_store_matches(
        fake.served_open_times("BTCUSDT", kH1, from, make_time(2024, 3, 1, 0, 30)));
}

TEST_F(BinanceBackfill, persistent_5xx_fails_clearly_keeps_whole_pages_and_resumes) {
    const TimeMs from = make_time(2023, 9, 1);
    // Page 1 succeeds, then every attempt at page 2 fails (first try + 3 retries).
    fake.inject(kKlines, FakeResponse::server_error(500), 4, /*after=*/1);
    {
        auto c = client(options());
        const std::string e = error_of([&] { run(c, from); });
        EXPECT_NE(e.find("failed after 4 attempts"), std::string::npos) << e;
        EXPECT_NE(e.find("HTTP 500"), std::string::npos) << e;
        EXPECT_NE(e.find("/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime=" +
                         std::to_string(from + 1000 * kMsPerHour)),
                  std::string::npos)
            << e;
        EXPECT_EQ(*sleeper.waits, (std::vector<long long>{500, 1000, 2000}));
    }
    // Exactly the first page is stored: no part of the failed one.
    const BarSeries kept = store->load_bars("BTC/USDT", kH1);
    ASSERT_EQ(kept.size(), 1000u);
    EXPECT_EQ(kept.time.back(), from + 999 * kMsPerHour);

    // A rerun resumes after the committed page and completes the range.
    auto c = client(options());
    const BackfillReport rep = run(c, from);
    EXPECT_EQ(*rep.resumed_after, from + 999 * kMsPerHour);
    EXPECT_EQ(rep.pages, 4);
    EXPECT_EQ(rep.inserted, 4368 - 1000);
    expect_store_matches(fake.served_open_times("BTCUSDT", kH1, from, clock.now()));
}

TEST_F(BinanceBackfill, rejects_a_malformed_response_without_retrying_or_writing_it) {
    const TimeMs from = make_time(2023, 9, 1);
    fake.inject(kKlines, FakeResponse::malformed(), 1, /*after=*/2);
    auto c = client(options());
    const std::string e = error_of([&] { run(c, from); });
    EXPECT_NE(e.find("malformed JSON in response to GET " + fake.base_url() +
                     "/api/v3/klines?symbol=BTCUSDT"),
              std::string::npos)
        << e;
    EXPECT_EQ(fake.request_count(kKlines), 3);
    EXPECT_EQ(store->load_bars("BTC/USDT", kH1).size(), 2000u);
}

TEST_F(BinanceBackfill, rejects_a_page_with_an_invalid_bar_entirely) {
    // Valid JSON, but the second kline has high < low: the whole page is refused.
    const TimeMs t = make_time(2024, 2, 1);
    const std::string body = "[[" + std::to_string(t) + R"(,"10","11","9","10","1",)" +
                             std::to_string(t + kMsPerHour - 1) + R"(,"0",1,"0","0","0"],[)" +
                             std::to_string(t + kMsPerHour) + R"(,"10","9","11","10","1",)" +
                             std::to_string(t + 2 * kMsPerHour - 1) + R"(,"0",1,"0","0","0"]])";
    fake.inject(kKlines, FakeResponse::json(200, body));
    auto c = client(options());
    const std::string e = error_of([&] { run(c, t); });
    EXPECT_NE(e.find("invalid kline #2"), std::string::npos) << e;
    EXPECT_NE(e.find("high 9 < low 11"), std::string::npos) << e;
    EXPECT_EQ(store->load_bars("BTC/USDT", kH1).size(), 0u);
}

TEST_F(BinanceBackfill, retries_a_response_slower_than_the_read_timeout) {
    BinanceOptions o = options();
    o.read_timeout_ms = 250;
    fake.inject(kKlines, FakeResponse::slow(2000), 1, /*after=*/1);
    auto c = client(o);
    const TimeMs from = make_time(2023, 11, 1);
    const BackfillReport rep = run(c, from);
    EXPECT_EQ(rep.requests.retries, 1);
    EXPECT_EQ(*sleeper.waits, (std::vector<long long>{500}));
    expect_store_matches(
        fake.served_open_times("BTCUSDT", kH1, from, make_time(2024, 3, 1, 0, 30)));
}

TEST_F(BinanceBackfill, timeouts_that_persist_fail_clearly) {
    BinanceOptions o = options();
    o.read_timeout_ms = 150;
    o.retry.max_retries = 1;
    fake.inject(kKlines, FakeResponse::slow(1500), 2);
    auto c = client(o);
    const std::string e = error_of([&] { run(c, make_time(2024, 2, 1)); });
    EXPECT_NE(e.find("failed after 2 attempts"), std::string::npos) << e;
    EXPECT_NE(e.find("no response within 150 ms"), std::string::npos) << e;
}

TEST_F(BinanceBackfill, throttles_before_passing_the_weight_budget) {
    // Budget: 90% of 6000 = 5400. Start the minute at 5396: two requests fit, the third waits
    // for the next minute window instead of running into the limit.
    fake.set_used_weight(5396);
    auto c = client(options());
    const TimeMs from = make_time(2023, 9, 1);
    const TimeMs start = clock.now();
    const BackfillReport rep = run(c, from);
    EXPECT_EQ(rep.requests.weight_waits, 1);
    ASSERT_EQ(sleeper.waits->size(), 1u);
    // now is 00:30:00.000; the window ends at 00:31:00, plus a one second margin.
    EXPECT_EQ(sleeper.waits->at(0), 61000);
    EXPECT_EQ(rep.requests.rate_limit_waits, 0);
    EXPECT_EQ(fake.weight_limit_hits(), 0);
    EXPECT_EQ(fake.request_count(kKlines), 5);
    EXPECT_EQ(rep.requests.used_weight, 6); // three requests in the new minute
    expect_store_matches(fake.served_open_times("BTCUSDT", kH1, from, start));
}

TEST_F(BinanceBackfill, a_server_limit_below_the_budget_is_handled_by_429) {
    // The server counts weight the client cannot see (another process on the same IP): it
    // answers 429 with Retry-After to the next minute and the client waits exactly that.
    fake.set_weight_limit(100);
    fake.set_used_weight(99);
    auto c = client(options());
    const TimeMs from = make_time(2023, 12, 1);
    const BackfillReport rep = run(c, from);
    EXPECT_EQ(fake.weight_limit_hits(), 1);
    EXPECT_EQ(rep.requests.rate_limit_waits, 1);
    EXPECT_EQ(sleeper.waits->at(0), 60000); // 00:30:00 -> next minute
    expect_store_matches(
        fake.served_open_times("BTCUSDT", kH1, from, make_time(2024, 3, 1, 0, 30)));
}

TEST_F(BinanceBackfill, unknown_symbol_is_an_input_error) {
    auto c = client(options());
    BackfillRequest r;
    r.symbol = "FOO/USDT";
    r.timeframe = kH1;
    r.from = make_time(2024, 2, 1);
    try {
        backfill_klines(c, *store, r);
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(
            std::string(e.what()).find("unknown symbol 'FOO/USDT' on binance (sent as FOOUSDT)"),
            std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("Invalid symbol."), std::string::npos) << e.what();
    }
    EXPECT_EQ(fake.request_count(kKlines), 1);
    EXPECT_TRUE(store->list_series().empty());
}

TEST_F(BinanceBackfill, unsupported_timeframe_fails_before_any_request) {
    auto c = client(options());
    BackfillRequest r;
    r.symbol = "BTC/USDT";
    r.timeframe = Timeframe(10 * kMsPerMinute);
    r.from = make_time(2024, 2, 1);
    EXPECT_THROW(backfill_klines(c, *store, r), InputError);
    r.timeframe = kH1;
    r.from = clock.now() + kMsPerHour;
    EXPECT_THROW(backfill_klines(c, *store, r), InputError); // empty window
    EXPECT_EQ(fake.request_count(), 0);
}

TEST_F(BinanceBackfill, refused_connection_fails_at_once_naming_the_url) {
    std::string url;
    {
        SimulatedClock other;
        FakeBinance closed(other);
        url = closed.base_url();
    } // stopped: nothing listens on that port now
    BinanceOptions o = options();
    o.base_url = url;
    auto c = client(o);
    const std::string e = error_of([&] { run(c, make_time(2024, 2, 1)); });
    EXPECT_NE(e.find("cannot connect to " + url), std::string::npos) << e;
    EXPECT_NE(e.find("--base-url"), std::string::npos) << e;
    EXPECT_TRUE(sleeper.waits->empty());
}

TEST_F(BinanceBackfill, microsecond_timestamps_give_the_same_bars) {
    BinanceOptions o = options();
    o.microsecond_timestamps = true;
    auto c = client(o);
    const TimeMs from = make_time(2024, 1, 1);
    run(c, from);
    EXPECT_EQ(fake.requests().front().header("X-MBX-TIME-UNIT"), "MICROSECOND");
    expect_store_matches(fake.served_open_times("BTCUSDT", kH1, from, clock.now()));
}

TEST_F(BinanceBackfill, ping_and_server_time) {
    auto c = client(options());
    EXPECT_NO_THROW(c.ping());
    EXPECT_EQ(c.server_time(), clock.now());
    EXPECT_EQ(fake.request_count("/api/v3/ping"), 1);
    fake.inject("/api/v3/time", FakeResponse::json(200, "{\"serverTime\":\"soon\"}"));
    const std::string e = error_of([&] { c.server_time(); });
    EXPECT_NE(e.find("malformed response to GET"), std::string::npos) << e;
}

TEST_F(BinanceBackfill, other_binance_errors_name_code_and_message) {
    fake.inject(kKlines,
                FakeResponse::error(400, -1100, "Illegal characters found in parameter 'symbol'."));
    auto c = client(options());
    const std::string e = error_of([&] { run(c, make_time(2024, 2, 1)); });
    EXPECT_NE(e.find("HTTP 400, code -1100"), std::string::npos) << e;
    EXPECT_NE(e.find("Illegal characters"), std::string::npos) << e;
    fake.inject(kKlines, FakeResponse::json(403, "<html>Forbidden</html>"));
    const std::string f = error_of([&] { run(c, make_time(2024, 2, 1)); });
    EXPECT_NE(f.find("unexpected HTTP 403"), std::string::npos) << f;
    EXPECT_NE(f.find("<html>Forbidden</html>"), std::string::npos) << f;
}

TEST_F(BinanceBackfill, real_binance_candles_round_trip_through_the_fake) {
    AURUM_REQUIRE_SHARED_DATA(csv, "crypto/binance/BTCUSDT_4h.csv");
    const Timeframe h4(4 * kMsPerHour);
    const BarSeries recorded = test::load_ohlcv_csv(csv, "BTC/USDT", h4);
    ASSERT_EQ(recorded.size(), 18371u);
    fake.add_recorded("BTCUSDT", recorded);
    clock.set(make_time(2026, 2, 1));
    auto c = client(options());
    BackfillRequest r;
    r.symbol = "BTC/USDT";
    r.timeframe = h4;
    r.from = make_time(2017, 1, 1); // before the listing: Binance starts at the first candle
    const BackfillReport rep = backfill_klines(c, *store, r);
    EXPECT_EQ(rep.pages, 19);
    EXPECT_EQ(rep.bars_stored, 18371);
    const BarSeries got = store->load_bars("BTC/USDT", h4);
    ASSERT_EQ(got.size(), recorded.size());
    EXPECT_EQ(got.time, recorded.time);
    EXPECT_EQ(got.open, recorded.open);
    EXPECT_EQ(got.high, recorded.high);
    EXPECT_EQ(got.low, recorded.low);
    EXPECT_EQ(got.close, recorded.close);
    EXPECT_EQ(got.volume, recorded.volume);
    EXPECT_EQ(format_time(got.time.front()), "2017-08-17 04:00:00");
}

} // namespace
} // namespace aurum
