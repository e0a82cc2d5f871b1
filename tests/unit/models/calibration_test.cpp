#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "models/calibration.hpp"
#include "models/model.hpp"

using namespace aurum;

namespace {
// Overconfident raw scores: true probability q, reported as q pushed towards 0/1.
void overconfident(std::vector<double>& p, std::vector<float>& y, std::size_t n, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    for (std::size_t i = 0; i < n; ++i) {
        const double q = 0.2 + 0.6 * u(rng);
        const double z = std::log(q / (1 - q)) * 3.0;
        p.push_back(1 / (1 + std::exp(-z)));
        y.push_back(u(rng) < q ? 1.0f : 0.0f);
    }
}
} // namespace

TEST(Calibration, platt_and_isotonic_reduce_logloss_of_overconfident_scores) {
    std::vector<double> p, pt;
    std::vector<float> y, yt;
    overconfident(p, y, 4000, 1);
    overconfident(pt, yt, 4000, 2);
    const double raw = classification_metrics(pt, yt).logloss;
    for (auto m : {CalibrationMethod::Platt, CalibrationMethod::Isotonic}) {
        Calibrator c(m);
        c.fit(p, y);
        const auto q = c.apply(pt);
        EXPECT_LT(classification_metrics(q, yt).logloss, raw - 0.02) << to_string(m);
        // Monotone: order of scores preserved (non-strictly).
        for (double a = 0.01; a < 0.99; a += 0.01) EXPECT_LE(c.apply(a), c.apply(a + 0.01) + 1e-12);
        // JSON round trip gives identical outputs.
        const auto back = Calibrator::from_json(c.to_json());
        for (double a = 0.05; a < 1; a += 0.1) EXPECT_EQ(back.apply(a), c.apply(a));
    }
}

TEST(Calibration, platt_recovers_the_overconfidence_slope) {
    std::vector<double> p;
    std::vector<float> y;
    overconfident(p, y, 20000, 3);
    Calibrator c(CalibrationMethod::Platt);
    c.fit(p, y);
    // Scores were logit * 3, so the fitted slope is about 1/3: apply(sigmoid(3)) ~ sigmoid(1).
    EXPECT_NEAR(c.apply(1 / (1 + std::exp(-3.0))), 1 / (1 + std::exp(-1.0)), 0.03);
}

TEST(Calibration, unknown_method_is_an_input_error) {
    EXPECT_THROW(parse_calibration("sigmoidal"), InputError);
}

TEST(Metrics, auc_and_confusion_matrix_on_a_hand_example) {
    std::vector<double> p{0.1, 0.4, 0.35, 0.8};
    std::vector<float> y{0, 0, 1, 1};
    const auto m = classification_metrics(p, y);
    EXPECT_DOUBLE_EQ(m.auc, 0.75);
    EXPECT_EQ(m.tp, 1u);
    EXPECT_EQ(m.fn, 1u);
    EXPECT_EQ(m.tn, 2u);
    EXPECT_EQ(m.fp, 0u);
    EXPECT_DOUBLE_EQ(m.accuracy, 0.75);
}
