#pragma once
// The execution level: the levels above (a tactical agent, or the strategic hierarchy) decide
// the target each bar; whenever a target change needs an order (a parent order), the execution
// agent decides how it goes out: at market (level 0) or as a limit k bps better than the
// decision's close. A limit not filled within one bar is cancelled and the rest is forced to
// market, paying whatever the price did meanwhile (no "post and hope"). One step per parent
// order; reward: minus its implementation shortfall against the arrival price, fees included.
#include <cstdint>
#include <span>
#include <vector>

#include "rl/level_env.hpp"
#include "rl/policy_eval.hpp"

namespace aurum {

/// Extra observation slots of the execution level, after the bar observation: the order's side
/// (+1 buy, -1 sell) and its size (notional / equity).
inline constexpr std::size_t kExecutionExtra = 2;

/// Writes the execution observation of an order of `qty` (signed) in `env` into `out`.
void execution_obs(std::span<const float> bar_obs, const TradingEnv& env, double qty,
                   std::span<float> out);

/// Parent-order decisions over a VecEnv, the upper levels acting between them.
class ExecutionEnv final : public LevelEnv {
  public:
    /// `upper`: one policy per environment (each keeps its own state), deciding the targets.
    /// InputError when their number differs from the environments'.
    ExecutionEnv(VecEnv& bars, std::vector<ActionFn> upper);

    std::size_t obs_size() const override { return obs_size_; }
    std::span<const float> observations() const override { return obs_; }
    /// `offsets`: one per environment, in bps (0: market), for its pending parent order.
    void step(std::span<const double> offsets) override;

  private:
    /// Steps environment i at the upper levels' targets until one needs an order (or the
    /// parent in flight is finished and the next one is pending).
    void seek(std::size_t i);
    void absorb(std::size_t i, const StepOutcome& o);

    std::vector<ActionFn> upper_;
    std::size_t obs_size_;
    std::vector<float> obs_;
    std::vector<double> targets_;
};

} // namespace aurum
