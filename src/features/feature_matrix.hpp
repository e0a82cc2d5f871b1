#pragma once
// The training-facing data shapes of the features layer: a built feature matrix and a label set,
// with a fast binary file format for each. Models code against this header; keep it stable.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "core/timeframe.hpp"

namespace aurum {

/// Features of one symbol/timeframe: one row per bar, one column per feature, column-major.
///
/// Row r belongs to the bar that opened at time[r]; every value in it uses data up to that bar's
/// close (time[r] + timeframe), which is the earliest moment a decision on it can be made. Only
/// rows where every feature is warmed up are present, and no value is NaN or infinite.
struct FeatureMatrix {
    std::string symbol;
    Timeframe timeframe;
    std::string feature_set_name; ///< "default"
    std::string feature_set_id;   ///< SHA-256 (hex) of the set's canonical definition text
    std::vector<TimeMs> time;     ///< bar open times, strictly ascending
    std::vector<std::string> names;
    std::vector<double> values;   ///< column-major: values[c * rows() + r]

    std::size_t rows() const { return time.size(); }
    std::size_t cols() const { return names.size(); }
    double at(std::size_t r, std::size_t c) const { return values[c * rows() + r]; }
    std::span<const double> column(std::size_t c) const {
        return {values.data() + c * rows(), rows()};
    }
    std::optional<std::size_t> column_index(const std::string& name) const;
    /// Like column_index, but throws InputError "no feature 'x' in set 'default' (has: ...)".
    std::size_t require_column(const std::string& name) const;
    /// Rows with time in [range.from, range.to), all columns (a copy).
    FeatureMatrix slice(TimeRange range) const;
};

/// How a label set was made.
enum class LabelMethod { FixedHorizon, TripleBarrier, Meta };
std::string to_string(LabelMethod m);            ///< "fixed", "triple-barrier", "meta"
std::optional<LabelMethod> parse_label_method(const std::string& text);

/// Which barrier ended a triple-barrier sample (FixedHorizon samples are always Vertical).
enum class Barrier : std::int8_t { StopLoss = -1, Vertical = 0, ProfitTake = 1 };

/// Supervised targets for one symbol/timeframe, one sample per bar that has a complete outcome.
///
/// Sample i is decided at the close of the bar that opened at time[i] (entry at that close). Its
/// outcome is determined by the bars after it up to and including the bar that opened at t1[i]
/// (so the information in the label ends at t1[i] + timeframe). Validation must purge training
/// samples whose [time, t1] overlaps the test period.
struct LabelSet {
    std::string symbol;
    Timeframe timeframe;
    LabelMethod method = LabelMethod::FixedHorizon;
    std::string params;           ///< canonical parameter text, e.g. "horizon=6;dead_zone=0.002"
    std::vector<TimeMs> time;     ///< decision bar open time
    std::vector<TimeMs> t1;       ///< open time of the last bar the outcome depends on
    std::vector<std::int8_t> label; ///< -1/0/+1 (fixed, triple-barrier); 0/1 (meta)
    std::vector<double> ret;      ///< realised simple return of the (side-adjusted) trade
    std::vector<std::int8_t> barrier; ///< Barrier that ended the sample
    std::vector<std::int8_t> side;    ///< +1 long / -1 short (meta: the primary's side; else +1)

    std::size_t size() const { return time.size(); }
    /// Index of the sample at decision time t, or nullopt.
    std::optional<std::size_t> find(TimeMs t) const;
};

/// Writes a matrix as "AURUMFM1" + JSON header + int64 times + float64 columns (little-endian),
/// atomically (temp file + rename). Throws SystemError when it cannot write.
void save_feature_matrix(const std::filesystem::path& path, const FeatureMatrix& m);
/// Reads a file written by save_feature_matrix. Throws InputError naming the path when the file
/// is missing, truncated or not a feature matrix.
FeatureMatrix load_feature_matrix(const std::filesystem::path& path);

/// Same container format for labels ("AURUMLB1").
void save_label_set(const std::filesystem::path& path, const LabelSet& labels);
LabelSet load_label_set(const std::filesystem::path& path);

/// Inner join of a matrix and a label set on decision time: rows of `m` that have a label, in
/// order, with the matching label indices (for training code that wants aligned X and y).
struct AlignedRows {
    std::vector<std::size_t> matrix_rows;
    std::vector<std::size_t> label_rows;
};
AlignedRows align(const FeatureMatrix& m, const LabelSet& labels);

/// Throws InputError when a model trained on `expected_id` is asked to run on matrix `m`.
void require_feature_set(const FeatureMatrix& m, const std::string& expected_id);

} // namespace aurum
