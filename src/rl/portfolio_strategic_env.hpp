#pragma once
// The strategic level over N assets, as a batch for the existing PPO trainer: a factorised,
// parameter-shared policy. Every (environment, asset) pair is one row of the batch; its action is
// that asset's allocation (target fraction of equity), held for `cadence` bars; the reward of
// every row of one environment is the same: the differential Sharpe ratio of the portfolio's
// block return (independent learners with a shared reward). Each environment is one
// PortfolioEnv: one account and one shield over all assets.
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "rl/batch_env.hpp"
#include "rl/differential_sharpe.hpp"
#include "rl/portfolio_env.hpp"

namespace aurum {

/// `envs` portfolio environments x their assets as the rows of one batch.
class PortfolioStrategicEnv final : public BatchEnv {
  public:
    /// `tapes`: aligned (align_tapes), 2 or more. Episodes start at random bars (seeded) from
    /// the last first-ready bar. InputError naming agent.cadence / agent.episode_bars when the
    /// cadence does not divide the episode or the tapes leave no room for one.
    PortfolioStrategicEnv(std::vector<const MarketTape*> tapes, const EnvConfig& config,
                          std::size_t envs, std::size_t cadence, double dsr_eta,
                          std::uint64_t seed);

    std::size_t size() const override { return envs_.size() * assets_; }
    std::size_t assets() const { return assets_; }
    std::size_t obs_size() const override { return row_; }
    std::span<const float> observations() const override { return obs_; }
    /// `allocations`: one per row (environment-major: row e * assets() + i is asset i of
    /// environment e), held for `cadence` bars.
    void step(std::span<const double> allocations) override;
    std::span<const double> rewards() const override { return rewards_; }
    std::span<const double> fee_rewards() const override { return fees_; }
    std::span<const double> log_returns() const override { return log_returns_; }
    std::span<const std::uint8_t> dones() const override { return dones_; }
    double last_episode_return(std::size_t row) const override {
        return last_return_[row / assets_];
    }
    ShieldStats shield_total() const override;
    /// Bars stepped by all environments.
    std::uint64_t bars_stepped() const { return bars_; }
    PortfolioEnv& env(std::size_t e) { return *envs_[e]; }

  private:
    void start(std::size_t e);

    std::vector<const MarketTape*> tapes_;
    std::vector<std::unique_ptr<PortfolioEnv>> envs_;
    std::size_t assets_ = 0, row_ = 0, cadence_ = 0, episode_bars_ = 0, first_ = 0;
    std::mt19937_64 rng_; // its output sequence is fixed by the C++ standard
    std::vector<DifferentialSharpe> dsr_;
    std::vector<float> obs_;
    std::vector<double> rewards_, fees_, log_returns_, running_, last_return_;
    std::vector<std::uint8_t> dones_;
    std::uint64_t bars_ = 0;
};

} // namespace aurum
