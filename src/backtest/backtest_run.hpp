#pragma once
// One backtest (or sweep) from stored bars to a report folder: what `aurum backtest` runs, and
// what other layers call to backtest with the same settings.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "backtest/grid.hpp"
#include "data/market_store.hpp"

namespace aurum {

/// Everything a run needs besides the store.
struct BacktestRequest {
    StrategySpec strategy;
    std::vector<std::string> symbols;
    Timeframe timeframe;
    TimeRange range;
    BacktestConfig config;
    bool spread_set = false; ///< config.fill.spread was given; else: per-bar column when present
    std::string sizing_label = "fraction 1";
    std::string regimes_csv; ///< regime labels from a CSV; empty: the features classifier
    std::string grid;        ///< parameter sweep spec; empty: a single run
    std::string rank_by = "sharpe";
    unsigned threads = 0;
    std::filesystem::path reports_root; ///< <home>/reports/backtests
    /// The engine stack every run goes through (src/runtime builds it from a RunSpec).
    const BacktestRunner* runner = &risk_off_runner();
};

struct BacktestOutcome {
    RunInfo info;
    BacktestResult result;
    Metrics metrics;
    std::filesystem::path report_dir;
    RegimeTimeline regimes; ///< the labels the per-regime figures and trades.csv used
    std::optional<GridResult> grid; ///< set for sweeps; `result` is then the best combination
};

/// The bars and instruments a request runs on.
struct BacktestData {
    std::vector<Instrument> instruments;
    std::vector<BarSeries> bars;
    std::vector<const BarSeries*> series() const; ///< pointers into `bars`
};

/// Checks the request's settings (InputError naming the flag and value) and, for a sweep, its
/// grid against the strategy's parameters; returns the grid's axes (empty: a single run).
std::vector<GridAxis> check_backtest_request(const BacktestRequest& request);

/// Loads the request's bars (InputError naming a missing series and what is stored) and sets
/// the fill settings the data implies: the per-bar spread column unless a spread was given,
/// bid prices for MetaTrader bars.
BacktestData load_backtest_data(MarketStore& store, const InstrumentRegistry& registry,
                                BacktestRequest& request);

/// Loads bars, validates the request (InputError naming the flag and value: unknown symbol,
/// empty range, no data, bad strategy parameters), runs, computes metrics and writes the report.
BacktestOutcome run_backtest_request(MarketStore& store, const InstrumentRegistry& registry,
                                     BacktestRequest request);

} // namespace aurum
