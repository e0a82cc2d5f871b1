#pragma once
// The risk hop every order passes before it reaches the execution client (DESIGN.md: "Risk is a
// mandatory hop"). The backtest default approves everything; src/risk implements the account
// risk manager for paper and live behind this same interface.
#include <string>

#include "backtest/order.hpp"

namespace aurum {

class Portfolio;
struct Instrument;

/// What the risk hook decided about one order request.
struct RiskDecision {
    enum class Action : std::uint8_t { Approve, Reduce, Deny };
    Action action = Action::Approve;
    double qty = 0;     ///< Reduce: the quantity allowed (0 < qty < requested)
    std::string reason; ///< Reduce/Deny: why, stored and shown (empty for Approve)

    static RiskDecision approve() { return {}; }
    static RiskDecision reduce(double q, std::string why) {
        return {Action::Reduce, q, std::move(why)};
    }
    static RiskDecision deny(std::string why) { return {Action::Deny, 0, std::move(why)}; }
};

/// Reviews an order request after instrument rounding and before submission. A denial or a
/// reduction is an event with a reason (never an exception). Called on the engine thread.
class RiskHook {
  public:
    virtual ~RiskHook() = default;
    /// `reference_price` is the last close of the instrument (the best estimate of the fill price).
    virtual RiskDecision review(const OrderRequest& request, const Instrument& instrument,
                                double reference_price, const Portfolio& portfolio, TimeMs now) = 0;
};

/// The backtest default: approves every order.
class AllowAllRiskHook final : public RiskHook {
  public:
    RiskDecision review(const OrderRequest&, const Instrument&, double, const Portfolio&,
                        TimeMs) override {
        return RiskDecision::approve();
    }
};

} // namespace aurum
