#pragma once
// The training matrix every model consumes: feature rows, labels, sample and label-end times.
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace aurum {

/// Feature rows (row-major floats) with binary/real labels, sample times t, label-end times t1,
/// weights and the symbol of each row. Rows are ordered by (t, symbol). One symbol for the
/// per-asset models; several aligned symbols for the cross-asset graph model.
struct Dataset {
    std::string feature_set_id;              ///< hash of the feature definitions
    std::string label_spec;                  ///< human-readable label definition
    std::vector<std::string> feature_names;  ///< one per column
    std::vector<std::string> symbols;        ///< distinct symbols, indexed by `sym`
    std::size_t cols = 0;
    std::vector<float> x;       ///< rows x cols, row-major
    std::vector<float> y;       ///< classification: 0/1 (1 = up); regression: target value
    std::vector<TimeMs> t;      ///< sample time: the bar close at which the row is known
    std::vector<TimeMs> t1;     ///< label end time: last instant the label looks at (>= t)
    std::vector<float> w;       ///< sample weights (1 when unweighted)
    std::vector<double> fwd_ret;  ///< realised forward return over [t, t1] (for EV estimates)
    std::vector<int> sym;         ///< symbol index per row

    std::size_t rows() const { return t.size(); }
    const float* row(std::size_t i) const { return x.data() + i * cols; }
    float at(std::size_t i, std::size_t j) const { return x[i * cols + j]; }

    /// Appends a row (sizes checked by validate()).
    void push_row(std::span<const float> features, float label, TimeMs time, TimeMs label_end,
                  int symbol = 0, float weight = 1.0f, double forward_return = 0.0);

    /// Throws InputError naming the first problem: ragged sizes, NaN/inf in a feature (row,
    /// column, time), t1 < t, times out of order, unknown symbol index.
    void validate() const;
    /// Throws InputError when the labels are not 0/1 or hold only one class (in `rows`).
    void require_two_classes(std::span<const std::size_t> rows) const;

    /// Rows `idx` as a new dataset (same columns and metadata).
    Dataset subset(std::span<const std::size_t> idx) const;
    /// Copy with only the columns `keep`.
    Dataset select_columns(std::span<const std::size_t> keep) const;
    /// Column index of `name`, or -1.
    int column(const std::string& name) const;
    /// Distinct sample times in order.
    std::vector<TimeMs> distinct_times() const;
};

/// Indices 0..n-1.
std::vector<std::size_t> all_rows(std::size_t n);

} // namespace aurum
