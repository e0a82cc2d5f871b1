#pragma once
// MarketStore on PostgreSQL: the same `bars` table and contract as SQLite, hash-partitioned by
// series. New bars are COPYed straight into `bars`; chunks that overlap stored bars go through
// COPY into a temporary staging table and one INSERT ... ON CONFLICT per chunk.
#include <memory>
#include <string>

#include "data/market_store.hpp"
#include "data/postgres_database.hpp"

namespace aurum {

/// MarketStore on PostgreSQL (same schema and contract as SqliteMarketStore).
class PostgresMarketStore final : public MarketStore {
  public:
    explicit PostgresMarketStore(std::unique_ptr<PostgresDatabase> db);

    std::unique_ptr<BarWriter> open_writer() override;
    BarSeries load_bars(const std::string& symbol, Timeframe tf, TimeRange range = {}) override;
    std::optional<TimeMs> last_bar_time(const std::string& symbol, Timeframe tf) override;
    std::vector<SeriesInfo> list_series() override;
    std::int64_t delete_bars(const std::string& symbol, Timeframe tf,
                             TimeRange range = {}) override;
    Database& database() override { return *db_; }

  private:
    std::unique_ptr<PostgresDatabase> db_;
};

/// Connects to `url` and creates the schema if needed.
std::unique_ptr<MarketStore> open_postgres_market_store(const std::string& url);

} // namespace aurum
