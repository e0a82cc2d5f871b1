#include "rl/action_strategy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace aurum {

void ActionStrategy::on_start(StrategyContext& ctx) {
    sizer_.start(ctx);
    last_.assign(ctx.instrument_count(), 0.0);
    limit_.assign(ctx.instrument_count(), 0);
}

void ActionStrategy::on_bar(StrategyContext& ctx, InstrumentId i) {
    // The decision comes later (apply); keep the sizer's indicators current as every target
    // strategy does before it sizes.
    sizer_.update(i, ctx.bars(i));
}

void ActionStrategy::resync() {
    std::fill(last_.begin(), last_.end(), std::numeric_limits<double>::quiet_NaN());
}

double ActionStrategy::effective(const StrategyContext& ctx, InstrumentId i, double target) const {
    return target < 0 && !ctx.can_short(i) ? 0.0 : target;
}

bool ActionStrategy::apply(StrategyContext& ctx, InstrumentId i, double target, double limit_bps) {
    // The rule of backtest/strategies.cpp (TargetStrategy::on_bar), so a recorded action
    // sequence replayed by the `signals` strategy sends the very same orders.
    if (std::isnan(target)) return false;
    target = effective(ctx, i, target);
    if (target == last_[i]) return false;
    last_[i] = target;
    const double qty = sizer_.target_qty(ctx, i, target);
    if (!(limit_bps > 0)) return ctx.order_target(i, qty) != 0;
    const double close = ctx.bars(i).last_close();
    const bool buy = ctx.target_order_qty(i, qty) > 0;
    const double price = close * (1 + (buy ? -limit_bps : limit_bps) * 1e-4);
    limit_[i] = ctx.order_target_limit(i, qty, price);
    return limit_[i] != 0;
}

double ActionStrategy::order_qty(const StrategyContext& ctx, InstrumentId i, double target) {
    if (std::isnan(target)) return 0;
    target = effective(ctx, i, target);
    if (target == last_[i]) return 0;
    return ctx.target_order_qty(i, sizer_.target_qty(ctx, i, target));
}

OrderId ActionStrategy::open_limit(const StrategyContext& ctx, InstrumentId i) const {
    // One order at a time per instrument here: pending means the limit is still live.
    return limit_[i] != 0 && ctx.pending_orders(i) > 0 ? limit_[i] : 0;
}

void ActionStrategy::cancel_limit(StrategyContext& ctx, InstrumentId i) {
    if (const OrderId id = open_limit(ctx, i)) {
        ctx.cancel(id);
        last_[i] = std::numeric_limits<double>::quiet_NaN();
    }
    limit_[i] = 0;
}

} // namespace aurum
