#include "rl/action_strategy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace aurum {

void ActionStrategy::on_start(StrategyContext& ctx) {
    sizer_.start(ctx);
    last_.assign(ctx.instrument_count(), 0.0);
}

void ActionStrategy::on_bar(StrategyContext& ctx, InstrumentId i) {
    // The decision comes later (apply); keep the sizer's indicators current as every target
    // strategy does before it sizes.
    sizer_.update(i, ctx.bars(i));
}

void ActionStrategy::resync() {
    std::fill(last_.begin(), last_.end(), std::numeric_limits<double>::quiet_NaN());
}

bool ActionStrategy::apply(StrategyContext& ctx, InstrumentId i, double target) {
    // The rule of backtest/strategies.cpp (TargetStrategy::on_bar), so a recorded action
    // sequence replayed by the `signals` strategy sends the very same orders.
    if (std::isnan(target)) return false;
    if (target < 0 && !ctx.can_short(i)) target = 0;
    if (target == last_[i]) return false;
    last_[i] = target;
    return ctx.order_target(i, sizer_.target_qty(ctx, i, target)) != 0;
}

} // namespace aurum
