#include "core/bar_series.hpp"

#include <algorithm>

namespace aurum {

void BarSeries::reserve(std::size_t n) {
    time.reserve(n);
    open.reserve(n);
    high.reserve(n);
    low.reserve(n);
    close.reserve(n);
    volume.reserve(n);
    if (has_spread()) spread.reserve(n);
}

void BarSeries::clear() {
    time.clear();
    open.clear();
    high.clear();
    low.clear();
    close.clear();
    volume.clear();
    spread.clear();
}

void BarSeries::push_back(const Bar& b) {
    if (has_spread_column) spread.push_back(b.spread);
    time.push_back(b.time);
    open.push_back(b.open);
    high.push_back(b.high);
    low.push_back(b.low);
    close.push_back(b.close);
    volume.push_back(b.volume);
}

Bar BarSeries::at(std::size_t i) const {
    return Bar{time[i], open[i], high[i], low[i], close[i], volume[i],
               has_spread() ? spread[i] : 0.0};
}

std::size_t BarSeries::lower_bound(TimeMs t) const {
    return static_cast<std::size_t>(std::lower_bound(time.begin(), time.end(), t) - time.begin());
}

BarSeries BarSeries::slice(TimeRange range) const {
    BarSeries out;
    out.symbol = symbol;
    out.timeframe = timeframe;
    out.has_spread_column = has_spread_column;
    const std::size_t a = lower_bound(range.from), b = lower_bound(range.to);
    auto copy = [&](const std::vector<double>& src, std::vector<double>& dst) {
        if (!src.empty()) dst.assign(src.begin() + a, src.begin() + b);
    };
    out.time.assign(time.begin() + a, time.begin() + b);
    copy(open, out.open);
    copy(high, out.high);
    copy(low, out.low);
    copy(close, out.close);
    copy(volume, out.volume);
    copy(spread, out.spread);
    return out;
}

} // namespace aurum
