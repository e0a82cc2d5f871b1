#pragma once
// Runs a multi-asset allocation policy through one PortfolioEnv episode (one account over every
// asset) and measures it as a backtest is measured, against an equal-weight buy-and-hold of the
// same assets. Used by the portfolio agent's out-of-sample evaluation and gate.
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "rl/policy_eval.hpp"
#include "rl/portfolio_env.hpp"

namespace aurum {

/// A portfolio policy: the observation rows (assets x row size) -> one allocation per asset.
using PortfolioFn = std::function<void(std::span<const float> obs, std::span<double> out)>;

/// What one portfolio episode measured.
struct PortfolioEpisodeReport {
    /// The account's figures (metrics, t-stat, shield); buy_hold_* are those of the equal-weight
    /// buy-and-hold of the assets (equal cash at the first open, never rebalanced, no costs);
    /// targets, positions and regimes stay empty (per asset below).
    EpisodeReport total;
    std::vector<std::string> symbols;
    std::vector<double> max_entry_exposure;        ///< per asset
    std::vector<std::vector<double>> allocations;  ///< per asset: the allocation at each bar
    std::vector<double> mean_allocation;           ///< per asset, over the bars
};

/// The episode from common bar `start` to the tapes' last bar; the policy decides at the first
/// bar and every `cadence` bars after. InputError when it does not fit.
PortfolioEpisodeReport run_portfolio_episode(std::span<const MarketTape* const> tapes,
                                             std::size_t start, EnvConfig config,
                                             const PortfolioFn& policy, std::size_t cadence);

} // namespace aurum
