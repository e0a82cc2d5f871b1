#pragma once
// `aurum rl simulate`: a scripted baseline policy run through the environment on a synthetic
// market shaped as one scenario (bull, bear, flash crash, low-volatility ranging).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "backtest/metrics.hpp"
#include "rl/policy_eval.hpp"
#include "rl/trading_env.hpp"

namespace aurum {

enum class Scenario : std::uint8_t { Bull, Bear, FlashCrash, Ranging };
std::string to_string(Scenario s); ///< "bull", "bear", "flash-crash", "ranging"
/// Throws InputError naming the value and the known names.
Scenario parse_scenario(const std::string& text);

/// Synthetic BTC/USDT 4h bars over `days` days from 2024-01-01 (seeded generator): every hidden
/// regime takes the scenario's drift and volatility (bull, bear, ranging); flash-crash is the
/// ranging market with a 40 % fall over six bars at 60 % of the span and a partial recovery.
BarSeries scenario_bars(Scenario s, std::uint64_t seed, int days);

/// The scripted baseline: target 100 % of equity when the regime at the close is bull, 50 % when
/// ranging, flat otherwise (the shield caps every position at the account's limit).
double regime_trend_action(std::span<const float> obs, const ObsLayout& layout);

/// What one simulation measured.
struct SimulationReport {
    std::string label;  ///< the scenario's name ("flash-crash", "bear-2022", "2022-05-01..")
    std::string market; ///< where the bars came from ("synthetic BTC/USDT 4h, seed 42")
    Scenario scenario = Scenario::Bull; ///< synthetic scenarios only
    std::uint64_t seed = 0;
    std::size_t decisions = 0;
    TimeMs from = 0, to = 0; ///< open time of the first and last bar traded
    Metrics metrics;         ///< of the environment's engine result
    double buy_hold_return = 0;
    ShieldStats shield;
    std::vector<double> targets;   ///< the policy's target at each decision
    std::vector<Regime> regimes;   ///< the regime it saw at each decision
    std::vector<double> positions; ///< position notional / equity after each decision
    std::vector<TimeMs> times;     ///< open time of each decision's bar
    std::vector<double> close;     ///< close of each decision's bar
    std::vector<double> equity;    ///< equity after each decision (the engine's curve)
    /// The execution level's choice per decision: limit offset in bps, 0 market, -1 no order.
    std::vector<double> limit_bps;
    ExecutionStats execution;
};

/// The shield's counters (`rl simulate --json`, `rl safety --json`).
nlohmann::json shield_json(const ShieldStats& s);
/// The figures and the per-decision series (time in ms, close, regime seen, target, position
/// after, equity after) of one simulation: `aurum rl simulate --json`.
nlohmann::json simulation_json(const SimulationReport& r);

/// The scenario's market tape with the built-in feature set `feature_set`. Throws InputError when
/// `days` is outside [120, 3650] or too short for the features' warm-up.
MarketTape scenario_tape(Scenario s, std::uint64_t seed, int days,
                         const std::string& feature_set = "default");

/// Runs `policy` (default: the scripted baseline) through one TradingEnv episode over the
/// scenario's bars after the features' warm-up (`config.episode_bars` is set to fill it).
/// Throws InputError when `days` is outside [120, 3650].
/// `execution` (may be empty: every order at market) as run_policy_episode's.
SimulationReport simulate_scenario(Scenario s, std::uint64_t seed, int days, EnvConfig config,
                                   const ActionFn& policy = regime_trend_action,
                                   const std::string& feature_set = "default",
                                   const ExecutionFn& execution = {});

/// A window of real history for `simulate`: a named one or "YYYY-MM-DD..YYYY-MM-DD".
struct HistoryWindow {
    std::string name;
    TimeMs from = 0, to = 0; ///< bars opening in [from, to)
};
/// bull-2023q1, bear-2022, crash-2020-03, ranging-2023q3.
const std::vector<HistoryWindow>& named_history_windows();
/// A named window or a date range; nullopt when `text` is neither; InputError for a range whose
/// dates do not parse or whose end is not after its start.
std::optional<HistoryWindow> parse_history_window(const std::string& text);

class MarketStore;

/// Runs `policy` over the store's `symbol` x `tf` bars of `window` (loaded with 400 bars before
/// it for the features' warm-up), from the first warm bar at or after window.from. InputError
/// naming the symbol and window when the store holds too few bars.
SimulationReport simulate_history(MarketStore& store, const Instrument& instrument, Timeframe tf,
                                  const HistoryWindow& window, EnvConfig config,
                                  const ActionFn& policy,
                                  const std::string& feature_set = "default",
                                  const ExecutionFn& execution = {});

} // namespace aurum
