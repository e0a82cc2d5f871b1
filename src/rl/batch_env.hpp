#pragma once
// What PPO trains on: a batch of environments stepped together. The tactical agent trains on a
// VecEnv (one decision per bar); the strategic agent on a StrategicEnv (one decision per
// `cadence` bars, the tactical policy acting in between).
#include <cstdint>
#include <span>

#include "rl/shield.hpp"

namespace aurum {

/// A batch of environments behind one interface.
class BatchEnv {
  public:
    virtual ~BatchEnv() = default;
    virtual std::size_t size() const = 0;
    virtual std::size_t obs_size() const = 0;
    /// size() x obs_size() observations after the last step (or the reset).
    virtual std::span<const float> observations() const = 0;
    /// One action per environment (what it means is the environment's).
    virtual void step(std::span<const double> actions) = 0;
    /// Per environment: the reward of the last step, the part fees took of the log equity change
    /// in it, the log equity change itself, and 1 when an episode ended.
    virtual std::span<const double> rewards() const = 0;
    virtual std::span<const double> fee_rewards() const = 0;
    virtual std::span<const double> log_returns() const = 0;
    virtual std::span<const std::uint8_t> dones() const = 0;
    /// Sum of log equity changes of environment i's last finished episode.
    virtual double last_episode_return(std::size_t i) const = 0;
    virtual ShieldStats shield_total() const = 0;
};

} // namespace aurum
