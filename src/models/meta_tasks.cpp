#include "models/meta_tasks.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace aurum {

std::vector<MetaTask> regime_windows(const std::vector<Regime>& regime, std::size_t symbol,
                                     int min_window, int max_window) {
    std::vector<MetaTask> out;
    const auto lo = static_cast<std::size_t>(min_window), hi = static_cast<std::size_t>(max_window);
    MetaTask cur{symbol, 0, 0, regime.empty() ? Regime::Unknown : regime[0]};
    for (std::size_t i = 0; i < regime.size(); ++i) {
        const std::size_t len = i - cur.begin;
        if (len >= hi || (len >= lo && regime[i] != cur.regime)) {
            cur.end = i;
            out.push_back(cur);
            cur = {symbol, i, 0, regime[i]};
        }
    }
    cur.end = regime.size();
    if (cur.size() >= lo) out.push_back(cur);
    return out;
}

FewShotSplit few_shot_split(const Dataset& d, std::size_t begin, std::size_t end, int shots,
                            int query) {
    FewShotSplit s;
    s.support_begin = begin;
    s.support_end = std::min(end, begin + static_cast<std::size_t>(shots));
    TimeMs known = 0; // every support label has ended by this time
    for (std::size_t i = s.support_begin; i < s.support_end; ++i) known = std::max(known, d.t1[i]);
    std::size_t q = s.support_end;
    while (q < end && d.t[q] <= known) ++q;
    s.query_begin = q;
    s.query_end = std::min(end, q + static_cast<std::size_t>(query));
    return s;
}

Standardiser Standardiser::fit(const std::vector<const Dataset*>& data,
                               const std::vector<std::vector<std::size_t>>& rows) {
    if (data.empty()) throw InputError("meta-learning: no training rows to standardise on");
    const std::size_t cols = data[0]->cols;
    std::vector<double> sum(cols, 0.0), sq(cols, 0.0);
    double n = 0;
    for (std::size_t k = 0; k < data.size(); ++k)
        for (std::size_t i : rows[k]) {
            for (std::size_t j = 0; j < cols; ++j) {
                const double v = data[k]->at(i, j);
                sum[j] += v;
                sq[j] += v * v;
            }
            n += 1;
        }
    if (n < 2) throw InputError("meta-learning: fewer than 2 training rows");
    Standardiser s;
    s.mean.resize(cols);
    s.stdev.resize(cols);
    for (std::size_t j = 0; j < cols; ++j) {
        const double m = sum[j] / n;
        s.mean[j] = static_cast<float>(m);
        s.stdev[j] = static_cast<float>(std::max(std::sqrt(std::max(sq[j] / n - m * m, 0.0)), 1e-6));
    }
    return s;
}

std::vector<float> standardised_sequences(const Dataset& d, const Standardiser& s, int seq_len) {
    if (s.mean.size() != d.cols)
        throw InputError("meta-learning: the model expects " + std::to_string(s.mean.size()) +
                         " features, the data has " + std::to_string(d.cols));
    const std::size_t T = static_cast<std::size_t>(seq_len), F = d.cols;
    std::vector<float> z(d.rows() * F);
    for (std::size_t i = 0; i < d.rows(); ++i)
        for (std::size_t j = 0; j < F; ++j) z[i * F + j] = (d.at(i, j) - s.mean[j]) / s.stdev[j];
    std::vector<float> out(d.rows() * T * F, 0.0f);
    for (std::size_t i = 0; i < d.rows(); ++i)
        for (std::size_t k = 0; k < T; ++k) {
            const std::size_t back = T - 1 - k; // position k holds row i - back
            if (back > i) continue;
            std::copy_n(z.begin() + static_cast<long>((i - back) * F), F,
                        out.begin() + static_cast<long>((i * T + k) * F));
        }
    return out;
}

} // namespace aurum
