#include "data/sqlite_market_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <optional>

#include "core/error.hpp"

namespace aurum {

namespace {
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS bars (
    symbol TEXT NOT NULL,
    timeframe_ms BIGINT NOT NULL,
    open_time BIGINT NOT NULL,
    open DOUBLE PRECISION NOT NULL,
    high DOUBLE PRECISION NOT NULL,
    low DOUBLE PRECISION NOT NULL,
    close DOUBLE PRECISION NOT NULL,
    volume DOUBLE PRECISION NOT NULL,
    spread DOUBLE PRECISION,
    PRIMARY KEY (symbol, timeframe_ms, open_time)
) WITHOUT ROWID;
)sql";
} // namespace

SqliteMarketStore::SqliteMarketStore(std::unique_ptr<SqliteDatabase> db) : db_(std::move(db)) {
    db_->exec(kSchema);
}

namespace {

// One upsert statement per bar. Inserts and updates are told apart by counting the series' rows
// inside the chunk's own time span before and after it (an index range scan over at most the
// chunk's rows; zero for the usual append of newer bars), never by scanning the whole series.
constexpr const char* kUpsert =
    "INSERT INTO bars (symbol, timeframe_ms, open_time, open, high, low, close, volume, spread) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
    "ON CONFLICT (symbol, timeframe_ms, open_time) DO UPDATE SET open = excluded.open, "
    "high = excluded.high, low = excluded.low, close = excluded.close, "
    "volume = excluded.volume, spread = excluded.spread";
constexpr const char* kCountSpan =
    "SELECT COUNT(*) FROM bars WHERE symbol = ?1 AND timeframe_ms = ?2 AND open_time >= ?3 AND "
    "open_time <= ?4";

class SqliteBarWriter final : public BarWriter {
public:
    explicit SqliteBarWriter(SqliteDatabase& db) : db_(db), tx_(db) {}

    void write(const BarSeries& bars) override {
        if (bars.empty()) return;
        const auto [lo, hi] = std::minmax_element(bars.time.begin(), bars.time.end());
        const std::int64_t before = count_span(bars, *lo, *hi);

        SqliteStatement& up = db_.prepare(kUpsert);
        sqlite3_stmt* st = up.raw();
        // The chunk outlives every step below, so SQLite need not copy the symbol.
        sqlite3_bind_text(st, 1, bars.symbol.data(), static_cast<int>(bars.symbol.size()),
                          SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, static_cast<sqlite3_int64>(bars.timeframe.ms()));
        const bool spread = bars.has_spread();
        const std::size_t n = bars.size();
        for (std::size_t i = 0; i < n; ++i) {
            sqlite3_bind_int64(st, 3, bars.time[i]);
            sqlite3_bind_double(st, 4, bars.open[i]);
            sqlite3_bind_double(st, 5, bars.high[i]);
            sqlite3_bind_double(st, 6, bars.low[i]);
            sqlite3_bind_double(st, 7, bars.close[i]);
            sqlite3_bind_double(st, 8, bars.volume[i]);
            if (spread)
                sqlite3_bind_double(st, 9, bars.spread[i]);
            else
                sqlite3_bind_null(st, 9);
            up.step();
            sqlite3_reset(st);
        }
        up.reset(); // drop the reference to the caller's symbol before the chunk goes away

        inserted_ += count_span(bars, *lo, *hi) - before;
        written_ += static_cast<std::int64_t>(n);
    }

    UpsertStats commit() override {
        tx_.commit();
        return UpsertStats{inserted_, written_ - inserted_};
    }

private:
    std::int64_t count_span(const BarSeries& bars, TimeMs lo, TimeMs hi) {
        SqliteStatement& st = db_.prepare(kCountSpan);
        st.bind(1, std::string_view(bars.symbol));
        st.bind(2, static_cast<std::int64_t>(bars.timeframe.ms()));
        st.bind(3, static_cast<std::int64_t>(lo));
        st.bind(4, static_cast<std::int64_t>(hi));
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
std::optional<TimeMs> edge_time(SqliteDatabase& db, const std::string& symbol, std::int64_t tf,
                                TimeRange range, bool last) {
    SqliteStatement& st = db.prepare(
        last ? "SELECT open_time FROM bars WHERE symbol = ?1 AND timeframe_ms = ?2 AND "
               "open_time >= ?3 AND open_time < ?4 ORDER BY open_time DESC LIMIT 1"
             : "SELECT open_time FROM bars WHERE symbol = ?1 AND timeframe_ms = ?2 AND "
               "open_time >= ?3 AND open_time < ?4 ORDER BY open_time LIMIT 1");
    st.bind(1, std::string_view(symbol));
    st.bind(2, tf);
    st.bind(3, static_cast<std::int64_t>(range.from));
    st.bind(4, static_cast<std::int64_t>(range.to));
    std::optional<TimeMs> t;
    if (st.step()) t = st.column_int(0);
    st.reset();
    return t;
}

} // namespace

std::unique_ptr<BarWriter> SqliteMarketStore::open_writer() {
    return std::make_unique<SqliteBarWriter>(*db_);
}

UpsertStats SqliteMarketStore::upsert_bars(const BarSeries& bars) {
    auto writer = open_writer();
    writer->write(bars);
    return writer->commit();
}

BarSeries SqliteMarketStore::load_bars(const std::string& symbol, Timeframe tf, TimeRange range) {
    BarSeries out;
    out.symbol = symbol;
    out.timeframe = tf;
    const auto tf_ms = static_cast<std::int64_t>(tf.ms());
    const auto first = edge_time(*db_, symbol, tf_ms, range, false);
    if (!first) return out;
    const auto last = edge_time(*db_, symbol, tf_ms, range, true);
    // A series without gaps has exactly this many bars; gaps only make it an overestimate.
    const auto span = tf_ms > 0 ? (*last - *first) / tf_ms + 1 : 0;
    const auto expected = static_cast<std::size_t>(std::clamp<std::int64_t>(span, 0, 1 << 26));

    SqliteStatement& st = db_->prepare(
        "SELECT open_time, open, high, low, close, volume, spread FROM bars "
        "WHERE symbol = ?1 AND timeframe_ms = ?2 AND open_time >= ?3 AND open_time < ?4 "
        "ORDER BY open_time");
    st.bind(1, std::string_view(symbol));
    st.bind(2, tf_ms);
    st.bind(3, static_cast<std::int64_t>(range.from));
    st.bind(4, static_cast<std::int64_t>(range.to));
    sqlite3_stmt* raw = st.raw();
    if (!st.step()) {
        st.reset();
        return out;
    }
    out.has_spread_column = sqlite3_column_type(raw, 6) != SQLITE_NULL;
    out.reserve(expected);
    if (out.has_spread_column) {
        do {
            out.time.push_back(sqlite3_column_int64(raw, 0));
            out.open.push_back(sqlite3_column_double(raw, 1));
            out.high.push_back(sqlite3_column_double(raw, 2));
            out.low.push_back(sqlite3_column_double(raw, 3));
            out.close.push_back(sqlite3_column_double(raw, 4));
            out.volume.push_back(sqlite3_column_double(raw, 5));
            out.spread.push_back(sqlite3_column_double(raw, 6)); // NULL reads as 0
        } while (st.step());
    } else {
        do {
            out.time.push_back(sqlite3_column_int64(raw, 0));
            out.open.push_back(sqlite3_column_double(raw, 1));
            out.high.push_back(sqlite3_column_double(raw, 2));
            out.low.push_back(sqlite3_column_double(raw, 3));
            out.close.push_back(sqlite3_column_double(raw, 4));
            out.volume.push_back(sqlite3_column_double(raw, 5));
        } while (st.step());
    }
    st.reset();
    return out;
}

std::optional<TimeMs> SqliteMarketStore::last_bar_time(const std::string& symbol, Timeframe tf) {
    auto row = db_->query_one("SELECT MAX(open_time) FROM bars WHERE symbol = $1 AND timeframe_ms = $2",
                              std::vector<SqlValue>{symbol, static_cast<std::int64_t>(tf.ms())});
    if (!row || row->is_null(0)) return std::nullopt;
    return row->as_int(0);
}

std::vector<SeriesInfo> SqliteMarketStore::list_series() {
    std::vector<SeriesInfo> out;
    for (const SqlRow& r : db_->query("SELECT symbol, timeframe_ms, MIN(open_time), MAX(open_time), "
                                      "COUNT(*) FROM bars GROUP BY symbol, timeframe_ms "
                                      "ORDER BY symbol, timeframe_ms")) {
        out.push_back(SeriesInfo{r.as_string(0), Timeframe(r.as_int(1)), r.as_int(2), r.as_int(3),
                                 r.as_int(4)});
    }
    return out;
}

std::int64_t SqliteMarketStore::delete_bars(const std::string& symbol, Timeframe tf, TimeRange range) {
    const std::vector<SqlValue> params{symbol, static_cast<std::int64_t>(tf.ms()), range.from, range.to};
    // One statement is atomic on its own; changes() counts exactly the rows it removed.
    db_->exec("DELETE FROM bars WHERE symbol = $1 AND timeframe_ms = $2 AND open_time >= $3 AND "
              "open_time < $4",
              params);
    return sqlite3_changes64(db_->handle());
}

} // namespace aurum
