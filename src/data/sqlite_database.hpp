#pragma once
// SQLite backend of Database: WAL mode, cached prepared statements.
#include <map>
#include <memory>
#include <string>

#include "data/database.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace aurum {

/// A prepared statement owned by its SqliteDatabase; reset and rebound for each use.
class SqliteStatement {
  public:
    SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, const std::string& path)
        : db_(db), stmt_(stmt), path_(&path) {}
    void reset();
    void bind(int index, std::int64_t v);
    void bind(int index, double v);
    void bind(int index, std::string_view v);
    void bind_null(int index);
    void bind_value(int index, const SqlValue& v);
    /// Steps once; true when a row is available.
    bool step();
    std::int64_t column_int(int i) const;
    double column_double(int i) const;
    SqlValue column_value(int i) const;
    int column_count() const;
    sqlite3_stmt* raw() const { return stmt_; }

  private:
    sqlite3* db_;
    sqlite3_stmt* stmt_;
    const std::string* path_; ///< of the owning database, for error messages
};

class SqliteDatabase final : public Database {
  public:
    /// Opens (creating if missing) a database file. Throws SystemError naming the path.
    explicit SqliteDatabase(const std::string& path);
    ~SqliteDatabase() override;

    SqlDialect dialect() const override { return SqlDialect::Sqlite; }
    void exec(std::string_view sql, std::span<const SqlValue> params = {}) override;
    std::vector<SqlRow> query(std::string_view sql, std::span<const SqlValue> params = {}) override;
    void begin() override;
    void commit() override;
    void rollback() override;
    std::string describe() const override { return path_; }

    /// A cached prepared statement for `sql` (reset, bindings cleared).
    SqliteStatement& prepare(std::string_view sql);
    sqlite3* handle() const { return db_; }

  private:
    [[noreturn]] void fail(const std::string& what) const;

    std::string path_;
    sqlite3* db_ = nullptr;
    std::map<std::string, std::unique_ptr<SqliteStatement>, std::less<>> cache_;
};

} // namespace aurum
