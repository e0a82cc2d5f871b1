// Reptile meta-learning: tasks, the few-shot split's gap, causal sequences, config errors,
// bit-identical reruns, and adaptation that pays where tasks share structure.
#include <random>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "models/meta_learning.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

constexpr TimeMs kBar = 4 * kMsPerHour;
constexpr int kHorizon = 3;

/// A family of tasks with a shared structure: in each 100-row window the label is the sign of
/// feature 0 times the window's own sign (+1 and -1 in turn, as the regime), plus a little
/// noise. A network that knows "feature 0 decides" learns the sign from a few rows; without
/// them it cannot beat a coin over both kinds of window.
SymbolRows sign_family(const std::string& symbol, std::size_t windows, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n01(0.0, 1.0);
    SymbolRows s;
    s.symbol = symbol;
    Dataset& d = s.data;
    d.feature_set_id = "synthetic-meta";
    d.label_spec = "sign";
    d.cols = 3;
    d.feature_names = {"f0", "f1", "f2"};
    d.symbols = {symbol};
    std::vector<float> row(3);
    const TimeMs t0 = 1'600'000'000'000;
    for (std::size_t w = 0; w < windows; ++w) {
        const double sign = w % 2 ? -1.0 : 1.0;
        for (std::size_t i = 0; i < 100; ++i) {
            for (auto& v : row) v = static_cast<float>(n01(rng));
            const float y = sign * row[0] + 0.2 * n01(rng) > 0 ? 1.0f : 0.0f;
            const TimeMs t = t0 + static_cast<TimeMs>(w * 100 + i) * kBar;
            d.push_row(row, y, t, t + kHorizon * kBar);
            s.regime.push_back(w % 2 ? Regime::Bear : Regime::Bull);
        }
    }
    return s;
}

MetaConfig small_config() {
    MetaConfig c;
    c.seq_len = 2;
    c.hidden = 8;
    c.min_window = c.max_window = 100;
    c.iterations = 150;
    c.inner_steps = 5;
    c.inner_lr = 0.02;
    c.batch = 32;
    c.shots = 20;
    c.adapt_steps = 15;
    c.adapt_lr = 0.03;
    c.query = 40;
    c.min_query = 20;
    c.test_fraction = 0.3;
    c.leave_one_symbol_out = false;
    c.bootstrap = 200;
    return c;
}

} // namespace

TEST(MetaTasks, regime_windows_cut_at_regime_changes_within_the_size_bounds) {
    std::vector<Regime> r;
    for (int i = 0; i < 30; ++i) r.push_back(Regime::Bull);
    for (int i = 0; i < 3; ++i) r.push_back(Regime::Bear); // too short to start a window alone
    for (int i = 0; i < 50; ++i) r.push_back(Regime::Ranging);
    const auto w = regime_windows(r, 0, 10, 40);
    ASSERT_FALSE(w.empty());
    EXPECT_EQ(w[0].begin, 0u);
    EXPECT_EQ(w[0].end, 30u); // closed at the first change once it had 10 rows
    for (std::size_t k = 0; k < w.size(); ++k) {
        EXPECT_GE(w[k].size(), 10u);
        EXPECT_LE(w[k].size(), 40u);
        if (k > 0) {
            EXPECT_EQ(w[k].begin, w[k - 1].end); // consecutive, no row twice
        }
    }
}

TEST(MetaTasks, few_shot_query_starts_after_every_support_label_has_ended) {
    const SymbolRows s = sign_family("A/USDT", 2, 1);
    const auto sp = few_shot_split(s.data, 10, 100, 20, 40);
    EXPECT_EQ(sp.support_end - sp.support_begin, 20u);
    ASSERT_LT(sp.query_begin, sp.query_end);
    EXPECT_LE(sp.query_end, 100u);
    EXPECT_EQ(sp.gap(), static_cast<std::size_t>(kHorizon)); // the label horizon, no less
    for (std::size_t i = sp.support_begin; i < sp.support_end; ++i)
        for (std::size_t q = sp.query_begin; q < sp.query_end; ++q)
            EXPECT_GT(s.data.t[q], s.data.t1[i]);
    // A window too short for the gap has no query.
    const auto tiny = few_shot_split(s.data, 0, 22, 20, 40);
    EXPECT_EQ(tiny.query_begin, tiny.query_end);
}

TEST(MetaTasks, sequences_read_no_row_after_their_own) {
    SymbolRows s = sign_family("A/USDT", 1, 2);
    const Standardiser st = Standardiser::fit({&s.data}, {{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}});
    const auto before = standardised_sequences(s.data, st, 4);
    for (std::size_t i = 50; i < s.data.rows(); ++i)
        for (std::size_t j = 0; j < 3; ++j) s.data.x[i * 3 + j] += 100.0f;
    const auto after = standardised_sequences(s.data, st, 4);
    const std::size_t per = 4 * 3;
    for (std::size_t v = 0; v < 50 * per; ++v) ASSERT_EQ(before[v], after[v]) << "value " << v;
    EXPECT_NE(before[50 * per + per - 1], after[50 * per + per - 1]);
    // Zero padding before the first row.
    for (std::size_t v = 0; v < 3 * 3; ++v) EXPECT_EQ(before[v], 0.0f);
}

TEST(MetaConfigParse, unknown_and_out_of_range_keys_name_file_line_and_key) {
    try {
        MetaConfig::parse("reptile:\n  iterations: 10\n  inner_stepz: 3\n", "meta.yaml");
        FAIL() << "accepted an unknown key";
    } catch (const InputError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("meta.yaml:3"), std::string::npos) << m;
        EXPECT_NE(m.find("reptile.inner_stepz"), std::string::npos) << m;
        EXPECT_NE(m.find("inner_steps"), std::string::npos) << m; // the suggestion
    }
    try {
        MetaConfig::parse("adapt:\n  shots: 0\n", "meta.yaml");
        FAIL() << "accepted shots 0";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("adapt.shots"), std::string::npos) << e.what();
    }
    EXPECT_THROW(MetaConfig::parse("tasks: {min_window: 50, max_window: 20}\n", "m.yaml"), InputError);
    EXPECT_THROW(MetaConfig::parse("timeframe: 7x\n", "m.yaml"), InputError);
    const MetaConfig c = MetaConfig::parse("reptile: {iterations: 12}\n", "m.yaml");
    EXPECT_EQ(c.iterations, 12);
    EXPECT_EQ(c.shots, MetaConfig{}.shots);
    // The stored form (JSON) reads back to the same settings.
    EXPECT_EQ(MetaConfig::parse(c.to_json().dump(), "stored").to_json(), c.to_json());
}

TEST(MetaConfigParse, the_shipped_config_is_the_built_in_defaults) {
    const MetaConfig shipped = MetaConfig::load(aurum::test::source_file("config/meta.yaml"));
    EXPECT_EQ(shipped.to_json(), MetaConfig{}.to_json());
}

TEST(MetaLearning, same_seed_gives_bit_identical_parameters) {
    const std::vector<SymbolRows> sym{sign_family("A/USDT", 6, 3)};
    MetaConfig c = small_config();
    c.iterations = 30;
    const Standardiser st = Standardiser::fit({&sym[0].data}, {{0, 1, 2, 3, 4, 5, 6, 7}});
    const MetaInputs in = meta_inputs(sym, st, c.seq_len);
    const auto tasks = regime_windows(sym[0].regime, 0, 100, 100);
    const std::string a = params_hash(*reptile_train(in, tasks, c));
    const std::string b = params_hash(*reptile_train(in, tasks, c));
    EXPECT_EQ(a, b);
    c.seed = 43;
    EXPECT_NE(params_hash(*reptile_train(in, tasks, c)), a);
    // Reptile moved the parameters away from the initial ones.
    EXPECT_NE(params_hash(*make_meta_net(meta_shape(small_config(), 3))), a);
}

TEST(MetaLearning, adaptation_beats_no_adaptation_on_tasks_with_shared_structure) {
    const std::vector<SymbolRows> sym{sign_family("A/USDT", 30, 4), sign_family("B/USDT", 30, 5)};
    MetaModel final_model;
    const MetaEvaluation ev = evaluate_meta_learning(sym, small_config(), &final_model);
    ASSERT_EQ(ev.folds.size(), 1u);
    const MetaFold& f = ev.folds[0];
    ASSERT_GE(f.tasks.size(), 8u);
    const auto& adapted = f.metrics[static_cast<int>(MetaMethod::MetaAdapted)];
    const auto& plain = f.metrics[static_cast<int>(MetaMethod::MetaOnly)];
    EXPECT_GT(adapted.accuracy, plain.accuracy + 0.15) << ev.text();
    EXPECT_GT(adapted.accuracy, 0.7) << ev.text();
    ASSERT_FALSE(f.gains.empty());
    EXPECT_GT(f.gains[0].logloss.low, 0.0) << ev.text();
    EXPECT_LE(f.gains[0].logloss.low, f.gains[0].logloss.value);
    EXPECT_GE(f.gains[0].logloss.high, f.gains[0].logloss.value);
    EXPECT_TRUE(ev.verdict.passed);
    EXPECT_TRUE(ev.adaptation_used);
    ASSERT_TRUE(final_model.net);
    // Held-out windows start after the split; meta-training labels end before it.
    for (const auto& t : f.tasks) EXPECT_GE(t.support_from, f.split_time);
}

TEST(MetaLearning, no_adaptation_steps_means_no_gain_and_gating_refuses) {
    const std::vector<SymbolRows> sym{sign_family("A/USDT", 14, 6)};
    MetaConfig c = small_config();
    c.adapt_steps = 0;
    c.iterations = 40;
    const MetaEvaluation ev = evaluate_meta_learning(sym, c);
    const MetaFold& f = ev.folds[0];
    EXPECT_EQ(f.gains[0].logloss.value, 0.0);
    EXPECT_FALSE(ev.adaptation_used);
    EXPECT_NE(ev.reason.find("not used"), std::string::npos) << ev.reason;
}
