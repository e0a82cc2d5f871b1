// The PostgreSQL store's binary COPY paths: bulk writes (copy_in_binary) keep every double's
// bits and fail clearly, writing nothing; long reads split into ranges read at once return
// every bar once, in order; a reader that fails mid-stream leaves its connection usable.
#include <bit>
#include <cmath>
#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "data/market_store.hpp"
#include "data/postgres_database.hpp"
#include "support/postgres_server.hpp"

namespace aurum {
namespace {

using ::testing::HasSubstr;

constexpr Timeframe kM1{kMsPerMinute};
const TimeMs kT0 = make_time(2024, 1, 1);

/// Bars with gaps (a missing bar every 97, a quiet 3 days every ~100 k) and prices that are not
/// short decimals, so a lossy conversion anywhere shows.
BarSeries gappy_bars(const std::string& symbol, std::size_t n, bool spread) {
    BarSeries s;
    s.symbol = symbol;
    s.timeframe = kM1;
    s.has_spread_column = spread;
    TimeMs t = kT0;
    for (std::size_t i = 0; i < n; ++i) {
        t += kMsPerMinute * (i % 97 == 0 ? 2 : 1) + (i % 100'000 == 0 ? 3 * kMsPerDay : 0);
        const double o = 100.0 + std::sin(static_cast<double>(i) * 1e-3) * 7.0 / 3.0;
        s.push_back(Bar{t, o, o + 1.0 / 7, o - 1.0 / 9, o + 1.0 / 11,
                        static_cast<double>(i % 1013) / 3.0, 0.1 * static_cast<double>(i % 7)});
    }
    return s;
}

void expect_same_bars(const BarSeries& got, const BarSeries& want) {
    ASSERT_EQ(got.size(), want.size());
    ASSERT_EQ(got.has_spread(), want.has_spread());
    for (std::size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ(got.time[i], want.time[i]) << "bar " << i;
        ASSERT_EQ(std::bit_cast<std::uint64_t>(got.open[i]),
                  std::bit_cast<std::uint64_t>(want.open[i]))
            << "bar " << i;
        ASSERT_EQ(got.high[i], want.high[i]) << "bar " << i;
        ASSERT_EQ(got.low[i], want.low[i]) << "bar " << i;
        ASSERT_EQ(got.close[i], want.close[i]) << "bar " << i;
        ASSERT_EQ(got.volume[i], want.volume[i]) << "bar " << i;
        if (want.has_spread()) {
            ASSERT_EQ(got.spread[i], want.spread[i]) << "bar " << i;
        }
    }
}

TEST(PostgresCopy, a_long_read_in_parallel_ranges_returns_every_bar_once_in_order) {
    AURUM_REQUIRE_POSTGRES(pg);
    const std::string url = pg->fresh_database();
    auto store = open_market_store(url);
    // > 400 k minutes: read as more than one range at once.
    const BarSeries gold = gappy_bars("XAUUSD", 430'000, true);
    const BarSeries btc = gappy_bars("BTC/USDT", 450'000, false);
    EXPECT_EQ(store->upsert_bars(gold).inserted, 430'000);
    EXPECT_EQ(store->upsert_bars(btc).inserted, 450'000);
    auto reader = open_market_store(url); // a fresh connection, as a research process has
    expect_same_bars(reader->load_bars("XAUUSD", kM1), gold);
    expect_same_bars(reader->load_bars("BTC/USDT", kM1), btc);
    // A sub-range whose ends fall in gaps and inside the split: exactly the bars in it.
    const TimeRange mid{gold.time[1234] + 1, gold.time[401'000]};
    expect_same_bars(reader->load_bars("XAUUSD", kM1, mid), gold.slice(mid));
    EXPECT_TRUE(reader->load_bars("XAUUSD", kM1, {0, kT0}).empty());
    EXPECT_TRUE(reader->load_bars("ETH/USDT", kM1).empty());
}

TEST(PostgresCopy, every_double_keeps_its_bits_through_both_write_paths) {
    AURUM_REQUIRE_POSTGRES(pg);
    auto store = open_market_store(pg->fresh_database());
    const std::vector<double> odd{0.1 + 0.2,
                                  1.0 / 3,
                                  -0.0,
                                  5e-324,
                                  std::numeric_limits<double>::min(),
                                  std::numeric_limits<double>::max(),
                                  -1e-300,
                                  123456789.123456789,
                                  std::nextafter(1.0, 2.0)};
    BarSeries s;
    s.symbol = "XAUUSD";
    s.timeframe = kM1;
    s.has_spread_column = true;
    for (std::size_t i = 0; i < odd.size(); ++i) {
        const double v = odd[i], w = odd[(i + 3) % odd.size()];
        s.push_back(Bar{kT0 + static_cast<TimeMs>(i) * kMsPerMinute, v, w, -v, v * 0.5, w, v});
    }
    EXPECT_EQ(store->upsert_bars(s).inserted, static_cast<std::int64_t>(odd.size())); // COPY in
    expect_same_bars(store->load_bars("XAUUSD", kM1), s);
    std::swap(s.open, s.close); // rewritten over the stored bars: staged, then merged
    const auto again = store->upsert_bars(s);
    EXPECT_EQ(again.updated, static_cast<std::int64_t>(odd.size()));
    expect_same_bars(store->load_bars("XAUUSD", kM1), s);
}

class PostgresCopyIn : public ::testing::Test {
  protected:
    void SetUp() override {
        pg_ = test::PostgresServer::shared();
        if (!pg_)
            GTEST_SKIP() << test::PostgresServer::unavailable_reason();
        url_ = pg_->fresh_database();
        db_ = std::make_unique<PostgresDatabase>(url_);
        db_->exec("CREATE TABLE t (k BIGINT PRIMARY KEY, v DOUBLE PRECISION)");
    }
    /// COPYs `rows` rows k = 0.. (v = k / 3); row `dup_at` repeats key 0; `throw_at_end`: the
    /// fill throws after its last row (a bad input line, as an importer would).
    void copy(std::int64_t rows, std::int64_t dup_at = -1, bool throw_at_end = false) {
        std::int64_t k = 0;
        db_->copy_in_binary("t", {"k", "v"}, [&](std::string& block) {
            BinaryRowEncoder row(block);
            for (std::int64_t end = std::min(rows, k + 1000); k < end; ++k) {
                row.row(2);
                row.int64(k == dup_at ? 0 : k);
                row.float8(static_cast<double>(k) / 3);
            }
            if (k == rows && throw_at_end)
                throw InputError("bars.csv:7: field 'close': 'x' is not a number");
            return k < rows;
        });
    }
    std::int64_t count() { return db_->query_one("SELECT COUNT(*) FROM t")->as_int(0); }

    test::PostgresServer* pg_ = nullptr;
    std::string url_;
    std::unique_ptr<PostgresDatabase> db_;
};

TEST_F(PostgresCopyIn, outside_a_transaction_the_copy_commits_by_itself) {
    copy(2500);
    PostgresDatabase other(url_);
    EXPECT_EQ(other.query_one("SELECT COUNT(*), SUM(v) FROM t")->as_int(0), 2500);
    EXPECT_EQ(other.query_one("SELECT v FROM t WHERE k = 7")->as_double(0), 7.0 / 3);
}

TEST_F(PostgresCopyIn, inside_a_transaction_it_commits_or_rolls_back_with_it) {
    db_->begin();
    copy(300);
    EXPECT_EQ(count(), 300);
    db_->rollback();
    EXPECT_EQ(count(), 0);
    db_->begin();
    copy(300);
    db_->commit();
    EXPECT_EQ(PostgresDatabase(url_).query_one("SELECT COUNT(*) FROM t")->as_int(0), 300);
}

TEST_F(PostgresCopyIn, a_server_error_names_the_cause_and_writes_nothing) {
    try {
        copy(5000, 4321); // a second row with k = 0
        FAIL() << "a duplicate key was accepted";
    } catch (const SystemError& e) {
        EXPECT_THAT(e.what(), HasSubstr("duplicate key"));
        EXPECT_THAT(e.what(), HasSubstr("PostgreSQL ("));
    }
    EXPECT_EQ(count(), 0); // and the connection still works
    try {
        db_->copy_in_binary("no_such_table", {"k"}, [](std::string&) { return false; });
        FAIL() << "a missing table was accepted";
    } catch (const SystemError& e) {
        EXPECT_THAT(e.what(), HasSubstr("no_such_table"));
    }
    copy(10);
    EXPECT_EQ(count(), 10);
}

TEST_F(PostgresCopyIn, the_fills_own_error_propagates_and_nothing_is_written) {
    EXPECT_THROW(copy(2000, -1, true), InputError);
    EXPECT_EQ(count(), 0);
    db_->begin();
    EXPECT_THROW(copy(2000, -1, true), InputError);
    db_->rollback();
    EXPECT_EQ(count(), 0);
}

TEST_F(PostgresCopyIn, a_reader_that_fails_mid_stream_leaves_its_connection_usable) {
    copy(5000);
    const std::string all = "SELECT k, v FROM t ORDER BY k";
    int seen = 0;
    EXPECT_THROW(db_->copy_out_binary(all,
                                      [&](const BinaryTuple&) {
                                          if (++seen == 100)
                                              throw InputError("stop");
                                      }),
                 InputError);
    std::int64_t sum = 0, rows = 0;
    ASSERT_TRUE(db_->copy_out_binary(all, [&](const BinaryTuple& t) {
        sum += t.int64(0);
        ++rows;
    }));
    EXPECT_EQ(rows, 5000);
    EXPECT_EQ(sum, 4999LL * 5000 / 2);
    // Two selects at once, each on its own connection; an error in one is rethrown.
    std::int64_t a = 0, b = 0;
    ASSERT_TRUE(db_->copy_out_binary_parallel(
        {"SELECT k FROM t WHERE k < 2000", "SELECT k FROM t WHERE k >= 2000"},
        {[&](const BinaryTuple&) { ++a; }, [&](const BinaryTuple&) { ++b; }}));
    EXPECT_EQ(a, 2000);
    EXPECT_EQ(b, 3000);
    EXPECT_THROW(db_->copy_out_binary_parallel({"SELECT k FROM t", "SELECT nope FROM t"},
                                               {[](const BinaryTuple&) {},
                                                [](const BinaryTuple&) {}}),
                 SystemError);
    db_->begin(); // inside a transaction: the caller reads on this connection instead
    EXPECT_FALSE(db_->copy_out_binary(all, [](const BinaryTuple&) {}));
    db_->rollback();
}

} // namespace
} // namespace aurum
