#pragma once
// What the levels above the bar (strategic, execution) share: a BatchEnv whose steps each run
// several bars of a VecEnv, summing what those bars earned into per-environment buffers.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "rl/batch_env.hpp"
#include "rl/vec_env.hpp"

namespace aurum {

/// A BatchEnv over a VecEnv: the buffers, the accessors, the episode returns and the shield.
class LevelEnv : public BatchEnv {
  public:
    std::size_t size() const override { return bars_.size(); }
    std::span<const double> rewards() const override { return rewards_; }
    std::span<const double> fee_rewards() const override { return fees_; }
    std::span<const double> log_returns() const override { return log_returns_; }
    std::span<const std::uint8_t> dones() const override { return dones_; }
    double last_episode_return(std::size_t i) const override {
        return bars_.last_episode_return(i);
    }
    ShieldStats shield_total() const override { return bars_.shield_total(); }

  protected:
    explicit LevelEnv(VecEnv& bars)
        : bars_(bars), rewards_(bars.size()), fees_(bars.size()), log_returns_(bars.size()),
          dones_(bars.size()) {}
    /// Zeroes the buffers at the start of a step.
    void clear() {
        std::fill(rewards_.begin(), rewards_.end(), 0.0);
        std::fill(fees_.begin(), fees_.end(), 0.0);
        std::fill(log_returns_.begin(), log_returns_.end(), 0.0);
        std::fill(dones_.begin(), dones_.end(), std::uint8_t{0});
    }
    /// Adds one bar of environment i: its fees, its log equity change, its end of episode.
    void add_bar(std::size_t i, double fees, double log_return, bool done) {
        fees_[i] += fees;
        log_returns_[i] += log_return;
        dones_[i] |= done ? 1 : 0;
    }

    VecEnv& bars_;
    std::vector<double> rewards_, fees_, log_returns_;
    std::vector<std::uint8_t> dones_;
};

} // namespace aurum
