#pragma once
// The safety shield between a policy and the engine: the account risk manager (the same
// AccountRiskHook every risk-on backtest, paper and live run uses) reviews every order an action
// turns into, and the shield counts what it changed. It also measures, independently of the risk
// manager, what actually happened at the fills, so tests can check the limits held.
#include <algorithm>
#include <cstdint>
#include <utility>

#include "risk/account_risk_hook.hpp"

namespace aurum {

/// Interventions and outcome measurements of one environment (summed over its episodes).
struct ShieldStats {
    std::uint64_t actions = 0;   ///< actions received
    std::uint64_t invalid = 0;   ///< non-finite or outside [-1, 1]: replaced by flat / clipped
    std::uint64_t orders = 0;    ///< orders reviewed by the risk manager
    std::uint64_t denied = 0;    ///< refused by the risk manager
    std::uint64_t reduced = 0;   ///< cut down by the risk manager
    std::uint64_t flattens = 0;  ///< closing orders sent by the account supervisor (breaker)
    std::uint64_t halts = 0;     ///< episodes in which the account stopped taking entries
    /// Largest position notional / equity right after an exposure-increasing fill (at the fill
    /// bar's open, where market orders fill).
    double max_entry_exposure = 0;
    /// Exposure-increasing fills of orders decided at a drawdown from the episode's peak at or
    /// beyond the halt limit (must stay 0).
    std::uint64_t entries_past_halt = 0;
    /// Worst drawdown from the episode's peak seen at a close.
    double max_drawdown = 0;
    /// Largest drawdown from the episode's peak at which an order that went on to increase the
    /// exposure was decided (what a drawdown-halt requirement is checked against).
    double max_entry_drawdown = 0;
    /// Largest drawdown at a close after which the account still took entries (a working halt
    /// keeps it below the halt limit).
    double max_open_drawdown = 0;
    /// Largest drawdown at the close where the account stopped taking entries (0: never did).
    double halt_drawdown = 0;

    std::uint64_t interventions() const { return invalid + denied + reduced + flattens; }
    ShieldStats& operator+=(const ShieldStats& o);
};

/// One episode's equity bookkeeping, shared by the environments: the peak, the step's reward
/// (log equity change, fees included) and the shield's drawdown and halt measurements.
class EpisodeAccount {
  public:
    void start(double equity) {
        prev_ = peak_ = equity;
        halted_ = false;
    }
    /// Drawdown of `equity` from the episode's peak (0 before any peak).
    double drawdown(double equity) const {
        return peak_ > 0 ? std::max(0.0, 1 - equity / peak_) : 0.0;
    }
    /// `equity` at or beyond the drawdown halt `limit` from the peak.
    bool past_halt(double equity, double limit) const {
        return peak_ > 0 && equity <= peak_ * (1 - limit);
    }
    /// Books a step that ended at `equity` after paying `fees`; `allowed`: the account still
    /// takes entries. Returns {reward, the fees' part of it}.
    std::pair<double, double> step(double equity, double fees, bool allowed, ShieldStats& stats);

  private:
    double peak_ = 0, prev_ = 0;
    bool halted_ = false;
};

/// AccountRiskHook that counts its verdicts (and keeps no assessment log: an environment runs
/// millions of steps).
class ShieldHook final : public AccountRiskHook {
  public:
    ShieldHook(RiskManager& rm, ShieldStats& stats) : AccountRiskHook(rm), stats_(stats) {}
    RiskDecision review(const OrderRequest& request, const Instrument& instrument,
                        double reference_price, const Portfolio& portfolio, TimeMs now) override;
    /// The quantity the last review let through (0 when it denied).
    double approved_qty() const { return approved_; }

  private:
    ShieldStats& stats_;
    double approved_ = 0;
};

} // namespace aurum
