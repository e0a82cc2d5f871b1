#include "data/database_stats.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace aurum {

namespace {

std::vector<std::string> table_names(Database& db) {
    std::vector<std::string> out;
    const char* sql = db.dialect() == SqlDialect::Sqlite
                          ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT "
                            "LIKE 'sqlite_%' ORDER BY name"
                          : "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                            "ORDER BY tablename";
    for (const SqlRow& r : db.query(sql)) out.push_back(r.as_string(0));
    return out;
}

/// Table names come from the catalogue, never from users; quoting keeps odd names safe anyway.
std::string quoted(const std::string& name) {
    std::string q = "\"";
    for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

} // namespace

std::vector<TableSize> table_sizes(Database& db) {
    std::vector<TableSize> out;
    bool dbstat = db.dialect() == SqlDialect::Sqlite;
    for (const std::string& name : table_names(db)) {
        TableSize t;
        t.table = name;
        t.rows = db.query_one("SELECT COUNT(*) FROM " + quoted(name))->as_int(0);
        const std::vector<SqlValue> p{SqlValue{name}};
        if (db.dialect() == SqlDialect::Postgres) {
            t.bytes = db.query_one("SELECT pg_total_relation_size($1::regclass)", p)->as_int(0);
        } else if (dbstat) {
            try { // dbstat is a compile-time option of SQLite (Debian enables it)
                t.bytes = db.query_one("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = "
                                       "$1 OR name IN (SELECT name FROM sqlite_master WHERE "
                                       "type = 'index' AND tbl_name = $1)",
                                       p)
                              ->as_int(0);
            } catch (const SystemError&) {
                dbstat = false;
            }
        }
        out.push_back(t);
    }
    return out;
}

std::int64_t database_bytes(Database& db) {
    if (db.dialect() == SqlDialect::Postgres)
        return db.query_one("SELECT pg_database_size(current_database())")->as_int(0);
    const std::int64_t pages = db.query_one("PRAGMA page_count")->as_int(0);
    const std::int64_t size = db.query_one("PRAGMA page_size")->as_int(0);
    return pages * size;
}

std::string format_bytes(std::int64_t b) {
    if (b < 0) return "?";
    if (b < 1024) return fmt::format("{} B", b);
    if (b < 1024 * 1024) return fmt::format("{:.1f} kB", static_cast<double>(b) / 1024.0);
    if (b < 1024LL * 1024 * 1024)
        return fmt::format("{:.1f} MB", static_cast<double>(b) / (1024.0 * 1024.0));
    return fmt::format("{:.2f} GB", static_cast<double>(b) / (1024.0 * 1024.0 * 1024.0));
}

} // namespace aurum
