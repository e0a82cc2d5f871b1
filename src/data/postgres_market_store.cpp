#include "data/postgres_market_store.hpp"

#include <charconv>
#include <pqxx/pqxx>

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
);
)sql";

constexpr const char* kStage = "aurum_bars_stage";

// Rows of one chunk reach `bars` in one statement. DISTINCT ON keeps the last copy of a key that
// appears twice in the chunk (as the SQLite backend does row by row); `xmax = 0` is true only
// for rows this statement inserted, so the count splits inserts from updates without a scan.
constexpr const char* kMerge = R"sql(
WITH up AS (
    INSERT INTO bars (symbol, timeframe_ms, open_time, open, high, low, close, volume, spread)
    SELECT DISTINCT ON (symbol, timeframe_ms, open_time)
           symbol, timeframe_ms, open_time, open, high, low, close, volume, spread
    FROM aurum_bars_stage
    ORDER BY symbol, timeframe_ms, open_time, seq DESC
    ON CONFLICT (symbol, timeframe_ms, open_time) DO UPDATE SET
        open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
        close = EXCLUDED.close, volume = EXCLUDED.volume, spread = EXCLUDED.spread
    RETURNING (xmax = 0) AS fresh)
SELECT COUNT(*) FILTER (WHERE fresh) FROM up
)sql";

void append_escaped(std::string& out, std::string_view text) {
    for (char c : text) {
        switch (c) {
        case '\\': out += "\\\\"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        default: out += c;
        }
    }
}

template <class T> void append_number(std::string& out, T v) {
    char buf[32];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

class PostgresBarWriter final : public BarWriter {
public:
    explicit PostgresBarWriter(PostgresDatabase& db) : db_(db), tx_(db) {
        // Dropped at the end of the transaction, whether it commits or rolls back.
        db_.exec("CREATE TEMP TABLE aurum_bars_stage (seq BIGINT NOT NULL, symbol TEXT NOT NULL, "
                 "timeframe_ms BIGINT NOT NULL, open_time BIGINT NOT NULL, "
                 "open DOUBLE PRECISION NOT NULL, high DOUBLE PRECISION NOT NULL, "
                 "low DOUBLE PRECISION NOT NULL, close DOUBLE PRECISION NOT NULL, "
                 "volume DOUBLE PRECISION NOT NULL, spread DOUBLE PRECISION) ON COMMIT DROP");
    }

    void write(const BarSeries& bars) override {
        if (bars.empty()) return;
        std::string prefix; // "symbol\ttimeframe\t", the same on every line of the chunk
        append_escaped(prefix, bars.symbol);
        prefix += '\t';
        append_number(prefix, static_cast<std::int64_t>(bars.timeframe.ms()));
        prefix += '\t';
        static const std::vector<std::string> columns{"seq",  "symbol", "timeframe_ms", "open_time",
                                                      "open", "high",   "low",          "close",
                                                      "volume", "spread"};
        std::size_t i = 0;
        const std::size_t n = bars.size();
        db_.copy_in(kStage, columns, [&](std::string& block) {
            const std::size_t end = std::min(n, i + 8192);
            block.reserve((end - i) * 120);
            for (; i < end; ++i) {
                append_number(block, seq_++);
                block += '\t';
                block += prefix;
                append_number(block, bars.time[i]);
                for (double v : {bars.open[i], bars.high[i], bars.low[i], bars.close[i],
                                 bars.volume[i]}) {
                    block += '\t';
                    append_number(block, v);
                }
                block += '\t';
                if (bars.has_spread())
                    append_number(block, bars.spread[i]);
                else
                    block += "\\N";
                block += '\n';
            }
            return i < n;
        });
        inserted_ += db_.query_one(kMerge)->as_int(0);
        db_.exec("TRUNCATE aurum_bars_stage");
        written_ += static_cast<std::int64_t>(n);
    }

    UpsertStats commit() override {
        tx_.commit();
        return UpsertStats{inserted_, written_ - inserted_};
    }

private:
    PostgresDatabase& db_;
    Transaction tx_;
    std::int64_t seq_ = 0;
    std::int64_t inserted_ = 0;
    std::int64_t written_ = 0;
};

double parse_double(const pqxx::field& f) {
    double v = 0;
    std::from_chars(f.c_str(), f.c_str() + f.size(), v);
    return v;
}

} // namespace

PostgresMarketStore::PostgresMarketStore(std::unique_ptr<PostgresDatabase> db)
    : db_(std::move(db)) {
    try {
        db_->exec(kSchema);
    } catch (const SystemError&) {
        // Two processes creating the table at once: one loses the race on the catalog; the
        // table exists now, so a second attempt succeeds.
        db_->exec(kSchema);
    }
}

std::unique_ptr<BarWriter> PostgresMarketStore::open_writer() {
    return std::make_unique<PostgresBarWriter>(*db_);
}

UpsertStats PostgresMarketStore::upsert_bars(const BarSeries& bars) {
    auto writer = open_writer();
    writer->write(bars);
    return writer->commit();
}

BarSeries PostgresMarketStore::load_bars(const std::string& symbol, Timeframe tf, TimeRange range) {
    BarSeries out;
    out.symbol = symbol;
    out.timeframe = tf;
    const std::vector<SqlValue> params{symbol, static_cast<std::int64_t>(tf.ms()), range.from,
                                       range.to};
    db_->query_raw("SELECT open_time, open, high, low, close, volume, spread FROM bars "
                   "WHERE symbol = $1 AND timeframe_ms = $2 AND open_time >= $3 AND open_time < $4 "
                   "ORDER BY open_time",
                   params, [&](const pqxx::result& r) {
                       const std::size_t n = r.size();
                       if (n == 0) return;
                       out.has_spread_column = !r[0][6].is_null();
                       out.reserve(n);
                       out.time.resize(n);
                       out.open.resize(n);
                       out.high.resize(n);
                       out.low.resize(n);
                       out.close.resize(n);
                       out.volume.resize(n);
                       if (out.has_spread_column) out.spread.resize(n);
                       for (std::size_t i = 0; i < n; ++i) {
                           const pqxx::row row = r[static_cast<pqxx::result::size_type>(i)];
                           const pqxx::field t = row[0];
                           std::from_chars(t.c_str(), t.c_str() + t.size(), out.time[i]);
                           out.open[i] = parse_double(row[1]);
                           out.high[i] = parse_double(row[2]);
                           out.low[i] = parse_double(row[3]);
                           out.close[i] = parse_double(row[4]);
                           out.volume[i] = parse_double(row[5]);
                           if (out.has_spread_column)
                               out.spread[i] = row[6].is_null() ? 0.0 : parse_double(row[6]);
                       }
                   });
    return out;
}

std::optional<TimeMs> PostgresMarketStore::last_bar_time(const std::string& symbol, Timeframe tf) {
    auto row = db_->query_one(
        "SELECT MAX(open_time) FROM bars WHERE symbol = $1 AND timeframe_ms = $2",
        std::vector<SqlValue>{symbol, static_cast<std::int64_t>(tf.ms())});
    if (!row || row->is_null(0)) return std::nullopt;
    return row->as_int(0);
}

std::vector<SeriesInfo> PostgresMarketStore::list_series() {
    std::vector<SeriesInfo> out;
    for (const SqlRow& r : db_->query("SELECT symbol, timeframe_ms, MIN(open_time), "
                                      "MAX(open_time), COUNT(*) FROM bars "
                                      "GROUP BY symbol, timeframe_ms "
                                      "ORDER BY symbol COLLATE \"C\", timeframe_ms")) {
        out.push_back(SeriesInfo{r.as_string(0), Timeframe(r.as_int(1)), r.as_int(2), r.as_int(3),
                                 r.as_int(4)});
    }
    return out;
}

std::int64_t PostgresMarketStore::delete_bars(const std::string& symbol, Timeframe tf,
                                              TimeRange range) {
    const std::vector<SqlValue> params{symbol, static_cast<std::int64_t>(tf.ms()), range.from,
                                       range.to};
    return db_
        ->query_one("WITH gone AS (DELETE FROM bars WHERE symbol = $1 AND timeframe_ms = $2 AND "
                    "open_time >= $3 AND open_time < $4 RETURNING 1) SELECT COUNT(*) FROM gone",
                    params)
        ->as_int(0);
}

std::unique_ptr<MarketStore> open_postgres_market_store(const std::string& url) {
    return std::make_unique<PostgresMarketStore>(std::make_unique<PostgresDatabase>(url));
}

} // namespace aurum
