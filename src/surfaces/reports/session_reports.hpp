#pragma once
// The one entry point of the session reports, used by `aurum report ...` and by the daemon's
// scheduled jobs: every input checked (session, date, report directory) before anything is
// computed, then the report built and its files written, all or none.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/instrument.hpp"
#include "core/workspace.hpp"
#include "data/market_store.hpp"

namespace aurum {

/// Which report, for which session and day, written where.
struct SessionReportRequest {
    std::string kind;    ///< "daily" | "weekly" | "volatility" | "costs"
    std::string date;    ///< YYYY-MM-DD; empty: the session's current day
    std::string session; ///< empty: the session `aurum status` shows
    std::filesystem::path out_dir; ///< empty: <home>/reports
    std::vector<std::string> symbols; ///< volatility: empty = the session's symbols
    std::string timeframe;            ///< volatility: empty = the session's timeframe (else 4h)
    int days = 30;                    ///< costs: the period ending with `date`
};

/// What was written.
struct SessionReport {
    nlohmann::json data;
    std::string text;
    std::vector<std::filesystem::path> files; ///< html, txt
};

/// Builds and writes a report. InputError (nothing written) for an unknown kind or session, a bad
/// or out-of-range date, an unwritable directory or a broken config/risk.yaml.
SessionReport write_session_report(const SessionReportRequest& request, MarketStore& market,
                                   const Workspace& ws, const InstrumentRegistry& instruments,
                                   TimeMs wall_now);

/// Resolves closed prediction outcomes of the session `aurum status` shows and judges its models
/// (config/monitor.yaml); stores the verdict for `aurum health`. Null when no predictions.
nlohmann::json run_accuracy_monitor(MarketStore& market, const Workspace& ws,
                                    const std::string& session, TimeMs wall_now,
                                    int* resolved = nullptr);

} // namespace aurum
