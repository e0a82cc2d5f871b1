#pragma once
// Parameter sweeps: every combination of a grid run in parallel over the cores, ranked.
#include <string>
#include <vector>

#include "backtest/backtest_runner.hpp"
#include "backtest/report.hpp"
#include "backtest/strategies.hpp"

namespace aurum {

/// One swept parameter and its values.
struct GridAxis {
    std::string name;
    std::vector<double> values;
};

/// Parses "fast=5:50:5,slow=20:200:10" (start:stop:step, inclusive) or "fast=10" (one value).
/// Throws InputError naming the bad part; more than 100000 combinations is refused.
std::vector<GridAxis> parse_grid(const std::string& spec);

/// Ranking keys accepted by run_grid (all: higher is better; max_drawdown is negative).
const std::vector<std::string>& grid_rank_keys();

/// Throws InputError naming `rank_by` when it is not one of grid_rank_keys().
void check_grid_rank_key(const std::string& rank_by);

struct GridResult {
    std::vector<GridRow> rows; ///< ranked best first
    std::size_t skipped = 0;   ///< combinations the strategy refused (e.g. fast >= slow)
    std::string first_skip_reason;
};

/// The valid combinations of a grid in odometer order (first axis fastest), the order
/// run_grid keeps among ties; combinations the strategy refuses are counted, not returned.
struct GridCombinations {
    std::vector<StrategySpec> specs;
    std::size_t skipped = 0;
    std::string first_skip_reason;
};

/// Enumerates base.params overlaid with every combination of `axes`.
GridCombinations grid_combinations(const StrategySpec& base, const std::vector<GridAxis>& axes);

/// One combination: the backtest through `runner` (fills and events not recorded) and its
/// headline metrics. What every sweep computes per combination, on one machine or many.
GridRow run_grid_row(const StrategySpec& spec, const std::vector<Instrument>& instruments,
                     const std::vector<const BarSeries*>& data, const BacktestConfig& config,
                     const BacktestRunner& runner);

/// The value a row is ranked by (`rank_by` one of grid_rank_keys(); an infinite profit factor
/// ranks as 1e300).
double grid_rank_value(const GridRow& row, const std::string& rank_by);

/// Ranks rows best first by `rank_by` (stable: ties keep their order). Throws InputError for
/// an unknown key.
void rank_grid_rows(std::vector<GridRow>& rows, const std::string& rank_by);

/// Runs every combination (base.params overlaid with the axes) on `threads` threads (0 = all
/// cores), ranked by `rank_by` descending, each through `runner`'s engine stack (default: risk
/// off). Throws InputError for an unknown key or when every combination is invalid.
GridResult run_grid(const StrategySpec& base, const std::vector<GridAxis>& axes,
                    const std::vector<Instrument>& instruments,
                    const std::vector<const BarSeries*>& data, const BacktestConfig& config,
                    const std::string& rank_by, unsigned threads = 0,
                    const BacktestRunner& runner = risk_off_runner());

} // namespace aurum
