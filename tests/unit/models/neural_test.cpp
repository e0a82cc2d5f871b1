#include <cstring>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "models/neural.hpp"
#include "models/torch_plugin.hpp"
#include "synthetic.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {
NeuralParams small() {
    NeuralParams p;
    p.seq_len = 4;
    p.hidden = 8;
    p.epochs = 15;
    p.batch = 64;
    p.lr = 1e-2;
    p.patience = 4;
    return p;
}
std::vector<std::size_t> range(std::size_t a, std::size_t b) {
    std::vector<std::size_t> v;
    for (std::size_t i = a; i < b; ++i) v.push_back(i);
    return v;
}
double auc_on(const Model& m, const Dataset& d, const std::vector<std::size_t>& rows) {
    const auto p = m.predict_proba(d, rows);
    std::vector<float> y;
    for (auto i : rows) y.push_back(d.y[i]);
    return classification_metrics(p, y).auc;
}
/// The models come from the libtorch plugin, as make_model builds them.
std::unique_ptr<Model> lstm(const NeuralParams& p = {}) { return make_torch_model("lstm", p); }
std::unique_ptr<Model> gnn(const NeuralParams& p = {}) { return make_torch_model("gnn", p); }
bool bit_equal(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}
} // namespace

TEST(Lstm, learns_signal_records_curves_and_round_trips_bit_for_bit) {
    test::TempDir dir;
    const Dataset d = test::synthetic_dataset(900, 4, 1.5);
    auto m = lstm(small());
    m->fit(d, range(0, 600), range(600, 750));
    const auto test = range(750, 900);
    EXPECT_GT(auc_on(*m, d, test), 0.75);
    const auto curve = m->learning_curve();
    EXPECT_FALSE(curve.train.empty());
    EXPECT_EQ(curve.train.size(), curve.valid.size());
    EXPECT_GE(curve.best_iteration, 0);
    EXPECT_EQ(m->importance().front().feature, "f0");
    const auto p1 = m->predict_proba(d, test);
    m->save(dir.path() / "lstm");
    auto loaded = lstm();
    loaded->load(dir.path() / "lstm");
    EXPECT_TRUE(bit_equal(p1, loaded->predict_proba(d, test)));
    // A single-row request sees the same history as the batch one.
    EXPECT_EQ(loaded->predict_proba(d, std::vector<std::size_t>{800}).at(0), p1[50]);
}

TEST(Lstm, determinism_by_seed) {
    const Dataset d = test::synthetic_dataset(400, 3, 1.0);
    const auto rows = range(300, 400);
    auto a = lstm(small()), b = lstm(small());
    a->fit(d, range(0, 250), range(250, 300));
    b->fit(d, range(0, 250), range(250, 300));
    EXPECT_TRUE(bit_equal(a->predict_proba(d, rows), b->predict_proba(d, rows)));
    NeuralParams p = small();
    p.seed = 1234;
    auto c = lstm(p);
    c->fit(d, range(0, 250), range(250, 300));
    EXPECT_FALSE(bit_equal(a->predict_proba(d, rows), c->predict_proba(d, rows)));
}

TEST(Lstm, prediction_never_reads_future_rows) {
    const Dataset d = test::synthetic_dataset(300, 3, 1.0);
    auto m = lstm(small());
    m->fit(d, range(0, 200), range(200, 250));
    const auto before = m->predict_proba(d, std::vector<std::size_t>{260});
    Dataset changed = d;
    for (std::size_t i = 261; i < changed.rows(); ++i)
        for (std::size_t j = 0; j < changed.cols; ++j) changed.x[i * changed.cols + j] = 100.0f;
    EXPECT_EQ(before, m->predict_proba(changed, std::vector<std::size_t>{260}));
}

TEST(Gnn, learns_per_asset_direction_and_round_trips_bit_for_bit) {
    test::TempDir dir;
    const Dataset d = test::synthetic_dataset(500, 4, 1.5, 11, 3); // 3 assets, 1500 rows
    auto m = gnn(small());
    m->fit(d, range(0, 1050), range(1050, 1200));
    const auto test = range(1200, 1500);
    EXPECT_GT(auc_on(*m, d, test), 0.75);
    const auto p1 = m->predict_proba(d, test);
    m->save(dir.path() / "gnn");
    auto loaded = gnn();
    loaded->load(dir.path() / "gnn");
    EXPECT_TRUE(bit_equal(p1, loaded->predict_proba(d, test)));
    auto again = gnn(small());
    again->fit(d, range(0, 1050), range(1050, 1200));
    EXPECT_TRUE(bit_equal(p1, again->predict_proba(d, test)));
}

TEST(Neural, corrupt_or_missing_files_are_input_errors) {
    test::TempDir dir;
    auto m = lstm();
    EXPECT_THROW(m->load(dir.path() / "none"), InputError);
    const Dataset d = test::synthetic_dataset(200, 3, 1.0);
    auto good = lstm(small());
    good->fit(d, range(0, 150), range(150, 200));
    good->save(dir.path() / "l");
    test::write_text(dir.path() / "l" / "model.pt", "garbage");
    try {
        m->load(dir.path() / "l");
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("corrupt model file"), std::string::npos);
    }
    EXPECT_THROW(NeuralParams::from_json({{"hiden", 3}}, "lstm"), InputError);
}

TEST(TorchPlugin, libtorch_is_loaded_only_when_a_neural_model_is_made) {
    // (Each test runs in its own process under CTest.)
    EXPECT_FALSE(torch_plugin_loaded());
    const auto g = make_model("gbdt", nlohmann::json::object());
    EXPECT_FALSE(torch_plugin_loaded()) << "a GBDT needs no libtorch";
    const auto l = make_model("lstm", {{"hidden", 4}});
    EXPECT_TRUE(torch_plugin_loaded());
    EXPECT_EQ(l->kind(), "lstm");
    EXPECT_EQ(make_model("gnn", nlohmann::json::object())->kind(), "gnn");
    EXPECT_THROW(make_model("lstm", {{"hiden", 4}}), InputError); // params checked before loading
}
