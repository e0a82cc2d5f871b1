#include "risk/account_supervisor.hpp"

#include <cmath>

#include "risk/account_risk_hook.hpp"

namespace aurum {

AccountRiskSupervisor::AccountRiskSupervisor(std::unique_ptr<Strategy> inner, RiskManager& risk)
    : owned_(std::move(inner)), inner_(owned_.get()), risk_(risk) {}

AccountRiskSupervisor::AccountRiskSupervisor(Strategy& inner, RiskManager& risk)
    : inner_(&inner), risk_(risk) {}

void AccountRiskSupervisor::on_start(StrategyContext& ctx) { inner_->on_start(ctx); }

int AccountRiskSupervisor::flatten(StrategyContext& ctx) {
    int n = 0;
    for (InstrumentId i = 0; i < ctx.instrument_count(); ++i)
        n += close_position(ctx, i) ? 1 : 0;
    return n;
}

bool AccountRiskSupervisor::close_position(StrategyContext& ctx, InstrumentId i) {
    const double q = ctx.position(i);
    // The position's protective stop is no reason to wait: it goes once the close is placed.
    const OrderId stop = ctx.protective_stop(i);
    if (q == 0 || ctx.pending_orders(i) - (stop ? 1 : 0) > 0) return false;
    OrderRequest r = OrderRequest::market(i, q > 0 ? Side::Sell : Side::Buy, std::fabs(q));
    r.tag = static_cast<std::uint32_t>(OrderSource::Flatten);
    if (ctx.submit(r) == 0) return false;
    // Cancelled now, before the close reaches the venue (sends wait for the step's journal): an
    // exchange-side stop holds the coins the close sells.
    if (stop) ctx.cancel(stop);
    return true;
}

void AccountRiskSupervisor::on_bar(StrategyContext& ctx, InstrumentId i) {
    risk_.observe_price(ctx.instrument(i).symbol, ctx.bars(i).last_close());
    const TimeMs now = ctx.now();
    if (now != last_step_) {
        // First instrument of this step: account-level checks once per step.
        last_step_ = now;
        if (!trading_ && now >= first_trading_close_) {
            // Orders of the warm-up history were refused: take up the signals now.
            trading_ = true;
            inner_->resync();
        }
        bool flat = true;
        for (InstrumentId k = 0; k < ctx.instrument_count(); ++k)
            flat = flat && ctx.position(k) == 0 && ctx.pending_orders(k) == 0;
        for (auto& e : risk_.on_equity(now, ctx.equity(), flat)) events_.push_back(std::move(e));
    }
    if (risk_.wants_flatten()) {
        // Keep the strategy's indicators current, but the account only closes.
        close_position(ctx, i);
    }
    inner_->on_bar(ctx, i);
}

void AccountRiskSupervisor::on_fill(StrategyContext& ctx, const Fill& fill) {
    const auto& trades = ctx.portfolio().trades();
    for (; trades_seen_ < trades.size(); ++trades_seen_) {
        const Trade& t = trades[trades_seen_];
        for (auto& e : risk_.on_trade_closed(ctx.instrument(t.instrument).symbol, t.net_pnl(),
                                             ctx.now()))
            events_.push_back(std::move(e));
    }
    inner_->on_fill(ctx, fill);
}

void AccountRiskSupervisor::on_order_event(StrategyContext& ctx, const OrderEvent& event) {
    inner_->on_order_event(ctx, event);
}

std::vector<std::string> AccountRiskSupervisor::take_events() {
    std::vector<std::string> out;
    out.swap(events_);
    return out;
}

} // namespace aurum
