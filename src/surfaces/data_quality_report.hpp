#pragma once
// `aurum report data-quality` and the daemon's weekly job (seed: "Data Quality Check": missing
// data points, unusual spikes, API failures, database size): every gap with its date and length,
// spikes, stale series, API failures read from the logs, database size per table; rendered as a
// self-contained HTML page (inline CSS, opens offline) and as plain text.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/instrument.hpp"
#include "data/database_stats.hpp"
#include "data/market_store.hpp"
#include "data/validation.hpp"

namespace aurum {

/// A WARNING/ERROR line of logs/aurum_edge_*.log from a market-data or backfill client.
struct LogProblem {
    std::string file;
    int line = 0;
    std::string time;    ///< as logged ("2026-01-05 08:00:01.123 UTC")
    std::string level;   ///< WARNING, ERROR, CRITICAL
    std::string message;
};

/// How old the newest bar of a series is, against what its sessions expected since.
struct SeriesFreshness {
    std::string symbol;
    Timeframe timeframe;
    TimeMs newest = 0;
    TimeMs age = 0;              ///< now - newest bar's close
    std::int64_t missing_since = 0; ///< bars the sessions expected after the newest one
    bool stale = false;          ///< missing_since > kStaleBars
};

/// Everything the report shows.
struct DataQualityReport {
    TimeMs generated = 0;
    std::string database;
    std::vector<ValidationReport> series;
    std::vector<SeriesFreshness> freshness;
    std::vector<LogProblem> api_failures;
    std::int64_t other_log_problems = 0; ///< WARNING/ERROR lines from other parts
    int log_files = 0;
    std::vector<TableSize> tables;
    std::int64_t database_bytes = 0;
};

/// A series is stale when this many expected bars (or more) are missing after its newest bar.
inline constexpr std::int64_t kStaleBars = 2;

/// Reads the store, the database and `logs_dir`; validates every series with `config`.
DataQualityReport build_data_quality_report(MarketStore& store, const InstrumentRegistry& instruments,
                                            const ValidationConfig& config,
                                            const std::filesystem::path& logs_dir, TimeMs now);

/// The log lines of one file that are market-data/backfill client WARNING/ERRORs (and a count of
/// the other WARNING/ERROR lines).
std::vector<LogProblem> scan_log_file(const std::filesystem::path& file, std::int64_t& others);

std::string render_data_quality_text(const DataQualityReport& r);
/// One HTML file with inline CSS and no external asset.
std::string render_data_quality_html(const DataQualityReport& r);

/// reports/data_quality_YYYY_MM_DD.html for the UTC day of `t` (the .txt beside it).
std::filesystem::path data_quality_report_path(const std::filesystem::path& reports_dir, TimeMs t);
/// Writes `r` as `html` and its text version beside it; returns the .txt path.
std::filesystem::path write_data_quality_files(const DataQualityReport& r,
                                               const std::filesystem::path& html);

} // namespace aurum
