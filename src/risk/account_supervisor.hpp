#pragma once
// The account risk supervisor: the strategy as every risk-on engine runs it (backtest, paper,
// live). Before the trading strategy sees a bar, the risk manager sees prices and equity
// (correlations, peak, daily loss, breaker), positions are closed while the account is REDUCING
// or in a closing pause, and closed trades feed the loss-streak cooldowns.
#include <memory>
#include <vector>

#include "backtest/strategy.hpp"
#include "risk/risk_manager.hpp"

namespace aurum {

/// Wraps a Strategy with the account's risk duties. Events in words go to `events()`.
class AccountRiskSupervisor final : public Strategy {
public:
    AccountRiskSupervisor(std::unique_ptr<Strategy> inner, RiskManager& risk);
    /// Supervises a strategy the caller keeps (a backtest's).
    AccountRiskSupervisor(Strategy& inner, RiskManager& risk);
    std::string name() const override { return inner_->name(); }
    void on_start(StrategyContext& ctx) override;
    void on_bar(StrategyContext& ctx, InstrumentId i) override;
    void on_fill(StrategyContext& ctx, const Fill& fill) override;
    void on_order_event(StrategyContext& ctx, const OrderEvent& event) override;

    /// Bars closing at or after `t` may trade: the inner strategy is resynced at the first.
    void set_first_trading_close(TimeMs t) { first_trading_close_ = t; }
    /// The inner strategy orders toward its current signals again at the next bar.
    void resync() override { inner_->resync(); }
    /// Submits market orders closing every open position (source "flatten"); returns how many.
    int flatten(StrategyContext& ctx);
    /// Submits a market order closing the position of `i` (source "flatten") unless it is flat
    /// or has an order pending; true when one was sent.
    bool close_position(StrategyContext& ctx, InstrumentId i);
    std::vector<std::string> take_events();
    /// Closed trades not yet taken (indices into portfolio().trades()).
    std::size_t trades_seen() const { return trades_seen_; }

private:
    std::unique_ptr<Strategy> owned_;
    Strategy* inner_;
    RiskManager& risk_;
    TimeMs last_step_ = INT64_MIN;
    TimeMs first_trading_close_ = INT64_MIN;
    bool trading_ = false;
    std::size_t trades_seen_ = 0;
    std::vector<std::string> events_;
};

} // namespace aurum
