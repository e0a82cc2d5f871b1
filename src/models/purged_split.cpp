#include "models/purged_split.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"

namespace aurum {

std::string to_string(WindowScheme s) {
    switch (s) {
    case WindowScheme::Expanding: return "expanding";
    case WindowScheme::Rolling: return "rolling";
    case WindowScheme::KFold: return "kfold";
    }
    return "?";
}

WindowScheme parse_window_scheme(const std::string& s) {
    if (s == "expanding") return WindowScheme::Expanding;
    if (s == "rolling") return WindowScheme::Rolling;
    if (s == "kfold") return WindowScheme::KFold;
    throw InputError(fmt::format("walk-forward scheme '{}': expected expanding, rolling or kfold", s));
}

namespace {
bool overlaps(TimeMs a0, TimeMs a1, TimeMs b0, TimeMs b1) { return a0 <= b1 && b0 <= a1; }
} // namespace

std::size_t purge_overlapping(std::vector<std::size_t>& train, const std::vector<TimeMs>& t,
                              const std::vector<TimeMs>& t1, TimeMs from, TimeMs to) {
    const std::size_t before = train.size();
    std::erase_if(train, [&](std::size_t i) { return overlaps(t[i], t1[i], from, to); });
    return before - train.size();
}

std::vector<Fold> purged_walk_forward(const std::vector<TimeMs>& t, const std::vector<TimeMs>& t1,
                                      const SplitConfig& c) {
    if (c.folds < 1) throw InputError(fmt::format("walk-forward folds: must be >= 1, got {}", c.folds));
    if (t.size() != t1.size()) throw InputError("walk-forward: t and t1 differ in length");
    if (c.scheme != WindowScheme::KFold &&
        !(c.initial_train_fraction > 0.0 && c.initial_train_fraction < 1.0))
        throw InputError(fmt::format("walk-forward initial_train_fraction: must be in (0, 1), got {}",
                                     c.initial_train_fraction));
    // Group rows by distinct sample time: a time never straddles two windows.
    std::vector<std::size_t> starts; // first row of each distinct time
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (i > 0 && t[i] < t[i - 1]) throw InputError("walk-forward: sample times not sorted");
        if (i == 0 || t[i] != t[i - 1]) starts.push_back(i);
    }
    const std::size_t n_times = starts.size();
    starts.push_back(t.size());
    const auto folds = static_cast<std::size_t>(c.folds);
    const std::size_t first_test =
        c.scheme == WindowScheme::KFold
            ? 0
            : static_cast<std::size_t>(std::floor(c.initial_train_fraction * n_times));
    const std::size_t test_times = n_times > first_test ? n_times - first_test : 0;
    if (test_times < folds || test_times / folds == 0)
        throw InputError(fmt::format("too little data for {} walk-forward folds: {} sample times "
                                     "({} rows) leave {} for testing",
                                     c.folds, n_times, t.size(), test_times));
    std::vector<Fold> out;
    for (std::size_t k = 0; k < folds; ++k) {
        const std::size_t a = first_test + k * test_times / folds;
        const std::size_t b = first_test + (k + 1) * test_times / folds;
        Fold f;
        f.index = static_cast<int>(k);
        for (std::size_t i = starts[a]; i < starts[b]; ++i) f.test.push_back(i);
        f.test_from = t[starts[a]];
        const TimeMs test_last_t = t[starts[b] - 1];
        f.test_to = test_last_t;
        for (std::size_t i : f.test) f.test_to = std::max(f.test_to, t1[i]);
        std::size_t lo = 0;
        if (c.scheme == WindowScheme::Rolling && c.rolling_train_times > 0 && a > c.rolling_train_times)
            lo = a - c.rolling_train_times;
        for (std::size_t i = starts[lo]; i < starts[a]; ++i) f.train.push_back(i);
        if (c.scheme == WindowScheme::KFold)
            for (std::size_t i = starts[b]; i < t.size(); ++i) f.train.push_back(i);
        f.purged = purge_overlapping(f.train, t, t1, f.test_from, f.test_to);
        if (c.embargo > 0) {
            const std::size_t before = f.train.size();
            std::erase_if(f.train, [&](std::size_t i) {
                return t[i] > test_last_t && t[i] <= test_last_t + c.embargo;
            });
            f.embargoed = before - f.train.size();
        }
        if (f.train.size() < c.min_train_rows || f.test.size() < c.min_test_rows)
            throw InputError(fmt::format(
                "too little data for {} walk-forward folds: fold {} has {} training rows (min {}) "
                "and {} test rows (min {}) out of {} rows",
                c.folds, k + 1, f.train.size(), c.min_train_rows, f.test.size(), c.min_test_rows,
                t.size()));
        out.push_back(std::move(f));
    }
    return out;
}

std::pair<std::vector<std::size_t>, std::vector<std::size_t>>
purged_holdout(const std::vector<std::size_t>& train, const std::vector<TimeMs>& t,
               const std::vector<TimeMs>& t1, double fraction) {
    std::vector<std::size_t> fit, valid;
    if (train.empty()) return {fit, valid};
    std::size_t cut = static_cast<std::size_t>(std::floor(train.size() * (1.0 - fraction)));
    cut = std::min(cut, train.size() - 1);
    // Move the cut back so rows sharing a time stay together.
    while (cut > 0 && t[train[cut]] == t[train[cut - 1]]) --cut;
    fit.assign(train.begin(), train.begin() + static_cast<std::ptrdiff_t>(cut));
    valid.assign(train.begin() + static_cast<std::ptrdiff_t>(cut), train.end());
    TimeMs vfrom = t[valid.front()], vto = vfrom;
    for (std::size_t i : valid) vto = std::max(vto, t1[i]);
    purge_overlapping(fit, t, t1, vfrom, vto);
    return {fit, valid};
}

std::size_t count_overlaps(const Fold& fold, const std::vector<TimeMs>& t,
                           const std::vector<TimeMs>& t1) {
    std::size_t n = 0;
    for (std::size_t i : fold.train) n += overlaps(t[i], t1[i], fold.test_from, fold.test_to);
    return n;
}

} // namespace aurum
