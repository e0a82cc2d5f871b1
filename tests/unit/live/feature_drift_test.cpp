// PSI and the two-sample KS statistic behind `aurum monitor drift`: zero on identical samples,
// invariant under a monotone change of units (quantile bins), growing with a shift, and equal
// to the closed form on a hand-checked example.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "live/feature_drift.hpp"

using namespace aurum;

namespace {

std::vector<double> normal(std::size_t n, double mean, double sd, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> z(mean, sd);
    std::vector<double> v(n);
    for (auto& x : v) x = z(rng);
    return v;
}

} // namespace

TEST(FeatureDrift, psi_is_zero_on_identical_samples_and_small_on_the_same_distribution) {
    const auto a = normal(2000, 0, 1, 1);
    EXPECT_EQ(population_stability(a, a), 0.0);
    EXPECT_LT(population_stability(a, normal(1000, 0, 1, 2)), 0.05);
}

TEST(FeatureDrift, psi_grows_with_the_shift_and_flags_a_volatility_change) {
    const auto ref = normal(2000, 0, 1, 3);
    double last = 0;
    for (double shift : {0.1, 0.3, 0.6, 1.0, 2.0}) {
        const double psi = population_stability(ref, normal(1000, shift, 1, 4));
        EXPECT_GT(psi, last) << shift;
        EXPECT_GE(psi, 0.0);
        last = psi;
    }
    EXPECT_GT(population_stability(ref, normal(1000, 0, 3, 5)), 0.25); // 3x the spread
}

TEST(FeatureDrift, psi_does_not_depend_on_units_quantile_bins) {
    const auto ref = normal(1500, 0, 1, 6), live = normal(800, 0.4, 1.3, 7);
    auto expo = [](std::vector<double> v) {
        for (auto& x : v) x = std::exp(x) * 100.0;
        return v;
    };
    EXPECT_NEAR(population_stability(ref, live), population_stability(expo(ref), expo(live)), 1e-12);
}

TEST(FeatureDrift, psi_equals_the_closed_form_on_deciles) {
    // Reference 0..99: ten deciles of 10 values; live 0..49 fills the lower five only.
    std::vector<double> ref, live;
    for (int i = 0; i < 100; ++i) ref.push_back(i);
    for (int i = 0; i < 50; ++i) live.push_back(i);
    const double e = 0.1 + 1e-6, full = 0.2 + 1e-6, empty = 1e-6;
    const double want = 5 * (full - e) * std::log(full / e) + 5 * (empty - e) * std::log(empty / e);
    EXPECT_NEAR(population_stability(ref, live), want, 1e-12);
    // Live values beyond the reference's range count in its end bins (clipped), not lost.
    EXPECT_NEAR(population_stability(ref, std::vector<double>(50, -1e9)),
                population_stability(ref, std::vector<double>(50, 0.0)), 1e-12);
}

TEST(FeatureDrift, ks_statistic_is_the_largest_cdf_gap) {
    const std::vector<double> a{1, 2, 3, 4}, b{3, 4, 5, 6}, far{10, 11};
    EXPECT_DOUBLE_EQ(ks_statistic(a, a), 0.0);
    EXPECT_DOUBLE_EQ(ks_statistic(a, b), 0.5);
    EXPECT_DOUBLE_EQ(ks_statistic(a, far), 1.0);
    EXPECT_DOUBLE_EQ(ks_statistic(a, b), ks_statistic(b, a));
}
