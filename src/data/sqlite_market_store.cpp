#include "data/sqlite_market_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <optional>
#include <type_traits>

#include "core/error.hpp"

namespace aurum {

namespace {

// `series` names each (symbol, timeframe) once; `bars` is keyed by (series_id, open_time) in a
// WITHOUT ROWID table, so a bar is one B-tree entry with a small integer key (comparisons and
// rows are cheaper than with the symbol text in every key). `ohlcv` is the readable view for
// people who query the file by hand (the seed's `SELECT time, open, ... FROM ohlcv`).
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    symbol TEXT NOT NULL,
    timeframe_ms BIGINT NOT NULL,
    UNIQUE (symbol, timeframe_ms)
);
CREATE TABLE IF NOT EXISTS bars (
    series_id INTEGER NOT NULL,
    open_time BIGINT NOT NULL,
    open DOUBLE PRECISION NOT NULL,
    high DOUBLE PRECISION NOT NULL,
    low DOUBLE PRECISION NOT NULL,
    close DOUBLE PRECISION NOT NULL,
    volume DOUBLE PRECISION NOT NULL,
    spread DOUBLE PRECISION,
    PRIMARY KEY (series_id, open_time)
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS ohlcv AS
    SELECT s.symbol, s.timeframe_ms, b.open_time,
           strftime('%Y-%m-%d %H:%M:%S', b.open_time / 1000, 'unixepoch') AS time,
           b.open, b.high, b.low, b.close, b.volume, b.spread
    FROM bars b JOIN series s ON s.id = b.series_id;
)sql";

// The first schema kept the symbol text in every bar's key; move such a file's bars over.
constexpr const char* kMigrateV0 = R"sql(
ALTER TABLE bars RENAME TO bars_v0;
)sql";
constexpr const char* kMigrateV0Copy = R"sql(
INSERT OR IGNORE INTO series (symbol, timeframe_ms) SELECT DISTINCT symbol, timeframe_ms FROM bars_v0;
INSERT INTO bars (series_id, open_time, open, high, low, close, volume, spread)
    SELECT s.id, v.open_time, v.open, v.high, v.low, v.close, v.volume, v.spread
    FROM bars_v0 v JOIN series s ON s.symbol = v.symbol AND s.timeframe_ms = v.timeframe_ms;
DROP TABLE bars_v0;
)sql";

std::optional<std::int64_t> find_series(SqliteDatabase& db, const std::string& symbol,
                                        std::int64_t tf) {
    SqliteStatement& st =
        db.prepare("SELECT id FROM series WHERE symbol = ?1 AND timeframe_ms = ?2");
    st.bind(1, std::string_view(symbol));
    st.bind(2, tf);
    std::optional<std::int64_t> id;
    if (st.step())
        id = st.column_int(0);
    st.reset();
    return id;
}

std::int64_t find_or_create_series(SqliteDatabase& db, const std::string& symbol, std::int64_t tf) {
    if (auto id = find_series(db, symbol, tf))
        return *id;
    SqliteStatement& st = db.prepare("INSERT INTO series (symbol, timeframe_ms) VALUES (?1, ?2)");
    st.bind(1, std::string_view(symbol));
    st.bind(2, tf);
    st.step();
    st.reset();
    return sqlite3_last_insert_rowid(db.handle());
}

// One upsert statement per bar. Inserts and updates are told apart by counting the series' rows
// inside the chunk's own time span before and after it (an index range scan over at most the
// chunk's rows; zero for the usual append of newer bars), never by scanning the whole series.
constexpr const char* kUpsert =
    "INSERT INTO bars (series_id, open_time, open, high, low, close, volume, spread) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
    "ON CONFLICT (series_id, open_time) DO UPDATE SET open = excluded.open, "
    "high = excluded.high, low = excluded.low, close = excluded.close, "
    "volume = excluded.volume, spread = excluded.spread";
constexpr const char* kCountSpan =
    "SELECT COUNT(*) FROM bars WHERE series_id = ?1 AND open_time >= ?2 AND open_time <= ?3";

class SqliteBarWriter final : public BarWriter {
  public:
    explicit SqliteBarWriter(SqliteDatabase& db) : db_(db), tx_(db) {}

    void write(const BarSeries& bars) override {
        if (bars.empty())
            return;
        const std::int64_t series =
            find_or_create_series(db_, bars.symbol, static_cast<std::int64_t>(bars.timeframe.ms()));
        const auto [lo, hi] = std::minmax_element(bars.time.begin(), bars.time.end());
        const std::int64_t before = count_span(series, *lo, *hi);

        SqliteStatement& up = db_.prepare(kUpsert);
        sqlite3_stmt* st = up.raw();
        sqlite3_bind_int64(st, 1, series);
        const bool spread = bars.has_spread();
        const std::size_t n = bars.size();
        for (std::size_t i = 0; i < n; ++i) {
            sqlite3_bind_int64(st, 2, bars.time[i]);
            sqlite3_bind_double(st, 3, bars.open[i]);
            sqlite3_bind_double(st, 4, bars.high[i]);
            sqlite3_bind_double(st, 5, bars.low[i]);
            sqlite3_bind_double(st, 6, bars.close[i]);
            sqlite3_bind_double(st, 7, bars.volume[i]);
            if (spread)
                sqlite3_bind_double(st, 8, bars.spread[i]);
            else
                sqlite3_bind_null(st, 8);
            up.step();
            sqlite3_reset(st);
        }
        up.reset();

        inserted_ += count_span(series, *lo, *hi) - before;
        written_ += static_cast<std::int64_t>(n);
    }

    UpsertStats commit() override {
        tx_.commit();
        return UpsertStats{inserted_, written_ - inserted_};
    }

  private:
    std::int64_t count_span(std::int64_t series, TimeMs lo, TimeMs hi) {
        SqliteStatement& st = db_.prepare(kCountSpan);
        st.bind(1, series);
        st.bind(2, static_cast<std::int64_t>(lo));
        st.bind(3, static_cast<std::int64_t>(hi));
        const std::int64_t n = st.step() ? st.column_int(0) : 0;
        st.reset();
        return n;
    }

    SqliteDatabase& db_;
    Transaction tx_;
    std::int64_t inserted_ = 0;
    std::int64_t written_ = 0;
};

// Open time of the first or last bar in range (an index probe), for sizing the columns up front.
std::optional<TimeMs> edge_time(SqliteDatabase& db, std::int64_t series, TimeRange range,
                                bool last) {
    SqliteStatement& st =
        db.prepare(last ? "SELECT open_time FROM bars WHERE series_id = ?1 AND open_time >= ?2 AND "
                          "open_time < ?3 ORDER BY open_time DESC LIMIT 1"
                        : "SELECT open_time FROM bars WHERE series_id = ?1 AND open_time >= ?2 AND "
                          "open_time < ?3 ORDER BY open_time LIMIT 1");
    st.bind(1, series);
    st.bind(2, static_cast<std::int64_t>(range.from));
    st.bind(3, static_cast<std::int64_t>(range.to));
    std::optional<TimeMs> t;
    if (st.step())
        t = st.column_int(0);
    st.reset();
    return t;
}

} // namespace

SqliteMarketStore::SqliteMarketStore(std::unique_ptr<SqliteDatabase> db) : db_(std::move(db)) {
    const bool old_layout =
        !db_->query("SELECT 1 FROM pragma_table_info('bars') WHERE name = 'symbol'").empty();
    const bool current =
        !old_layout && !db_->query("SELECT 1 FROM sqlite_master WHERE name = 'ohlcv'").empty();
    // Readers must not take the write lock: an import in another process may hold it for long.
    if (current)
        return;
    Transaction tx(*db_);
    if (old_layout)
        db_->exec(kMigrateV0);
    db_->exec(kSchema);
    if (old_layout)
        db_->exec(kMigrateV0Copy);
    tx.commit();
}

std::unique_ptr<BarWriter> SqliteMarketStore::open_writer() {
    return std::make_unique<SqliteBarWriter>(*db_);
}

BarSeries SqliteMarketStore::load_bars(const std::string& symbol, Timeframe tf, TimeRange range) {
    BarSeries out;
    out.symbol = symbol;
    out.timeframe = tf;
    const auto tf_ms = static_cast<std::int64_t>(tf.ms());
    const auto series = find_series(*db_, symbol, tf_ms);
    if (!series)
        return out;
    const auto first = edge_time(*db_, *series, range, false);
    if (!first)
        return out;
    const auto last = edge_time(*db_, *series, range, true);
    // A series without gaps has exactly this many bars; gaps only make it an overestimate.
    const auto span = tf_ms > 0 ? (*last - *first) / tf_ms + 1 : 0;
    const auto expected = static_cast<std::size_t>(std::clamp<std::int64_t>(span, 0, 1 << 26));

    SqliteStatement& st = db_->prepare(
        "SELECT open_time, open, high, low, close, volume, spread FROM bars "
        "WHERE series_id = ?1 AND open_time >= ?2 AND open_time < ?3 ORDER BY open_time");
    st.bind(1, *series);
    st.bind(2, static_cast<std::int64_t>(range.from));
    st.bind(3, static_cast<std::int64_t>(range.to));
    sqlite3_stmt* raw = st.raw();
    if (!st.step()) {
        st.reset();
        return out;
    }
    // Whether the series carries a spread is decided by its first bar (a source has one or not).
    out.has_spread_column = sqlite3_column_type(raw, 6) != SQLITE_NULL;
    out.reserve(expected);
    // One instantiation per case keeps the spread test out of the per-row loop.
    const auto read_rows = [&](auto with_spread) {
        do {
            out.time.push_back(sqlite3_column_int64(raw, 0));
            out.open.push_back(sqlite3_column_double(raw, 1));
            out.high.push_back(sqlite3_column_double(raw, 2));
            out.low.push_back(sqlite3_column_double(raw, 3));
            out.close.push_back(sqlite3_column_double(raw, 4));
            out.volume.push_back(sqlite3_column_double(raw, 5));
            if constexpr (decltype(with_spread)::value)
                out.spread.push_back(sqlite3_column_double(raw, 6)); // NULL reads as 0
        } while (st.step());
    };
    if (out.has_spread_column)
        read_rows(std::true_type{});
    else
        read_rows(std::false_type{});
    st.reset();
    return out;
}

std::optional<TimeMs> SqliteMarketStore::last_bar_time(const std::string& symbol, Timeframe tf) {
    const auto series = find_series(*db_, symbol, static_cast<std::int64_t>(tf.ms()));
    if (!series)
        return std::nullopt;
    return edge_time(*db_, *series, TimeRange{}, true);
}

std::vector<SeriesInfo> SqliteMarketStore::list_series() {
    std::vector<SeriesInfo> out;
    // MIN and MAX are index probes; COUNT walks only that series' entries.
    for (const SqlRow& r : db_->query(
             "SELECT symbol, timeframe_ms, "
             "(SELECT open_time FROM bars WHERE series_id = s.id ORDER BY open_time LIMIT 1), "
             "(SELECT open_time FROM bars WHERE series_id = s.id ORDER BY open_time DESC LIMIT 1), "
             "(SELECT COUNT(*) FROM bars WHERE series_id = s.id) "
             "FROM series s ORDER BY symbol, timeframe_ms")) {
        if (r.is_null(2))
            continue; // every bar deleted
        out.push_back(SeriesInfo{r.as_string(0), Timeframe(r.as_int(1)), r.as_int(2), r.as_int(3),
                                 r.as_int(4)});
    }
    return out;
}

std::int64_t SqliteMarketStore::delete_bars(const std::string& symbol, Timeframe tf,
                                            TimeRange range) {
    const auto series = find_series(*db_, symbol, static_cast<std::int64_t>(tf.ms()));
    if (!series)
        return 0;
    const std::vector<SqlValue> params{*series, range.from, range.to};
    // One statement is atomic on its own; changes() counts exactly the rows it removed.
    db_->exec("DELETE FROM bars WHERE series_id = $1 AND open_time >= $2 AND open_time < $3",
              params);
    return sqlite3_changes64(db_->handle());
}

} // namespace aurum
