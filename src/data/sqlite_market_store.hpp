#pragma once
// MarketStore on SQLite: one `bars` table, batched upserts in one transaction.
#include <memory>

#include "data/market_store.hpp"
#include "data/sqlite_database.hpp"

namespace aurum {

class SqliteMarketStore final : public MarketStore {
  public:
    explicit SqliteMarketStore(std::unique_ptr<SqliteDatabase> db);

    std::unique_ptr<BarWriter> open_writer() override;
    BarSeries load_bars(const std::string& symbol, Timeframe tf, TimeRange range = {}) override;
    std::optional<TimeMs> last_bar_time(const std::string& symbol, Timeframe tf) override;
    std::vector<SeriesInfo> list_series() override;
    std::int64_t delete_bars(const std::string& symbol, Timeframe tf,
                             TimeRange range = {}) override;
    Database& database() override { return *db_; }

  private:
    std::unique_ptr<SqliteDatabase> db_;
};

} // namespace aurum
