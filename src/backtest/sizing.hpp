#pragma once
// Position sizing: how big a position a signal in [-1, 1] becomes. Formulas in
// docs/backtesting.md ("Sizing").
#include <vector>

#include "backtest/strategy.hpp"
#include "features/indicators.hpp"

namespace aurum {

/// Sizing rule and its parameters.
struct SizingConfig {
    enum class Mode : std::uint8_t {
        FixedQty,       ///< |signal| x qty units
        EquityFraction, ///< signal x fraction x equity / price
        VolTarget,      ///< leverage = vol_target / annualised ATR volatility (capped)
        Kelly           ///< scale x Kelly fraction from past closed trades (capped)
    };
    Mode mode = Mode::EquityFraction;
    double qty = 0;            ///< FixedQty
    double fraction = 1.0;     ///< EquityFraction; also the cap of VolTarget/Kelly leverage
    double vol_target = 0.20;  ///< VolTarget: annualised volatility target
    int atr_period = 14;       ///< VolTarget: ATR window
    double kelly_scale = 0.5;  ///< Kelly: fraction of the full Kelly bet ("half Kelly")
    double kelly_cap = 0.5;    ///< Kelly: never more than this fraction of equity
    int kelly_min_trades = 20; ///< Kelly: below this many closed trades, bet kelly_cap / 2
};

/// Annualisation factor: bars per year of a market open 24/7, or ~5 x 23 h a week otherwise.
double bars_per_year(Timeframe tf, bool always_open);

/// Turns signals into signed target quantities; keeps per-instrument ATR state, fed by update().
class Sizer {
  public:
    explicit Sizer(SizingConfig config = {}) : config_(config) {}
    const SizingConfig& config() const { return config_; }
    /// Sizes state for the context's instruments (call from Strategy::on_start).
    void start(const StrategyContext& ctx);
    /// Feeds the bar that just closed (call from Strategy::on_bar before target_qty).
    void update(InstrumentId i, const BarView& bars) {
        if (config_.mode == SizingConfig::Mode::VolTarget)
            atr_[i].update(bars.bar(bars.size() - 1));
    }
    /// Signed quantity for `signal` (-1 full short ... +1 full long) at the last close.
    double target_qty(const StrategyContext& ctx, InstrumentId i, double signal);
    /// The fraction of equity the Kelly rule bets now (for reports and tests).
    double kelly_fraction(const Portfolio& portfolio);

  private:
    SizingConfig config_;
    std::vector<Atr> atr_;
    // Kelly statistics of closed trades, updated incrementally.
    std::size_t kelly_seen_ = 0, wins_ = 0, losses_ = 0;
    double win_sum_ = 0, loss_sum_ = 0;
};

} // namespace aurum
