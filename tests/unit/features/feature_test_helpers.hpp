#pragma once
// Helpers for the features tests: synthetic bars (real files: support/data/shared_bars.hpp).
#include <cmath>
#include <random>
#include <string>

#include "core/bar_series.hpp"
#include "core/time.hpp"

namespace aurum::test {

/// A random-walk market with consistent OHLCV (and a spread column when asked).
inline BarSeries synthetic_bars(std::size_t n, std::uint64_t seed = 1, double start = 100.0,
                                Timeframe tf = Timeframe(4 * kMsPerHour), bool spread = false,
                                double vol = 0.01) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> z(0.0, 1.0);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    BarSeries s;
    s.symbol = "TEST/USDT";
    s.timeframe = tf;
    s.has_spread_column = spread;
    double price = start;
    const TimeMs t0 = make_time(2020, 1, 6); // a Monday
    for (std::size_t i = 0; i < n; ++i) {
        Bar b;
        b.time = t0 + static_cast<TimeMs>(i) * tf.ms();
        b.open = price;
        const double close = price * std::exp(vol * z(rng));
        b.close = close;
        b.high = std::max(b.open, close) * (1.0 + 0.5 * vol * u(rng));
        b.low = std::min(b.open, close) * (1.0 - 0.5 * vol * u(rng));
        b.volume = 100.0 + 1000.0 * u(rng);
        b.spread = spread ? 0.2 + 0.1 * u(rng) : 0.0;
        s.push_back(b);
        price = close;
    }
    return s;
}

} // namespace aurum::test
