#pragma once
// Helpers for the features tests: synthetic bars and a small reader for the real CSV/MT5 files
// (the tests do not depend on the importer, so they stay in the features layer).
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
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

/// Reads the Binance CSV (`timestamp,open,high,low,close,volume`, dates or datetimes) or the MT5
/// tab-separated export (`<DATE> <TIME> <OPEN> <HIGH> <LOW> <CLOSE> <TICKVOL> <VOL> <SPREAD>`).
inline BarSeries read_real_bars(const std::string& path, const std::string& symbol, Timeframe tf,
                                std::size_t max_rows = SIZE_MAX) {
    std::ifstream in(path);
    BarSeries s;
    s.symbol = symbol;
    s.timeframe = tf;
    std::string line;
    std::getline(in, line);
    const bool mt5 = line.find("<DATE>") != std::string::npos;
    s.has_spread_column = mt5;
    while (std::getline(in, line) && s.size() < max_rows) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        Bar b;
        if (mt5) {
            std::istringstream f(line);
            std::string date, time;
            double tickvol = 0, vol = 0, spread = 0;
            f >> date >> time >> b.open >> b.high >> b.low >> b.close >> tickvol >> vol >> spread;
            b.time = *parse_time(date + " " + time);
            b.volume = tickvol;
            b.spread = spread * 0.01;
        } else {
            std::istringstream f(line);
            std::string cell[6];
            for (auto& c : cell) std::getline(f, c, ',');
            b.time = *parse_time(cell[0]);
            b.open = std::stod(cell[1]);
            b.high = std::stod(cell[2]);
            b.low = std::stod(cell[3]);
            b.close = std::stod(cell[4]);
            b.volume = std::stod(cell[5]);
        }
        if (!s.empty() && b.time <= s.time.back()) continue;
        s.push_back(b);
    }
    return s;
}

} // namespace aurum::test
