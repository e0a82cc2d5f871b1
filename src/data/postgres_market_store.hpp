#pragma once
#include <memory>
#include <string>

#include "data/market_store.hpp"

namespace aurum {

/// MarketStore on PostgreSQL (same schema and contract as SQLite).
std::unique_ptr<MarketStore> open_postgres_market_store(const std::string& url);

} // namespace aurum
