#pragma once
// config/rl.yaml: the market an agent trains on, the agent, PPO's settings and the gate.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/time.hpp"
#include "rl/policy.hpp"

namespace aurum {

/// Shapes of the synthetic training market (bull, bear: the `aurum rl simulate` scenarios;
/// trend: long strong bull and bear regimes only, a known edge at the strategic cadence;
/// rotation: trend's regimes, every second symbol moving against them: 2+ symbols, the known
/// edge of the multi-asset allocation).
enum class MarketShape : std::uint8_t { Regimes, Momentum, Noise, Bull, Bear, Trend, Rotation };
/// "regimes", "momentum", "noise", "bull", "bear", "trend", "rotation"
std::string to_string(MarketShape s);

/// The execution level's largest limit offset (5 %): beyond it a limit is not an execution
/// choice but another trade.
inline constexpr double kMaxLimitOffsetBps = 500;

/// Everything `aurum rl train` reads.
struct RlConfig {
    std::string name = "rl-tactical";
    struct Market {
        bool from_store = false; ///< source: store (the workspace's bars) instead of synthetic
        TimeMs from = 0, to = 0; ///< store: bars opening in [from, to) (0: unbounded)
        MarketShape shape = MarketShape::Regimes;
        double momentum = 0.4;
        std::vector<std::string> symbols{"BTC/USDT"};
        std::string timeframe = "4h";
        int days = 730;
        std::uint64_t seed = 42;
        double test_fraction = 0.3;
    } market;
    std::string feature_set = "default";
    struct Agent {
        bool strategic = false;     ///< level: strategic
        bool execution = false;     ///< level: execution (neither: tactical)
        /// strategic: one allocation per asset of market.symbols (2+), one account for all
        /// (PortfolioEnv); else one symbol per environment
        bool portfolio = false;
        std::size_t cadence = 6;    ///< strategic: bars between decisions (6 x 4h = daily)
        /// strategic, execution: the registered tactical agent below it ("": none; execution
        /// then trades the built-in regime-trend rule)
        std::string tactical_model;
        /// execution: the registered strategic agent above it, with the tactical agent it was
        /// trained over (the three-level hierarchy); exclusive with tactical_model
        std::string strategic_model;
        double dsr_eta = 0.01;      ///< strategic: differential Sharpe ratio's moment decay
        /// tactical: target fractions; strategic: allocations; execution: limit offsets in bps
        std::vector<double> action_levels{0.0, 0.125, 0.25};
        std::size_t episode_bars = 256, envs = 8, rollout_steps = 128, updates = 40;
        double reward_scale = 100;
    } agent;
    PpoParams ppo;
    struct Gate {
        double min_t_stat = 2.0;
        bool beat_buy_hold_sharpe = true;
    } gating;
    std::string yaml; ///< the text it was parsed from (stored with the model)

    std::string level() const {
        return agent.strategic ? "strategic" : agent.execution ? "execution" : "tactical";
    }

    /// Parses YAML text; InputError "file:line: key: ..." for an unknown key or a bad value.
    static RlConfig parse(const std::string& text, const std::string& file);
    /// Parses a file; a missing file is an InputError naming it.
    static RlConfig load(const std::filesystem::path& file);
};

/// The shipped config/rl.yaml.
const std::string& default_rl_yaml();

} // namespace aurum
