#pragma once
// Trading costs and fill-model settings: fees, spread, slippage, latency, volume participation.
// Definitions and formulas are documented in docs/backtesting.md ("Costs", "Fill rules").
#include <string>

#include "core/time.hpp"

namespace aurum {

/// Fees as a fraction of notional (0.001 = 0.1 %).
struct FeeModel {
    double maker = 0.001; ///< resting limit orders (and bracket take-profits)
    double taker = 0.001; ///< market, stop and marketable limit orders
};

/// Which price a bar's OHLC quotes. Binance trades print near the mid; MT5 bars are bid prices.
enum class PriceBasis : std::uint8_t { Mid, Bid };

/// Bid/ask spread applied to every fill.
struct SpreadModel {
    enum class Mode : std::uint8_t {
        None,     ///< no spread
        Fixed,    ///< `fixed` price units on every bar
        FixedBps, ///< `fixed_bps` basis points of the price
        Column    ///< the bar's own spread (BarSeries::spread, price units); `fixed` when absent
    };
    Mode mode = Mode::None;
    double fixed = 0;
    double fixed_bps = 0;
    PriceBasis basis = PriceBasis::Mid;
};

/// Slippage paid by taker fills, in the adverse direction; the three parts add up.
///   fixed:      price x fixed_bps / 10'000
///   volatility: price x vol_k x sigma, sigma = EWMA of (high - low) / close over past bars
///   impact:     price x impact_y x sigma x sqrt(qty / V), V = EWMA of past bars' volume
struct SlippageModel {
    double fixed_bps = 0;
    double vol_k = 0;
    double impact_y = 0;
    int ewma_bars = 20; ///< span of the sigma and volume averages
};

/// Which of two bracket legs fills when both are inside one bar.
enum class IntrabarPriority : std::uint8_t {
    StopFirst,      ///< pessimistic (default): the stop-loss
    TakeProfitFirst ///< optimistic
};

/// Everything about how orders meet bars.
struct FillConfig {
    FeeModel fees;
    SpreadModel spread;
    SlippageModel slippage;
    TimeMs latency_ms = 0;        ///< delay between submission and the order being live
    double max_participation = 0; ///< > 0: at most this fraction of a bar's volume per bar
    IntrabarPriority intrabar = IntrabarPriority::StopFirst;
    /// Protective stops (order_target's stop_loss): 0 = a stop-market order; > 0 = a stop-limit
    /// whose limit lies this fraction beyond the trigger (what live mode sends to Binance as
    /// STOP_LOSS_LIMIT; a price that gaps past the limit leaves it unfilled in every mode).
    double stop_limit_offset = 0;
};

/// Parses a --slippage value: comma-separated parts "5bps", "vol:0.1", "sqrt:0.5" (or "0").
/// Throws InputError naming the part.
SlippageModel parse_slippage(const std::string& text);
/// Parses a --spread value: "none", "column" (per-bar MT5 spread), "0.25" (price units) or "2bps".
SpreadModel parse_spread(const std::string& text);

} // namespace aurum
