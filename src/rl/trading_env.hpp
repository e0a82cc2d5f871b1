#pragma once
// One RL environment = one engine stack in backtest mode, stepped bar by bar. The observation at
// bar t is what is known at t's close (features and regime from the tape, the account); the
// action becomes an order at that close through the account risk manager (the shield) and fills
// at bar t+1's open in the simulated execution client, with the run's fee, spread and slippage
// models. Mapping to the engine in docs/rl.md.
#include <cstdint>
#include <memory>
#include <span>

#include "rl/action_strategy.hpp"
#include "rl/market_tape.hpp"
#include "rl/shield.hpp"
#include "runtime/engine_stack.hpp"

namespace aurum {

/// What every environment of a run shares.
struct EnvConfig {
    RunSpec spec;              ///< backtest/historical; risk on by default (the shield)
    SizingConfig sizing;       ///< how the action (fraction of equity) becomes a quantity
    std::size_t episode_bars = 256; ///< steps per episode (decisions), bars = episode_bars + 1
};

/// Backtest mode, risk on with the default account limits (max position 25 %, drawdown halt
/// 15 %, daily loss 5 %, heat 50 %), taker fee 0.1 %, slippage 2 bps, sizing: fraction 1.
EnvConfig default_env_config();

/// Refuses a config no environment can run: episodes of at least one bar, risk on (the shield),
/// valid limits. InputError naming what is wrong.
void check_env_config(const EnvConfig& config);

/// Observation layout: the tape's feature columns, then these slots.
struct ObsLayout {
    std::size_t features = 0;
    std::size_t regime() const { return features; } ///< one-hot, kRegimeCount slots
    std::size_t ready() const { return features + kRegimeCount; }
    std::size_t position() const { return ready() + 1; } ///< signed notional / equity
    std::size_t drawdown() const { return ready() + 2; } ///< from the episode's peak equity
    std::size_t entries_allowed() const { return ready() + 3; } ///< 1: the account may open
    std::size_t size() const { return ready() + 4; }
};

/// How one parent order (the order a target change sends) was executed, once it is finished.
struct ExecutionOutcome {
    bool completed = false; ///< a parent order finished in this step
    bool limit = false;     ///< it went out as a limit order
    bool forced = false;    ///< its limit was not filled within one bar: the rest went at market
    /// Implementation shortfall against the arrival price (the decision's close), fees included,
    /// as a fraction of the parent's notional (> 0 costs). A quantity never filled is charged the
    /// move from the arrival price to the close at which the parent ended.
    double shortfall = 0;
};

/// Result of one step.
struct StepOutcome {
    double reward = 0; ///< log(equity after / equity before), costs included
    /// The part of `reward` the step's fees took (<= 0): reward = market + fees, where market =
    /// log((equity + fees paid) / equity before) holds the price move, spread and slippage.
    double fees = 0;
    bool done = false; ///< the episode's last bar was reached (or equity is gone)
    ExecutionOutcome execution;
};

/// One environment. Not movable (the engine holds pointers into it).
class TradingEnv {
  public:
    explicit TradingEnv(EnvConfig config);
    TradingEnv(const TradingEnv&) = delete;
    TradingEnv& operator=(const TradingEnv&) = delete;

    /// Starts an episode on `tape` at bar `start` (needs start + episode_bars < bars): builds a
    /// fresh engine stack (the one allocation point), steps bar `start` and writes its
    /// observation. Throws InputError when the window does not fit.
    void reset(const MarketTape& tape, std::size_t start, std::span<float> obs);
    /// Sends `action` (target fraction of equity in [-1, 1]) through the shield at the current
    /// close, steps the next bar, writes its observation. `limit_bps` > 0 sends the order as a
    /// limit that much better than the close (the execution level). A limit still open one bar
    /// later is cancelled and the rest goes at market toward the same target; that step ignores
    /// `action` (the parent order finishes first).
    StepOutcome step(double action, std::span<float> obs, double limit_bps = 0);
    /// The signed quantity step(action) would order now (0: none); always 0 while a limit is
    /// open (the next step completes it instead).
    double order_qty(double action);
    /// A limit sent by the execution level is still live (the next step forces it to market).
    bool limit_open();

    const ObsLayout& layout() const { return layout_; }
    const ShieldStats& shield() const { return stats_; }
    double equity() const { return stack_.engine->account().equity(); }
    /// |qty| x the current close (x contract size) / equity: an order's size for an observation.
    double notional_fraction(double qty) const;
    std::size_t steps_taken() const { return k_; }
    const RiskManager& risk_manager() const { return *stack_.risk_manager; }
    /// Ends the episode and returns the engine's result (trades, fills, equity curve).
    BacktestResult finish() { return stack_.engine->finish(); }

  private:
    /// The parent order in flight: what it was sent for and the account before it.
    struct Parent {
        bool active = false, limit = false, forced = false;
        double target = 0, side = 0, qty = 0, arrival = 0, cash = 0, position = 0;
    };

    void write_obs(std::span<float> obs);
    void advance();
    void send(double action, double limit_bps);
    ExecutionOutcome finish_parent(bool at_end);

    EnvConfig config_;
    const MarketTape* tape_ = nullptr;
    ObsLayout layout_;
    BarSeries slice_; ///< the episode's bars (buffers reused across episodes)
    ActionStrategy strategy_;
    ShieldStats stats_;
    std::unique_ptr<RiskManager> risk_manager_;
    std::unique_ptr<ShieldHook> hook_;
    EngineStack stack_;
    Parent parent_;
    std::size_t start_ = 0, k_ = 0;
    EpisodeAccount account_;
};

} // namespace aurum
