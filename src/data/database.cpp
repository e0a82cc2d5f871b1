#include "data/database.hpp"

#include "core/error.hpp"
#include "data/postgres_database.hpp"
#include "data/sqlite_database.hpp"

namespace aurum {

std::int64_t SqlRow::as_int(std::size_t i) const {
    const SqlValue& v = cells.at(i);
    if (auto p = std::get_if<std::int64_t>(&v)) return *p;
    if (auto p = std::get_if<double>(&v)) return static_cast<std::int64_t>(*p);
    if (auto p = std::get_if<std::string>(&v)) {
        try {
            return std::stoll(*p);
        } catch (...) {
        }
    }
    throw SystemError("database column " + std::to_string(i) + " is not an integer");
}

double SqlRow::as_double(std::size_t i) const {
    const SqlValue& v = cells.at(i);
    if (auto p = std::get_if<double>(&v)) return *p;
    if (auto p = std::get_if<std::int64_t>(&v)) return static_cast<double>(*p);
    if (auto p = std::get_if<std::string>(&v)) {
        try {
            return std::stod(*p);
        } catch (...) {
        }
    }
    throw SystemError("database column " + std::to_string(i) + " is not a number");
}

std::string SqlRow::as_string(std::size_t i) const {
    const SqlValue& v = cells.at(i);
    if (auto p = std::get_if<std::string>(&v)) return *p;
    if (auto p = std::get_if<std::int64_t>(&v)) return std::to_string(*p);
    if (auto p = std::get_if<double>(&v)) return std::to_string(*p);
    return "";
}

std::optional<SqlRow> Database::query_one(std::string_view sql, std::span<const SqlValue> params) {
    auto rows = query(sql, params);
    if (rows.empty()) return std::nullopt;
    return std::move(rows.front());
}

bool is_postgres_spec(const std::string& spec) {
    return spec.rfind("postgresql://", 0) == 0 || spec.rfind("postgres://", 0) == 0;
}

std::unique_ptr<Database> open_database(const std::string& spec) {
    if (spec.empty()) throw InputError("--db: empty database path");
    if (is_postgres_spec(spec)) return open_postgres_database(spec);
    if (spec.find("://") != std::string::npos)
        throw InputError("--db: unsupported database URL '" + spec +
                         "' (use a SQLite file path or postgresql://user@host:port/dbname)");
    return std::make_unique<SqliteDatabase>(spec);
}

} // namespace aurum
