#pragma once
// The strategic level over the tactical one: one strategic decision (an allocation, the largest
// fraction of equity the symbol may take) every `cadence` bars; in between, each bar, the frozen
// tactical agent picks its level and the target sent to the engine is allocation x level / the
// tactical agent's largest level (no tactical agent: the target is the allocation). The
// strategic reward is the differential Sharpe ratio of the bar returns over the block.
#include <memory>
#include <vector>

#include "rl/batch_env.hpp"
#include "rl/differential_sharpe.hpp"
#include "rl/policy_agent.hpp"
#include "rl/vec_env.hpp"

namespace aurum {

/// Strategic decisions over a VecEnv, the tactical agent acting between them.
class StrategicEnv final : public BatchEnv {
  public:
    /// `tactical` may be null. The episode length must be a multiple of `cadence` (so every
    /// episode ends at a strategic decision): else InputError naming agent.cadence.
    StrategicEnv(VecEnv& bars, PolicyAgent* tactical, std::size_t cadence, std::size_t episode_bars,
                 double dsr_eta);

    std::size_t size() const override { return bars_.size(); }
    std::size_t obs_size() const override { return bars_.obs_size(); }
    std::span<const float> observations() const override { return bars_.observations(); }
    /// `allocations`: one per environment, held for `cadence` bars.
    void step(std::span<const double> allocations) override;
    std::span<const double> rewards() const override { return rewards_; }
    std::span<const double> fee_rewards() const override { return fees_; }
    std::span<const double> log_returns() const override { return log_returns_; }
    std::span<const std::uint8_t> dones() const override { return dones_; }
    double last_episode_return(std::size_t i) const override {
        return bars_.last_episode_return(i);
    }
    ShieldStats shield_total() const override { return bars_.shield_total(); }

  private:
    VecEnv& bars_;
    PolicyAgent* tactical_;
    std::size_t cadence_;
    double tactical_max_ = 1;
    std::vector<DifferentialSharpe> dsr_;
    std::vector<double> rewards_, fees_, log_returns_, levels_, targets_;
    std::vector<std::uint8_t> dones_;
};

/// What a hierarchical_policy decided at each call: the strategic allocation held and the
/// tactical level chosen (the top level when there is no tactical agent); target = allocation x
/// level / max_level.
struct HierarchyTrace {
    std::vector<double> allocations, levels;
    double max_level = 1;
};

/// The hierarchy as one policy for evaluation: the strategic agent decides every `cadence`
/// decisions (the first at the episode's first bar), the tactical agent (may be null) every bar.
/// Both agents (and `trace`, when given) must outlive it.
ActionFn hierarchical_policy(PolicyAgent& strategic, PolicyAgent* tactical, std::size_t cadence,
                             HierarchyTrace* trace = nullptr);

} // namespace aurum
