#pragma once
// Columnar (struct-of-arrays) OHLCV series: the shape every later layer iterates fast.
#include <cstddef>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "core/timeframe.hpp"

namespace aurum {

/// One bar, for code that wants a row view. Hot loops should read the columns directly.
struct Bar {
    TimeMs time = 0; ///< open time, UTC
    double open = 0, high = 0, low = 0, close = 0, volume = 0;
    double spread = 0; ///< in price units (MT5 points x point size); 0 when unknown
};

/// Bars of one symbol and timeframe in ascending open-time order, one vector per field.
struct BarSeries {
    std::string symbol;
    Timeframe timeframe;
    std::vector<TimeMs> time;
    std::vector<double> open, high, low, close, volume;
    std::vector<double> spread; ///< filled only when has_spread_column
    bool has_spread_column = false; ///< the source carries a spread (MT5 exports do)

    std::size_t size() const { return time.size(); }
    bool empty() const { return time.empty(); }
    bool has_spread() const { return has_spread_column; }

    void reserve(std::size_t n);
    void clear();
    /// Appends a bar; spread is stored only when the series has a spread column.
    void push_back(const Bar& b);
    Bar at(std::size_t i) const;
    /// Close time of bar i (open time + timeframe), when a decision on it can first be made.
    TimeMs close_time(std::size_t i) const { return time[i] + timeframe.ms(); }
    /// Bars with open time in [range.from, range.to).
    BarSeries slice(TimeRange range) const;
    /// Index of the first bar with time >= t (size() if none).
    std::size_t lower_bound(TimeMs t) const;
};

} // namespace aurum
