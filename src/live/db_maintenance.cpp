#include "live/db_maintenance.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>
#include <zlib.h>

#include "core/error.hpp"

namespace aurum {

const std::map<std::string, std::string>& archivable_tables() {
    static const std::map<std::string, std::string> t{
        {"live_audit", "time"},       {"live_equity", "time"}, {"live_predictions", "time"},
        {"live_risk_decisions", "time"}, {"live_signals", "time"},
    };
    return t;
}

namespace {

std::string known_tables() {
    std::string s;
    for (const auto& [name, col] : archivable_tables()) s += (s.empty() ? "" : ", ") + name;
    return s;
}

constexpr int kMaxDays = 365 * 100;

} // namespace

MaintenanceConfig MaintenanceConfig::from_node(const ConfigNode& root) {
    MaintenanceConfig c;
    if (!root.defined()) return c;
    root.allow_keys({"retention_days", "archive_dir", "gzip"});
    const ConfigNode r = root.child("retention_days");
    for (const std::string& table : r.keys()) {
        if (!archivable_tables().count(table))
            r.fail(table, "not an archivable table (known: " + known_tables() + ")");
        const long long d = r.get_int(table, 0);
        if (d < 1 || d > kMaxDays)
            r.fail(table, "retention must be 1.." + std::to_string(kMaxDays) + " days, got " +
                              std::to_string(d));
        c.retention_days[table] = static_cast<int>(d);
    }
    c.archive_dir = root.get_string("archive_dir", c.archive_dir);
    if (c.archive_dir.empty()) root.fail("archive_dir", "must not be empty");
    c.gzip = root.get_bool("gzip", c.gzip);
    return c;
}

MaintenanceConfig MaintenanceConfig::load(const std::string& path) {
    if (!std::filesystem::exists(path)) {
        MaintenanceConfig c; // the shipped config/db_maintenance.yaml
        c.retention_days = {{"live_audit", 730},
                            {"live_equity", 365},
                            {"live_predictions", 180},
                            {"live_risk_decisions", 180},
                            {"live_signals", 365}};
        return c;
    }
    return from_node(ConfigNode::load_file(path));
}

std::map<std::string, int> parse_retention(const std::string& text, const std::string& flag) {
    std::map<std::string, int> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        if (item.empty()) continue;
        const auto eq = item.find('=');
        const std::string table = item.substr(0, eq);
        if (eq == std::string::npos)
            throw InputError(flag + ": expected table=days, got '" + item + "'");
        if (!archivable_tables().count(table))
            throw InputError(flag + ": '" + table + "' is not an archivable table (known: " +
                             known_tables() + ")");
        const std::string days = item.substr(eq + 1);
        std::size_t used = 0;
        int d = 0;
        try {
            d = std::stoi(days, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != days.size() || d < 1 || d > kMaxDays)
            throw InputError(flag + ": " + table + ": expected a whole number of days in 1.." +
                             std::to_string(kMaxDays) + ", got '" + days + "'");
        out[table] = d;
    }
    return out;
}

namespace {

/// A file written to `<path>.partial` and renamed into place once complete and synced.
class ArchiveWriter {
  public:
    ArchiveWriter(std::string path, bool gzip) : path_(std::move(path)), gzip_(gzip) {
        const std::string tmp = path_ + ".partial";
        if (gzip_) {
            gz_ = gzopen(tmp.c_str(), "wb6");
            if (!gz_) throw SystemError("db maintain: cannot create archive " + tmp);
        } else {
            out_.open(tmp, std::ios::binary | std::ios::trunc);
            if (!out_) throw SystemError("db maintain: cannot create archive " + tmp);
        }
    }
    ~ArchiveWriter() {
        if (gz_) gzclose(gz_);
        if (!done_) std::filesystem::remove(path_ + ".partial");
    }
    void line(const std::string& s) {
        if (gzip_) {
            if (gzwrite(gz_, s.data(), static_cast<unsigned>(s.size())) !=
                    static_cast<int>(s.size()) ||
                gzputc(gz_, '\n') != '\n')
                throw SystemError("db maintain: writing the archive failed (disk full?)");
        } else {
            out_ << s << '\n';
            if (!out_) throw SystemError("db maintain: writing the archive failed (disk full?)");
        }
    }
    /// Flushes, syncs and renames into place: after this the rows are safe on disk.
    void finish() {
        const std::string tmp = path_ + ".partial";
        if (gzip_) {
            const int rc = gzclose(gz_);
            gz_ = nullptr;
            if (rc != Z_OK) throw SystemError("db maintain: closing the archive failed");
        } else {
            out_.close();
            if (!out_) throw SystemError("db maintain: closing the archive failed");
        }
        if (FILE* f = std::fopen(tmp.c_str(), "rb")) { // fsync: the rows must survive a crash
            ::fsync(fileno(f));
            std::fclose(f);
        }
        std::error_code ec;
        std::filesystem::rename(tmp, path_, ec);
        if (ec)
            throw SystemError("db maintain: cannot move the archive into place at " + path_ +
                              ": " + ec.message());
        done_ = true;
    }

  private:
    std::string path_;
    bool gzip_;
    gzFile gz_ = nullptr;
    std::ofstream out_;
    bool done_ = false;
};

nlohmann::json cell_json(const SqlValue& v) {
    if (std::holds_alternative<std::int64_t>(v)) return std::get<std::int64_t>(v);
    if (std::holds_alternative<double>(v)) return std::get<double>(v);
    if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
    return nullptr;
}

std::vector<std::string> column_names(Database& db, const std::string& table) {
    std::vector<std::string> out;
    if (db.dialect() == SqlDialect::Sqlite) {
        for (const SqlRow& r : db.query("PRAGMA table_info(" + table + ")"))
            out.push_back(r.as_string(1));
    } else {
        const std::vector<SqlValue> p{SqlValue{table}};
        for (const SqlRow& r :
             db.query("SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
                      "AND table_schema = current_schema() ORDER BY ordinal_position",
                      p))
            out.push_back(r.as_string(0));
    }
    return out;
}

bool table_exists(Database& db, const std::string& table) {
    const std::vector<SqlValue> p{SqlValue{table}};
    const char* sql = db.dialect() == SqlDialect::Sqlite
                          ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
                          : "SELECT COUNT(*) FROM pg_tables WHERE tablename = $1 AND schemaname = "
                            "current_schema()";
    return db.query_one(sql, p)->as_int(0) > 0;
}

std::string archive_name(TimeMs now, bool gzip) {
    const CivilTime c = civil_from_time(now);
    return fmt::format("db_archive_{:04}{:02}{:02}_{:02}{:02}{:02}.jsonl{}", c.year, c.month,
                       c.day, c.hour, c.minute, c.second, gzip ? ".gz" : "");
}

} // namespace

MaintenanceResult run_db_maintenance(Database& db, const MaintenanceRequest& rq) {
    MaintenanceResult res;
    res.sizes_before = table_sizes(db);
    res.bytes_before = database_bytes(db);
    for (const auto& [table, column] : archivable_tables()) {
        if (!table_exists(db, table)) continue;
        TableOutcome t;
        t.table = table;
        const auto days = rq.config.retention_days.find(table);
        if (rq.archive_before)
            t.cutoff = *rq.archive_before;
        else if (days != rq.config.retention_days.end())
            t.cutoff = rq.now - static_cast<TimeMs>(days->second) * kMsPerDay;
        else
            continue; // no retention: kept forever
        const std::vector<SqlValue> p{SqlValue{t.cutoff}};
        t.rows_before = db.query_one("SELECT COUNT(*) FROM " + table)->as_int(0);
        t.archived =
            db.query_one("SELECT COUNT(*) FROM " + table + " WHERE " + column + " < $1", p)
                ->as_int(0);
        res.tables.push_back(t);
    }
    std::int64_t total = 0;
    for (const auto& t : res.tables) total += t.archived;
    if (rq.dry_run) {
        res.sizes_after = res.sizes_before;
        res.bytes_after = res.bytes_before;
        return res;
    }
    if (total > 0) {
        std::filesystem::create_directories(rq.archive_dir);
        const std::string path =
            (std::filesystem::path(rq.archive_dir) / archive_name(rq.now, rq.config.gzip)).string();
        if (std::filesystem::exists(path))
            throw SystemError("db maintain: archive " + path + " already exists");
        ArchiveWriter archive(path, rq.config.gzip);
        Transaction tx(db);
        for (const auto& t : res.tables) {
            if (t.archived == 0) continue;
            const std::string column = archivable_tables().at(t.table);
            const std::vector<std::string> cols = column_names(db, t.table);
            const std::vector<SqlValue> p{SqlValue{t.cutoff}};
            std::int64_t written = 0;
            for (const SqlRow& r : db.query("SELECT * FROM " + t.table + " WHERE " + column +
                                                " < $1 ORDER BY " + column,
                                            p)) {
                nlohmann::json row = nlohmann::json::object();
                for (std::size_t i = 0; i < cols.size() && i < r.cells.size(); ++i)
                    row[cols[i]] = cell_json(r.cells[i]);
                archive.line(nlohmann::json{{"table", t.table}, {"row", row}}.dump());
                ++written;
            }
            db.exec("DELETE FROM " + t.table + " WHERE " + column + " < $1", p);
            const std::int64_t left =
                db.query_one("SELECT COUNT(*) FROM " + t.table + " WHERE " + column + " < $1", p)
                    ->as_int(0);
            if (written != t.archived || left != 0)
                throw SystemError(fmt::format("db maintain: {} changed while archiving ({} rows "
                                              "counted, {} written, {} left); nothing deleted",
                                              t.table, t.archived, written, left));
        }
        archive.finish(); // on disk before the deletions commit
        tx.commit();
        res.archive_file = path;
    }
    // VACUUM cannot run inside a transaction, in either engine.
    db.exec(db.dialect() == SqlDialect::Sqlite ? "VACUUM" : "VACUUM ANALYZE");
    if (db.dialect() == SqlDialect::Sqlite) db.exec("ANALYZE");
    res.vacuumed = true;
    res.sizes_after = table_sizes(db);
    res.bytes_after = database_bytes(db);
    return res;
}

std::string format_maintenance(const MaintenanceResult& r, bool dry_run) {
    std::string out = dry_run ? "Database maintenance (dry run: nothing changed)\n"
                              : "Database maintenance\n";
    out += fmt::format("  size: {} before, {} after\n", format_bytes(r.bytes_before),
                       format_bytes(r.bytes_after));
    out += "  archived (rows older than the cutoff):\n";
    if (r.tables.empty())
        out += "    nothing: no live_* history table with a retention in this database\n";
    for (const auto& t : r.tables)
        out += fmt::format("    {:<20} {:>9} of {:>9} rows {} (before {})\n", t.table, t.archived,
                           t.rows_before, dry_run ? "would go" : "archived",
                           format_time(t.cutoff));
    out += fmt::format("  {:<22} {:>24} {:>24}\n", "table", "rows before -> after",
                       "size before -> after");
    for (const auto& b : r.sizes_before) {
        const TableSize* a = nullptr;
        for (const auto& x : r.sizes_after)
            if (x.table == b.table) a = &x;
        out += fmt::format("  {:<22} {:>10} -> {:>10} {:>10} -> {:>10}\n", b.table, b.rows,
                           a ? a->rows : 0, format_bytes(b.bytes),
                           a ? format_bytes(a->bytes) : "?");
    }
    if (!r.archive_file.empty()) out += "  archive: " + r.archive_file + "\n";
    if (r.vacuumed) out += "  VACUUM and ANALYZE done\n";
    return out;
}

} // namespace aurum
