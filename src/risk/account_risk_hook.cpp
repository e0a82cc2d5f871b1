#include "risk/account_risk_hook.hpp"

#include "backtest/portfolio.hpp"

namespace aurum {

std::string to_string(OrderSource s) {
    switch (s) {
    case OrderSource::Strategy: return "strategy";
    case OrderSource::Manual: return "manual";
    case OrderSource::Flatten: return "flatten";
    case OrderSource::Signal: return "signal";
    }
    return "strategy";
}

AccountView account_view(const Portfolio& p, TimeMs now) {
    AccountView a;
    a.now = now;
    a.equity = p.equity();
    a.cash = p.cash();
    for (std::size_t i = 0; i < p.size(); ++i) {
        const Position& pos = p.position(static_cast<InstrumentId>(i));
        if (pos.qty == 0) continue;
        const Instrument& inst = p.instrument(static_cast<InstrumentId>(i));
        a.positions.push_back({inst.symbol, pos.qty * inst.contract_size, pos.mark});
    }
    return a;
}

RiskDecision AccountRiskHook::review(const OrderRequest& request, const Instrument& instrument,
                                     double reference_price, const Portfolio& portfolio,
                                     TimeMs now) {
    OrderIntent in;
    in.symbol = instrument.symbol;
    // The engine speaks lots (x contract size); the risk manager speaks base units.
    in.quantity = sign(request.side) * request.qty * instrument.contract_size;
    in.price = reference_price;
    in.source = to_string(static_cast<OrderSource>(request.tag));
    RiskAssessment a = rm_.check(in, account_view(portfolio, now));
    log_.push_back(a);
    const double lots = std::fabs(a.approved) / instrument.contract_size;
    switch (a.verdict) {
    case RiskVerdict::Approve: return RiskDecision::approve();
    case RiskVerdict::Reduce: return RiskDecision::reduce(lots, a.reason);
    case RiskVerdict::Deny: return RiskDecision::deny(a.reason);
    }
    return RiskDecision::deny(a.reason);
}

std::vector<RiskAssessment> AccountRiskHook::take_assessments() {
    std::vector<RiskAssessment> out;
    out.swap(log_);
    return out;
}

} // namespace aurum
