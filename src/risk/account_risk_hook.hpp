#pragma once
// The RiskManager behind the engine's RiskHook seam, so the same account risk rules guard
// backtests, paper and live trading.
#include <cmath>
#include <vector>

#include "backtest/risk_hook.hpp"
#include "risk/risk_manager.hpp"

namespace aurum {

/// Order sources carried in OrderRequest::tag.
enum class OrderSource : std::uint32_t { Strategy = 0, Manual = 1, Flatten = 2, Signal = 3 };
std::string to_string(OrderSource s);

/// The account as the risk manager sees it, from the engine's portfolio (base units, marks).
AccountView account_view(const Portfolio& portfolio, TimeMs now);

/// Adapts RiskManager to RiskHook and keeps every assessment for the caller to store.
class AccountRiskHook : public RiskHook {
public:
    explicit AccountRiskHook(RiskManager& rm) : rm_(rm) {}
    RiskDecision review(const OrderRequest& request, const Instrument& instrument,
                        double reference_price, const Portfolio& portfolio, TimeMs now) override;

    /// Assessments since the last take (cleared by it).
    std::vector<RiskAssessment> take_assessments();
    const std::vector<RiskAssessment>& assessments() const { return log_; }
    /// Stores an assessment made outside review() (a manual trade checked before submission).
    void record(RiskAssessment a) { log_.push_back(std::move(a)); }
    RiskManager& manager() { return rm_; }

protected:
    RiskManager& rm_;
    std::vector<RiskAssessment> log_;
};

} // namespace aurum
