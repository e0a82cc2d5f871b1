#pragma once
// The strategy an RL environment puts inside the engine: it holds no signal of its own; the
// environment hands it the policy's action after the bar closed, and it orders toward it with the
// same rule as the backtest's target strategies (`signals` included): spot never goes short, an
// unchanged target sends nothing, the Sizer turns the fraction into a quantity. The execution
// level may send that order as a passive limit instead of at market.
#include <vector>

#include "backtest/sizing.hpp"
#include "backtest/strategy.hpp"

namespace aurum {

/// Orders toward targets given from outside (the policy's action), one per instrument.
class ActionStrategy final : public Strategy {
  public:
    explicit ActionStrategy(SizingConfig sizing = {}) : sizer_(sizing) {}
    std::string name() const override { return "rl-policy"; }
    void on_start(StrategyContext& ctx) override;
    void on_bar(StrategyContext& ctx, InstrumentId i) override;
    void resync() override;
    /// Orders instrument `i` toward `target` (a signed fraction of equity in [-1, 1]) at the
    /// close just processed: at market, or with `limit_bps` > 0 as a GTC limit that much better
    /// than that close (below it to buy, above it to sell). Returns true when an order was sent.
    bool apply(StrategyContext& ctx, InstrumentId i, double target, double limit_bps = 0);
    /// The signed quantity apply(ctx, i, target) would order now (0: it would send nothing).
    double order_qty(const StrategyContext& ctx, InstrumentId i, double target);
    /// The limit order apply sent for `i`, while it is live (0: none).
    OrderId open_limit(const StrategyContext& ctx, InstrumentId i) const;
    /// Cancels the live limit order of `i` and forgets the target it was sent for, so the next
    /// apply orders toward it again (at market: the forced fill).
    void cancel_limit(StrategyContext& ctx, InstrumentId i);

  private:
    double effective(const StrategyContext& ctx, InstrumentId i, double target) const;

    Sizer sizer_;
    std::vector<double> last_;
    std::vector<OrderId> limit_;
};

} // namespace aurum
