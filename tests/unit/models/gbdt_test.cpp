#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "models/gbdt.hpp"
#include "models/purged_split.hpp"
#include "synthetic.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {
GbdtParams small_params() {
    GbdtParams p;
    p.rounds = 60;
    p.early_stopping = 10;
    p.max_depth = 3;
    p.eta = 0.1;
    return p;
}
std::vector<std::size_t> range(std::size_t a, std::size_t b) {
    std::vector<std::size_t> v;
    for (std::size_t i = a; i < b; ++i) v.push_back(i);
    return v;
}
} // namespace

TEST(Gbdt, learns_a_real_signal_and_ranks_the_informative_feature_first) {
    const Dataset d = test::synthetic_dataset(2000, 8, 1.5);
    GbdtModel m(small_params());
    m.fit(d, range(0, 1200), range(1200, 1500));
    const auto test = range(1500, 2000);
    const auto p = m.predict_proba(d, test);
    std::vector<float> y;
    for (auto i : test) y.push_back(d.y[i]);
    const auto cm = classification_metrics(p, y);
    EXPECT_GT(cm.auc, 0.8);
    const auto imp = m.importance();
    ASSERT_EQ(imp.size(), 8u);
    EXPECT_EQ(imp[0].feature, "f0");
    EXPECT_EQ(imp[1].feature, "f1");
    double total = 0;
    for (const auto& f : imp) total += f.score;
    EXPECT_NEAR(total, 1.0, 1e-6);
    const auto curve = m.learning_curve();
    EXPECT_FALSE(curve.valid.empty());
    EXPECT_EQ(m.boosted_rounds(), curve.best_iteration + 1);
}

TEST(Gbdt, early_stopping_stops_on_noise) {
    const Dataset d = test::synthetic_dataset(1500, 6, 0.0);
    GbdtParams p = small_params();
    p.rounds = 300;
    p.early_stopping = 5;
    GbdtModel m(p);
    m.fit(d, range(0, 1000), range(1000, 1500));
    EXPECT_LT(m.learning_curve().train.size(), 300u);
    EXPECT_LE(m.boosted_rounds(), 300);
}

TEST(Gbdt, save_load_reproduces_predictions_bit_for_bit) {
    test::TempDir dir;
    const Dataset d = test::synthetic_dataset(800, 5, 1.0);
    GbdtModel m(small_params());
    m.fit(d, range(0, 500), range(500, 650));
    const auto rows = range(650, 800);
    const auto p1 = m.predict_proba(d, rows);
    m.save(dir.path() / "m");
    GbdtModel loaded;
    loaded.load(dir.path() / "m");
    const auto p2 = loaded.predict_proba(d, rows);
    ASSERT_EQ(p1.size(), p2.size());
    EXPECT_EQ(0, std::memcmp(p1.data(), p2.data(), p1.size() * sizeof(double)));
    EXPECT_EQ(m.serialize(), loaded.serialize());
    // The single-row in-place path agrees with the batch path exactly.
    for (std::size_t k = 0; k < 20; ++k)
        EXPECT_EQ(static_cast<float>(loaded.predict_one(d.row(rows[k]))), static_cast<float>(p1[k]));
}

TEST(Gbdt, same_seed_same_model_different_seed_differs) {
    const Dataset d = test::synthetic_dataset(800, 5, 1.0);
    GbdtModel a(small_params()), b(small_params());
    a.fit(d, range(0, 600), range(600, 800));
    b.fit(d, range(0, 600), range(600, 800));
    EXPECT_EQ(a.serialize(), b.serialize());
    GbdtParams p = small_params();
    p.seed = 99;
    GbdtModel c(p);
    c.fit(d, range(0, 600), range(600, 800));
    EXPECT_NE(a.serialize(), c.serialize());
}

TEST(Gbdt, contributions_sum_to_the_margin_and_name_the_driver) {
    const Dataset d = test::synthetic_dataset(1000, 4, 2.0);
    GbdtModel m(small_params());
    m.fit(d, range(0, 700), range(700, 850));
    const auto rows = range(850, 900);
    const auto p = m.predict_proba(d, rows);
    const auto c = m.contributions(d, rows);
    ASSERT_EQ(c.size(), rows.size());
    double f0_share = 0, total_share = 0;
    for (std::size_t k = 0; k < rows.size(); ++k) {
        ASSERT_EQ(c[k].size(), 5u);
        double margin = 0;
        for (double v : c[k]) margin += v;
        EXPECT_NEAR(1.0 / (1.0 + std::exp(-margin)), p[k], 1e-4);
        f0_share += std::abs(c[k][0]);
        for (std::size_t j = 0; j < 4; ++j) total_share += std::abs(c[k][j]);
    }
    EXPECT_GT(f0_share / total_share, 0.4);
}

TEST(Gbdt, regression_objective_fits_a_linear_target) {
    Dataset d = test::synthetic_dataset(1000, 3, 1.0);
    for (std::size_t i = 0; i < d.rows(); ++i) d.y[i] = 2.0f * d.at(i, 0) - d.at(i, 1);
    GbdtParams p = small_params();
    p.objective = "reg:squarederror";
    p.rounds = 200;
    GbdtModel m(p);
    m.fit(d, range(0, 700), range(700, 850));
    const auto rows = range(850, 1000);
    const auto pred = m.predict_proba(d, rows);
    double se = 0, var = 0;
    for (std::size_t k = 0; k < rows.size(); ++k) {
        se += std::pow(pred[k] - d.y[rows[k]], 2);
        var += std::pow(d.y[rows[k]], 2);
    }
    EXPECT_LT(se / var, 0.2);
}

TEST(Gbdt, one_class_labels_are_rejected) {
    Dataset d = test::synthetic_dataset(200, 3, 1.0);
    for (auto& y : d.y) y = 1.0f;
    GbdtModel m(small_params());
    try {
        m.fit(d, range(0, 150), range(150, 200));
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("one class"), std::string::npos);
    }
}

TEST(Gbdt, missing_or_corrupt_model_files_are_input_errors) {
    test::TempDir dir;
    GbdtModel m;
    EXPECT_THROW(m.load(dir.path() / "nothing"), InputError);
    const Dataset d = test::synthetic_dataset(300, 3, 1.0);
    GbdtModel good(small_params());
    good.fit(d, range(0, 200), range(200, 300));
    good.save(dir.path() / "m");
    test::write_text(dir.path() / "m" / "model.ubj", "this is not a model");
    try {
        m.load(dir.path() / "m");
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("corrupt model file"), std::string::npos);
    }
    test::write_text(dir.path() / "m" / "gbdt.json", "{ not json");
    EXPECT_THROW(m.load(dir.path() / "m"), InputError);
}

TEST(Gbdt, unknown_or_bad_params_name_the_key) {
    try {
        GbdtParams::from_json({{"max_dept", 3}});
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("max_dept"), std::string::npos);
    }
    EXPECT_THROW(GbdtParams::from_json({{"eta", -1}}), InputError);
}

TEST(Dataset, nan_in_a_feature_is_named) {
    Dataset d = test::synthetic_dataset(50, 3, 1.0);
    d.x[10 * 3 + 2] = std::nanf("");
    try {
        d.validate();
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("NaN in feature 'f2' at row 10"), std::string::npos);
    }
}
