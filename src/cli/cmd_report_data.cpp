// `aurum report data-quality`: the seed's weekly "Data Quality Check" as reports/data_quality_*.html
// (+ .txt). Thin: parses flags, calls build_data_quality_report, writes the two files.
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/workspace.hpp"
#include "surfaces/data_quality_report.hpp"

namespace aurum {

namespace {

struct DataQualityArgs {
    std::string date;
    std::string reports_dir;
};

/// The directory exists (or is created) and is a directory: checked before anything is computed.
std::filesystem::path usable_reports_dir(const std::string& flag, const std::filesystem::path& dir) {
    std::error_code ec;
    if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec))
        throw InputError(flag + " " + dir.string() + ": not a directory");
    std::filesystem::create_directories(dir, ec);
    if (ec) throw InputError(flag + " " + dir.string() + ": cannot create it: " + ec.message());
    const auto probe = dir / ".aurum_write_probe";
    {
        std::ofstream out(probe);
        if (!out) throw InputError(flag + " " + dir.string() + ": not writable");
    }
    std::filesystem::remove(probe, ec);
    return dir;
}

int run_data_quality(const DataQualityArgs& a, CliContext& ctx) {
    const Workspace ws = ctx.workspace();
    TimeMs now = SystemClock().now();
    if (!a.date.empty()) {
        const auto d = parse_time(a.date);
        if (!d || a.date.size() != 10)
            throw InputError("--date: expected a UTC date like 2026-01-05, got '" + a.date + "'");
        now = std::min(now, *d + kMsPerDay); // as of the end of that day
    }
    const std::filesystem::path dir = usable_reports_dir(
        a.reports_dir.empty() ? "reports dir" : "--reports-dir",
        a.reports_dir.empty() ? ws.reports_dir() : std::filesystem::path(a.reports_dir));
    const ValidationConfig cfg = ValidationConfig::load(ws.config_file("validation.yaml").string());
    auto store = ctx.open_store();
    const DataQualityReport r =
        build_data_quality_report(*store, ctx.instruments(), cfg, ws.logs_dir(), now);
    const auto html = data_quality_report_path(dir, now - (a.date.empty() ? 0 : 1));
    const auto txt = write_data_quality_files(r, html);
    int failed = 0, stale = 0;
    for (const auto& s : r.series) failed += s.status() == Severity::Fail ? 1 : 0;
    for (const auto& f : r.freshness) stale += f.stale ? 1 : 0;
    if (ctx.json) {
        std::cout << nlohmann::json{{"html", html.string()},
                                    {"text", txt.string()},
                                    {"series", r.series.size()},
                                    {"failed", failed},
                                    {"stale", stale},
                                    {"api_failures", r.api_failures.size()},
                                    {"database_bytes", r.database_bytes}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    std::cout << "Data quality report: " << html.string() << "\n  text: " << txt.string() << "\n"
              << "  " << r.series.size() << " series, " << failed << " failed validation, "
              << stale << " stale, " << r.api_failures.size() << " API failures in the logs, "
              << "database " << format_bytes(r.database_bytes) << "\n";
    return 0;
}

} // namespace

void register_data_reports(CLI::App& report, CliContext& ctx) {
    auto a = std::make_shared<DataQualityArgs>();
    CLI::App* dq = report.add_subcommand(
        "data-quality", "Every gap with its date and length, spikes, stale series, API failures "
                        "from the logs, database size -> reports/data_quality_YYYY_MM_DD.html + .txt");
    dq->add_option("--date", a->date, "Report as of the end of this UTC day (default: now)");
    dq->add_option("--reports-dir", a->reports_dir, "Write here instead of <home>/reports");
    on_run(dq, ctx, [a, &ctx] { return run_data_quality(*a, ctx); });
}

} // namespace aurum
