#include "data/sqlite_database.hpp"

#include <sqlite3.h>

#include <filesystem>

#include "core/error.hpp"

namespace aurum {

void SqliteStatement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}
void SqliteStatement::bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
}
void SqliteStatement::bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
}
void SqliteStatement::bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void SqliteStatement::bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
}

void SqliteStatement::bind_value(int i, const SqlValue& v) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                bind_null(i);
            } else if constexpr (std::is_same_v<T, std::string>) {
                bind(i, std::string_view(x));
            } else {
                bind(i, x);
            }
        },
        v);
}

bool SqliteStatement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    throw SystemError("SQLite (" + *path_ + "): " + sqlite3_errmsg(db_));
}

std::int64_t SqliteStatement::column_int(int i) const {
    return sqlite3_column_int64(stmt_, i);
}
double SqliteStatement::column_double(int i) const {
    return sqlite3_column_double(stmt_, i);
}
int SqliteStatement::column_count() const {
    return sqlite3_column_count(stmt_);
}

SqlValue SqliteStatement::column_value(int i) const {
    switch (sqlite3_column_type(stmt_, i)) {
    case SQLITE_INTEGER:
        return sqlite3_column_int64(stmt_, i);
    case SQLITE_FLOAT:
        return sqlite3_column_double(stmt_, i);
    case SQLITE_NULL:
        return std::monostate{};
    default: {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
        return std::string(text ? text : "",
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)));
    }
    }
}

SqliteDatabase::SqliteDatabase(const std::string& path) : path_(path) {
    namespace fs = std::filesystem;
    const fs::path p(path);
    if (p.has_parent_path() && !fs::is_directory(p.parent_path()))
        throw SystemError("cannot open database " + path + ": directory " +
                          p.parent_path().string() + " does not exist");
    if (fs::exists(p) && fs::is_directory(p))
        throw SystemError("cannot open database " + path + ": it is a directory");
    // NOMUTEX: a connection is used by one thread at a time (Database is documented so), which
    // spares a mutex lock/unlock in every sqlite3_* call of the bulk paths.
    if (sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        const std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        db_ = nullptr;
        throw SystemError("cannot open database " + path + ": " + msg);
    }
    sqlite3_busy_timeout(db_, 5000);
    // A file that is not a database fails on the first statement: say so clearly.
    char* err = nullptr;
    // 16 KB pages (only takes effect on a new file) halve the B-tree page count of a bar table.
    // WAL + synchronous=NORMAL: a commit is durable against a process crash and costs no fsync
    // of its own (the WAL is synced at checkpoints). A 32 MB page cache keeps a bulk import's
    // B-tree pages in memory; reads go through mmap, which saves a copy per page on large loads.
    if (sqlite3_exec(db_,
                     "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                     "PRAGMA foreign_keys=ON; "
                     "PRAGMA cache_size=-32768; PRAGMA mmap_size=268435456; "
                     "PRAGMA temp_store=MEMORY;",
                     nullptr, nullptr, &err) != SQLITE_OK) {
        const std::string msg = err ? err : "unknown error";
        sqlite3_free(err);
        sqlite3_close(db_);
        db_ = nullptr;
        throw SystemError("cannot open database " + path + ": " + msg);
    }
}

SqliteDatabase::~SqliteDatabase() {
    for (auto& [sql, stmt] : cache_)
        sqlite3_finalize(stmt->raw());
    cache_.clear();
    if (db_)
        sqlite3_close(db_);
}

void SqliteDatabase::fail(const std::string& what) const {
    throw SystemError("SQLite (" + path_ + "): " + what + ": " + sqlite3_errmsg(db_));
}

SqliteStatement& SqliteDatabase::prepare(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
            SQLITE_OK)
            fail("prepare '" + std::string(sql) + "'");
        it = cache_.emplace(std::string(sql), std::make_unique<SqliteStatement>(db_, stmt, path_))
                 .first;
    }
    it->second->reset();
    return *it->second;
}

// Binds $1..$N by name so a statement may use them in any order.
static void bind_params(SqliteStatement& st, std::span<const SqlValue> params) {
    for (std::size_t i = 0; i < params.size(); ++i) {
        const std::string name = "$" + std::to_string(i + 1);
        int index = sqlite3_bind_parameter_index(st.raw(), name.c_str());
        if (index == 0)
            index = static_cast<int>(i + 1);
        st.bind_value(index, params[i]);
    }
}

void SqliteDatabase::exec(std::string_view sql, std::span<const SqlValue> params) {
    if (params.empty()) {
        char* err = nullptr;
        const std::string text(sql);
        if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
            const std::string msg = err ? err : "unknown error";
            sqlite3_free(err);
            throw SystemError("SQLite (" + path_ + "): " + msg);
        }
        return;
    }
    SqliteStatement& st = prepare(sql);
    bind_params(st, params);
    while (st.step()) {
    }
    st.reset();
}

std::vector<SqlRow> SqliteDatabase::query(std::string_view sql, std::span<const SqlValue> params) {
    SqliteStatement& st = prepare(sql);
    bind_params(st, params);
    std::vector<SqlRow> rows;
    const int n = st.column_count();
    while (st.step()) {
        SqlRow row;
        row.cells.reserve(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i)
            row.cells.push_back(st.column_value(i));
        rows.push_back(std::move(row));
    }
    st.reset();
    return rows;
}

void SqliteDatabase::begin() {
    exec("BEGIN IMMEDIATE");
}
void SqliteDatabase::commit() {
    exec("COMMIT");
}
void SqliteDatabase::rollback() {
    exec("ROLLBACK");
}

} // namespace aurum
