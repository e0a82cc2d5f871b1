#pragma once
// PPO for one agent level: collects rollouts from a BatchEnv (every action, at the end, an order
// through the engine and its shield), computes GAE in plain C++, and hands the batch to the policy
// network's update. Action = an index into the level's `action_levels` (tactical: target fractions
// of equity; strategic: allocations); reward = the environment's (tactical: log equity change net
// of costs; strategic: differential Sharpe ratio), with the log equity change logged per
// component (market, fees).
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "rl/batch_env.hpp"
#include "rl/obs_norm.hpp"
#include "rl/policy.hpp"

namespace aurum {

/// What one collect + update measured.
struct PpoUpdateReport {
    std::size_t update = 0;      ///< 1-based
    std::uint64_t env_steps = 0; ///< total so far
    double reward = 0;           ///< mean step reward (unscaled)
    /// The mean log equity change per step (tactical: = reward), split: its market part (price
    /// move, spread, slippage) and its fee part (<= 0).
    double reward_market = 0;
    double reward_fees = 0;
    std::size_t episodes = 0;               ///< episodes that ended in this rollout
    double episode_return = 0;              ///< mean sum of rewards of those episodes (0 when none)
    double episode_length = 0;              ///< mean steps of those episodes
    double value = 0;                       ///< mean value estimate over the rollout
    double mean_target = 0;                 ///< mean chosen target fraction
    std::uint64_t shield_interventions = 0; ///< during this rollout
    PpoUpdateStats stats;
};

/// Trains `net` on `env`. Holds every rollout buffer (allocated once).
class PpoTrainer {
  public:
    /// `levels`: target fraction per action; `rollout_steps` per environment per update;
    /// `reward_scale` multiplies rewards for the learning signal only (logs stay unscaled).
    PpoTrainer(BatchEnv& env, PolicyNet& net, ObsNorm& norm, std::vector<double> levels,
               const PpoParams& params, std::size_t rollout_steps, double reward_scale);

    /// One rollout from every environment, then one PPO update.
    PpoUpdateReport step();

  private:
    void collect(PpoUpdateReport& r);
    void advantages();

    BatchEnv& env_;
    PolicyNet& net_;
    ObsNorm& norm_;
    std::vector<double> levels_;
    PpoParams p_;
    std::size_t T_, E_, obs_size_;
    double reward_scale_;
    std::mt19937_64 rng_;
    std::size_t updates_ = 0;
    std::uint64_t steps_ = 0;
    std::vector<float> obs_, probs_, values_, logp_, rewards_, adv_, ret_, last_obs_, last_value_;
    std::vector<std::int32_t> actions_;
    std::vector<std::uint8_t> dones_;
    std::vector<double> targets_;
    std::vector<std::size_t> lengths_;
};

/// Index of the most probable action (ties: the lowest index).
std::size_t greedy_action(std::span<const float> probs);

} // namespace aurum
