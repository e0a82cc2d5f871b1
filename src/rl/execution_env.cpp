#include "rl/execution_env.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace aurum {

void execution_obs(std::span<const float> bar_obs, const TradingEnv& env, double qty,
                   std::span<float> out) {
    std::copy(bar_obs.begin(), bar_obs.end(), out.begin());
    out[bar_obs.size()] = qty > 0 ? 1.0f : -1.0f;
    out[bar_obs.size() + 1] = static_cast<float>(env.notional_fraction(qty));
}

ExecutionEnv::ExecutionEnv(VecEnv& bars, std::vector<ActionFn> upper)
    : LevelEnv(bars), upper_(std::move(upper)), obs_size_(bars.obs_size() + kExecutionExtra),
      obs_(bars.size() * obs_size_), targets_(bars.size()) {
    if (upper_.size() != bars_.size())
        throw InputError(fmt::format("rl: {} upper-level policies for {} environments",
                                     upper_.size(), bars_.size()));
    for (std::size_t i = 0; i < size(); ++i) seek(i);
    clear();
}

void ExecutionEnv::absorb(std::size_t i, const StepOutcome& o) {
    add_bar(i, o.fees, o.reward, o.done);
    if (o.execution.completed) rewards_[i] -= o.execution.shortfall;
}

void ExecutionEnv::seek(std::size_t i) {
    // Far more bars than any episode without a single order: the levels above never trade.
    constexpr std::size_t kMaxScan = 1'000'000;
    const ObsLayout& layout = bars_.env(i).layout();
    for (std::size_t scanned = 0;; ++scanned) {
        if (scanned > kMaxScan)
            throw InputError(fmt::format("rl: the levels above the execution agent sent no order "
                                         "in {} bars: nothing for it to execute",
                                         scanned));
        const double target = upper_[i](bars_.observation(i), layout);
        const double q = bars_.env(i).order_qty(target);
        if (q != 0) {
            targets_[i] = target;
            execution_obs(bars_.observation(i), bars_.env(i), q,
                          std::span<float>(obs_).subspan(i * obs_size_, obs_size_));
            return;
        }
        absorb(i, bars_.step_one(i, target));
    }
}

void ExecutionEnv::step(std::span<const double> offsets) {
    if (offsets.size() != size())
        throw InputError(
            fmt::format("rl: {} actions for {} environments", offsets.size(), size()));
    clear();
    for (std::size_t i = 0; i < size(); ++i) {
        absorb(i, bars_.step_one(i, targets_[i], offsets[i]));
        seek(i); // the parent finishes (a forced fill included) before the next one is decided
    }
}

} // namespace aurum
