// Regimes: the Gaussian HMM recovers known hidden states; the percentile classifier is causal and
// sees trends and volatility where they were planted; labels round-trip through the database.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "core/error.hpp"
#include "data/database.hpp"
#include "feature_test_helpers.hpp"
#include "features/hmm.hpp"
#include "features/regimes.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

/// A sticky Markov chain over `means.size()` states with Gaussian emissions.
struct Synthetic {
    Eigen::MatrixXd x;
    std::vector<int> states;
};

Synthetic sample_hmm(int t, const std::vector<Eigen::Vector2d>& means, double sd, double stay,
                     std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> z;
    std::uniform_real_distribution<double> u;
    const int k = static_cast<int>(means.size());
    Synthetic s;
    s.x.resize(t, 2);
    int state = 0;
    for (int i = 0; i < t; ++i) {
        if (i > 0 && u(rng) > stay) state = (state + 1 + static_cast<int>(u(rng) * (k - 1))) % k;
        s.states.push_back(state);
        s.x(i, 0) = means[static_cast<std::size_t>(state)](0) + sd * z(rng);
        s.x(i, 1) = means[static_cast<std::size_t>(state)](1) + sd * z(rng);
    }
    return s;
}

/// Accuracy of a decoded path under the best relabelling of its states.
double best_accuracy(const std::vector<int>& truth, const std::vector<int>& path, int k) {
    std::vector<int> perm(static_cast<std::size_t>(k));
    std::iota(perm.begin(), perm.end(), 0);
    double best = 0;
    do {
        std::size_t ok = 0;
        for (std::size_t i = 0; i < truth.size(); ++i)
            ok += perm[static_cast<std::size_t>(path[i])] == truth[i];
        best = std::max(best, static_cast<double>(ok) / static_cast<double>(truth.size()));
    } while (std::next_permutation(perm.begin(), perm.end()));
    return best;
}

} // namespace

TEST(GaussianHmm, recovers_known_hidden_states_and_is_reproducible) {
    const Synthetic s = sample_hmm(3000, {{0, 0}, {3, 1}, {-2, 3}}, 0.7, 0.97, 17);
    GaussianHmm::FitOptions o;
    o.seed = 5;
    const GaussianHmm h = GaussianHmm::fit(s.x, 3, o);
    const auto path = h.viterbi(s.x);
    EXPECT_GT(best_accuracy(s.states, path, 3), 0.97);
    // Filtering is causal and a little less accurate than Viterbi, but still far above chance.
    EXPECT_GT(best_accuracy(s.states, h.filter(s.x), 3), 0.9);
    // Transitions are sticky like the truth.
    for (int i = 0; i < 3; ++i) EXPECT_GT(h.transition()(i, i), 0.9);
    const GaussianHmm again = GaussianHmm::fit(s.x, 3, o);
    EXPECT_EQ(again.viterbi(s.x), path);
    EXPECT_DOUBLE_EQ(again.log_likelihood(s.x), h.log_likelihood(s.x));
}

TEST(GaussianHmm, em_never_decreases_the_likelihood_and_long_series_stay_finite) {
    const Synthetic s = sample_hmm(50000, {{0, 0}, {1.5, -1}}, 1.0, 0.99, 3);
    double prev = -1e300;
    for (int it = 1; it <= 6; ++it) {
        GaussianHmm::FitOptions o;
        o.max_iter = it;
        o.restarts = 1;
        o.tol = 0; // run exactly `it` iterations
        const double ll = GaussianHmm::fit(s.x, 2, o).log_likelihood(s.x);
        ASSERT_TRUE(std::isfinite(ll)); // scaled recursions: no underflow over 50k steps
        EXPECT_GE(ll, prev - 1e-6 * std::fabs(prev));
        prev = ll;
    }
}

TEST(GaussianHmm, rejects_bad_input) {
    Eigen::MatrixXd x(3, 2);
    x.setZero();
    EXPECT_THROW(GaussianHmm::fit(x, 2, {}), InputError);
    Eigen::MatrixXd y = Eigen::MatrixXd::Random(100, 2);
    y(5, 1) = std::nan("");
    EXPECT_THROW(GaussianHmm::fit(y, 2, {}), InputError);
}

namespace {

/// 600 calm bars up, 600 calm bars down, 600 wild bars sideways.
BarSeries three_phase_market() {
    BarSeries s;
    s.symbol = "SYN/USDT";
    s.timeframe = Timeframe(kMsPerHour);
    std::mt19937_64 rng(8);
    std::normal_distribution<double> z;
    double px = 100;
    for (int i = 0; i < 1800; ++i) {
        const int phase = i / 600;
        const double drift = phase == 0 ? 0.002 : phase == 1 ? -0.002 : 0.0;
        const double vol = phase == 2 ? 0.03 : 0.004;
        const double c = px * std::exp(drift + vol * z(rng));
        s.push_back(Bar{i * kMsPerHour, px, std::max(px, c) * 1.001, std::min(px, c) * 0.999, c,
                        10, 0});
        px = c;
    }
    return s;
}

double share(const std::vector<Regime>& r, std::size_t a, std::size_t b, Regime want) {
    std::size_t n = 0;
    for (std::size_t i = a; i < b; ++i) n += r[i] == want;
    return static_cast<double>(n) / static_cast<double>(b - a);
}

} // namespace

TEST(Regimes, percentile_classifier_finds_planted_trends_and_volatility) {
    const BarSeries s = three_phase_market();
    RegimeParams p;
    p.lookback = 1800;
    const auto r = classify_regimes(s, p);
    ASSERT_EQ(r.size(), s.size());
    EXPECT_EQ(r[10], Regime::Unknown);
    EXPECT_EQ(r[247], Regime::Unknown); // 50 bars for the SMA + 200 volatility values
    EXPECT_NE(r[248], Regime::Unknown);
    EXPECT_GT(share(r, 300, 600, Regime::Bull), 0.8);
    EXPECT_GT(share(r, 700, 1200, Regime::Bear), 0.7);
    // Ranked against the trailing history, a long wild phase slowly becomes the norm.
    EXPECT_GT(share(r, 1220, 1800, Regime::HighVol), 0.8);
    // Calm phases: the top volatility ranks are not high-vol unless well above the median.
    EXPECT_LT(share(r, 300, 1200, Regime::HighVol), 0.05);
}

TEST(Regimes, percentile_classifier_is_causal) {
    const BarSeries s = three_phase_market();
    const auto full = classify_regimes(s);
    const auto head = classify_regimes(s.slice({s.time[0], s.time[900]}));
    for (std::size_t i = 0; i < head.size(); ++i) ASSERT_EQ(full[i], head[i]) << i;
}

TEST(Regimes, hmm_regimes_map_states_by_volatility_and_return) {
    const BarSeries s = three_phase_market();
    HmmParams p;
    p.states = 3;
    const auto r = hmm_regimes(s, p);
    EXPECT_GT(share(r, 1250, 1800, Regime::HighVol), 0.9);
    // The calm phases split between bull and bear by mean return.
    EXPECT_GT(share(r, 100, 600, Regime::Bull), 0.8);
    EXPECT_GT(share(r, 650, 1200, Regime::Bear), 0.8);
    EXPECT_THROW(hmm_regimes(s.slice({s.time[0], s.time[20]}), p), InputError);
    p.states = 1;
    EXPECT_THROW(hmm_regimes(s, p), InputError);
}

TEST(Regimes, names_round_trip_and_counts) {
    for (int i = 0; i < kRegimeCount; ++i)
        EXPECT_EQ(parse_regime(to_string(static_cast<Regime>(i))), static_cast<Regime>(i));
    EXPECT_FALSE(parse_regime("sideways"));
    EXPECT_EQ(to_string(Regime::HighVol), "high_vol");
    const auto c = regime_counts({Regime::Bull, Regime::Bull, Regime::Bear});
    EXPECT_EQ(c[static_cast<int>(Regime::Bull)], 2);
    EXPECT_EQ(c[static_cast<int>(Regime::Bear)], 1);
}

TEST(Regimes, stored_labels_round_trip_and_answer_as_of_queries) {
    test::TempDir dir;
    auto db = open_database((dir / "t.db").string());
    const BarSeries s = three_phase_market();
    const auto r = classify_regimes(s);
    store_regimes(*db, s, "percentile", r);
    store_regimes(*db, s, "percentile", r); // replaces, no duplicates
    const RegimeSeries back = load_regimes(*db, s.symbol, s.timeframe, "percentile");
    std::size_t known = 0;
    for (Regime x : r) known += x != Regime::Unknown;
    EXPECT_EQ(back.time.size(), known);
    EXPECT_EQ(back.at(s.time[1500]), r[1500]);
    EXPECT_EQ(back.at(s.time[1500] + 1), r[1500]); // inside the bar
    EXPECT_EQ(back.at(s.time[0]), Regime::Unknown);
    EXPECT_TRUE(load_regimes(*db, "OTHER", s.timeframe).time.empty());
}
