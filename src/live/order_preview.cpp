#include "live/order_preview.hpp"

#include <cmath>

#include "core/error.hpp"

namespace aurum {

using nlohmann::json;

namespace {

double gross_notional(const AccountView& a) {
    double g = 0;
    for (const auto& p : a.positions) g += std::fabs(p.quantity * p.price);
    return g;
}

/// The new notional plus |rho| x the notional of every position correlated at or above the
/// threshold, over equity: what max_correlated_exposure limits.
double correlated_exposure(const RiskManager& rm, const AccountView& a, const std::string& symbol,
                           double new_notional) {
    double sum = new_notional;
    for (const auto& p : a.positions) {
        if (p.symbol == symbol) {
            sum += std::fabs(p.quantity * p.price);
            continue;
        }
        const double rho = std::fabs(rm.correlation(symbol, p.symbol));
        if (rho >= rm.limits().correlation_threshold) sum += rho * std::fabs(p.quantity * p.price);
    }
    return a.equity > 0 ? sum / a.equity : 0.0;
}

} // namespace

json preview_order(const RiskManager& rm, const AccountView& account, const Instrument& inst,
                   double price, const Command& c) {
    double cur = 0;
    for (const auto& p : account.positions)
        if (p.symbol == inst.symbol) cur = p.quantity;
    // Base units, signed, exactly as LiveSession::apply_order asks the risk manager.
    double qty = 0;
    if (c.side == TradeSide::Close) {
        if (cur == 0) throw InputError("No open " + inst.symbol + " position to close");
        qty = (cur > 0 ? -1.0 : 1.0) * (c.amount > 0 ? std::min(c.amount, std::fabs(cur))
                                                     : std::fabs(cur));
    } else {
        qty = (c.side == TradeSide::Long ? 1.0 : -1.0) * c.amount;
    }
    const OrderIntent in{inst.symbol, qty, price, "manual"};
    const RiskAssessment a = rm.check(in, account);
    const double eq = account.equity;
    const double before = gross_notional(account);
    double after = 0;
    for (const auto& p : account.positions)
        if (p.symbol != inst.symbol) after += std::fabs(p.quantity * p.price);
    after += std::fabs((cur + a.approved) * price);
    const double lots = std::fabs(a.approved) / inst.contract_size;
    json reduced = json::array();
    if (a.verdict == RiskVerdict::Reduce) reduced.push_back({{"rule", a.rule}, {"reason", a.reason}});
    const bool below_min = a.verdict != RiskVerdict::Deny && lots + 1e-12 < inst.min_qty;
    json blocked = nullptr;
    if (a.verdict == RiskVerdict::Deny) blocked = {{"rule", a.rule}, {"reason", a.reason}};
    else if (below_min)
        blocked = {{"rule", "min_qty"},
                   {"reason", a.reason + "; the reduced size is below the minimum order, so "
                                         "nothing would be placed"}};
    return json{{"symbol", inst.symbol},
                {"verdict", to_string(a.verdict)},
                {"requested_qty", std::fabs(qty)},
                {"final_qty", below_min ? 0.0 : std::fabs(a.approved)},
                {"side", qty > 0 ? "buy" : "sell"},
                {"unit", inst.base.empty() ? inst.symbol : inst.base},
                {"price", price},
                {"notional", std::fabs(a.approved) * price},
                {"heat_before", eq > 0 ? before / eq : 0.0},
                {"heat_after", eq > 0 ? after / eq : 0.0},
                {"correlated_exposure",
                 correlated_exposure(rm, account, inst.symbol, std::fabs(a.approved) * price)},
                {"rule", a.rule},
                {"reason", a.reason},
                {"reduced_by", reduced},
                {"blocked_by", blocked},
                {"below_min_qty", below_min}};
}

} // namespace aurum
