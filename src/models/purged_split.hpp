#pragma once
// Purged walk-forward splits: no training label may overlap the window it is tested on.
#include <cstddef>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace aurum {

/// How training windows grow across folds.
enum class WindowScheme {
    Expanding, ///< train on everything before the test window
    Rolling,   ///< train on the last `rolling_train_times` sample times before the test window
    KFold,     ///< purged k-fold: train on both sides of the test window (embargo matters here)
};

std::string to_string(WindowScheme s);
/// "expanding" | "rolling" | "kfold"; throws InputError otherwise.
WindowScheme parse_window_scheme(const std::string& s);

/// Walk-forward settings (config/models.yaml `walkforward:`).
struct SplitConfig {
    int folds = 5;
    WindowScheme scheme = WindowScheme::Expanding;
    /// Expanding/rolling: fraction of sample times before the first test window (training only).
    double initial_train_fraction = 0.5;
    std::size_t rolling_train_times = 0;  ///< Rolling: window length in distinct sample times
    TimeMs embargo = 0;        ///< training samples starting within this after a test window are dropped
    std::size_t min_train_rows = 50;
    std::size_t min_test_rows = 10;
};

/// One fold: row indices (ascending) plus what was removed and why.
struct Fold {
    int index = 0;
    std::vector<std::size_t> train;
    std::vector<std::size_t> test;
    TimeMs test_from = 0; ///< first sample time in the test window
    TimeMs test_to = 0;   ///< last label-end time reached by the test window's samples
    std::size_t purged = 0;    ///< training rows removed because [t, t1] overlaps the test window
    std::size_t embargoed = 0; ///< training rows removed by the embargo after the test window
};

/// Splits rows (sorted by t; t1[i] >= t[i]) into folds. Rows sharing a sample time always land
/// in the same window. Training rows whose label interval [t, t1] intersects the test interval
/// [test_from, test_to] are purged; training rows with t in (test_end, test_end + embargo] are
/// embargoed (test_end = last test sample time). Throws InputError when there is too little data
/// for the requested folds.
std::vector<Fold> purged_walk_forward(const std::vector<TimeMs>& t, const std::vector<TimeMs>& t1,
                                      const SplitConfig& config);

/// Removes from `train` (ascending row indices) the rows whose [t, t1] overlaps [from, to].
/// Returns the number removed. Used for the early-stopping split inside a training window too.
std::size_t purge_overlapping(std::vector<std::size_t>& train, const std::vector<TimeMs>& t,
                              const std::vector<TimeMs>& t1, TimeMs from, TimeMs to);

/// Splits a training window (ascending rows) into fit and validation parts in time order: the
/// last `fraction` of its sample times validate; fit rows overlapping the validation interval
/// are purged. Returns {fit, valid}.
std::pair<std::vector<std::size_t>, std::vector<std::size_t>>
purged_holdout(const std::vector<std::size_t>& train, const std::vector<TimeMs>& t,
               const std::vector<TimeMs>& t1, double fraction);

/// Number of training rows of `fold` whose [t, t1] reaches into the test window (must be 0).
std::size_t count_overlaps(const Fold& fold, const std::vector<TimeMs>& t,
                           const std::vector<TimeMs>& t1);

} // namespace aurum
