// `aurum db maintain`: retention, archive, VACUUM/ANALYZE, sizes before and after.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "live/db_maintenance.hpp"

namespace aurum {

namespace {

struct MaintainArgs {
    std::string archive_before;
    std::string retention;
    std::string config;
    bool dry_run = false;
};

nlohmann::json sizes_json(const std::vector<TableSize>& sizes) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : sizes)
        out.push_back({{"table", t.table}, {"rows", t.rows}, {"bytes", t.bytes}});
    return out;
}

int run_maintain(const MaintainArgs& a, CliContext& ctx) {
    const Workspace ws = ctx.workspace();
    if (!a.config.empty() && !std::filesystem::exists(a.config))
        throw InputError("--config: file not found: " + a.config);
    MaintenanceRequest rq;
    rq.config = MaintenanceConfig::load(
        a.config.empty() ? ws.config_file("db_maintenance.yaml").string() : a.config);
    for (const auto& [table, days] : parse_retention(a.retention, "--retention"))
        rq.config.retention_days[table] = days;
    if (!a.archive_before.empty()) {
        const auto t = parse_time(a.archive_before);
        if (!t)
            throw InputError("--archive-before: expected a UTC date like 2024-01-01, got '" +
                             a.archive_before + "'");
        rq.archive_before = *t;
    }
    rq.now = SystemClock().now();
    const std::filesystem::path dir(rq.config.archive_dir);
    rq.archive_dir = (dir.is_absolute() ? dir : ws.home() / dir).string();
    rq.dry_run = a.dry_run;
    auto db = open_database(ctx.db_spec());
    const MaintenanceResult r = run_db_maintenance(*db, rq);
    if (ctx.json) {
        nlohmann::json tables = nlohmann::json::array();
        for (const auto& t : r.tables)
            tables.push_back({{"table", t.table},
                              {"cutoff", format_iso(t.cutoff)},
                              {"rows_before", t.rows_before},
                              {"archived", t.archived}});
        std::cout << nlohmann::json{{"dry_run", a.dry_run},
                                    {"archive_file", r.archive_file},
                                    {"archived", tables},
                                    {"bytes_before", r.bytes_before},
                                    {"bytes_after", r.bytes_after},
                                    {"tables_before", sizes_json(r.sizes_before)},
                                    {"tables_after", sizes_json(r.sizes_after)},
                                    {"vacuumed", r.vacuumed}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    std::cout << format_maintenance(r, a.dry_run);
    return 0;
}

} // namespace

void register_db(CLI::App& app, CliContext& ctx) {
    CLI::App* db = app.add_subcommand("db", "Database upkeep");
    db->require_subcommand(1);
    auto ma = std::make_shared<MaintainArgs>();
    CLI::App* m = db->add_subcommand(
        "maintain", "Archive live_* history rows beyond their retention to data/archive/ (JSONL, "
                    "gzip) and delete them in one transaction; VACUUM/ANALYZE; sizes before/after");
    m->add_option("--archive-before", ma->archive_before,
                  "Archive every archivable table's rows before this UTC date (instead of retention)");
    m->add_option("--retention", ma->retention,
                  "Override retention days: table=days[,table=days...] (e.g. live_equity=90)");
    m->add_option("--config", ma->config,
                  "Retention file (default: <home>/config/db_maintenance.yaml)");
    m->add_flag("--dry-run", ma->dry_run, "Count what would be archived; change nothing");
    on_run(m, ctx, [ma, &ctx] { return run_maintain(*ma, ctx); });
}

} // namespace aurum
