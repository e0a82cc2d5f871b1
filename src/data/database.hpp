#pragma once
// A SQL connection behind one interface for SQLite and PostgreSQL. Every layer that persists
// state (features metadata, model registry mirror, live trading state) goes through this.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace aurum {

/// A SQL parameter or result cell. NULL is std::monostate.
using SqlValue = std::variant<std::monostate, std::int64_t, double, std::string>;

/// One result row with typed accessors that throw SystemError on a type mismatch.
struct SqlRow {
    std::vector<SqlValue> cells;
    bool is_null(std::size_t i) const { return std::holds_alternative<std::monostate>(cells.at(i)); }
    std::int64_t as_int(std::size_t i) const;
    double as_double(std::size_t i) const; ///< accepts integer cells too
    std::string as_string(std::size_t i) const;
};

enum class SqlDialect { Sqlite, Postgres };

/// A connection. SQL uses the common subset of both dialects: `$1, $2, ...` placeholders,
/// BIGINT / DOUBLE PRECISION / TEXT columns, `INSERT ... ON CONFLICT (...) DO UPDATE`.
/// Not thread-safe: one connection per thread.
class Database {
public:
    virtual ~Database() = default;
    virtual SqlDialect dialect() const = 0;
    /// Runs one statement (or, with no params, a script of several). Throws SystemError.
    virtual void exec(std::string_view sql, std::span<const SqlValue> params = {}) = 0;
    virtual std::vector<SqlRow> query(std::string_view sql,
                                      std::span<const SqlValue> params = {}) = 0;
    virtual void begin() = 0;
    virtual void commit() = 0;
    virtual void rollback() = 0;
    /// A human-readable name of what is open ("data/aurum.db", "postgresql://host/db").
    virtual std::string describe() const = 0;

    /// Convenience: the first row, or nullopt.
    std::optional<SqlRow> query_one(std::string_view sql, std::span<const SqlValue> params = {});
};

/// Commits on commit(); rolls back when destroyed uncommitted (exceptions leave nothing written).
class Transaction {
public:
    explicit Transaction(Database& db) : db_(db) { db_.begin(); }
    ~Transaction() {
        if (!done_) {
            try {
                db_.rollback();
            } catch (...) {
            }
        }
    }
    void commit() {
        db_.commit();
        done_ = true;
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

private:
    Database& db_;
    bool done_ = false;
};

/// Opens "path/to/file.db" (SQLite, WAL mode, created if missing) or "postgresql://..." (libpqxx).
/// Throws InputError for a malformed spec, SystemError when it cannot connect or open.
std::unique_ptr<Database> open_database(const std::string& spec);

} // namespace aurum
