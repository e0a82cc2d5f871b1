#pragma once
// The strategic level over the tactical one: one strategic decision (an allocation, the largest
// fraction of equity the symbol may take) every `cadence` bars; in between, each bar, the frozen
// tactical agent picks its level and the target sent to the engine is allocation x level / the
// tactical agent's largest level (no tactical agent: the target is the allocation). The
// strategic reward is the differential Sharpe ratio of the bar returns over the block.
#include <memory>
#include <vector>

#include "rl/differential_sharpe.hpp"
#include "rl/level_env.hpp"
#include "rl/policy_agent.hpp"

namespace aurum {

/// Strategic decisions over a VecEnv, the tactical agent acting between them.
class StrategicEnv final : public LevelEnv {
  public:
    /// `tactical` may be null. The episode length must be a multiple of `cadence` (so every
    /// episode ends at a strategic decision): else InputError naming agent.cadence.
    StrategicEnv(VecEnv& bars, PolicyAgent* tactical, std::size_t cadence, std::size_t episode_bars,
                 double dsr_eta);

    std::size_t obs_size() const override { return bars_.obs_size(); }
    std::span<const float> observations() const override { return bars_.observations(); }
    /// `allocations`: one per environment, held for `cadence` bars.
    void step(std::span<const double> allocations) override;

  private:
    PolicyAgent* tactical_;
    std::size_t cadence_;
    double tactical_max_ = 1;
    std::vector<DifferentialSharpe> dsr_;
    std::vector<double> levels_, targets_;
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
