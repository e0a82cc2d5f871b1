#include "data/sqlite_market_store.hpp"

#include <sqlite3.h>

#include <map>

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

std::int64_t count_rows(SqliteDatabase& db, const std::string& symbol, std::int64_t tf) {
    return db.query_one("SELECT COUNT(*) FROM bars WHERE symbol = $1 AND timeframe_ms = $2",
                        std::vector<SqlValue>{symbol, tf})
        ->as_int(0);
}

class SqliteBarWriter final : public BarWriter {
public:
    explicit SqliteBarWriter(SqliteDatabase& db) : db_(db), tx_(db) {}

    void write(const BarSeries& bars) override {
        if (bars.empty()) return;
        const std::int64_t tf = bars.timeframe.ms();
        const auto key = std::make_pair(bars.symbol, tf);
        if (!before_.count(key)) before_[key] = count_rows(db_, bars.symbol, tf);
        written_ += static_cast<std::int64_t>(bars.size());
        SqliteStatement& st = db_.prepare(
            "INSERT INTO bars (symbol, timeframe_ms, open_time, open, high, low, close, volume, "
            "spread) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
            "ON CONFLICT (symbol, timeframe_ms, open_time) DO UPDATE SET open = excluded.open, "
            "high = excluded.high, low = excluded.low, close = excluded.close, "
            "volume = excluded.volume, spread = excluded.spread");
        st.bind(1, std::string_view(bars.symbol));
        st.bind(2, tf);
        for (std::size_t i = 0; i < bars.size(); ++i) {
            sqlite3_reset(st.raw());
            st.bind(3, bars.time[i]);
            st.bind(4, bars.open[i]);
            st.bind(5, bars.high[i]);
            st.bind(6, bars.low[i]);
            st.bind(7, bars.close[i]);
            st.bind(8, bars.volume[i]);
            if (bars.has_spread())
                st.bind(9, bars.spread[i]);
            else
                st.bind_null(9);
            st.step();
        }
    }

    UpsertStats commit() override {
        std::int64_t inserted = 0;
        for (const auto& [key, before] : before_)
            inserted += count_rows(db_, key.first, key.second) - before;
        tx_.commit();
        return UpsertStats{inserted, written_ - inserted};
    }

private:
    SqliteDatabase& db_;
    Transaction tx_;
    std::map<std::pair<std::string, std::int64_t>, std::int64_t> before_;
    std::int64_t written_ = 0;
};

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
    SqliteStatement& st = db_->prepare(
        "SELECT open_time, open, high, low, close, volume, spread FROM bars "
        "WHERE symbol = ?1 AND timeframe_ms = ?2 AND open_time >= ?3 AND open_time < ?4 "
        "ORDER BY open_time");
    st.bind(1, std::string_view(symbol));
    st.bind(2, static_cast<std::int64_t>(tf.ms()));
    st.bind(3, static_cast<std::int64_t>(range.from));
    st.bind(4, static_cast<std::int64_t>(range.to));
    sqlite3_stmt* raw = st.raw();
    bool first = true;
    while (st.step()) {
        if (first) {
            out.has_spread_column = sqlite3_column_type(raw, 6) != SQLITE_NULL;
            first = false;
        }
        out.time.push_back(sqlite3_column_int64(raw, 0));
        out.open.push_back(sqlite3_column_double(raw, 1));
        out.high.push_back(sqlite3_column_double(raw, 2));
        out.low.push_back(sqlite3_column_double(raw, 3));
        out.close.push_back(sqlite3_column_double(raw, 4));
        out.volume.push_back(sqlite3_column_double(raw, 5));
        if (out.has_spread_column) out.spread.push_back(sqlite3_column_double(raw, 6));
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
    Transaction tx(*db_);
    const std::vector<SqlValue> params{symbol, static_cast<std::int64_t>(tf.ms()), range.from, range.to};
    const std::int64_t n =
        db_->query_one("SELECT COUNT(*) FROM bars WHERE symbol = $1 AND timeframe_ms = $2 AND "
                       "open_time >= $3 AND open_time < $4",
                       params)
            ->as_int(0);
    db_->exec("DELETE FROM bars WHERE symbol = $1 AND timeframe_ms = $2 AND open_time >= $3 AND "
              "open_time < $4",
              params);
    tx.commit();
    return n;
}

} // namespace aurum
