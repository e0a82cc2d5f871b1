#include "rl/strategic_env.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.hpp"

namespace aurum {

namespace {
constexpr double kDsrClip = 10; // one block's differential Sharpe ratio, at most (tiny variance)
}

StrategicEnv::StrategicEnv(VecEnv& bars, PolicyAgent* tactical, std::size_t cadence,
                           std::size_t episode_bars, double dsr_eta)
    : LevelEnv(bars), tactical_(tactical), cadence_(cadence),
      dsr_(bars.size(), DifferentialSharpe(dsr_eta)), levels_(bars.size()),
      targets_(bars.size()) {
    if (cadence_ == 0 || episode_bars % cadence_ != 0)
        throw InputError(fmt::format("agent.cadence {}: must divide agent.episode_bars {} (every "
                                     "episode ends at a strategic decision)",
                                     cadence_, episode_bars));
    if (tactical_) {
        if (tactical_->obs_size() != bars.obs_size())
            throw InputError("agent.tactical_model: observes another feature layout");
        tactical_max_ = *std::max_element(tactical_->levels().begin(), tactical_->levels().end());
        if (!(tactical_max_ > 0))
            throw InputError("agent.tactical_model: its levels are all 0");
    }
}

void StrategicEnv::step(std::span<const double> allocations) {
    const std::size_t n = size();
    clear();
    for (std::size_t b = 0; b < cadence_; ++b) {
        if (tactical_)
            tactical_->act_batch(bars_.observations(), n, levels_);
        for (std::size_t i = 0; i < n; ++i)
            targets_[i] = allocations[i] * (tactical_ ? levels_[i] / tactical_max_ : 1.0);
        bars_.step(targets_);
        for (std::size_t i = 0; i < n; ++i)
            add_bar(i, bars_.fee_rewards()[i], bars_.rewards()[i], bars_.dones()[i] != 0);
    }
    // One differential Sharpe ratio per strategic decision, of the block's return: the Sharpe
    // ratio at the strategic cadence (per-bar terms would add six times the noise).
    for (std::size_t i = 0; i < n; ++i) {
        rewards_[i] = std::clamp(dsr_[i].update(log_returns_[i]), -kDsrClip, kDsrClip);
        if (dones_[i])
            dsr_[i].reset(); // the next block trades a new account
    }
}

ActionFn hierarchical_policy(PolicyAgent& strategic, PolicyAgent* tactical, std::size_t cadence,
                             HierarchyTrace* trace) {
    const double top =
        tactical ? *std::max_element(tactical->levels().begin(), tactical->levels().end()) : 1.0;
    if (trace)
        trace->max_level = top;
    struct State {
        std::size_t k = 0;
        double allocation = 0;
    };
    auto state = std::make_shared<State>();
    return [&strategic, tactical, cadence, top, state, trace](std::span<const float> obs,
                                                              const ObsLayout&) {
        if (state->k++ % cadence == 0)
            state->allocation = strategic.act(obs);
        const double level = tactical ? tactical->act(obs) : top;
        if (trace) {
            trace->allocations.push_back(state->allocation);
            trace->levels.push_back(level);
        }
        return state->allocation * (level / top);
    };
}

} // namespace aurum
