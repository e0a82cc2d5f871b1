// The PostgreSQL store at scale: `bars` is hash-partitioned by series, a one-symbol range read
// is a single index range scan of one partition, new bars are COPYed straight in, and a store of
// the previous (unpartitioned) layout is moved over in place.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "data/database.hpp"
#include "data/market_store.hpp"
#include "support/postgres_server.hpp"

namespace aurum {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr Timeframe kM1{kMsPerMinute};
const TimeMs kT0 = make_time(2024, 1, 1);

BarSeries minute_bars(const std::string& symbol, TimeMs start, std::size_t n, double base) {
    BarSeries s;
    s.symbol = symbol;
    s.timeframe = kM1;
    for (std::size_t i = 0; i < n; ++i) {
        const double o = base + static_cast<double>(i % 977) * 0.5;
        s.push_back(Bar{start + static_cast<TimeMs>(i) * kMsPerMinute, o, o + 1, o - 1, o + 0.25,
                        1.0 + static_cast<double>(i % 13), 0});
    }
    return s;
}

std::string plan_of(Database& db, const std::string& sql) {
    std::string plan;
    for (const auto& r : db.query("EXPLAIN " + sql))
        plan += r.as_string(0) + "\n";
    return plan;
}

TEST(PostgresPartitions, bars_are_partitioned_by_series_and_a_range_read_is_one_index_scan) {
    AURUM_REQUIRE_POSTGRES(pg);
    auto store = open_market_store(pg->fresh_database());
    Database& db = store->database();
    EXPECT_EQ(db.query_one("SELECT relkind::text FROM pg_class WHERE oid = 'bars'::regclass")
                  ->as_string(0),
              "p");
    EXPECT_EQ(db.query_one("SELECT COUNT(*) FROM pg_inherits WHERE inhparent = 'bars'::regclass")
                  ->as_int(0),
              16);
    for (int k = 0; k < 6; ++k)
        store->upsert_bars(minute_bars("SYM" + std::to_string(k) + "/USDT", kT0, 5000, 10.0 * k));
    db.exec("ANALYZE bars");
    const auto id = db.query_one("SELECT id FROM series WHERE symbol = 'SYM3/USDT'")->as_int(0);
    const std::string plan =
        plan_of(db, "SELECT open_time, close FROM bars WHERE series_id = " + std::to_string(id) +
                        " AND open_time >= " + std::to_string(kT0 + 600 * kMsPerMinute) +
                        " AND open_time < " + std::to_string(kT0 + 900 * kMsPerMinute) +
                        " ORDER BY open_time");
    // One partition (pruned at plan time), read through its primary key's range: the planner
    // picks a plain or a bitmap index scan by the table's correlation, never a sequential scan.
    EXPECT_THAT(plan, HasSubstr("Index Scan")) << plan;
    EXPECT_THAT(plan, HasSubstr("_pkey")) << plan;
    EXPECT_THAT(plan, HasSubstr("Index Cond: ((series_id = " + std::to_string(id) +
                                ") AND (open_time >= "))
        << plan;
    EXPECT_THAT(plan, Not(HasSubstr("Append"))) << plan;
    EXPECT_THAT(plan, Not(HasSubstr("Seq Scan"))) << plan;
    EXPECT_EQ(store->load_bars("SYM3/USDT", kM1, {kT0 + 600 * kMsPerMinute,
                                                   kT0 + 900 * kMsPerMinute})
                  .size(),
              300u);
    // The ohlcv view of the operations guide still reads across partitions.
    EXPECT_EQ(db.query_one("SELECT COUNT(*) FROM ohlcv WHERE symbol = 'SYM5/USDT'")->as_int(0),
              5000);
}

TEST(PostgresPartitions, bulk_copy_path_and_merge_path_count_and_store_the_same) {
    AURUM_REQUIRE_POSTGRES(pg);
    auto store = open_market_store(pg->fresh_database());
    const BarSeries all = minute_bars("BTC/USDT", kT0, 3000, 100);
    // Fresh: COPY straight in. Then an overlapping rewrite with changed values: merged.
    const auto first = store->upsert_bars(all);
    EXPECT_EQ(first.inserted, 3000);
    EXPECT_EQ(first.updated, 0);
    BarSeries overlap = minute_bars("BTC/USDT", kT0 + 2500 * kMsPerMinute, 1000, 7);
    const auto second = store->upsert_bars(overlap);
    EXPECT_EQ(second.inserted, 500);
    EXPECT_EQ(second.updated, 500);
    const BarSeries back = store->load_bars("BTC/USDT", kM1);
    ASSERT_EQ(back.size(), 3500u);
    EXPECT_EQ(back.close[2499], all.close[2499]);
    EXPECT_EQ(back.close[2500], overlap.close[0]);
    EXPECT_EQ(back.close[3499], overlap.close[999]);
}

TEST(PostgresPartitions, reads_inside_a_writer_see_its_bars_and_other_connections_do_not) {
    AURUM_REQUIRE_POSTGRES(pg);
    const std::string url = pg->fresh_database();
    auto store = open_market_store(url);
    auto other = open_market_store(url);
    BarSeries bars = minute_bars("XAUUSD", kT0, 1500, 2000);
    bars.has_spread_column = true;
    bars.spread.assign(bars.size(), 0.25);
    bars.spread[7] = 0.5;
    auto writer = store->open_writer();
    writer->write(bars);
    // The writer's own connection (text results in its transaction) sees the uncommitted bars;
    // another store's streamed binary read does not.
    const BarSeries inside = store->load_bars("XAUUSD", kM1);
    ASSERT_EQ(inside.size(), 1500u);
    EXPECT_TRUE(other->load_bars("XAUUSD", kM1).empty());
    writer->commit();
    const BarSeries streamed = other->load_bars("XAUUSD", kM1, {kT0 + 5 * kMsPerMinute,
                                                                kT0 + 10 * kMsPerMinute});
    ASSERT_EQ(streamed.size(), 5u);
    EXPECT_TRUE(streamed.has_spread());
    EXPECT_EQ(streamed.spread[2], 0.5);
    EXPECT_EQ(streamed.time[0], inside.time[5]);
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(streamed.open[i], inside.open[i + 5]);
        EXPECT_EQ(streamed.high[i], inside.high[i + 5]);
        EXPECT_EQ(streamed.low[i], inside.low[i + 5]);
        EXPECT_EQ(streamed.close[i], inside.close[i + 5]);
        EXPECT_EQ(streamed.volume[i], inside.volume[i + 5]);
    }
    EXPECT_EQ(other->load_bars("XAUUSD", kM1).size(), 1500u);
}

TEST(PostgresPartitions, the_unpartitioned_layout_is_moved_over_in_place) {
    AURUM_REQUIRE_POSTGRES(pg);
    const std::string url = pg->fresh_database();
    {
        auto db = open_database(url);
        db->exec("CREATE TABLE series (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                 "symbol TEXT NOT NULL, timeframe_ms BIGINT NOT NULL, "
                 "UNIQUE (symbol, timeframe_ms)); "
                 "CREATE TABLE bars (series_id BIGINT NOT NULL, open_time BIGINT NOT NULL, "
                 "open DOUBLE PRECISION NOT NULL, high DOUBLE PRECISION NOT NULL, "
                 "low DOUBLE PRECISION NOT NULL, close DOUBLE PRECISION NOT NULL, "
                 "volume DOUBLE PRECISION NOT NULL, spread DOUBLE PRECISION, "
                 "PRIMARY KEY (series_id, open_time)); "
                 "CREATE VIEW ohlcv AS SELECT s.symbol, b.open_time, b.close FROM bars b "
                 "JOIN series s ON s.id = b.series_id; "
                 "INSERT INTO series (symbol, timeframe_ms) VALUES ('XAUUSD', 60000); "
                 "INSERT INTO bars VALUES (1, 0, 1, 2, 0.5, 1.5, 10, 0.3), "
                 "(1, 60000, 2, 3, 1.5, 2.5, 11, 0.4)");
    }
    auto store = open_market_store(url);
    Database& db = store->database();
    EXPECT_EQ(db.query_one("SELECT relkind::text FROM pg_class WHERE oid = 'bars'::regclass")
                  ->as_string(0),
              "p");
    EXPECT_FALSE(db.query_one("SELECT to_regclass('bars_v1') IS NOT NULL")->as_int(0));
    const BarSeries gold = store->load_bars("XAUUSD", kM1);
    ASSERT_EQ(gold.size(), 2u);
    EXPECT_EQ(gold.close[1], 2.5);
    EXPECT_EQ(gold.spread[1], 0.4);
    EXPECT_EQ(db.query_one("SELECT COUNT(*) FROM ohlcv WHERE symbol = 'XAUUSD'")->as_int(0), 2);
}

} // namespace
} // namespace aurum
