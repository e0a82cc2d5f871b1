#include "backtest/sizing.hpp"

#include <algorithm>
#include <cmath>

namespace aurum {

double bars_per_year(Timeframe tf, bool always_open) {
    const double full = tf.bars_per_year();
    // Forex/metals: about 5 days x 23 hours a week for intraday bars; daily bars trade 5 days.
    if (always_open)
        return full;
    return tf.ms() >= kMsPerDay ? full * 5.0 / 7.0 : full * (5.0 * 23.0) / (7.0 * 24.0);
}

void Sizer::start(const StrategyContext& ctx) {
    atr_.clear();
    for (std::size_t i = 0; i < ctx.instrument_count(); ++i)
        atr_.emplace_back(config_.atr_period);
}

double Sizer::kelly_fraction(const Portfolio& portfolio) {
    const auto& trades = portfolio.trades();
    for (; kelly_seen_ < trades.size(); ++kelly_seen_) {
        const double r = trades[kelly_seen_].return_pct;
        if (r > 0) {
            ++wins_;
            win_sum_ += r;
        } else {
            ++losses_;
            loss_sum_ -= r;
        }
    }
    const std::size_t n = wins_ + losses_;
    if (n < static_cast<std::size_t>(std::max(1, config_.kelly_min_trades)))
        return config_.kelly_cap / 2;
    if (wins_ == 0)
        return 0;
    if (losses_ == 0 || loss_sum_ <= 0)
        return config_.kelly_cap;
    const double p = static_cast<double>(wins_) / static_cast<double>(n);
    const double b =
        (win_sum_ / static_cast<double>(wins_)) / (loss_sum_ / static_cast<double>(losses_));
    const double f = p - (1 - p) / b;
    return std::clamp(config_.kelly_scale * f, 0.0, config_.kelly_cap);
}

double Sizer::target_qty(const StrategyContext& ctx, InstrumentId i, double signal) {
    if (signal == 0)
        return 0;
    const Instrument& inst = ctx.instrument(i);
    const double price = ctx.bars(i).last_close();
    const double unit = price * inst.contract_size * (1 + ctx.taker_fee());
    if (!(unit > 0))
        return 0;
    const double equity = std::max(0.0, ctx.equity());
    const double max_lev = (inst.shortable || inst.max_leverage > 1) ? inst.max_leverage : 1.0;
    switch (config_.mode) {
    case SizingConfig::Mode::FixedQty:
        return signal * config_.qty;
    case SizingConfig::Mode::EquityFraction:
        return signal * config_.fraction * equity / unit;
    case SizingConfig::Mode::VolTarget: {
        if (!atr_[i].ready() || atr_[i].value() <= 0)
            return 0; // no volatility estimate yet
        const double sigma = atr_[i].value() / price *
                             std::sqrt(bars_per_year(ctx.timeframe(), inst.sessions.always_open));
        const double lev = std::min({config_.vol_target / sigma, max_lev, config_.fraction});
        return signal * lev * equity / unit;
    }
    case SizingConfig::Mode::Kelly: {
        const double f = std::min(kelly_fraction(ctx.portfolio()), max_lev);
        return signal * f * equity / unit;
    }
    }
    return 0;
}

} // namespace aurum
