// `aurum data list|show` end to end: the real binary on a temp workspace, with SQLite and with
// --db pointing at a real PostgreSQL server, plus every bad --db the user can type.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "data/market_store.hpp"
#include "support/postgres_server.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

const TimeMs kT0 = make_time(2024, 3, 1);
const Timeframe kH1{kMsPerHour};

BarSeries bars(const std::string& symbol, Timeframe tf, TimeMs start, int n, bool spread = false) {
    BarSeries s;
    s.symbol = symbol;
    s.timeframe = tf;
    s.has_spread_column = spread;
    for (int i = 0; i < n; ++i) {
        const double o = 100.0 + i;
        s.push_back(Bar{start + i * tf.ms(), o, o + 2, o - 1, o + 0.5, 1000.0 + i, 0.25});
    }
    return s;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        out.push_back(l);
    return out;
}

class StoreCli : public ::testing::Test {
  protected:
    std::string db() const { return (home_ / "data/aurum.db").string(); }
    void seed(const std::string& spec) {
        auto store = open_market_store(spec);
        store->upsert_bars(bars("BTC/USDT", kH1, kT0, 48));
        store->upsert_bars(bars("BTC/USDT", Timeframe(kMsPerDay), kT0, 5));
        store->upsert_bars(bars("XAUUSD", kH1, kT0, 24, true));
    }
    test::CliResult aurum(std::vector<std::string> args) {
        args.insert(args.begin(), {"--home", home_.path().string()});
        return test::run_aurum(args);
    }
    test::TempDir home_;
};

TEST_F(StoreCli, list_on_an_empty_workspace_says_so_and_creates_nothing) {
    const auto r = aurum({"data", "list"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("No market data"));
    EXPECT_FALSE(std::filesystem::exists(db()));
}

TEST_F(StoreCli, list_shows_every_series_with_range_and_count) {
    std::filesystem::create_directories(home_ / "data");
    seed(db());
    const auto r = aurum({"data", "list"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, AllOf(HasSubstr("BTC/USDT"), HasSubstr("XAUUSD"), HasSubstr("1d"),
                             HasSubstr("2024-03-01 00:00:00"), HasSubstr("2024-03-02 23:00:00"),
                             HasSubstr("77 bars in 3 series")));
    const auto j = aurum({"--json", "data", "list"});
    ASSERT_EQ(j.exit_code, 0) << j.err;
    const auto doc = nlohmann::json::parse(j.out);
    ASSERT_EQ(doc["series"].size(), 3u);
    EXPECT_EQ(doc["series"][0]["symbol"], "BTC/USDT");
    EXPECT_EQ(doc["series"][0]["timeframe"], "1h");
    EXPECT_EQ(doc["series"][0]["rows"], 48);
    EXPECT_EQ(doc["series"][0]["first"], "2024-03-01T00:00:00Z");
    EXPECT_EQ(doc["series"][0]["last"], "2024-03-02T23:00:00Z");
    EXPECT_EQ(doc["series"][1]["timeframe"], "1d");
    EXPECT_EQ(doc["series"][2]["rows"], 24);
}

TEST_F(StoreCli, show_prints_the_newest_bars_first_like_psql) {
    std::filesystem::create_directories(home_ / "data");
    seed(db());
    const auto r =
        aurum({"data", "show", "--symbol", "BTC/USDT", "--timeframe", "1h", "--limit", "10"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto l = lines(r.out);
    ASSERT_EQ(l.size(), 13u) << r.out; // header, rule, 10 rows, "(10 rows)"
    EXPECT_THAT(l[0], AllOf(HasSubstr("time"), HasSubstr("| open"), HasSubstr("volume")));
    EXPECT_THAT(l[1], HasSubstr("-+-"));
    EXPECT_THAT(l[2], AllOf(HasSubstr("2024-03-02 23:00:00"), HasSubstr("147"), HasSubstr("1047")));
    EXPECT_THAT(l[11], HasSubstr("2024-03-02 14:00:00"));
    EXPECT_EQ(l[12], "(10 rows)");
    EXPECT_THAT(r.out, Not(HasSubstr("spread")));

    const auto gold = aurum({"data", "show", "-s", "XAUUSD", "-t", "H1", "-n", "3"});
    ASSERT_EQ(gold.exit_code, 0) << gold.err;
    EXPECT_THAT(gold.out, AllOf(HasSubstr("spread"), HasSubstr("0.25"), HasSubstr("(3 rows)")));
}

TEST_F(StoreCli, show_honours_a_half_open_range_and_json) {
    std::filesystem::create_directories(home_ / "data");
    seed(db());
    const auto r =
        aurum({"--json", "data", "show", "--symbol", "BTC/USDT", "--timeframe", "1h", "--from",
               "2024-03-01 10:00", "--to", "2024-03-01T13:00:00Z", "--limit", "0"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc["bars"].size(), 3u);
    EXPECT_EQ(doc["bars"][0]["time"], "2024-03-01T12:00:00Z");
    EXPECT_EQ(doc["bars"][2]["time"], "2024-03-01T10:00:00Z");
    EXPECT_EQ(doc["bars"][0]["open"], 112.0);
    EXPECT_EQ(doc["bars"][0]["volume"], 1012.0);
}

TEST_F(StoreCli, show_reaches_back_across_gaps) {
    std::filesystem::create_directories(home_ / "data");
    {
        auto store = open_market_store(db());
        store->upsert_bars(bars("ETH/USDT", kH1, kT0, 10));
        store->upsert_bars(bars("ETH/USDT", kH1, kT0 + 5000 * kMsPerHour, 10));
    }
    const auto r = aurum({"--json", "data", "show", "-s", "ETH/USDT", "-t", "1h", "-n", "15"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc["bars"].size(), 15u);
    EXPECT_EQ(doc["bars"][14]["time"], format_iso(kT0 + 5 * kMsPerHour));
}

TEST_F(StoreCli, show_of_an_unknown_series_is_a_clear_error) {
    std::filesystem::create_directories(home_ / "data");
    seed(db());
    const auto r = aurum({"data", "show", "--symbol", "DOGE/USDT", "--timeframe", "1h"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, AllOf(HasSubstr("no DOGE/USDT 1h bars"), HasSubstr("BTC/USDT 1h")));
    const auto tf = aurum({"data", "show", "--symbol", "BTC/USDT", "--timeframe", "7x"});
    EXPECT_EQ(tf.exit_code, 2);
    EXPECT_THAT(tf.err, HasSubstr("7x"));
    const auto from = aurum({"data", "show", "-s", "BTC/USDT", "-t", "1h", "--from", "yesterday"});
    EXPECT_EQ(from.exit_code, 2);
    EXPECT_THAT(from.err, AllOf(HasSubstr("--from"), HasSubstr("yesterday")));
    const auto empty =
        aurum({"data", "show", "-s", "BTC/USDT", "-t", "1h", "--from", "2030-01-01"});
    EXPECT_EQ(empty.exit_code, 2);
    EXPECT_THAT(empty.err, HasSubstr("last stored bar"));
    const auto none = aurum(
        {"--db", (home_ / "other.db").string(), "data", "show", "-s", "BTC/USDT", "-t", "1h"});
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_THAT(none.err, HasSubstr("empty"));
    EXPECT_FALSE(std::filesystem::exists(home_ / "other.db"));
}

TEST_F(StoreCli, db_flag_points_at_a_postgresql_server) {
    AURUM_REQUIRE_POSTGRES(pg);
    const std::string url = pg->fresh_database();
    seed(url);
    const auto r = aurum({"--db", url, "data", "list"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out,
                AllOf(HasSubstr(url), HasSubstr("BTC/USDT"), HasSubstr("77 bars in 3 series")));
    const auto s =
        aurum({"--db", url, "--json", "data", "show", "-s", "XAUUSD", "-t", "1h", "-n", "2"});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    const auto doc = nlohmann::json::parse(s.out);
    ASSERT_EQ(doc["bars"].size(), 2u);
    EXPECT_EQ(doc["bars"][0]["time"], "2024-03-01T23:00:00Z");
    EXPECT_EQ(doc["bars"][0]["spread"], 0.25);
    EXPECT_FALSE(std::filesystem::exists(db())); // nothing written to the SQLite default
}

TEST_F(StoreCli, bad_db_specs_fail_clearly_with_exit_2) {
    const auto malformed =
        aurum({"--db", "postgresql://bob:s3cret@127.0.0.1:notaport/x", "data", "list"});
    EXPECT_EQ(malformed.exit_code, 2);
    EXPECT_THAT(malformed.err,
                AllOf(HasSubstr("malformed PostgreSQL URL"), Not(HasSubstr("s3cret"))));

    const auto unreachable =
        aurum({"--db", "postgresql://bob:s3cret@127.0.0.1:1/x", "data", "list"});
    EXPECT_EQ(unreachable.exit_code, 2);
    EXPECT_THAT(unreachable.err, AllOf(HasSubstr("127.0.0.1:1"), Not(HasSubstr("s3cret"))));

    const auto scheme = aurum({"--db", "mysql://h/x", "data", "list"});
    EXPECT_EQ(scheme.exit_code, 2);
    EXPECT_THAT(scheme.err, HasSubstr("unsupported database URL"));

    const auto dir = aurum({"--db", home_.path().string(), "data", "list"});
    EXPECT_EQ(dir.exit_code, 2);
    EXPECT_THAT(dir.err, AllOf(HasSubstr(home_.path().string()), HasSubstr("directory")));

    test::write_text(home_ / "junk.db", std::string(4096, 'j'));
    const auto junk =
        aurum({"--db", (home_ / "junk.db").string(), "data", "show", "-s", "BTC/USDT", "-t", "1h"});
    EXPECT_EQ(junk.exit_code, 2);
    EXPECT_THAT(junk.err, AllOf(HasSubstr("junk.db"), HasSubstr("not a database")));
}

TEST_F(StoreCli, commands_have_help) {
    for (const char* cmd : {"list", "show"}) {
        const auto r = aurum({"data", cmd, "--help"});
        EXPECT_EQ(r.exit_code, 0);
        EXPECT_THAT(r.out, HasSubstr("--help"));
    }
    const auto missing = aurum({"data", "show", "--symbol", "BTC/USDT"});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_THAT(missing.err, HasSubstr("--timeframe"));
}

} // namespace
} // namespace aurum
