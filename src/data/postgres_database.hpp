#pragma once
// PostgreSQL backend of Database (libpqxx 6.4).
#include <endian.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/database.hpp"

namespace pqxx {
class transaction_base;
class result;
} // namespace pqxx
struct pg_conn;

namespace aurum {

/// True for "postgresql://..." and "postgres://..." specs.
bool is_postgres_spec(const std::string& spec);

/// The URL with any password replaced by "***" (for messages and logs).
std::string redact_postgres_url(const std::string& url);

/// Where a postgresql:// URL points, after validating it.
struct PostgresTarget {
    std::string conninfo; ///< libpq keyword/value string (with a connect timeout added)
    std::string redacted; ///< the URL without its password
    std::string host;     ///< host name, address or socket directory
    std::string port;     ///< "5432" when the URL has none
};

/// Validates a postgresql:// URL. Throws InputError naming the (redacted) URL when malformed.
PostgresTarget parse_postgres_url(const std::string& url);

struct BinaryCopyParser;

/// One row of a binary COPY: each field's bytes (numbers big-endian), NULL without bytes.
class BinaryTuple {
  public:
    static constexpr int kMaxFields = 16;
    int size() const { return n_; }
    bool is_null(int col) const { return len_[col] < 0; }
    std::int64_t int64(int col) const; ///< a BIGINT field
    double float8(int col) const;      ///< a DOUBLE PRECISION field

  private:
    friend struct BinaryCopyParser;
    // Set field by field as a row is parsed (not zeroed per row: half a million rows a second).
    const char* field_[kMaxFields];
    int len_[kMaxFields];
    int n_ = 0;
};

/// Appends rows in PostgreSQL's binary COPY format to a buffer (for copy_in_binary): per row a
/// field count, per field its length and its bytes, numbers big-endian (no text to parse).
class BinaryRowEncoder {
  public:
    explicit BinaryRowEncoder(std::string& out) : out_(out) {}
    void row(std::int16_t fields) { put(htobe16(static_cast<std::uint16_t>(fields))); }
    void int64(std::int64_t v) { field8(static_cast<std::uint64_t>(v)); }
    void float8(double v) { field8(std::bit_cast<std::uint64_t>(v)); }
    void null() { put(htobe32(static_cast<std::uint32_t>(-1))); }

  private:
    void field8(std::uint64_t v) {
        put(htobe32(8u));
        put(htobe64(v));
    }
    template <class T> void put(T v) {
        char b[sizeof v];
        std::memcpy(b, &v, sizeof v);
        out_.append(b, sizeof v);
    }
    std::string& out_;
};

/// A libpqxx connection. Outside begin()/commit() every statement runs in autocommit mode.
class PostgresDatabase final : public Database {
  public:
    /// Connects. Throws InputError for a malformed URL, SystemError naming host:port when the
    /// server cannot be reached or refuses the login.
    explicit PostgresDatabase(const std::string& url);
    ~PostgresDatabase() override;

    SqlDialect dialect() const override { return SqlDialect::Postgres; }
    void exec(std::string_view sql, std::span<const SqlValue> params = {}) override;
    std::vector<SqlRow> query(std::string_view sql, std::span<const SqlValue> params = {}) override;
    void begin() override;
    void commit() override;
    void rollback() override;
    std::string describe() const override { return target_.redacted; }

    /// Bulk load with COPY FROM STDIN (FORMAT binary) into `table` (`columns`), in the open
    /// transaction (the COPY alone commits otherwise). `fill` appends complete rows encoded with
    /// BinaryRowEncoder (fields in `columns` order) and returns false once there is nothing more
    /// to send. The server parses no text (a text COPY's float parsing was most of its work).
    void copy_in_binary(const std::string& table, const std::vector<std::string>& columns,
                        const std::function<bool(std::string&)>& fill);

    /// Runs a parameterised query and hands the raw libpqxx result to `consume`, for bulk readers
    /// that must not box every cell into a SqlValue.
    void query_raw(std::string_view sql, std::span<const SqlValue> params,
                   const std::function<void(const pqxx::result&)>& consume);

    /// Bulk reads outside a transaction: `COPY (select) TO STDOUT (FORMAT binary)` on a second
    /// (libpq) connection of the same URL, each row handed to `on_row` as it is parsed (numbers
    /// arrive as their bytes: no text formatting on the server, no parsing or result set here).
    /// `select` takes no parameters (inline only numbers). Returns false without running when a
    /// transaction is open on this connection (its own uncommitted writes are visible only
    /// here: use query_raw then).
    bool copy_out_binary(const std::string& select,
                         const std::function<void(const BinaryTuple&)>& on_row);

    /// copy_out_binary of several selects at once, each on its own reader connection and
    /// thread: a long read split into ranges has each part formatted by its own server backend
    /// (the server's per-row work is most of a large read). `on_rows[k]` gets the rows of
    /// `selects[k]`, on the k-th thread. The first error is rethrown after all have finished.
    /// The extra connections are closed again afterwards (one reader stays open).
    bool copy_out_binary_parallel(
        const std::vector<std::string>& selects,
        const std::vector<std::function<void(const BinaryTuple&)>>& on_rows);

  private:
    struct Impl;
    pqxx::transaction_base& current();
    ::pg_conn* reader(std::size_t slot); ///< copy_out_binary's connections, opened on first use
    void copy_out(::pg_conn* conn, const std::string& select,
                  const std::function<void(const BinaryTuple&)>& on_row);
    void read_copy_stream(::pg_conn* conn, BinaryCopyParser& parser);
    [[noreturn]] void fail(const std::exception& e) const;

    PostgresTarget target_;
    std::unique_ptr<Impl> impl_;
};

/// Connects to a postgresql:// URL. Throws InputError for a malformed URL, SystemError when the
/// server cannot be reached (the message names host and port, never the password).
std::unique_ptr<Database> open_postgres_database(const std::string& url);

} // namespace aurum
