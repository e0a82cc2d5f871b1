// Bad database specs and broken files: a clear, typed error naming what was wrong, and nothing
// written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.hpp"
#include "data/database.hpp"
#include "data/market_store.hpp"
#include "data/postgres_database.hpp"
#include "support/postgres_server.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

template <class E, class F> std::string error_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    ADD_FAILURE() << "no exception of the expected type";
    return {};
}

TEST(SqliteStore, directory_as_database_is_a_clear_error) {
    test::TempDir tmp;
    const std::string msg = error_of<SystemError>([&] { open_market_store(tmp.path().string()); });
    EXPECT_THAT(msg, AllOf(HasSubstr(tmp.path().string()), HasSubstr("directory")));
}

TEST(SqliteStore, missing_parent_directory_is_a_clear_error) {
    test::TempDir tmp;
    const auto path = tmp / "no/such/dir/aurum.db";
    const std::string msg = error_of<SystemError>([&] { open_market_store(path.string()); });
    EXPECT_THAT(msg, HasSubstr("does not exist"));
    EXPECT_FALSE(std::filesystem::exists(tmp / "no"));
}

TEST(SqliteStore, corrupt_file_is_a_clear_error_and_left_untouched) {
    test::TempDir tmp;
    const auto path = tmp / "aurum.db";
    const std::string garbage(8192, 'x');
    test::write_text(path, garbage);
    const std::string msg = error_of<SystemError>([&] { open_market_store(path.string()); });
    EXPECT_THAT(msg, AllOf(HasSubstr(path.string()), HasSubstr("not a database")));
    std::ifstream in(path, std::ios::binary);
    const std::string after((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(after, garbage);
}

TEST(SqliteStore, unreadable_file_is_a_clear_error) {
    if (::geteuid() == 0)
        GTEST_SKIP() << "root reads every file; permission test needs a user";
    test::TempDir tmp;
    const auto path = tmp / "aurum.db";
    { open_market_store(path.string()); }
    std::filesystem::permissions(path, std::filesystem::perms::none);
    const std::string msg = error_of<SystemError>([&] { open_market_store(path.string()); });
    EXPECT_THAT(msg, HasSubstr(path.string()));
}

TEST(SqliteStore, uses_wal_journal) {
    test::TempDir tmp;
    auto store = open_market_store((tmp / "a.db").string());
    EXPECT_EQ(store->database().query_one("PRAGMA journal_mode")->as_string(0), "wal");
}

void migrates_the_first_schema(const std::string& path) {
    {
        auto db = open_database(path);
        db->exec("CREATE TABLE bars (symbol TEXT NOT NULL, timeframe_ms BIGINT NOT NULL, "
                 "open_time BIGINT NOT NULL, open DOUBLE PRECISION NOT NULL, "
                 "high DOUBLE PRECISION NOT NULL, low DOUBLE PRECISION NOT NULL, "
                 "close DOUBLE PRECISION NOT NULL, volume DOUBLE PRECISION NOT NULL, "
                 "spread DOUBLE PRECISION, PRIMARY KEY (symbol, timeframe_ms, open_time))" +
                 std::string(db->dialect() == SqlDialect::Sqlite ? " WITHOUT ROWID" : ""));
        db->exec("INSERT INTO bars VALUES ('XAUUSD', 3600000, 0, 1, 2, 0.5, 1.5, 10, 0.3), "
                 "('XAUUSD', 3600000, 3600000, 2, 3, 1.5, 2.5, 11, 0.4), "
                 "('BTC/USDT', 86400000, 0, 5, 6, 4, 5.5, 12, NULL)");
    }
    auto store = open_market_store(path);
    const auto list = store->list_series();
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[1].symbol, "XAUUSD");
    EXPECT_EQ(list[1].rows, 2);
    const BarSeries gold = store->load_bars("XAUUSD", Timeframe(kMsPerHour));
    ASSERT_EQ(gold.size(), 2u);
    EXPECT_TRUE(gold.has_spread());
    EXPECT_EQ(gold.spread[1], 0.4);
    EXPECT_EQ(gold.close[1], 2.5);
    EXPECT_FALSE(store->load_bars("BTC/USDT", Timeframe(kMsPerDay)).has_spread());
    EXPECT_EQ(store->upsert_bars(store->load_bars("XAUUSD", Timeframe(kMsPerHour))).updated, 2);
}

TEST(SqliteStore, migrates_the_first_schema) {
    test::TempDir tmp;
    migrates_the_first_schema((tmp / "old.db").string());
}

TEST(PostgresStore, migrates_the_first_schema) {
    AURUM_REQUIRE_POSTGRES(pg);
    migrates_the_first_schema(pg->fresh_database());
}

TEST(DatabaseSpec, unknown_url_scheme_is_input_error) {
    const std::string msg = error_of<InputError>([] { open_database("mysql://u:pw@host/db"); });
    EXPECT_THAT(msg, HasSubstr("unsupported database URL"));
    EXPECT_THROW(open_database(""), InputError);
    EXPECT_THROW(open_market_store("sqlite://x.db"), InputError);
}

TEST(PostgresUrl, password_is_redacted) {
    EXPECT_EQ(redact_postgres_url("postgresql://bob:s3cret@db.example:5433/aurum"),
              "postgresql://bob:***@db.example:5433/aurum");
    EXPECT_EQ(redact_postgres_url("postgresql://h/db?user=bob&password=s3cret&sslmode=off"),
              "postgresql://h/db?user=bob&password=***&sslmode=off");
    EXPECT_EQ(redact_postgres_url("postgresql://bob@h/db"), "postgresql://bob@h/db");
}

TEST(PostgresUrl, parses_host_and_port) {
    const PostgresTarget t = parse_postgres_url("postgresql://bob:pw@127.0.0.1:6543/aurum");
    EXPECT_EQ(t.host, "127.0.0.1");
    EXPECT_EQ(t.port, "6543");
    EXPECT_THAT(t.conninfo, HasSubstr("dbname='aurum'"));
    const PostgresTarget d = parse_postgres_url("postgres:///aurum");
    EXPECT_EQ(d.port, "5432");
}

TEST(PostgresUrl, malformed_url_is_input_error_without_password) {
    for (const std::string url :
         {"postgresql://bob:s3cret@127.0.0.1:notaport/db", "postgresql://bob:s3cret@[::1/db",
          "postgresql://bob:s3cret@127.0.0.1:99999/db", "postgresql://bob:s3cret@h/db?bogus=1"}) {
        const std::string msg = error_of<InputError>([&] { open_market_store(url); });
        EXPECT_THAT(msg, AllOf(HasSubstr("malformed PostgreSQL URL"), HasSubstr("bob:***@"),
                               Not(HasSubstr("s3cret"))))
            << url;
    }
}

TEST(PostgresUrl, unreachable_server_names_host_and_port_not_password) {
    const int port = 1; // privileged and never a PostgreSQL server on a test machine
    const std::string url =
        "postgresql://bob:s3cret@127.0.0.1:" + std::to_string(port) + "/aurum?connect_timeout=5";
    const std::string msg = error_of<SystemError>([&] { open_market_store(url); });
    EXPECT_THAT(msg, AllOf(HasSubstr("127.0.0.1:" + std::to_string(port)),
                           HasSubstr("cannot connect"), Not(HasSubstr("s3cret"))));
}

TEST(PostgresUrl, unknown_database_on_a_live_server_is_system_error) {
    AURUM_REQUIRE_POSTGRES(pg);
    const std::string msg =
        error_of<SystemError>([&] { open_market_store(pg->url_for("no_such_db")); });
    EXPECT_THAT(
        msg, AllOf(HasSubstr("127.0.0.1:" + std::to_string(pg->port())), HasSubstr("no_such_db")));
}

} // namespace
} // namespace aurum
