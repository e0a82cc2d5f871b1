#include "rl/shield.hpp"

#include <algorithm>
#include <cmath>

namespace aurum {

ShieldStats& ShieldStats::operator+=(const ShieldStats& o) {
    actions += o.actions;
    invalid += o.invalid;
    orders += o.orders;
    denied += o.denied;
    reduced += o.reduced;
    flattens += o.flattens;
    halts += o.halts;
    max_entry_exposure = std::max(max_entry_exposure, o.max_entry_exposure);
    entries_past_halt += o.entries_past_halt;
    max_drawdown = std::max(max_drawdown, o.max_drawdown);
    max_entry_drawdown = std::max(max_entry_drawdown, o.max_entry_drawdown);
    halt_drawdown = std::max(halt_drawdown, o.halt_drawdown);
    max_open_drawdown = std::max(max_open_drawdown, o.max_open_drawdown);
    return *this;
}

std::pair<double, double> EpisodeAccount::step(double eq, double fees, bool allowed,
                                               ShieldStats& stats) {
    const double reward = eq > 0 && prev_ > 0 ? std::log(eq / prev_) : -1.0;
    const double fee_part = eq > 0 && fees > 0 ? -std::log((eq + fees) / eq) : 0.0;
    prev_ = eq;
    peak_ = std::max(peak_, eq);
    const double dd = drawdown(eq);
    stats.max_drawdown = std::max(stats.max_drawdown, dd);
    if (allowed) stats.max_open_drawdown = std::max(stats.max_open_drawdown, dd);
    if (!allowed && !halted_) {
        halted_ = true;
        ++stats.halts;
        stats.halt_drawdown = std::max(stats.halt_drawdown, dd);
    }
    return {reward, fee_part};
}

RiskDecision ShieldHook::review(const OrderRequest& request, const Instrument& instrument,
                                double reference_price, const Portfolio& portfolio, TimeMs now) {
    RiskDecision d =
        AccountRiskHook::review(request, instrument, reference_price, portfolio, now);
    log_.clear();
    ++stats_.orders;
    if (request.tag == static_cast<std::uint32_t>(OrderSource::Flatten)) ++stats_.flattens;
    if (d.action == RiskDecision::Action::Deny) ++stats_.denied;
    if (d.action == RiskDecision::Action::Reduce) ++stats_.reduced;
    approved_ = d.action == RiskDecision::Action::Approve  ? request.qty
                : d.action == RiskDecision::Action::Reduce ? d.qty
                                                           : 0.0;
    return d;
}

} // namespace aurum
