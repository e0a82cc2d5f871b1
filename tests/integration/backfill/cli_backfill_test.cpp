// `aurum data backfill` end to end: the real binary against the fake Binance server on 127.0.0.1.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "data/market_store.hpp"
#include "support/fake_binance.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

using test::FakeBinance;
using test::FakeResponse;
using test::run_aurum;

const Timeframe kH1(kMsPerHour);

class CliBackfill : public ::testing::Test {
  protected:
    SystemClock clock; // the aurum process reads the wall clock too
    FakeBinance fake{clock};
    test::TempDir home;

    CliBackfill() {
        fake.add_symbol("BTCUSDT", make_time(2020, 1, 1));
        fake.add_symbol("ETHUSDT", make_time(2020, 1, 1), 2000);
    }

    std::vector<std::string> args(std::vector<std::string> extra) {
        std::vector<std::string> a = {"--home",     home.path().string(), "data",
                                      "backfill",   "--exchange",         "binance",
                                      "--base-url", fake.base_url()};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
    std::string db() const { return (home.path() / "data" / "aurum.db").string(); }
    std::int64_t stored_rows() {
        if (!std::filesystem::exists(db()))
            return 0;
        auto store = open_market_store(db());
        std::int64_t n = 0;
        for (const auto& s : store->list_series())
            n += s.rows;
        return n;
    }
};

TEST_F(CliBackfill, downloads_the_window_and_reports_json) {
    const auto r =
        run_aurum(args({"--symbol", "BTC/USDT", "--timeframe", "1h", "--days", "30", "--json"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["symbol"], "BTC/USDT");
    EXPECT_EQ(j["exchange_symbol"], "BTCUSDT");
    EXPECT_EQ(j["timeframe"], "1h");
    EXPECT_EQ(j["base_url"], fake.base_url());
    const TimeMs from = j["from"], to = j["to"];
    EXPECT_EQ(to - from, 30 * kMsPerDay);
    // Exactly the candles that were closed when the command ran.
    std::vector<TimeMs> expected;
    for (TimeMs t : fake.served_open_times("BTCUSDT", kH1, from, to))
        if (t + kMsPerHour <= to)
            expected.push_back(t);
    EXPECT_EQ(j["bars_stored"], expected.size());
    EXPECT_EQ(j["inserted"], expected.size());
    EXPECT_EQ(j["pages"], 1);
    EXPECT_EQ(j["dropped_open"], 1);
    EXPECT_EQ(j["retries"], 0);
    auto store = open_market_store(db());
    const BarSeries bars = store->load_bars("BTC/USDT", kH1);
    ASSERT_EQ(bars.size(), expected.size());
    EXPECT_EQ(bars.time, expected);
    EXPECT_EQ(bars.close.back(), fake.generated_bar("BTCUSDT", kH1, expected.back()).close);

    // Rerun: resumes after the stored bars, adds at most the candle that closed meanwhile.
    const auto again =
        run_aurum(args({"--symbol", "btcusdt", "--timeframe", "1h", "--days", "30", "--json"}));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    const auto k = nlohmann::json::parse(again.out);
    EXPECT_EQ(k["resumed_after"], expected.back());
    EXPECT_LE(k["bars_stored"].get<int>(), 1);
    EXPECT_EQ(k["updated"], 0);
}

TEST_F(CliBackfill, readable_summary_names_pages_bars_range_and_waits) {
    fake.inject("/api/v3/klines", FakeResponse::rate_limited(1));
    const auto r = run_aurum(args({"--symbol", "ETH/USDT", "--timeframe", "4h", "--days", "200"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Backfilled ETH/USDT 4h from binance"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("pages fetched 2 (3 requests)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("bars stored   1199 (1199 new"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("range stored"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1 rate-limit (429/418)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("1000 ms waited"), std::string::npos) << r.out;
    EXPECT_EQ(stored_rows(), 1199);
}

TEST_F(CliBackfill, unknown_symbol_exits_2_and_writes_nothing) {
    const auto r = run_aurum(args({"--symbol", "DOGE/USDT", "--timeframe", "1h", "--days", "3"}));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown symbol 'DOGE/USDT' on binance"), std::string::npos) << r.err;
    EXPECT_EQ(stored_rows(), 0);
}

TEST_F(CliBackfill, bad_flags_exit_2_before_any_request) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--symbol", "BTC$USDT", "--timeframe", "1h"}, "symbol 'BTC$USDT'"},
        {{"--symbol", "BTC/USDT", "--timeframe", "10m"}, "no such kline interval"},
        {{"--symbol", "BTC/USDT", "--timeframe", "1h", "--days", "0"}, "--days"},
        {{"--symbol", "BTC/USDT", "--timeframe", "1h", "--days", "many"}, "--days"},
        {{"--symbol", "BTC/USDT", "--timeframe", "1h", "--from", "yesterday"}, "--from"},
        {{"--symbol", "BTC/USDT", "--timeframe", "1h", "--from", "2999-01-01"}, "not in the past"},
        {{"--timeframe", "1h"}, "--symbol"},
    };
    for (const auto& [extra, needle] : cases) {
        const auto r = run_aurum(args(extra));
        EXPECT_EQ(r.exit_code, 2) << needle;
        EXPECT_NE((r.err + r.out).find(needle), std::string::npos)
            << needle << ": " << r.err << r.out;
    }
    // Wrong exchange and malformed base URL (passed before --base-url of args(), parsed last wins).
    auto kraken =
        run_aurum({"--home", home.path().string(), "data", "backfill", "--exchange", "kraken",
                   "--symbol", "BTC/USDT", "--timeframe", "1h", "--base-url", fake.base_url()});
    EXPECT_EQ(kraken.exit_code, 2);
    EXPECT_NE(kraken.err.find("kraken"), std::string::npos) << kraken.err;
    auto ftp = run_aurum({"--home", home.path().string(), "data", "backfill", "--symbol",
                          "BTC/USDT", "--timeframe", "1h", "--base-url", "ftp://127.0.0.1:21"});
    EXPECT_EQ(ftp.exit_code, 2);
    EXPECT_NE(ftp.err.find("base URL 'ftp://127.0.0.1:21'"), std::string::npos) << ftp.err;
    EXPECT_EQ(fake.request_count(), 0);
    EXPECT_EQ(stored_rows(), 0);
}

TEST_F(CliBackfill, unreachable_base_url_exits_2_with_a_clear_error) {
    std::string url;
    {
        FakeBinance closed(clock);
        url = closed.base_url();
    }
    const auto r = run_aurum({"--home", home.path().string(), "data", "backfill", "--symbol",
                              "BTC/USDT", "--timeframe", "1h", "--days", "2", "--base-url", url});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("cannot connect to " + url), std::string::npos) << r.err;
    EXPECT_EQ(stored_rows(), 0);
}

TEST_F(CliBackfill, persistent_server_errors_exit_2_after_the_retries) {
    fake.inject("/api/v3/klines", FakeResponse::server_error(502), 2);
    const auto r = run_aurum(
        args({"--symbol", "BTC/USDT", "--timeframe", "1h", "--days", "2", "--max-retries", "1"}));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("failed after 2 attempts; last error: HTTP 502"), std::string::npos)
        << r.err;
    EXPECT_EQ(fake.request_count("/api/v3/klines"), 2);
    EXPECT_EQ(stored_rows(), 0);
}

TEST_F(CliBackfill, base_url_comes_from_the_workspace_config) {
    test::write_text(home / "config" / "exchanges.yaml",
                     "binance:\n  base_url: " + fake.base_url() + "\n");
    const auto r = run_aurum({"--home", home.path().string(), "data", "backfill", "--symbol",
                              "BTC/USDT", "--timeframe", "1d", "--days", "10", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["base_url"], fake.base_url());
    EXPECT_EQ(fake.request_count("/api/v3/klines"), 1);
}

TEST_F(CliBackfill, help_lists_the_options) {
    const auto r = run_aurum({"data", "backfill", "--help"});
    EXPECT_EQ(r.exit_code, 0);
    for (const char* opt : {"--exchange", "--symbol", "--timeframe", "--days", "--from",
                            "--base-url", "--timeout-ms", "--max-retries"})
        EXPECT_NE(r.out.find(opt), std::string::npos) << opt;
}

} // namespace
} // namespace aurum
