#pragma once
// `aurum db maintain` and the daemon's monthly job (seed: "Database Maintenance"): archive rows of
// the live_* history tables older than their retention to a JSONL file (gzip optional) and only
// then delete them, in one transaction; then VACUUM/ANALYZE; table sizes before and after.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/time.hpp"
#include "data/database.hpp"
#include "data/database_stats.hpp"

namespace aurum {

/// Retention per table and where archives go (config/db_maintenance.yaml).
struct MaintenanceConfig {
    std::map<std::string, int> retention_days; ///< table -> days kept; tables absent: kept forever
    std::string archive_dir = "data/archive";  ///< relative to the workspace
    bool gzip = true;

    /// Reads the YAML document; unknown keys/tables and bad values throw InputError (file:line).
    static MaintenanceConfig from_node(const ConfigNode& root);
    /// from_node of a file; a missing file gives the defaults of config/db_maintenance.yaml.
    static MaintenanceConfig load(const std::string& path);
};

/// The history tables that may be archived and the column holding their time (ms UTC). The
/// journal tables a restart replays (orders, executions, commands, sessions) are never touched.
const std::map<std::string, std::string>& archivable_tables();

/// Parses "live_equity=365,live_audit=730" into the map, naming a bad entry (`flag` in messages).
std::map<std::string, int> parse_retention(const std::string& text, const std::string& flag);

/// One run of the maintenance.
struct MaintenanceRequest {
    MaintenanceConfig config;
    std::optional<TimeMs> archive_before; ///< every archivable table: rows before this go
    TimeMs now = 0;                       ///< retention counts back from here
    std::string archive_dir;              ///< absolute or cwd-relative directory for the archive
    bool dry_run = false;                 ///< count what would go; change nothing
};

/// What happened to one table.
struct TableOutcome {
    std::string table;
    TimeMs cutoff = 0;            ///< rows with time < cutoff are archived
    std::int64_t rows_before = 0;
    std::int64_t archived = 0;
};

/// The whole run.
struct MaintenanceResult {
    std::vector<TableOutcome> tables;
    std::vector<TableSize> sizes_before, sizes_after;
    std::int64_t bytes_before = 0, bytes_after = 0;
    std::string archive_file; ///< empty when nothing was archived (or dry run)
    bool vacuumed = false;
};

/// Runs it: archive file written and synced before the deleting transaction commits; any failure
/// rolls the deletions back (the database is unchanged) and rethrows.
MaintenanceResult run_db_maintenance(Database& db, const MaintenanceRequest& request);

/// The readable report (sizes before/after, rows archived per table, the archive file).
std::string format_maintenance(const MaintenanceResult& r, bool dry_run);

} // namespace aurum
