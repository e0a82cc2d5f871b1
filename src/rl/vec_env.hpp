#pragma once
// Many environments in one process, over symbols and start dates, stepped together through
// preallocated buffers (observations, rewards, done flags): the batch a policy reads and writes.
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "rl/batch_env.hpp"
#include "rl/trading_env.hpp"

namespace aurum {

/// A batch of environments. Environment i trades tapes[i % tapes.size()] from a start bar drawn
/// from the seeded generator; a finished episode restarts at once (its observation row then
/// belongs to the new episode, as in the usual vectorised-environment convention).
class VecEnv final : public BatchEnv {
  public:
    /// Every tape must have the same feature columns and room for one episode after its warm-up
    /// (else InputError naming the symbol).
    VecEnv(std::vector<const MarketTape*> tapes, const EnvConfig& config, std::size_t count,
           std::uint64_t seed);

    std::size_t size() const override { return envs_.size(); }
    std::size_t obs_size() const override { return obs_size_; }
    /// Starts every environment (generator re-seeded with `seed`) and fills observations().
    void reset(std::uint64_t seed);
    /// One action per environment; fills observations(), rewards(), dones().
    void step(std::span<const double> actions) override;
    /// Steps environment i alone (its rows of observations(), rewards(), dones()); restarts it
    /// when its episode ended. `limit_bps` as TradingEnv::step.
    StepOutcome step_one(std::size_t i, double action, double limit_bps = 0);

    std::span<const float> observations() const override { return obs_; }
    std::span<const float> observation(std::size_t i) const {
        return std::span<const float>(obs_).subspan(i * obs_size_, obs_size_);
    }
    std::span<const double> rewards() const override { return rewards_; }
    /// Per environment: the part of the last reward its fees took (StepOutcome::fees).
    std::span<const double> fee_rewards() const override { return fees_; }
    /// The reward is the log equity change itself.
    std::span<const double> log_returns() const override { return rewards_; }
    std::span<const std::uint8_t> dones() const override { return dones_; }
    std::uint64_t episodes_done() const { return episodes_; }
    /// Bars stepped by all environments since the last reset.
    std::uint64_t bars_stepped() const { return bars_; }
    /// Return (sum of rewards) of the last finished episode of environment i.
    double last_episode_return(std::size_t i) const override { return last_return_[i]; }
    TradingEnv& env(std::size_t i) { return *envs_[i]; }
    /// Shield counters summed over every environment.
    ShieldStats shield_total() const override;

  private:
    void start(std::size_t i);

    std::vector<const MarketTape*> tapes_;
    std::vector<std::unique_ptr<TradingEnv>> envs_;
    std::size_t obs_size_ = 0, episode_bars_ = 0;
    std::mt19937_64 rng_; // its output sequence is fixed by the C++ standard
    std::vector<float> obs_;
    std::vector<double> rewards_, fees_, running_, last_return_;
    std::vector<std::uint8_t> dones_;
    std::uint64_t episodes_ = 0, bars_ = 0;
};

} // namespace aurum
