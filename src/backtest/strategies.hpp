#pragma once
// Built-in strategies for baselines and benchmarks: buy-hold, sma-cross, rsi-reversion,
// donchian-breakout, signals. All trade by target position (market orders on a signal change)
// and size through a Sizer. Parameters are documented in docs/backtesting.md.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backtest/signals.hpp"
#include "backtest/sizing.hpp"
#include "backtest/strategy.hpp"

namespace aurum {

/// A strategy by name with its numeric parameters (e.g. {"fast": 10, "slow": 30}).
struct StrategySpec {
    std::string name = "sma-cross";
    std::map<std::string, double> params; ///< missing ones take their defaults
    SizingConfig sizing;
    std::shared_ptr<const SignalSeries> signals; ///< required by "signals"
    /// A strategy built by a layer above this one (the registry model: models/model_backtest);
    /// when set, `name` only labels the run and `params` must be empty.
    std::function<std::unique_ptr<Strategy>()> build;
};

/// The parameter every built-in strategy takes besides its own: a protective stop on each
/// entry, as a fraction beyond the entry price (StrategyContext::order_target). Not part of
/// default_params: a run without it keeps its id and report.
inline constexpr const char* kStopLossParam = "stop-loss";
/// The take-profit every built-in strategy takes: a target limit order on each position at this
/// fraction (in (0, 1)) beyond the average entry in its favour; with stop-loss the two form one
/// OCO pair (StrategyContext::order_target). Not part of default_params either.
inline constexpr const char* kTakeProfitParam = "take-profit";

/// Names of the built-in strategies.
const std::vector<std::string>& strategy_names();
/// Parameters of a strategy with their defaults (throws InputError for an unknown name).
std::map<std::string, double> default_params(const std::string& name);
/// Builds a strategy. Throws InputError for an unknown name, an unknown parameter, a period
/// that is not a whole number >= 1, fast >= slow, inverted thresholds, or missing signals.
std::unique_ptr<Strategy> make_strategy(const StrategySpec& spec);

} // namespace aurum
