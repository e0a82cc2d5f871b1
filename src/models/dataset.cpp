#include "models/dataset.hpp"

#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "core/error.hpp"

namespace aurum {

void Dataset::push_row(std::span<const float> features, float label, TimeMs time,
                       TimeMs label_end, int symbol, float weight, double forward_return) {
    x.insert(x.end(), features.begin(), features.end());
    y.push_back(label);
    t.push_back(time);
    t1.push_back(label_end);
    w.push_back(weight);
    fwd_ret.push_back(forward_return);
    sym.push_back(symbol);
}

void Dataset::validate() const {
    const std::size_t n = rows();
    if (cols == 0) throw InputError("dataset: no feature columns");
    if (feature_names.size() != cols)
        throw InputError(fmt::format("dataset: {} feature names for {} columns",
                                     feature_names.size(), cols));
    if (x.size() != n * cols || y.size() != n || t1.size() != n || w.size() != n ||
        sym.size() != n || fwd_ret.size() != n)
        throw InputError(fmt::format("dataset: ragged arrays (rows={}, x={}, y={}, t1={}, w={}, "
                                     "sym={}, fwd_ret={})",
                                     n, x.size(), y.size(), t1.size(), w.size(), sym.size(),
                                     fwd_ret.size()));
    for (std::size_t i = 0; i < n; ++i) {
        const float* r = row(i);
        for (std::size_t j = 0; j < cols; ++j) {
            if (!std::isfinite(r[j]))
                throw InputError(fmt::format("dataset: {} in feature '{}' at row {} (time {})",
                                             std::isnan(r[j]) ? "NaN" : "infinity",
                                             feature_names[j], i, format_time(t[i])));
        }
        if (!std::isfinite(y[i]))
            throw InputError(
                fmt::format("dataset: NaN label at row {} (time {})", i, format_time(t[i])));
        if (!std::isfinite(w[i]) || w[i] < 0)
            throw InputError(fmt::format("dataset: bad weight {} at row {}", w[i], i));
        if (t1[i] < t[i])
            throw InputError(fmt::format("dataset: label end {} before sample time {} at row {}",
                                         format_time(t1[i]), format_time(t[i]), i));
        if (i > 0 && (t[i] < t[i - 1] || (t[i] == t[i - 1] && sym[i] <= sym[i - 1])))
            throw InputError(fmt::format("dataset: rows out of (time, symbol) order at row {}", i));
        if (sym[i] < 0 || static_cast<std::size_t>(sym[i]) >= std::max<std::size_t>(1, symbols.size()))
            throw InputError(fmt::format("dataset: unknown symbol index {} at row {}", sym[i], i));
    }
}

void Dataset::require_two_classes(std::span<const std::size_t> idx) const {
    std::size_t ones = 0;
    for (std::size_t i : idx) {
        if (y[i] != 0.0f && y[i] != 1.0f)
            throw InputError(fmt::format("dataset: label {} at row {} is not 0/1", y[i], i));
        ones += y[i] == 1.0f;
    }
    if (ones == 0 || ones == idx.size())
        throw InputError(fmt::format("dataset: labels hold one class only ({} rows, all {}); "
                                     "a classifier needs both up and down samples",
                                     idx.size(), ones == 0 ? "down" : "up"));
}

Dataset Dataset::subset(std::span<const std::size_t> idx) const {
    Dataset d;
    d.feature_set_id = feature_set_id;
    d.label_spec = label_spec;
    d.feature_names = feature_names;
    d.symbols = symbols;
    d.cols = cols;
    d.x.reserve(idx.size() * cols);
    for (std::size_t i : idx)
        d.push_row(std::span<const float>(row(i), cols), y[i], t[i], t1[i], sym[i], w[i],
                   fwd_ret[i]);
    return d;
}

Dataset Dataset::select_columns(std::span<const std::size_t> keep) const {
    Dataset d = *this;
    d.cols = keep.size();
    d.feature_names.clear();
    for (std::size_t j : keep) d.feature_names.push_back(feature_names.at(j));
    d.x.assign(rows() * keep.size(), 0.0f);
    for (std::size_t i = 0; i < rows(); ++i)
        for (std::size_t k = 0; k < keep.size(); ++k) d.x[i * keep.size() + k] = at(i, keep[k]);
    return d;
}

int Dataset::column(const std::string& name) const {
    for (std::size_t j = 0; j < feature_names.size(); ++j)
        if (feature_names[j] == name) return static_cast<int>(j);
    return -1;
}

std::vector<TimeMs> Dataset::distinct_times() const {
    std::vector<TimeMs> out;
    for (TimeMs v : t)
        if (out.empty() || out.back() != v) out.push_back(v);
    return out;
}

std::vector<std::size_t> all_rows(std::size_t n) {
    std::vector<std::size_t> v(n);
    std::iota(v.begin(), v.end(), std::size_t{0});
    return v;
}

} // namespace aurum
