#include <cstring>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "models/ensemble.hpp"
#include "synthetic.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {
std::vector<std::size_t> range(std::size_t a, std::size_t b) {
    std::vector<std::size_t> v;
    for (std::size_t i = a; i < b; ++i) v.push_back(i);
    return v;
}
std::vector<std::pair<std::string, nlohmann::json>> members() {
    return {{"gbdt", {{"rounds", 40}, {"max_depth", 3}, {"eta", 0.1}}},
            {"lstm", {{"seq_len", 3}, {"hidden", 8}, {"epochs", 8}, {"lr", 0.01}}}};
}
std::vector<std::pair<std::string, nlohmann::json>> one(const std::string& kind) {
    return {{kind, nlohmann::json::object()}};
}
} // namespace

TEST(Ensemble, weighted_average_of_calibrated_members_with_votes_and_agreement) {
    test::TempDir dir;
    const Dataset d = test::synthetic_dataset(900, 4, 1.5);
    EnsembleModel e(members(), CalibrationMethod::Platt);
    e.fit(d, range(0, 600), range(600, 750));
    ASSERT_EQ(e.weights().size(), 2u);
    EXPECT_NEAR(e.weights()[0] + e.weights()[1], 1.0, 1e-12);
    const auto rows = range(750, 900);
    const auto votes = e.votes(d, rows);
    for (const auto& v : votes) {
        ASSERT_EQ(v.member_p.size(), 2u);
        EXPECT_NEAR(v.p, e.weights()[0] * v.member_p[0] + e.weights()[1] * v.member_p[1], 1e-12);
        EXPECT_GE(v.agreement, 0.0);
        EXPECT_LE(v.agreement, 1.0 + 1e-12);
        const bool both_up = v.member_p[0] >= 0.5 && v.member_p[1] >= 0.5;
        if (both_up) {
            EXPECT_NEAR(v.agreement, 1.0, 1e-12);
        }
    }
    const auto p1 = e.predict_proba(d, rows);
    e.save(dir.path() / "ens");
    EnsembleModel loaded(one("gbdt"));
    loaded.load(dir.path() / "ens");
    const auto p2 = loaded.predict_proba(d, rows);
    EXPECT_EQ(0, std::memcmp(p1.data(), p2.data(), p1.size() * sizeof(double)));
    EXPECT_EQ(loaded.member_kinds(), (std::vector<std::string>{"gbdt", "lstm"}));
}

TEST(Ensemble, better_member_gets_more_weight) {
    const auto w = weights_from_logloss({0.60, 0.69}, 0.5);
    EXPECT_GT(w[0], w[1]);
    EXPECT_NEAR(w[0] + w[1], 1.0, 1e-12);
}

TEST(Ensemble, bad_weights_and_members_are_input_errors) {
    EXPECT_THROW(EnsembleModel(one("ensemble")), InputError);
    EXPECT_THROW(EnsembleModel(one("forest")), InputError);
    EnsembleModel e(one("gbdt"));
    EXPECT_THROW(e.set_weights({0.5, 0.5}), InputError);
}
