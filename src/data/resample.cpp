#include "data/resample.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "data/validation.hpp"

namespace aurum {

namespace {
// 1970-01-01 was a Thursday: Monday-aligned weeks start 4 days after the epoch grid.
constexpr TimeMs kMondayOffset = 4 * kMsPerDay;

std::int64_t expected_sub_bars(TimeMs from, TimeMs to, Timeframe sub,
                               const TradingSessions* sessions) {
    if (!sessions || sessions->always_open)
        return (to - from + sub.ms() - 1) / sub.ms();
    std::int64_t n = 0;
    for (TimeMs u = from; u < to; u += sub.ms())
        n += session_expects_bar(*sessions, u, sub) ? 1 : 0;
    return n;
}
} // namespace

TimeMs bucket_start(TimeMs t, Timeframe to) {
    if (to.ms() == kMsPerWeek)
        return floor_to(t - kMondayOffset, kMsPerWeek) + kMondayOffset;
    return floor_to(t, to.ms());
}

ResampleResult resample(const BarSeries& in, Timeframe to, const TradingSessions* sessions) {
    const Timeframe from = in.timeframe;
    if (from.ms() <= 0 || to.ms() <= from.ms() || to.ms() % from.ms() != 0)
        throw InputError("resample: target timeframe " + to.name() +
                         " must be a whole multiple of " + from.name() + " and larger");
    const std::size_t n = in.size();
    for (std::size_t i = 1; i < n; ++i)
        if (in.time[i] <= in.time[i - 1])
            throw InputError("resample: " + in.symbol + " " + from.name() +
                             " bars are not in strictly ascending time order at " +
                             format_time(in.time[i]));

    ResampleResult r;
    BarSeries& out = r.bars;
    out.symbol = in.symbol;
    out.timeframe = to;
    out.has_spread_column = in.has_spread_column;
    if (n == 0)
        return r;
    const std::int64_t full = to.ms() / from.ms();
    out.reserve(n / static_cast<std::size_t>(full) + 1);

    // Is the last bucket still forming? It is when a sub-bar the sessions expect could still come.
    const TimeMs last_bucket = bucket_start(in.time[n - 1], to);
    const bool last_complete =
        expected_sub_bars(in.time[n - 1] + from.ms(), last_bucket + to.ms(), from, sessions) == 0;

    std::size_t i = 0;
    while (i < n) {
        const TimeMs b = bucket_start(in.time[i], to);
        if (b == last_bucket && !last_complete) {
            r.dropped_partial_last = static_cast<std::int64_t>(n - i);
            break;
        }
        const TimeMs end = b + to.ms();
        Bar bar;
        bar.time = b;
        bar.open = in.open[i];
        bar.high = in.high[i];
        bar.low = in.low[i];
        double vol = 0, spread_sum = 0;
        std::size_t j = i;
        for (; j < n && in.time[j] < end; ++j) {
            bar.high = std::max(bar.high, in.high[j]);
            bar.low = std::min(bar.low, in.low[j]);
            vol += in.volume[j];
            if (in.has_spread_column)
                spread_sum += in.spread[j];
        }
        const auto present = static_cast<std::int64_t>(j - i);
        bar.close = in.close[j - 1];
        bar.volume = vol;
        bar.spread = in.has_spread_column ? spread_sum / static_cast<double>(present) : 0.0;
        out.push_back(bar);
        r.sub_bars += present;
        if (present < full) {
            const std::int64_t expected = expected_sub_bars(b, end, from, sessions);
            if (present < expected)
                r.incomplete.push_back(IncompleteBucket{b, present, expected});
        }
        i = j;
    }
    return r;
}

} // namespace aurum
