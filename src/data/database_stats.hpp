#pragma once
// Sizes of a database and its tables (SQLite: dbstat pages; PostgreSQL: pg_total_relation_size),
// for `aurum db maintain` and the data-quality report.
#include <cstdint>
#include <string>
#include <vector>

#include "data/database.hpp"

namespace aurum {

/// One table's row count and the bytes it occupies (-1 when the engine cannot tell).
struct TableSize {
    std::string table;
    std::int64_t rows = 0;
    std::int64_t bytes = -1;
};

/// Every user table (indexes counted with their table where the engine can tell), by name.
std::vector<TableSize> table_sizes(Database& db);
/// The whole database: SQLite page_count x page_size (WAL excluded), PostgreSQL
/// pg_database_size.
std::int64_t database_bytes(Database& db);
/// "1.2 MB", "532 kB", "812 B".
std::string format_bytes(std::int64_t bytes);

} // namespace aurum
