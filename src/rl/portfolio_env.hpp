#pragma once
// The multi-asset environment: ONE engine stack (one account, one risk manager = the shield)
// trading N instruments whose bars share the same open times. At bar t's close the policy gives
// one target (fraction of equity) per asset; ActionStrategy orders each instrument toward its own
// target through the account risk manager; the orders fill at bar t+1's open in the simulated
// execution client. A spot buy is sized against the cash at the decision (a sale sent at the same
// close has not filled yet), so allocations that sum above 1 get less than they ask. The observation is
// one row per asset (that asset's features, regime and position) plus the portfolio's slots.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "rl/action_strategy.hpp"
#include "rl/market_tape.hpp"
#include "rl/shield.hpp"
#include "rl/trading_env.hpp"
#include "runtime/engine_stack.hpp"

namespace aurum {

/// The tapes restricted to the bar open times they all share (rows kept as built: each row is
/// causal on its own symbol's bars). InputError naming the symbols when the timeframes differ or
/// no time is common; first_ready is recomputed on the common bars.
std::vector<MarketTape> align_tapes(const std::vector<MarketTape>& tapes);

/// One asset's observation row: its features, then these slots.
struct PortfolioLayout {
    std::size_t features = 0;
    std::size_t regime() const { return features; } ///< one-hot, kRegimeCount slots
    std::size_t ready() const { return features + kRegimeCount; }
    std::size_t position() const { return ready() + 1; } ///< this asset's signed notional / equity
    std::size_t drawdown() const { return ready() + 2; } ///< the account's, from the episode's peak
    std::size_t cash() const { return ready() + 3; }     ///< cash / equity
    std::size_t entries_allowed() const { return ready() + 4; } ///< 1: the account may open
    std::size_t size() const { return ready() + 5; }
};

/// Result of one portfolio step (the whole account).
struct PortfolioStep {
    double reward = 0; ///< log(equity after / equity before), costs included
    double fees = 0;   ///< the part of `reward` the step's fees took (<= 0)
    bool done = false; ///< the episode's last common bar was reached (or equity is gone)
};

/// One portfolio environment. Not movable (the engine holds pointers into it).
class PortfolioEnv {
  public:
    explicit PortfolioEnv(EnvConfig config);
    PortfolioEnv(const PortfolioEnv&) = delete;
    PortfolioEnv& operator=(const PortfolioEnv&) = delete;

    /// Starts an episode on the aligned `tapes` (same open times, same feature columns) at bar
    /// `start` (needs start + episode_bars < bars): a fresh engine stack over every instrument,
    /// steps bar `start`, writes its observation (assets x layout().size()). InputError when the
    /// tapes are not aligned or the window does not fit.
    void reset(std::span<const MarketTape* const> tapes, std::size_t start, std::span<float> obs);
    /// Orders every asset toward its target (fraction of equity, clipped to [-1, 1]; non-finite:
    /// flat) through the shield at the current close, steps the next bar, writes its observation.
    PortfolioStep step(std::span<const double> targets, std::span<float> obs);

    std::size_t assets() const { return tapes_.size(); }
    const PortfolioLayout& layout() const { return layout_; }
    /// Shield counters of the account (max_entry_exposure: the largest of any asset).
    const ShieldStats& shield() const { return stats_; }
    /// Per asset: the largest position notional / equity right after an entry (at the fill open).
    const std::vector<double>& max_entry_exposure() const { return asset_entry_; }
    double equity() const { return stack_.engine->account().equity(); }
    double cash() const { return stack_.engine->account().cash(); }
    /// Signed position notional of asset i at the current close.
    double position_value(std::size_t i) const;
    /// Open time of the current bar.
    TimeMs time() const { return slices_[0].time[k_]; }
    std::size_t steps_taken() const { return k_; }
    /// The episode's bars of asset i.
    const BarSeries& bars(std::size_t i) const { return slices_[i]; }
    /// Ends the episode and returns the engine's result (trades, fills, equity curve).
    BacktestResult finish() { return stack_.engine->finish(); }

  private:
    void write_obs(std::span<float> obs);
    void advance();
    /// Validates the targets (counted by the shield) and orders every asset toward its own.
    void send(std::span<const double> targets);
    void measure_entries(const std::vector<double>& qty_before, bool past_halt, double drawdown);

    EnvConfig config_;
    std::vector<const MarketTape*> tapes_;
    PortfolioLayout layout_;
    std::vector<BarSeries> slices_; ///< the episode's bars per asset (buffers reused)
    std::vector<InstrumentId> ids_;
    std::vector<double> qty_before_;
    ActionStrategy strategy_;
    ShieldStats stats_;
    std::vector<double> asset_entry_;
    std::unique_ptr<RiskManager> risk_manager_;
    std::unique_ptr<ShieldHook> hook_;
    EngineStack stack_;
    std::size_t start_ = 0, k_ = 0;
    EpisodeAccount account_;
};

} // namespace aurum
