#pragma once
// Resampling bars to a coarser timeframe: open first, high max, low min, close last, volume sum,
// spread mean; buckets on UTC multiples of the target; the still-forming last bucket dropped.
#include <cstdint>
#include <vector>

#include "core/bar_series.hpp"
#include "core/instrument.hpp"

namespace aurum {

/// A produced bucket that lacks some of the sub-bars its sessions expected.
struct IncompleteBucket {
    TimeMs time = 0;           ///< bucket open time
    std::int64_t present = 0;  ///< sub-bars found
    std::int64_t expected = 0; ///< sub-bars the sessions expected
};

/// The coarser series plus what happened on the way.
struct ResampleResult {
    BarSeries bars;
    std::int64_t sub_bars = 0;             ///< input bars used
    std::int64_t dropped_partial_last = 0; ///< input bars in the dropped still-forming last bucket
    std::vector<IncompleteBucket> incomplete; ///< produced buckets with missing sub-bars
};

/// Open time of the target bucket holding `t`: UTC multiples of `to` (weekly buckets open on
/// Monday 00:00 UTC).
TimeMs bucket_start(TimeMs t, Timeframe to);

/// Aggregates `in` (ascending, unique open times) into `to` buckets. `to` must be a whole
/// multiple (> 1) of in.timeframe, else InputError. A bucket is produced when it has at least one
/// sub-bar; it is reported incomplete when fewer sub-bars are present than `sessions` expected
/// (nullptr: 24/7). The last bucket is dropped when the input ends before the bucket does.
ResampleResult resample(const BarSeries& in, Timeframe to,
                        const TradingSessions* sessions = nullptr);

} // namespace aurum
