#pragma once
// Runs one policy through one environment episode over a window of a tape and measures it the
// way a backtest is measured (the engine's result, Metrics, buy-and-hold), plus the shield's
// counters and the significance of the per-bar returns. Used by `aurum rl evaluate|simulate|
// safety`.
#include <functional>
#include <span>
#include <vector>

#include "backtest/metrics.hpp"
#include "rl/trading_env.hpp"

namespace aurum {

/// A policy as the evaluation sees it: observation at a close -> target fraction of equity.
using ActionFn = std::function<double(std::span<const float> obs, const ObsLayout& layout)>;

/// The execution level as the evaluation sees it: the execution observation (bar observation,
/// order side, order size; see execution_env.hpp) -> limit offset in bps (0: market).
using ExecutionFn = std::function<double(std::span<const float> obs)>;

/// How the episode's parent orders were executed.
struct ExecutionStats {
    std::size_t parents = 0; ///< orders sent for a target change (finished ones)
    std::size_t limits = 0;  ///< of which sent as a limit
    std::size_t forced = 0;  ///< of which the limit had to be completed at market
    double shortfall_sum = 0; ///< sum of implementation shortfalls (fractions of notional)
    double shortfall_sq = 0;  ///< sum of their squares
    double mean_shortfall_bps() const {
        return parents ? shortfall_sum / static_cast<double>(parents) * 1e4 : 0.0;
    }
    /// Sample variance of the shortfalls (fractions squared; 0 below two orders).
    double shortfall_variance() const;
};

/// Welch's t of `better`'s mean shortfall below `baseline`'s (> 0: lower costs).
double shortfall_gain_t(const ExecutionStats& better, const ExecutionStats& baseline);

/// What one evaluation episode measured.
struct EpisodeReport {
    std::size_t decisions = 0;
    TimeMs from = 0, to = 0; ///< open time of the first and last bar of the window
    Metrics metrics;
    double buy_hold_return = 0, buy_hold_sharpe = 0;
    ShieldStats shield;
    /// Mean per-bar log equity change / its standard error (0 when flat throughout).
    double t_stat = 0;
    std::vector<double> targets;   ///< the policy's target at each decision
    std::vector<Regime> regimes;   ///< the causal regime the policy saw at each decision
    std::vector<double> positions; ///< signed position notional / equity after each decision
    std::vector<TimeMs> times;     ///< open time of each decision's bar
    /// The execution level's choice at each decision: the limit offset in bps, 0 for market
    /// (the forced fill of an unfilled limit included), -1 where no order was sent.
    std::vector<double> limit_bps;
    ExecutionStats execution;
    BacktestResult result;         ///< trades and fills (record_fills on)
};

/// Share of the decisions at each distinct target, ascending by target: {target, share}.
std::vector<std::pair<double, double>> action_shares(const std::vector<double>& targets);

/// The episode from bar `start` to the tape's last bar. InputError when it does not fit.
/// `execution` (may be empty: every order at market) decides how each parent order goes out.
EpisodeReport run_policy_episode(const MarketTape& tape, std::size_t start, EnvConfig config,
                                 const ActionFn& policy, const ExecutionFn& execution = {});

} // namespace aurum
