// One contract for every MarketStore and Database backend: each test runs on SQLite and on a real
// PostgreSQL server (tests/support/postgres_server), so the two cannot drift apart.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>

#include "core/error.hpp"
#include "data/database.hpp"
#include "data/market_store.hpp"
#include "support/postgres_server.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

constexpr Timeframe kH1{kMsPerHour};
constexpr Timeframe kD1{kMsPerDay};
const TimeMs kT0 = make_time(2024, 1, 1);

BarSeries make_bars(const std::string& symbol, Timeframe tf, TimeMs start, std::size_t n,
                    double base = 100.0, bool spread = false) {
    BarSeries s;
    s.symbol = symbol;
    s.timeframe = tf;
    s.has_spread_column = spread;
    for (std::size_t i = 0; i < n; ++i) {
        const double o = base + static_cast<double>(i) * 0.25;
        s.push_back(Bar{start + static_cast<TimeMs>(i) * tf.ms(), o, o + 1.5, o - 1.25, o + 0.5,
                        10.0 + static_cast<double>(i), spread ? 0.01 * static_cast<double>(i) : 0});
    }
    return s;
}

void expect_same_bars(const BarSeries& a, const BarSeries& b) {
    ASSERT_EQ(a.size(), b.size());
    EXPECT_EQ(a.has_spread(), b.has_spread());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a.time[i], b.time[i]) << i;
        EXPECT_EQ(a.open[i], b.open[i]) << i;
        EXPECT_EQ(a.high[i], b.high[i]) << i;
        EXPECT_EQ(a.low[i], b.low[i]) << i;
        EXPECT_EQ(a.close[i], b.close[i]) << i;
        EXPECT_EQ(a.volume[i], b.volume[i]) << i;
        if (a.has_spread() && b.has_spread()) {
            EXPECT_EQ(a.spread[i], b.spread[i]) << i;
        }
    }
}

class StoreContract : public test::BackendTest {
  protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (IsSkipped())
            return;
        store_ = open_market_store(spec_);
    }

    std::unique_ptr<MarketStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(StoreContract, upsert_is_idempotent) {
    const BarSeries bars = make_bars("BTC/USDT", kH1, kT0, 500);
    const UpsertStats first = store_->upsert_bars(bars);
    EXPECT_EQ(first.inserted, 500);
    EXPECT_EQ(first.updated, 0);
    const UpsertStats again = store_->upsert_bars(bars);
    EXPECT_EQ(again.inserted, 0);
    EXPECT_EQ(again.updated, 500);
    expect_same_bars(store_->load_bars("BTC/USDT", kH1), bars);
    ASSERT_EQ(store_->list_series().size(), 1u);
    EXPECT_EQ(store_->list_series()[0].rows, 500);
}

TEST_P(StoreContract, update_replaces_every_value) {
    store_->upsert_bars(make_bars("ETH/USDT", kH1, kT0, 10, 100.0, true));
    BarSeries changed = make_bars("ETH/USDT", kH1, kT0 + 5 * kMsPerHour, 10, 200.0, true);
    const UpsertStats st = store_->upsert_bars(changed);
    EXPECT_EQ(st.inserted, 5);
    EXPECT_EQ(st.updated, 5);
    const BarSeries all = store_->load_bars("ETH/USDT", kH1);
    ASSERT_EQ(all.size(), 15u);
    EXPECT_EQ(all.open[4], 101.0);               // untouched
    EXPECT_EQ(all.open[5], 200.0);               // replaced
    EXPECT_EQ(all.volume[5], 10.0);              // replaced (was 15)
    EXPECT_EQ(all.spread[6], changed.spread[1]); // spread replaced too
    expect_same_bars(all.slice({kT0 + 5 * kMsPerHour, INT64_MAX}), changed);
}

TEST_P(StoreContract, writer_streams_chunks_in_one_transaction) {
    auto writer = store_->open_writer();
    writer->write(make_bars("BTC/USDT", kH1, kT0, 100));
    writer->write(make_bars("BTC/USDT", kH1, kT0 + 100 * kMsPerHour, 100));
    writer->write(make_bars("BTC/USDT", kH1, kT0 + 150 * kMsPerHour, 100)); // 50 overlap
    writer->write(make_bars("ETH/USDT", kD1, kT0, 7));
    const UpsertStats st = writer->commit();
    EXPECT_EQ(st.inserted, 257);
    EXPECT_EQ(st.updated, 50);
    EXPECT_EQ(store_->load_bars("BTC/USDT", kH1).size(), 250u);
    EXPECT_EQ(store_->load_bars("ETH/USDT", kD1).size(), 7u);
}

TEST_P(StoreContract, duplicate_keys_in_one_chunk_keep_the_last) {
    BarSeries bars = make_bars("BTC/USDT", kH1, kT0, 3);
    bars.push_back(Bar{kT0 + kMsPerHour, 1, 2, 0.5, 1.5, 9, 0});
    const UpsertStats st = store_->upsert_bars(bars);
    EXPECT_EQ(st.inserted, 3);
    EXPECT_EQ(st.updated, 1);
    const BarSeries got = store_->load_bars("BTC/USDT", kH1);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got.open[1], 1.0);
    EXPECT_EQ(got.volume[1], 9.0);
}

TEST_P(StoreContract, writer_destroyed_uncommitted_writes_nothing) {
    store_->upsert_bars(make_bars("BTC/USDT", kH1, kT0, 10));
    try {
        auto writer = store_->open_writer();
        writer->write(make_bars("BTC/USDT", kH1, kT0 + 10 * kMsPerHour, 1000));
        writer->write(make_bars("BTC/USDT", kH1, kT0, 10, 999.0)); // would overwrite
        throw InputError("bad row in the middle of an import");
    } catch (const InputError&) {
    }
    const BarSeries got = store_->load_bars("BTC/USDT", kH1);
    expect_same_bars(got, make_bars("BTC/USDT", kH1, kT0, 10));
    // The store is usable again after the rollback.
    EXPECT_EQ(store_->upsert_bars(make_bars("BTC/USDT", kH1, kT0 + 10 * kMsPerHour, 5)).inserted,
              5);
}

TEST_P(StoreContract, load_range_is_half_open) {
    store_->upsert_bars(make_bars("BTC/USDT", kH1, kT0, 48));
    const TimeMs a = kT0 + 10 * kMsPerHour, b = kT0 + 20 * kMsPerHour;
    const BarSeries got = store_->load_bars("BTC/USDT", kH1, {a, b});
    ASSERT_EQ(got.size(), 10u);
    EXPECT_EQ(got.time.front(), a);
    EXPECT_EQ(got.time.back(), b - kMsPerHour);
    EXPECT_EQ(got.symbol, "BTC/USDT");
    EXPECT_EQ(got.timeframe, kH1);
    EXPECT_TRUE(store_->load_bars("BTC/USDT", kH1, {a, a}).empty());
    EXPECT_TRUE(store_->load_bars("BTC/USDT", kH1, {b, a}).empty());
    EXPECT_EQ(store_->load_bars("BTC/USDT", kH1, {INT64_MIN, kT0 + 1}).size(), 1u);
    EXPECT_TRUE(store_->load_bars("NOPE/USDT", kH1).empty());
}

TEST_P(StoreContract, list_series_reports_ranges_and_counts_sorted) {
    EXPECT_TRUE(store_->list_series().empty());
    store_->upsert_bars(make_bars("XAUUSD", kH1, kT0 + 3 * kMsPerHour, 30, 2000.0, true));
    store_->upsert_bars(make_bars("BTC/USDT", kD1, kT0, 5));
    store_->upsert_bars(make_bars("BTC/USDT", kH1, kT0, 24));
    const auto list = store_->list_series();
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0].symbol, "BTC/USDT");
    EXPECT_EQ(list[0].timeframe, kH1);
    EXPECT_EQ(list[0].rows, 24);
    EXPECT_EQ(list[0].first, kT0);
    EXPECT_EQ(list[0].last, kT0 + 23 * kMsPerHour);
    EXPECT_EQ(list[1].symbol, "BTC/USDT");
    EXPECT_EQ(list[1].timeframe, kD1);
    EXPECT_EQ(list[1].rows, 5);
    EXPECT_EQ(list[1].last, kT0 + 4 * kMsPerDay);
    EXPECT_EQ(list[2].symbol, "XAUUSD");
    EXPECT_EQ(list[2].first, kT0 + 3 * kMsPerHour);
    EXPECT_EQ(list[2].rows, 30);
}

TEST_P(StoreContract, delete_removes_only_the_range) {
    store_->upsert_bars(make_bars("BTC/USDT", kH1, kT0, 24));
    store_->upsert_bars(make_bars("ETH/USDT", kH1, kT0, 24));
    EXPECT_EQ(store_->delete_bars("BTC/USDT", kH1, {kT0 + 4 * kMsPerHour, kT0 + 8 * kMsPerHour}),
              4);
    EXPECT_EQ(store_->load_bars("BTC/USDT", kH1).size(), 20u);
    EXPECT_EQ(store_->load_bars("ETH/USDT", kH1).size(), 24u);
    EXPECT_EQ(store_->delete_bars("BTC/USDT", kH1, {kT0 + 4 * kMsPerHour, kT0 + 8 * kMsPerHour}),
              0);
    EXPECT_EQ(store_->delete_bars("BTC/USDT", kH1), 20);
    EXPECT_TRUE(store_->load_bars("BTC/USDT", kH1).empty());
    EXPECT_EQ(store_->list_series().size(), 1u);
}

TEST_P(StoreContract, last_bar_time_tracks_the_newest_bar) {
    EXPECT_FALSE(store_->last_bar_time("BTC/USDT", kH1).has_value());
    store_->upsert_bars(make_bars("BTC/USDT", kH1, kT0, 10));
    EXPECT_EQ(store_->last_bar_time("BTC/USDT", kH1), kT0 + 9 * kMsPerHour);
    EXPECT_FALSE(store_->last_bar_time("BTC/USDT", kD1).has_value());
    store_->delete_bars("BTC/USDT", kH1, {kT0 + 5 * kMsPerHour, INT64_MAX});
    EXPECT_EQ(store_->last_bar_time("BTC/USDT", kH1), kT0 + 4 * kMsPerHour);
}

TEST_P(StoreContract, spread_round_trips_as_null_or_value) {
    const BarSeries gold = make_bars("XAUUSD", kH1, kT0, 20, 2000.0, true);
    const BarSeries btc = make_bars("BTC/USDT", kH1, kT0, 20);
    store_->upsert_bars(gold);
    store_->upsert_bars(btc);
    const BarSeries g = store_->load_bars("XAUUSD", kH1);
    ASSERT_TRUE(g.has_spread());
    expect_same_bars(g, gold);
    EXPECT_EQ(g.spread[19], 0.19);
    const BarSeries b = store_->load_bars("BTC/USDT", kH1);
    EXPECT_FALSE(b.has_spread());
    EXPECT_TRUE(b.spread.empty());
    expect_same_bars(b, btc);
}

TEST_P(StoreContract, symbols_and_timeframes_are_isolated) {
    store_->upsert_bars(make_bars("BTC/USDT", kH1, kT0, 10, 100.0));
    store_->upsert_bars(make_bars("BTC/USDT", kD1, kT0, 10, 200.0));
    store_->upsert_bars(make_bars("ETH/USDT", kH1, kT0, 10, 300.0));
    EXPECT_EQ(store_->load_bars("BTC/USDT", kH1).open[0], 100.0);
    EXPECT_EQ(store_->load_bars("BTC/USDT", kD1).open[0], 200.0);
    EXPECT_EQ(store_->load_bars("ETH/USDT", kH1).open[0], 300.0);
    // Same open time, different timeframe: a separate row, not an update.
    EXPECT_EQ(store_->upsert_bars(make_bars("ETH/USDT", kD1, kT0, 1)).inserted, 1);
    EXPECT_EQ(store_->delete_bars("BTC/USDT", kD1), 10);
    EXPECT_EQ(store_->load_bars("BTC/USDT", kH1).size(), 10u);
}

TEST_P(StoreContract, values_round_trip_exactly) {
    BarSeries s;
    s.symbol = "Tab\tSlash\\Quote'\"Ünï 金";
    s.timeframe = Timeframe(5 * kMsPerMinute);
    s.has_spread_column = true;
    const double tiny = std::numeric_limits<double>::denorm_min();
    s.push_back(
        Bar{-86400000LL * 365, 0.1, 0.30000000000000004, 1e-300, 123456789.123456789, 0.0, tiny});
    s.push_back(Bar{0, 1.0 / 3.0, 2.0 / 3.0, 1e300, 5e-324, 1e15, 0.0});
    s.push_back(Bar{4102444800000LL, 65000.01, 65001.99, 64999.5, 65000.25, 1234.5678, 0.35});
    store_->upsert_bars(s);
    const BarSeries got = store_->load_bars(s.symbol, s.timeframe);
    expect_same_bars(got, s);
    ASSERT_EQ(store_->list_series().size(), 1u);
    EXPECT_EQ(store_->list_series()[0].symbol, s.symbol);
}

TEST_P(StoreContract, data_survives_reopening) {
    store_->upsert_bars(make_bars("BTC/USDT", kH1, kT0, 50, 100.0, true));
    store_.reset();
    auto again = open_market_store(spec_);
    expect_same_bars(again->load_bars("BTC/USDT", kH1),
                     make_bars("BTC/USDT", kH1, kT0, 50, 100.0, true));
    EXPECT_EQ(again->upsert_bars(make_bars("BTC/USDT", kH1, kT0, 50)).updated, 50);
}

TEST_P(StoreContract, readers_see_only_committed_bars_while_a_writer_runs) {
    store_->upsert_bars(make_bars("BTC/USDT", kH1, kT0, 10));
    auto writer = store_->open_writer();
    writer->write(make_bars("BTC/USDT", kH1, kT0 + 10 * kMsPerHour, 20));
    // A second connection (another process, e.g. `aurum data list` during an import) opens the
    // store without waiting for the writer and sees the last committed state.
    auto reader = open_market_store(spec_);
    EXPECT_EQ(reader->load_bars("BTC/USDT", kH1).size(), 10u);
    ASSERT_EQ(reader->list_series().size(), 1u);
    EXPECT_EQ(reader->list_series()[0].rows, 10);
    EXPECT_EQ(writer->commit().inserted, 20);
    EXPECT_EQ(reader->load_bars("BTC/USDT", kH1).size(), 30u);
    EXPECT_EQ(reader->last_bar_time("BTC/USDT", kH1), kT0 + 29 * kMsPerHour);
}

TEST_P(StoreContract, empty_writes_are_harmless) {
    BarSeries empty;
    empty.symbol = "BTC/USDT";
    const UpsertStats st = store_->upsert_bars(empty);
    EXPECT_EQ(st.inserted, 0);
    EXPECT_EQ(st.updated, 0);
    auto writer = store_->open_writer();
    EXPECT_EQ(writer->commit().inserted, 0);
    EXPECT_TRUE(store_->list_series().empty());
}

// Property: after any sequence of upserts and deletes the store equals a std::map model.
TEST_P(StoreContract, random_operations_match_an_in_memory_model) {
    std::mt19937_64 rng(20240601);
    using Key = std::pair<std::string, TimeMs>; // (symbol, open time), timeframe fixed per symbol
    std::map<Key, double> model;                // value: the close price
    const std::vector<std::string> symbols{"BTC/USDT", "ETH/USDT", "XAUUSD"};
    for (int round = 0; round < 25; ++round) {
        const std::string& sym = symbols[rng() % symbols.size()];
        const int op = static_cast<int>(rng() % 5);
        if (op < 4) {
            // Upsert a random run that may overlap earlier ones, in 1..3 writer chunks.
            auto writer = store_->open_writer();
            std::int64_t fresh = 0, total = 0;
            std::map<Key, double> pending = model;
            const int chunks = 1 + static_cast<int>(rng() % 3);
            for (int c = 0; c < chunks; ++c) {
                BarSeries s;
                s.symbol = sym;
                s.timeframe = kH1;
                const TimeMs start = kT0 + static_cast<TimeMs>(rng() % 200) * kMsPerHour;
                const std::size_t n = 1 + rng() % 60;
                for (std::size_t i = 0; i < n; ++i) {
                    const double close = static_cast<double>(rng() % 100000) / 7.0;
                    const TimeMs t = start + static_cast<TimeMs>(i) * kMsPerHour;
                    s.push_back(Bar{t, close, close + 1, close - 1, close, 1.0, 0});
                    if (!pending.count({sym, t}))
                        ++fresh;
                    pending[{sym, t}] = close;
                    ++total;
                }
                writer->write(s);
            }
            if (rng() % 4 == 0)
                continue; // abandoned writer: rolled back, model unchanged
            const UpsertStats st = writer->commit();
            EXPECT_EQ(st.inserted, fresh);
            EXPECT_EQ(st.updated, total - fresh);
            model = std::move(pending);
        } else {
            const TimeMs a = kT0 + static_cast<TimeMs>(rng() % 250) * kMsPerHour;
            const TimeMs b = a + static_cast<TimeMs>(rng() % 50) * kMsPerHour;
            std::int64_t expected = 0;
            for (auto it = model.lower_bound({sym, a});
                 it != model.end() && it->first.first == sym && it->first.second < b;) {
                it = model.erase(it);
                ++expected;
            }
            EXPECT_EQ(store_->delete_bars(sym, kH1, {a, b}), expected);
        }
        // Compare every symbol in full and one random range.
        for (const auto& s : symbols) {
            const BarSeries got = store_->load_bars(s, kH1);
            std::vector<std::pair<TimeMs, double>> want;
            for (auto it = model.lower_bound({s, INT64_MIN});
                 it != model.end() && it->first.first == s; ++it)
                want.emplace_back(it->first.second, it->second);
            ASSERT_EQ(got.size(), want.size()) << s << " round " << round;
            for (std::size_t i = 0; i < want.size(); ++i) {
                ASSERT_EQ(got.time[i], want[i].first);
                ASSERT_EQ(got.close[i], want[i].second);
            }
            const auto last = store_->last_bar_time(s, kH1);
            EXPECT_EQ(last.has_value(), !want.empty());
            if (last && !want.empty()) {
                EXPECT_EQ(*last, want.back().first);
            }
        }
        const TimeMs a = kT0 + static_cast<TimeMs>(rng() % 260) * kMsPerHour;
        const TimeMs b = a + static_cast<TimeMs>(rng() % 100) * kMsPerHour;
        std::size_t in_range = 0;
        for (const auto& [k, v] : model)
            if (k.first == sym && k.second >= a && k.second < b)
                ++in_range;
        EXPECT_EQ(store_->load_bars(sym, kH1, {a, b}).size(), in_range);
    }
    std::size_t listed = 0;
    for (const auto& info : store_->list_series())
        listed += static_cast<std::size_t>(info.rows);
    EXPECT_EQ(listed, model.size());
}

TEST_P(StoreContract, ohlcv_view_answers_the_seed_query) {
    const BarSeries bars = make_bars("BTC/USDT", kH1, kT0, 30);
    store_->upsert_bars(bars);
    store_->upsert_bars(make_bars("ETH/USDT", kH1, kT0, 40));
    const auto rows = store_->database().query(
        "SELECT time, open, high, low, close, volume FROM ohlcv WHERE symbol = 'BTC/USDT' "
        "ORDER BY time DESC LIMIT 10");
    ASSERT_EQ(rows.size(), 10u);
    EXPECT_EQ(rows[0].as_double(1), bars.open[29]);
    EXPECT_EQ(rows[9].as_double(5), bars.volume[20]);
    EXPECT_NE(rows[0].as_string(0).find("2024-01-02 05:00:00"), std::string::npos)
        << rows[0].as_string(0);
}

// ---- Database contract ------------------------------------------------------------------------

TEST_P(StoreContract, database_binds_and_returns_every_type) {
    Database& db = store_->database();
    db.exec("CREATE TABLE kv (k TEXT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, s TEXT)");
    const std::vector<SqlValue> row1{std::string("a"), std::int64_t{-9007199254740993}, 0.1,
                                     std::string("x'y\"z\\ Ω")};
    const std::vector<SqlValue> row2{std::string("b"), std::monostate{}, std::monostate{},
                                     std::monostate{}};
    db.exec("INSERT INTO kv (k, i, d, s) VALUES ($1, $2, $3, $4)", row1);
    db.exec("INSERT INTO kv (k, i, d, s) VALUES ($1, $2, $3, $4)", row2);
    // Placeholders may repeat and come in any order.
    const std::vector<SqlValue> upd{std::string("b"), std::int64_t{7}, 7.0};
    db.exec("UPDATE kv SET d = $3, i = $2 WHERE k = $1 OR k = $1", upd);
    const auto rows = db.query("SELECT k, i, d, s FROM kv ORDER BY k");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].as_string(0), "a");
    EXPECT_TRUE(std::holds_alternative<std::int64_t>(rows[0].cells[1]));
    EXPECT_EQ(rows[0].as_int(1), -9007199254740993);
    EXPECT_TRUE(std::holds_alternative<double>(rows[0].cells[2]));
    EXPECT_EQ(rows[0].as_double(2), 0.1);
    EXPECT_EQ(rows[0].as_string(3), "x'y\"z\\ Ω");
    EXPECT_EQ(rows[1].as_int(1), 7);
    EXPECT_EQ(rows[1].as_double(2), 7.0);
    EXPECT_TRUE(rows[1].is_null(3));
    const std::vector<SqlValue> key{std::string("zz")};
    EXPECT_FALSE(db.query_one("SELECT i FROM kv WHERE k = $1", key).has_value());
    const auto count = db.query_one("SELECT COUNT(*) FROM kv WHERE s IS NULL");
    ASSERT_TRUE(count.has_value());
    EXPECT_EQ(count->as_int(0), 1);
    EXPECT_THROW(rows[0].as_int(0), SystemError); // "a" is not an integer
}

TEST_P(StoreContract, database_transactions_commit_or_roll_back) {
    Database& db = store_->database();
    db.exec("CREATE TABLE t (v BIGINT NOT NULL)");
    const std::vector<SqlValue> one{std::int64_t{1}}, two{std::int64_t{2}}, three{std::int64_t{3}};
    db.begin();
    db.exec("INSERT INTO t (v) VALUES ($1)", one);
    db.rollback();
    {
        Transaction tx(db);
        db.exec("INSERT INTO t (v) VALUES ($1)", two);
        // destroyed without commit
    }
    {
        Transaction tx(db);
        db.exec("INSERT INTO t (v) VALUES ($1)", three);
        tx.commit();
    }
    const auto rows = db.query("SELECT v FROM t");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].as_int(0), 3);
}

TEST_P(StoreContract, database_errors_are_system_errors_and_leave_it_usable) {
    Database& db = store_->database();
    db.exec("CREATE TABLE u (v BIGINT PRIMARY KEY)");
    const std::vector<SqlValue> one{std::int64_t{1}};
    EXPECT_THROW(db.exec("SELEKT nonsense"), SystemError);
    EXPECT_THROW(db.query("SELECT v FROM missing_table"), SystemError);
    try {
        Transaction tx(db);
        db.exec("INSERT INTO u (v) VALUES ($1)", one);
        db.exec("INSERT INTO u (v) VALUES ($1)", one); // duplicate key
        tx.commit();
        FAIL() << "duplicate key accepted";
    } catch (const SystemError& e) {
        EXPECT_NE(std::string(e.what()).find(db.describe()), std::string::npos) << e.what();
    }
    EXPECT_TRUE(db.query("SELECT v FROM u").empty()); // the whole transaction rolled back
    db.exec("INSERT INTO u (v) VALUES ($1)", one);
    EXPECT_EQ(db.query("SELECT v FROM u").size(), 1u);
    EXPECT_EQ(db.dialect(), GetParam() == "postgres" ? SqlDialect::Postgres : SqlDialect::Sqlite);
}

} // namespace
} // namespace aurum
