#include <gtest/gtest.h>

#include "core/error.hpp"
#include "models/purged_split.hpp"

using namespace aurum;

namespace {
// Hand-built intervals: one sample per time unit 0..19, each label spanning 3 units.
struct Intervals {
    std::vector<TimeMs> t, t1;
    explicit Intervals(int n, int span) {
        for (int i = 0; i < n; ++i) {
            t.push_back(i);
            t1.push_back(i + span);
        }
    }
};
} // namespace

TEST(PurgedSplit, purges_training_samples_whose_label_reaches_the_test_window) {
    Intervals iv(20, 3);
    SplitConfig c;
    c.folds = 2;
    c.initial_train_fraction = 0.5; // times 0..9 train-only, tests 10..14 and 15..19
    c.min_train_rows = 1;
    c.min_test_rows = 1;
    const auto folds = purged_walk_forward(iv.t, iv.t1, c);
    ASSERT_EQ(folds.size(), 2u);
    // Fold 0: test 10..14; training 0..9, but 7,8,9 have t1 = 10,11,12 inside the test window.
    EXPECT_EQ(folds[0].test, (std::vector<std::size_t>{10, 11, 12, 13, 14}));
    EXPECT_EQ(folds[0].train, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(folds[0].purged, 3u);
    // Fold 1: test 15..19; training 0..14 minus 12,13,14.
    EXPECT_EQ(folds[1].train.back(), 11u);
    EXPECT_EQ(folds[1].purged, 3u);
    for (const auto& f : folds) EXPECT_EQ(count_overlaps(f, iv.t, iv.t1), 0u);
}

TEST(PurgedSplit, sample_ending_exactly_at_test_start_is_purged_one_before_is_kept) {
    // Closed intervals: t1 == test start overlaps; t1 == test start - 1 does not.
    std::vector<TimeMs> t{0, 1, 2, 3, 4, 5}, t1{0, 3, 4, 3, 4, 5};
    SplitConfig c;
    c.folds = 1;
    c.initial_train_fraction = 0.67; // test = times 4, 5
    c.min_train_rows = 1;
    c.min_test_rows = 1;
    const auto f = purged_walk_forward(t, t1, c).at(0);
    EXPECT_EQ(f.test, (std::vector<std::size_t>{4, 5}));
    EXPECT_EQ(f.train, (std::vector<std::size_t>{0, 1, 3})); // row 2 (t1 = 4) purged
}

TEST(PurgedSplit, embargo_drops_training_samples_right_after_each_test_window) {
    Intervals iv(30, 0); // zero-length labels: only the embargo removes anything after a test
    SplitConfig c;
    c.folds = 3;
    c.scheme = WindowScheme::KFold; // tests 0..9, 10..19, 20..29; train on both sides
    c.embargo = 2;
    c.min_train_rows = 1;
    c.min_test_rows = 1;
    const auto folds = purged_walk_forward(iv.t, iv.t1, c);
    ASSERT_EQ(folds.size(), 3u);
    // Fold 0 tests 0..9: rows 10 and 11 are embargoed, training starts at 12.
    EXPECT_EQ(folds[0].embargoed, 2u);
    EXPECT_EQ(folds[0].train.front(), 12u);
    // Fold 1 tests 10..19: training is 0..9 and 22..29.
    EXPECT_EQ(folds[1].train, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 22, 23, 24,
                                                        25, 26, 27, 28, 29}));
    // The last fold has nothing after it to embargo.
    EXPECT_EQ(folds[2].embargoed, 0u);
}

TEST(PurgedSplit, kfold_purges_on_both_sides_of_the_test_window) {
    Intervals iv(30, 2);
    SplitConfig c;
    c.folds = 3;
    c.scheme = WindowScheme::KFold;
    c.min_train_rows = 1;
    c.min_test_rows = 1;
    const auto f = purged_walk_forward(iv.t, iv.t1, c).at(1); // test 10..19, t1 up to 21
    // Before: 8, 9 reach into the test. After: 20, 21 start inside [10, 21].
    EXPECT_EQ(f.purged, 4u);
    for (std::size_t i : f.train) EXPECT_TRUE(i < 8 || i > 21) << i;
    EXPECT_EQ(count_overlaps(f, iv.t, iv.t1), 0u);
}

TEST(PurgedSplit, rolling_window_keeps_only_recent_training_times) {
    Intervals iv(40, 0);
    SplitConfig c;
    c.folds = 2;
    c.scheme = WindowScheme::Rolling;
    c.initial_train_fraction = 0.5;
    c.rolling_train_times = 10;
    c.min_train_rows = 1;
    c.min_test_rows = 1;
    const auto folds = purged_walk_forward(iv.t, iv.t1, c);
    EXPECT_EQ(folds[0].train.front(), 10u);
    EXPECT_EQ(folds[0].train.size(), 10u);
    EXPECT_EQ(folds[1].train.front(), 20u);
    EXPECT_EQ(folds[1].train.back(), 29u);
}

TEST(PurgedSplit, rows_sharing_a_time_never_straddle_windows) {
    std::vector<TimeMs> t, t1;
    for (int i = 0; i < 20; ++i)
        for (int s = 0; s < 3; ++s) {
            t.push_back(i);
            t1.push_back(i + 1);
        }
    SplitConfig c;
    c.folds = 3;
    c.initial_train_fraction = 0.4;
    c.min_train_rows = 1;
    c.min_test_rows = 1;
    for (const auto& f : purged_walk_forward(t, t1, c)) {
        EXPECT_EQ(f.test.size() % 3, 0u);
        EXPECT_EQ(f.train.size() % 3, 0u);
        for (std::size_t i : f.train) EXPECT_LT(t1[i], f.test_from);
    }
}

TEST(PurgedSplit, too_little_data_for_the_folds_is_an_input_error) {
    Intervals iv(6, 0);
    SplitConfig c;
    c.folds = 5;
    EXPECT_THROW(purged_walk_forward(iv.t, iv.t1, c), InputError);
    c.folds = 2;
    c.min_train_rows = 50;
    try {
        purged_walk_forward(iv.t, iv.t1, c);
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("too little data"), std::string::npos);
    }
}

TEST(PurgedSplit, holdout_purges_fit_rows_that_reach_the_validation_part) {
    Intervals iv(20, 2);
    std::vector<std::size_t> rows(20);
    for (std::size_t i = 0; i < 20; ++i) rows[i] = i;
    const auto [fit, valid] = purged_holdout(rows, iv.t, iv.t1, 0.25);
    EXPECT_EQ(valid, (std::vector<std::size_t>{15, 16, 17, 18, 19}));
    EXPECT_EQ(fit.back(), 12u); // 13, 14 have t1 = 15, 16
    EXPECT_EQ(fit.size(), 13u);
}
