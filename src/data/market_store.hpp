#pragma once
// MarketStore: where candles (and derived per-bar series) live. SQLite and PostgreSQL backends
// pass one shared contract test suite.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bar_series.hpp"
#include "core/timeframe.hpp"
#include "data/database.hpp"

namespace aurum {

/// What the store holds for one (symbol, timeframe).
struct SeriesInfo {
    std::string symbol;
    Timeframe timeframe;
    TimeMs first = 0; ///< open time of the first bar
    TimeMs last = 0;  ///< open time of the last bar
    std::int64_t rows = 0;
};

/// Result of an upsert: how many bars were new and how many replaced existing ones.
struct UpsertStats {
    std::int64_t inserted = 0;
    std::int64_t updated = 0;
};

/// Streams bars into the store inside one transaction: write() chunks, then commit().
/// Destroying it uncommitted rolls everything back, so a failed import writes nothing.
class BarWriter {
public:
    virtual ~BarWriter() = default;
    virtual void write(const BarSeries& chunk) = 0;
    virtual UpsertStats commit() = 0;
};

/// Candle storage keyed by (symbol, timeframe, open time).
class MarketStore {
public:
    virtual ~MarketStore() = default;

    /// A writer holding one open transaction (only one writer at a time per store).
    virtual std::unique_ptr<BarWriter> open_writer() = 0;

    /// Inserts or replaces bars in one transaction (one writer, one chunk): all or none.
    UpsertStats upsert_bars(const BarSeries& bars);
    /// Bars with open time in [range.from, range.to), ascending.
    virtual BarSeries load_bars(const std::string& symbol, Timeframe tf, TimeRange range = {}) = 0;
    /// Open time of the newest stored bar, or nullopt when none.
    virtual std::optional<TimeMs> last_bar_time(const std::string& symbol, Timeframe tf) = 0;
    /// Every stored (symbol, timeframe) with range and row count, sorted by symbol then timeframe.
    virtual std::vector<SeriesInfo> list_series() = 0;
    /// Deletes bars of (symbol, tf) in range; returns how many.
    virtual std::int64_t delete_bars(const std::string& symbol, Timeframe tf, TimeRange range = {}) = 0;

    /// The underlying connection, for layers that keep their own tables in the same database.
    virtual Database& database() = 0;
};

/// Opens the store at `spec` (SQLite path or postgresql:// URL), creating the schema if needed.
std::unique_ptr<MarketStore> open_market_store(const std::string& spec);

} // namespace aurum
