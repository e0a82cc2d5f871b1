#pragma once
// `aurum rl train|evaluate`: trains the tactical PPO agent on the config's market (training
// tapes only), logs every update to TensorBoard event files and a CSV, evaluates the greedy policy
// out of sample through the same engine, gates it, and registers it (kind "rl").
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "models/gating.hpp"
#include "models/registry.hpp"
#include "rl/policy_agent.hpp"
#include "rl/portfolio_eval.hpp"
#include "rl/ppo_trainer.hpp"
#include "rl/rl_config.hpp"
#include "rl/training_market.hpp"

namespace aurum {

struct HierarchyTrace;

/// Out-of-sample results of one agent: one episode per symbol, from its split to its last bar.
struct RlEvaluation {
    std::vector<std::string> symbols;
    std::vector<EpisodeReport> episodes;
    /// level: execution: the same upper policy with every order at market, per symbol.
    std::vector<ExecutionStats> market_execution;
    /// agent.portfolio: the one episode is the whole account (symbols[0] lists the assets,
    /// buy-and-hold is the equal-weight one); per asset: symbol, largest entry, mean allocation.
    struct Asset {
        std::string symbol;
        double max_entry_exposure = 0, mean_allocation = 0;
    };
    std::vector<Asset> assets;
    GatingVerdict gate;
    nlohmann::json to_json() const; ///< per symbol
    /// Means over the symbols: sharpe, max_drawdown, total_return, buy_hold_return (what
    /// `aurum registry list|show` print as the model's out-of-sample figures).
    nlohmann::json summary_json() const;
};

/// Largest entry counted as within the position cap: the risk manager sizes at the decision's
/// close and the order fills at the next open, so a gap can carry a capped entry a little above.
inline constexpr double kEntryGapTolerance = 0.05; ///< relative: 25 % -> 26.25 %

/// The policy an agent trades with: its greedy action (tactical), the hierarchy of it
/// (strategic) over `tactical` (may be null) at the config's cadence, or (execution) the levels
/// above it: `above` over `tactical`, else `tactical`, else the scripted regime-trend rule.
/// Fresh state per call. `trace` (a hierarchy, may be null) records each decision's allocation
/// and level.
/// A strategic agent above an execution agent's tactical one: the three-level hierarchy.
struct StrategicAbove {
    PolicyAgent* agent = nullptr; ///< null: none
    std::size_t cadence = 0;      ///< its bars between decisions
};

ActionFn agent_policy(PolicyAgent& agent, PolicyAgent* tactical, const RlConfig& config,
                      HierarchyTrace* trace = nullptr, StrategicAbove above = {});
/// An execution agent's greedy choice of limit offset; empty for the other levels (every order
/// at market). The agent must outlive it.
ExecutionFn execution_policy(PolicyAgent& agent);

/// Runs the greedy policy (agent_policy, fresh per symbol) over every symbol's out-of-sample
/// window and applies the gate: t-stat of the bar returns >= min_t_stat, Sharpe above
/// buy-and-hold's (when asked), at least one trade, the position cap held (within the gap
/// tolerance) and no entry past the drawdown halt. An execution agent is gated instead on its
/// mean implementation shortfall: below the same upper policy's with every order at market.
RlEvaluation evaluate_agent(PolicyAgent& agent, PolicyAgent* tactical, const TrainingMarket& market,
                            const RlConfig& config, const EnvConfig& env,
                            StrategicAbove above = {});

/// A portfolio agent's allocation policy: its greedy level for every asset row in one network
/// call. The agent must outlive it.
PortfolioFn portfolio_policy(PolicyAgent& agent);

/// agent.portfolio: one PortfolioEnv episode over the common out-of-sample bars, gated on the
/// account's t-stat, its Sharpe above the equal-weight buy-and-hold's (when asked), at least one
/// trade, every asset's position cap (within the gap tolerance) and no entry past the halt.
/// (evaluate_agent calls it for a portfolio config.)
RlEvaluation evaluate_portfolio(PolicyAgent& agent, const PortfolioMarket& market,
                                const RlConfig& config, const EnvConfig& env);

/// Where and how a training run writes.
struct RlTrainOptions {
    std::filesystem::path runs_root;   ///< runs/<run>/ is created below it
    std::string run;                   ///< empty: <name>-<UTC yyyymmdd-hhmmss>
    ModelRegistry* registry = nullptr; ///< null: nothing registered
    MarketStore* store = nullptr;      ///< where market.source store reads its bars
    /// level: strategic or execution: the registered tactical agent (agent.tactical_model) and
    /// its version; null when the config names none.
    PolicyAgent* tactical = nullptr;
    int tactical_version = 0;
    std::string tactical_name; ///< its registry name
    /// level: execution under agent.strategic_model: the strategic agent (its tactical agent in
    /// `tactical`) and its version.
    StrategicAbove strategic;
    int strategic_version = 0;
    EnvConfig env; ///< costs and the shield (default_env_config())
    std::function<void(const PpoUpdateReport&)> progress;
};

/// What a training run produced.
struct RlTrainResult {
    std::string run;
    std::filesystem::path run_dir;
    std::vector<PpoUpdateReport> updates; ///< env_steps: decisions of the agent's level
    std::uint64_t bar_steps = 0;          ///< engine bars stepped in training (all levels)
    std::uint64_t parameter_hash = 0;
    std::size_t parameters = 0;
    double seconds = 0;
    RlEvaluation evaluation;
    std::optional<ModelRecord> record;
};

/// Trains, logs, evaluates, registers. The same config gives bit-identical parameters.
RlTrainResult train_rl(const RlConfig& config, const RlTrainOptions& options);

/// The config a registered rl model was trained with (its stored rl.yaml).
RlConfig stored_rl_config(const ModelRecord& record);

} // namespace aurum
