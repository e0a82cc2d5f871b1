#pragma once
// What a run leaves behind: reports/backtests/<id>/ with trades.csv, equity.csv, events.csv,
// summary.json, report.html (self-contained: inline SVG and a few lines of inline JS, no external
// URLs), and grid.csv for parameter sweeps. Also the readable console summary.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backtest/metrics.hpp"

namespace aurum {

/// How a run was set up (printed, and stored in summary.json).
struct RunInfo {
    std::string id;
    std::string strategy;
    std::map<std::string, double> params;
    std::vector<std::string> symbols;
    Timeframe timeframe;
    BacktestConfig config;
    std::string sizing;        ///< e.g. "fraction 0.25"
    std::string regime_source; ///< where the regime labels came from ("" = none)
    std::string risk;          ///< "" = risk off (allow-all); else the account risk in words
    /// "sma-cross(fast=10, slow=30)".
    std::string label() const;
};

/// One combination of a parameter sweep with its headline statistics.
struct GridRow {
    std::map<std::string, double> params;
    double total_return = 0, cagr = 0, sharpe = 0, sortino = 0, max_drawdown = 0;
    double win_rate = 0, profit_factor = 0, fees = 0, final_equity = 0;
    std::size_t trades = 0;
};

/// A deterministic id for the run: <strategy>_<symbols>_<tf>_<8 hex of the settings' hash>.
std::string make_run_id(const RunInfo& info, TimeMs from, TimeMs to);

/// Machine-readable summary (the CLI's --json and summary.json).
nlohmann::json summary_json(const RunInfo& info, const Metrics& m, const BacktestResult& r);
/// The readable summary in the seed's style ("Sharpe Ratio: 1.42", "Max Drawdown: -12.3%", ...).
std::string summary_text(const RunInfo& info, const Metrics& m, const BacktestResult& r);
/// The self-contained HTML report.
std::string render_html(const RunInfo& info, const Metrics& m, const BacktestResult& r,
                        const std::vector<double>& buy_hold, const RegimeTimeline* regimes,
                        const std::vector<GridRow>* grid);
/// Ranked sweep table (text) and CSV.
std::string grid_text(const std::vector<GridRow>& rows, std::size_t top);
std::string grid_csv(const std::vector<GridRow>& rows);

/// Writes every report file into `dir` atomically: a sibling temp directory is filled, then
/// renamed over `dir`, so a failed run leaves no partial folder. Throws SystemError.
void write_report(const std::filesystem::path& dir, const RunInfo& info, const Metrics& m,
                  const BacktestResult& r, const std::vector<double>& buy_hold,
                  const RegimeTimeline* regimes, const std::vector<GridRow>* grid);

} // namespace aurum
