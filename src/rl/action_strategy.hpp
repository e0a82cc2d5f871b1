#pragma once
// The strategy an RL environment puts inside the engine: it holds no signal of its own; the
// environment hands it the policy's action after the bar closed, and it orders toward it with the
// same rule as the backtest's target strategies (`signals` included): spot never goes short, an
// unchanged target sends nothing, the Sizer turns the fraction into a quantity.
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
    /// close just processed. Returns true when an order was sent.
    bool apply(StrategyContext& ctx, InstrumentId i, double target);

  private:
    Sizer sizer_;
    std::vector<double> last_;
};

} // namespace aurum
