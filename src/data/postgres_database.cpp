#include "data/postgres_database.hpp"

#include <libpq-fe.h>

#include <endian.h>

#include <charconv>
#include <cstring>
#include <exception>
#include <thread>

#include <pqxx/largeobject>
#include <pqxx/pqxx>

#include "core/error.hpp"

namespace aurum {

namespace {

// libpq type OIDs (pg_type.dat) of the columns we turn into numbers.
constexpr pqxx::oid kBoolOid = 16, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23, kOidOid = 26,
                    kFloat4Oid = 700, kFloat8Oid = 701, kNumericOid = 1700;

std::string quote_conninfo(const std::string& v) {
    std::string out = "'";
    for (char c : v) {
        if (c == '\'' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "'";
}

// Text form of a parameter: shortest round-trip for doubles, so PostgreSQL stores the exact value.
void param_text(const SqlValue& v, std::string& out) {
    char buf[64];
    if (auto p = std::get_if<std::int64_t>(&v)) {
        out.assign(buf, std::to_chars(buf, buf + sizeof buf, *p).ptr);
    } else if (auto d = std::get_if<double>(&v)) {
        out.assign(buf, std::to_chars(buf, buf + sizeof buf, *d).ptr);
    } else if (auto s = std::get_if<std::string>(&v)) {
        out = *s;
    }
}

SqlValue cell_value(const pqxx::field& f, pqxx::oid type) {
    if (f.is_null())
        return std::monostate{};
    const char* b = f.c_str();
    const char* e = b + f.size();
    switch (type) {
    case kBoolOid:
        return std::int64_t{*b == 't' ? 1 : 0};
    case kInt8Oid:
    case kInt2Oid:
    case kInt4Oid:
    case kOidOid: {
        std::int64_t v = 0;
        if (std::from_chars(b, e, v).ec == std::errc{})
            return v;
        break;
    }
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid: {
        double v = 0;
        if (std::from_chars(b, e, v).ec == std::errc{})
            return v;
        break;
    }
    default:
        break;
    }
    return std::string(b, f.size());
}

} // namespace

std::string redact_postgres_url(const std::string& url) {
    std::string out = url;
    // user:password@ in the authority part.
    const auto scheme = out.find("://");
    if (scheme != std::string::npos) {
        const auto start = scheme + 3;
        const auto end = out.find_first_of("/?", start);
        const auto at = out.rfind('@', end == std::string::npos ? out.size() : end);
        if (at != std::string::npos && at >= start) {
            const auto colon = out.find(':', start);
            if (colon != std::string::npos && colon < at)
                out.replace(colon + 1, at - colon - 1, "***");
        }
    }
    // ?password=... or &password=... in the query part.
    for (std::size_t pos = out.find("password="); pos != std::string::npos;
         pos = out.find("password=", pos + 1)) {
        if (pos > 0 && out[pos - 1] != '?' && out[pos - 1] != '&')
            continue;
        const auto vstart = pos + 9;
        const auto vend = out.find('&', vstart);
        out.replace(vstart, (vend == std::string::npos ? out.size() : vend) - vstart, "***");
    }
    return out;
}

namespace {
// libpq quotes the URL in some of its messages: never let a password through.
std::string scrub(std::string msg, const std::string& url, const std::string& redacted) {
    for (auto pos = msg.find(url); !url.empty() && pos != std::string::npos;
         pos = msg.find(url, pos + redacted.size()))
        msg.replace(pos, url.size(), redacted);
    // Whatever the redaction replaced with *** is a secret wherever else it appears.
    std::size_t i = 0, j = 0;
    while (i < url.size() && j < redacted.size()) {
        if (url[i] == redacted[j]) {
            ++i, ++j;
            continue;
        }
        if (redacted.compare(j, 3, "***") != 0)
            break;
        const auto end = url.find_first_of("@&", i);
        const std::string secret =
            url.substr(i, end == std::string::npos ? std::string::npos : end - i);
        if (!secret.empty())
            for (auto pos = msg.find(secret); pos != std::string::npos;
                 pos = msg.find(secret, pos + 3))
                msg.replace(pos, secret.size(), "***");
        i = end == std::string::npos ? url.size() : end;
        j += 3;
    }
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
        msg.pop_back();
    return msg;
}
} // namespace

PostgresTarget parse_postgres_url(const std::string& url) {
    PostgresTarget t;
    t.redacted = redact_postgres_url(url);
    if (!is_postgres_spec(url))
        throw InputError("--db: '" + t.redacted + "' is not a postgresql:// URL");
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
    if (!opts) {
        const std::string why = scrub(err ? err : "cannot parse", url, t.redacted);
        PQfreemem(err);
        throw InputError("--db: malformed PostgreSQL URL '" + t.redacted + "': " + why +
                         " (expected postgresql://user[:password]@host[:port]/dbname)");
    }
    bool has_timeout = false;
    for (PQconninfoOption* o = opts; o->keyword; ++o) {
        if (!o->val)
            continue;
        const std::string key = o->keyword, val = o->val;
        if (key == "host" || key == "hostaddr") {
            if (t.host.empty() || key == "host")
                t.host = val;
        } else if (key == "port") {
            t.port = val;
        } else if (key == "connect_timeout") {
            has_timeout = true;
        }
        if (!t.conninfo.empty())
            t.conninfo += ' ';
        t.conninfo += key + "=" + quote_conninfo(val);
    }
    PQconninfoFree(opts);
    if (t.port.empty()) {
        t.port = "5432";
    } else {
        int port = 0;
        const auto r = std::from_chars(t.port.data(), t.port.data() + t.port.size(), port);
        if (r.ec != std::errc{} || r.ptr != t.port.data() + t.port.size() || port < 1 ||
            port > 65535)
            throw InputError("--db: malformed PostgreSQL URL '" + t.redacted + "': port '" +
                             t.port + "' is not a number in 1..65535");
    }
    if (t.host.empty())
        t.host = "localhost";
    // A server that never answers should not hang the CLI forever.
    if (!has_timeout)
        t.conninfo += " connect_timeout='10'";
    return t;
}

struct PostgresDatabase::Impl {
    explicit Impl(const std::string& conninfo) : conn(conninfo) {}
    ~Impl() {
        for (PGconn* r : readers)
            if (r)
                PQfinish(r);
    }
    pqxx::connection conn;
    std::vector<PGconn*> readers; ///< copy_out_binary's connections, opened on first use
    std::unique_ptr<pqxx::work> tx;              ///< open between begin() and commit()/rollback()
    std::unique_ptr<pqxx::nontransaction> auto_; ///< autocommit statements otherwise
    std::map<std::string, std::string, std::less<>> prepared; ///< SQL text -> statement name
    std::vector<std::string> texts;                           ///< parameter buffers (reused)
    std::vector<const char*> ptrs;
};

PostgresDatabase::PostgresDatabase(const std::string& url) : target_(parse_postgres_url(url)) {
    try {
        impl_ = std::make_unique<Impl>(target_.conninfo);
    } catch (const std::exception& e) {
        const std::string why = scrub(e.what(), url, target_.redacted);
        throw SystemError("cannot connect to PostgreSQL at " + target_.host + ":" + target_.port +
                          " (" + target_.redacted + "): " + why);
    }
    // Notices ("relation already exists, skipping") would otherwise land on stderr.
    exec("SET client_min_messages TO WARNING");
}

PostgresDatabase::~PostgresDatabase() {
    if (!impl_)
        return;
    try {
        if (impl_->tx)
            impl_->tx->abort();
    } catch (...) {
    }
    impl_->tx.reset();
    impl_->auto_.reset();
}

void PostgresDatabase::fail(const std::exception& e) const {
    std::string why = e.what();
    while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
        why.pop_back();
    throw SystemError("PostgreSQL (" + target_.redacted + "): " + why);
}

pqxx::transaction_base& PostgresDatabase::current() {
    if (impl_->tx)
        return *impl_->tx;
    if (!impl_->auto_)
        impl_->auto_ = std::make_unique<pqxx::nontransaction>(impl_->conn);
    return *impl_->auto_;
}

namespace {
pqxx::result run(pqxx::transaction_base& tx, pqxx::connection& conn,
                 std::map<std::string, std::string, std::less<>>& prepared,
                 std::vector<std::string>& texts, std::vector<const char*>& ptrs,
                 std::string_view sql, std::span<const SqlValue> params) {
    if (params.empty())
        return tx.exec(std::string(sql));
    auto it = prepared.find(sql);
    if (it == prepared.end()) {
        const std::string name = "aurum_" + std::to_string(prepared.size());
        conn.prepare(name, std::string(sql));
        it = prepared.emplace(std::string(sql), name).first;
    }
    texts.resize(params.size());
    ptrs.resize(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (std::holds_alternative<std::monostate>(params[i])) {
            ptrs[i] = nullptr;
        } else {
            param_text(params[i], texts[i]);
            ptrs[i] = texts[i].c_str();
        }
    }
    return tx.exec_prepared(it->second, pqxx::prepare::make_dynamic_params(ptrs));
}
} // namespace

void PostgresDatabase::exec(std::string_view sql, std::span<const SqlValue> params) {
    try {
        run(current(), impl_->conn, impl_->prepared, impl_->texts, impl_->ptrs, sql, params);
    } catch (const pqxx::failure& e) {
        fail(e);
    } catch (const pqxx::usage_error& e) {
        fail(e);
    }
}

std::vector<SqlRow> PostgresDatabase::query(std::string_view sql,
                                            std::span<const SqlValue> params) {
    std::vector<SqlRow> rows;
    query_raw(sql, params, [&](const pqxx::result& r) {
        const auto ncols = static_cast<std::size_t>(r.columns());
        std::vector<pqxx::oid> types(ncols);
        for (std::size_t c = 0; c < ncols; ++c)
            types[c] = r.column_type(static_cast<pqxx::row::size_type>(c));
        rows.reserve(r.size());
        for (const auto& row : r) {
            SqlRow out;
            out.cells.reserve(ncols);
            for (std::size_t c = 0; c < ncols; ++c)
                out.cells.push_back(
                    cell_value(row[static_cast<pqxx::row::size_type>(c)], types[c]));
            rows.push_back(std::move(out));
        }
    });
    return rows;
}

void PostgresDatabase::query_raw(std::string_view sql, std::span<const SqlValue> params,
                                 const std::function<void(const pqxx::result&)>& consume) {
    pqxx::result r;
    try {
        r = run(current(), impl_->conn, impl_->prepared, impl_->texts, impl_->ptrs, sql, params);
    } catch (const pqxx::failure& e) {
        fail(e);
    } catch (const pqxx::usage_error& e) {
        fail(e);
    }
    consume(r);
}

void PostgresDatabase::begin() {
    if (impl_->tx)
        throw SystemError("PostgreSQL (" + target_.redacted +
                          "): cannot start a transaction within a transaction");
    impl_->auto_.reset();
    try {
        impl_->tx = std::make_unique<pqxx::work>(impl_->conn);
    } catch (const pqxx::failure& e) {
        fail(e);
    }
}

void PostgresDatabase::commit() {
    if (!impl_->tx)
        throw SystemError("PostgreSQL (" + target_.redacted + "): commit without a transaction");
    auto tx = std::move(impl_->tx);
    try {
        tx->commit();
    } catch (const pqxx::failure& e) {
        fail(e);
    }
}

void PostgresDatabase::rollback() {
    if (!impl_->tx)
        throw SystemError("PostgreSQL (" + target_.redacted + "): rollback without a transaction");
    auto tx = std::move(impl_->tx);
    try {
        tx->abort();
    } catch (const pqxx::failure& e) {
        fail(e);
    }
}

namespace {

[[noreturn]] void throw_pg(const PostgresTarget& target, std::string why) {
    while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
        why.pop_back();
    throw SystemError("PostgreSQL (" + target.redacted + "): " + why);
}

// libpqxx 6.4 has no public accessor of a transaction's PGconn (copy_in_binary needs it: the
// binary COPY must run in the writer's own transaction); largeobject, which calls libpq's
// large-object functions directly, has a protected one that a subclass may call.
struct RawConnection : pqxx::largeobject {
    static PGconn* of(const pqxx::dbtransaction& tx) { return largeobject::raw_connection(tx); }
};

using ResultPtr = std::unique_ptr<PGresult, void (*)(PGresult*)>;

/// The final status of the statement on `conn` (empty when it succeeded), draining its results.
std::string finish_statement(PGconn* conn) {
    std::string why;
    while (PGresult* r = PQgetResult(conn)) {
        if (why.empty() && PQresultStatus(r) != PGRES_COMMAND_OK)
            why = PQresultErrorMessage(r);
        PQclear(r);
    }
    return why;
}

std::int16_t load_be16(const char* p) {
    std::uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return static_cast<std::int16_t>(be16toh(v));
}

std::int32_t load_be32(const char* p) {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return static_cast<std::int32_t>(be32toh(v));
}

std::uint64_t load_be64(const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return be64toh(v);
}

} // namespace

std::int64_t BinaryTuple::int64(int col) const {
    return static_cast<std::int64_t>(load_be64(field_[col]));
}

double BinaryTuple::float8(int col) const {
    const std::uint64_t v = load_be64(field_[col]);
    double d;
    std::memcpy(&d, &v, sizeof d);
    return d;
}

PGconn* PostgresDatabase::reader(std::size_t slot) {
    PGconn*& conn = impl_->readers.at(slot);
    if (conn && PQstatus(conn) != CONNECTION_OK) {
        PQfinish(conn);
        conn = nullptr;
    }
    if (!conn) {
        conn = PQconnectdb(target_.conninfo.c_str());
        if (PQstatus(conn) != CONNECTION_OK) {
            const std::string why = PQerrorMessage(conn);
            PQfinish(conn);
            conn = nullptr;
            throw_pg(target_, why);
        }
    }
    return conn;
}

/// Decodes the rows of a binary COPY stream (after its header), chunk by chunk: per row a field
/// count (int16, -1 ends the data), per field its length (int32, -1 = NULL) and its bytes.
struct BinaryCopyParser {
    explicit BinaryCopyParser(const std::function<void(const BinaryTuple&)>& f) : on_row(f) {}
    const std::function<void(const BinaryTuple&)>& on_row;
    bool ended = false;
    std::string error;
    BinaryTuple t;

    /// Hands every complete row in [p, p + n) to on_row, in place; returns the bytes consumed
    /// (a row cut at the end of the chunk waits for the next one).
    std::size_t feed(const char* p, std::size_t n) {
        std::size_t pos = 0;
        while (!ended && n - pos >= 2) {
            const int fields = load_be16(p + pos);
            if (fields < 0) {
                ended = true;
                return pos + 2;
            }
            if (fields > BinaryTuple::kMaxFields) {
                error = "binary COPY row of " + std::to_string(fields) + " fields";
                ended = true;
                return pos;
            }
            std::size_t at = pos + 2;
            int c = 0;
            for (; c < fields && n - at >= 4; ++c) {
                const std::int32_t len = load_be32(p + at);
                if (len > 0 && n - at - 4 < static_cast<std::size_t>(len))
                    break;
                t.len_[c] = len;
                t.field_[c] = p + at + 4;
                at += 4 + static_cast<std::size_t>(std::max<std::int32_t>(len, 0));
            }
            if (c < fields)
                return pos;
            t.n_ = fields;
            on_row(t);
            pos = at;
        }
        return pos;
    }
};

bool PostgresDatabase::copy_out_binary(const std::string& select,
                                       const std::function<void(const BinaryTuple&)>& on_row) {
    if (impl_->tx)
        return false;
    if (impl_->readers.empty())
        impl_->readers.resize(1);
    copy_out(reader(0), select, on_row);
    return true;
}

bool PostgresDatabase::copy_out_binary_parallel(
    const std::vector<std::string>& selects,
    const std::vector<std::function<void(const BinaryTuple&)>>& on_rows) {
    if (impl_->tx)
        return false;
    if (selects.size() == 1)
        return copy_out_binary(selects[0], on_rows[0]);
    if (impl_->readers.size() < selects.size())
        impl_->readers.resize(selects.size()); // before the threads: each touches its own slot
    std::vector<std::exception_ptr> errors(selects.size());
    std::vector<std::thread> threads;
    for (std::size_t k = 0; k < selects.size(); ++k)
        threads.emplace_back([&, k] {
            try {
                copy_out(reader(k), selects[k], on_rows[k]);
            } catch (...) {
                errors[k] = std::current_exception();
            }
        });
    for (auto& t : threads)
        t.join();
    // Only the first reader stays open: a store holds two connections between reads, as many
    // Dask workers may each hold a store on one server (max_connections).
    for (std::size_t k = 1; k < impl_->readers.size(); ++k) {
        PQfinish(impl_->readers[k]);
        impl_->readers[k] = nullptr;
    }
    for (const auto& e : errors)
        if (e)
            std::rethrow_exception(e);
    return true;
}

void PostgresDatabase::copy_out(PGconn* conn, const std::string& select,
                                const std::function<void(const BinaryTuple&)>& on_row) {
    {
        const std::string sql = "COPY (" + select + ") TO STDOUT (FORMAT binary)";
        ResultPtr start(PQexec(conn, sql.c_str()), PQclear);
        if (PQresultStatus(start.get()) != PGRES_COPY_OUT)
            throw_pg(target_, PQresultErrorMessage(start.get()));
    }
    BinaryCopyParser parser(on_row);
    try {
        read_copy_stream(conn, parser);
    } catch (...) { // on_row's own error: leave the connection ready for the next statement
        char* raw = nullptr;
        while (PQgetCopyData(conn, &raw, 0) >= 0)
            PQfreemem(raw);
        finish_statement(conn);
        throw;
    }
    const std::string why = finish_statement(conn);
    if (!why.empty() || !parser.error.empty())
        throw_pg(target_, why.empty() ? parser.error : why);
}

// The server sends a row per message: rows are parsed where libpq put them; only the header or
// a row split across messages is gathered in `pending` first.
void PostgresDatabase::read_copy_stream(PGconn* conn, BinaryCopyParser& parser) {
    std::string pending;
    bool header = false;
    for (;;) {
        char* raw = nullptr;
        const int n = PQgetCopyData(conn, &raw, 0);
        if (n == -1)
            break;
        if (n == -2)
            throw_pg(target_, PQerrorMessage(conn));
        const std::unique_ptr<char, void (*)(void*)> chunk(raw, PQfreemem);
        if (parser.ended)
            continue; // drain what the server still sends after an error
        if (header && pending.empty()) {
            const std::size_t used = parser.feed(chunk.get(), static_cast<std::size_t>(n));
            if (used < static_cast<std::size_t>(n))
                pending.assign(chunk.get() + used, static_cast<std::size_t>(n) - used);
            continue;
        }
        pending.append(chunk.get(), static_cast<std::size_t>(n));
        std::size_t from = 0;
        if (!header) {
            // An 11-byte signature, flags (int32) and the length of a header extension.
            if (pending.size() < 19 || pending.size() < 19 + std::size_t(load_be32(&pending[15])))
                continue;
            from = 19 + static_cast<std::size_t>(load_be32(&pending[15]));
            header = true;
        }
        from += parser.feed(pending.data() + from, pending.size() - from);
        pending.erase(0, from);
    }
}

void PostgresDatabase::copy_in_binary(const std::string& table,
                                      const std::vector<std::string>& columns,
                                      const std::function<bool(std::string&)>& fill) {
    std::unique_ptr<pqxx::work> own; // outside begin()/commit(): a transaction of its own
    try {
        if (!impl_->tx) {
            impl_->auto_.reset();
            own = std::make_unique<pqxx::work>(impl_->conn);
        }
    } catch (const pqxx::failure& e) {
        fail(e);
    }
    PGconn* conn = RawConnection::of(impl_->tx ? *impl_->tx : *own);
    std::string sql = "COPY " + table + " (";
    for (std::size_t c = 0; c < columns.size(); ++c)
        sql += (c ? ", " : "") + columns[c];
    sql += ") FROM STDIN (FORMAT binary)";
    {
        ResultPtr start(PQexec(conn, sql.c_str()), PQclear);
        if (PQresultStatus(start.get()) != PGRES_COPY_IN)
            throw_pg(target_, PQresultErrorMessage(start.get()));
    }
    // The stream: the 11-byte signature, flags (0) and header extension length (0), the rows,
    // and a field count of -1 as the trailer.
    static constexpr char kHeader[19] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n'};
    std::string block(kHeader, sizeof kHeader);
    std::string error;
    try {
        for (bool more = true; more && error.empty();) {
            more = fill(block);
            if (!more)
                block.append("\xff\xff", 2);
            if (!block.empty() &&
                PQputCopyData(conn, block.data(), static_cast<int>(block.size())) != 1)
                error = PQerrorMessage(conn);
            block.clear();
        }
    } catch (...) { // `fill`'s own error: the server discards the rows sent so far
        PQputCopyEnd(conn, "aborted by the client");
        finish_statement(conn);
        throw;
    }
    if (PQputCopyEnd(conn, error.empty() ? nullptr : "aborted by the client") != 1 &&
        error.empty())
        error = PQerrorMessage(conn);
    const std::string why = finish_statement(conn);
    if (!why.empty() || !error.empty())
        throw_pg(target_, why.empty() ? error : why);
    if (own) {
        try {
            own->commit();
        } catch (const pqxx::failure& e) {
            fail(e);
        }
    }
}

std::unique_ptr<Database> open_postgres_database(const std::string& url) {
    return std::make_unique<PostgresDatabase>(url);
}

} // namespace aurum
