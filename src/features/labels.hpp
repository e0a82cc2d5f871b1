#pragma once
// Supervised labels: fixed-horizon forward return with a dead zone, triple barrier, and
// meta-labels for a primary signal. Every sample carries t1, the last bar its outcome depends on.
#include <cstdint>
#include <string>
#include <vector>

#include "core/bar_series.hpp"
#include "features/feature_matrix.hpp"

namespace aurum {

/// Fixed-horizon labels: r = close[t + h] / close[t] - 1; +1 above the dead zone, -1 below its
/// negative, 0 inside. The dead zone is dead_zone + dead_zone_vol * vol_t * sqrt(h), where vol_t
/// is the std of 1-bar log returns over vol_window bars up to t (causal).
struct FixedHorizonParams {
    int horizon = 6;
    double dead_zone = 0.0;     ///< absolute return threshold
    double dead_zone_vol = 0.0; ///< in units of horizon-scaled volatility
    int vol_window = 20;
    std::string canonical() const;
};

/// Rule for a bar whose range touches both the profit-take and the stop-loss barrier: the bar's
/// path inside is unknown. StopFirst (default) assumes the worse outcome.
enum class BothHitRule { StopFirst, ProfitFirst };

/// Triple barrier: entry at close[t]; barriers at +pt_mult and -sl_mult times the horizon-scaled
/// volatility vol_t * sqrt(horizon) (side-adjusted for shorts); vertical barrier after `horizon`
/// bars. A bar that opens beyond a barrier fills at its open. Label: +1 profit-take, -1 stop-loss,
/// vertical: 0 (or the sign of the return when vertical_sign).
struct TripleBarrierParams {
    int horizon = 24;
    double pt_mult = 2.0;
    double sl_mult = 1.0;
    int vol_window = 20;
    BothHitRule both_hit = BothHitRule::StopFirst;
    bool vertical_sign = false;
    std::string canonical() const;
};

/// Throws InputError naming the parameter when out of range.
void validate(const FixedHorizonParams& p);
void validate(const TripleBarrierParams& p);

LabelSet fixed_horizon_labels(const BarSeries& bars, const FixedHorizonParams& p);
LabelSet triple_barrier_labels(const BarSeries& bars, const TripleBarrierParams& p);

/// Meta-labels: for each bar where the primary side is +1 (long) or -1 (short), 1 when that trade
/// under the triple barrier would have made money (return > 0), else 0. `sides` has one entry
/// per bar; 0 means no trade and yields no sample.
LabelSet meta_labels(const BarSeries& bars, const std::vector<std::int8_t>& sides,
                     const TripleBarrierParams& p);

/// A simple primary signal for meta-labelling: sign(SMA(fast) - SMA(slow)) of the close, 0 until
/// both are warmed up (causal, streaming).
std::vector<std::int8_t> sma_cross_sides(const BarSeries& bars, int fast, int slow);

/// Counts of label values, for reports: {-1, 0, +1} (meta: {0, 1} in the 0 and +1 slots).
struct LabelCounts {
    std::int64_t negative = 0, neutral = 0, positive = 0;
};
LabelCounts count_labels(const LabelSet& labels);

} // namespace aurum
