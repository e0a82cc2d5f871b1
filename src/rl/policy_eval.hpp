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
    BacktestResult result;         ///< trades and fills (record_fills on)
};

/// Share of the decisions at each distinct target, ascending by target: {target, share}.
std::vector<std::pair<double, double>> action_shares(const std::vector<double>& targets);

/// The episode from bar `start` to the tape's last bar. InputError when it does not fit.
EpisodeReport run_policy_episode(const MarketTape& tape, std::size_t start, EnvConfig config,
                                 const ActionFn& policy);

} // namespace aurum
