#include "data/market_store.hpp"

#include "core/error.hpp"
#include "data/postgres_database.hpp"
#include "data/postgres_market_store.hpp"
#include "data/sqlite_market_store.hpp"

namespace aurum {

UpsertStats MarketStore::upsert_bars(const BarSeries& bars) {
    auto writer = open_writer();
    writer->write(bars);
    return writer->commit();
}

std::unique_ptr<MarketStore> open_market_store(const std::string& spec) {
    if (is_postgres_spec(spec)) return open_postgres_market_store(spec);
    auto db = open_database(spec);
    auto* sqlite = dynamic_cast<SqliteDatabase*>(db.get());
    if (!sqlite) throw InputError("--db: unsupported database '" + spec + "'");
    db.release();
    return std::make_unique<SqliteMarketStore>(std::unique_ptr<SqliteDatabase>(sqlite));
}

} // namespace aurum
