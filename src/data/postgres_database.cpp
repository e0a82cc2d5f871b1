// TEMPORARY: replaced by the PostgreSQL backend work in progress this session.
#include "data/postgres_database.hpp"
#include "data/postgres_market_store.hpp"

#include "core/error.hpp"

namespace aurum {

std::unique_ptr<Database> open_postgres_database(const std::string&) {
    throw SystemError("PostgreSQL backend not built yet");
}
std::unique_ptr<MarketStore> open_postgres_market_store(const std::string&) {
    throw SystemError("PostgreSQL backend not built yet");
}

} // namespace aurum
