#pragma once
// Small synthetic datasets for model tests: the label depends on known features.
#include <cmath>
#include <random>
#include <string>

#include "models/dataset.hpp"

namespace aurum::test {

/// `rows` bars per symbol, 4h apart, `cols` features of N(0,1) noise; label = 1 when
/// signal * (f0 + 0.5 f1) + noise > 0, t1 = t + horizon bars. signal 0 gives pure noise.
inline Dataset synthetic_dataset(std::size_t rows, std::size_t cols, double signal,
                                 unsigned seed = 7, int symbols = 1, int horizon = 3) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n01(0.0, 1.0);
    Dataset d;
    d.feature_set_id = "synthetic-v1";
    d.label_spec = "synthetic";
    d.cols = cols;
    for (std::size_t j = 0; j < cols; ++j) d.feature_names.push_back("f" + std::to_string(j));
    for (int s = 0; s < symbols; ++s) d.symbols.push_back("SYM" + std::to_string(s) + "/USDT");
    const TimeMs bar = 4 * kMsPerHour;
    const TimeMs t0 = 1'600'000'000'000;
    std::vector<float> row(cols);
    double market = 0;
    for (std::size_t i = 0; i < rows; ++i) {
        market = 0.7 * market + n01(rng); // shared factor, so assets carry information about peers
        for (int s = 0; s < symbols; ++s) {
            for (std::size_t j = 0; j < cols; ++j) row[j] = static_cast<float>(n01(rng));
            if (symbols > 1 && cols > 2) row[2] = static_cast<float>(market + 0.3 * n01(rng));
            const double score = signal * (row[0] + 0.5 * row[1]) + n01(rng);
            const float y = score > 0 ? 1.0f : 0.0f;
            const TimeMs t = t0 + static_cast<TimeMs>(i) * bar;
            d.push_row(row, y, t, t + horizon * bar, s, 1.0f, y > 0 ? 0.01 : -0.01);
        }
    }
    return d;
}

} // namespace aurum::test
