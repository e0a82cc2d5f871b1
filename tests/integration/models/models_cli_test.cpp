// End-to-end: synthetic markets through `aurum train|walkforward|predict|registry`.
#include <algorithm>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/workspace.hpp"
#include "features/feature_set.hpp"
#include "support/test_support.hpp"

using aurum::test::run_aurum;
using aurum::test::TempDir;
namespace fs = std::filesystem;

namespace {

// Small, fast settings: 3 folds, few boosting rounds.
std::string fast_models_yaml(bool lax_gating) {
    std::string y = R"(feature_set: default
labels: {method: fixed, horizon: 6}
walkforward: {folds: 3, initial_train_fraction: 0.5, min_train_rows: 100, min_test_rows: 20}
models:
  gbdt: {rounds: 60, max_depth: 3, eta: 0.1, early_stopping: 10, nthread: 1}
  lstm: {seq_len: 4, hidden: 8, epochs: 4}
  gnn: {hidden: 8, epochs: 4}
)";
    if (lax_gating)
        y += "gating: {min_sharpe: -100, max_drawdown: 1.0, min_trades: 0, beat_buy_hold: false, "
             "require_clean_leakage: false}\n";
    return y;
}

struct Workspace {
    TempDir dir;
    std::string home() const { return dir.path().string(); }
    aurum::test::CliResult run(std::vector<std::string> args) const {
        args.insert(args.begin(), {"--home", home()});
        return run_aurum(args);
    }
    void synth(bool noise, int days = 320) const {
        std::vector<std::string> a{"data", "synth", "--symbols", "BTC/USDT", "--timeframe", "4h",
                                   "--days", std::to_string(days), "--seed", "5"};
        if (noise) a.push_back("--noise");
        const auto r = run(a);
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    void config(bool lax) const {
        aurum::test::write_text(dir.path() / "config" / "models.yaml", fast_models_yaml(lax));
    }
    nlohmann::json registry() const {
        const auto r = run({"--json", "registry", "list"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return nlohmann::json::parse(r.out);
    }
    /// Every file under models/registry with its size, to prove nothing changed.
    std::vector<std::pair<std::string, std::uintmax_t>> snapshot() const {
        std::vector<std::pair<std::string, std::uintmax_t>> out;
        const fs::path root = dir.path() / "models" / "registry";
        if (!fs::exists(root)) return out;
        for (const auto& e : fs::recursive_directory_iterator(root))
            if (e.is_regular_file()) out.emplace_back(e.path().string(), e.file_size());
        std::sort(out.begin(), out.end());
        return out;
    }
};

std::string status_of(const nlohmann::json& list, int version) {
    for (const auto& m : list)
        if (m.at("version") == version) return m.at("status");
    return "";
}

} // namespace

TEST(ModelsCli, pure_noise_finds_no_edge_and_gating_refuses_promotion) {
    Workspace ws;
    ws.synth(true);
    ws.config(false);
    const auto t = ws.run({"train", "--model", "gbdt", "--symbols", "BTC/USDT", "--timeframe", "4h", "--promote"});
    ASSERT_EQ(t.exit_code, 0) << t.err;
    EXPECT_NE(t.out.find("gating: FAILED"), std::string::npos) << t.out;
    EXPECT_NE(t.out.find("unchanged: candidate failed gating"), std::string::npos) << t.out;
    const auto list = ws.registry();
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(status_of(list, 1), "candidate");
    // The report a user reads says so, with the leakage controls.
    const std::string text = aurum::read_file(ws.dir.path() / "reports/experiments/latest/summary.txt");
    EXPECT_NE(text.find("Gating: FAILED"), std::string::npos);
    EXPECT_NE(text.find("shuffled-label control"), std::string::npos);
    EXPECT_NE(text.find("Confusion matrix"), std::string::npos);
    // The walk-forward command exits 1 (a check failed) and does not promote.
    const auto w = ws.run({"walkforward", "--model", "gbdt", "--symbols", "BTC/USDT", "--timeframe", "4h", "--promote"});
    EXPECT_EQ(w.exit_code, 1) << w.out << w.err;
    const std::string md = aurum::read_file(ws.dir.path() / "reports/walkforward/summary.md");
    EXPECT_NE(md.find("FAILED"), std::string::npos);
    // Gating judged risk-on with the workspace's limits, and the report says so.
    EXPECT_NE(md.find("Risk: account risk manager"), std::string::npos) << md;
    EXPECT_NE(text.find("risk: account risk manager"), std::string::npos) << text;
    EXPECT_TRUE(fs::exists(ws.dir.path() / "reports/walkforward/summary.html"));
    const auto off = ws.run({"walkforward", "--model", "gbdt", "--symbols", "BTC/USDT", "--timeframe", "4h", "--risk", "off"});
    EXPECT_NE(aurum::read_file(ws.dir.path() / "reports/walkforward/summary.md").find("Risk: off"),
              std::string::npos);
    const auto bad = ws.run({"walkforward", "--model", "gbdt", "--symbols", "BTC/USDT", "--timeframe", "4h", "--risk", "nosuch.yaml"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("--risk 'nosuch.yaml'"), std::string::npos) << bad.err;
    EXPECT_EQ(status_of(ws.registry(), 1), "candidate");
    // Promoting by hand is refused too, naming the failed rule; the registry is unchanged.
    const auto before = ws.snapshot();
    const auto p = ws.run({"registry", "promote", "gbdt-BTCUSDT-4h"});
    EXPECT_EQ(p.exit_code, 1);
    EXPECT_NE(p.err.find("failed gating"), std::string::npos) << p.err;
    EXPECT_EQ(before, ws.snapshot());
}

TEST(ModelsCli, promote_and_rollback_round_trip) {
    Workspace ws;
    ws.synth(false);
    ws.config(true); // lax gating so candidates pass
    for (int v = 1; v <= 2; ++v) {
        const auto t = ws.run({"train", "--model", "gbdt", "--symbols", "BTC/USDT", "--timeframe", "4h", "--promote"});
        ASSERT_EQ(t.exit_code, 0) << t.err;
    }
    auto list = ws.registry();
    EXPECT_EQ(status_of(list, 1), "archived");
    EXPECT_EQ(status_of(list, 2), "production");
    const auto p2 = ws.run({"predict", "--symbol", "BTC/USDT"});
    ASSERT_EQ(p2.exit_code, 0) << p2.err;
    EXPECT_NE(p2.out.find("v2 (production)"), std::string::npos) << p2.out;
    EXPECT_NE(p2.out.find("decision:"), std::string::npos);
    EXPECT_NE(p2.out.find("top contributions"), std::string::npos);
    const auto rb = ws.run({"registry", "rollback", "gbdt-BTCUSDT-4h"});
    ASSERT_EQ(rb.exit_code, 0) << rb.err;
    list = ws.registry();
    EXPECT_EQ(status_of(list, 1), "production");
    EXPECT_EQ(status_of(list, 2), "archived");
    const auto p1 = ws.run({"--json", "predict", "--symbol", "BTC/USDT"});
    ASSERT_EQ(p1.exit_code, 0) << p1.err;
    const auto j = nlohmann::json::parse(p1.out);
    EXPECT_NE(j.at("model").get<std::string>().find("v1"), std::string::npos);
    EXPECT_GE(j.at("p_up").get<double>(), 0.0);
    EXPECT_LE(j.at("p_up").get<double>(), 1.0);
    // Nothing earlier to roll back to now: a clear error, nothing changed.
    const auto before = ws.snapshot();
    const auto again = ws.run({"registry", "rollback", "gbdt-BTCUSDT-4h"});
    EXPECT_EQ(again.exit_code, 2);
    EXPECT_EQ(before, ws.snapshot());
    // Promote v2 again through the registry command (it passed gating).
    const auto pr = ws.run({"registry", "promote", "gbdt-BTCUSDT-4h", "--version", "2"});
    EXPECT_EQ(pr.exit_code, 0) << pr.err;
    EXPECT_EQ(status_of(ws.registry(), 2), "production");
    const auto show = ws.run({"registry", "show", "gbdt-BTCUSDT-4h"});
    EXPECT_NE(show.out.find("rollback"), std::string::npos) << show.out;
}

TEST(ModelsCli, bad_inputs_exit_2_and_leave_the_registry_unchanged) {
    Workspace ws;
    ws.synth(false);
    ws.config(true);
    ASSERT_EQ(ws.run({"train", "--model", "gbdt", "--symbols", "BTC/USDT", "--timeframe", "4h"}).exit_code, 0);
    const auto before = ws.snapshot();

    auto expect_bad = [&](std::vector<std::string> args, const std::string& needle) {
        const auto r = ws.run(args);
        EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
        EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
        EXPECT_EQ(before, ws.snapshot());
    };
    expect_bad({"train", "--model", "forest", "--symbols", "BTC/USDT"}, "forest");
    expect_bad({"train", "--symbols", "DOGE/USDT", "--timeframe", "4h"}, "DOGE/USDT");
    expect_bad({"predict", "--symbol", "ETH/USDT"}, "no production model");
    expect_bad({"registry", "show", "nope"}, "no model named 'nope'");
    expect_bad({"registry", "promote", "gbdt-BTCUSDT-4h", "--version", "x"}, "--version");

    // Too little data for the folds.
    aurum::test::write_text(ws.dir.path() / "config" / "models.yaml",
                            "walkforward: {folds: 40, min_train_rows: 500, min_test_rows: 200}\n");
    expect_bad({"train", "--model", "gbdt", "--symbols", "BTC/USDT", "--timeframe", "4h"}, "too little data");
    ws.config(true);

    // A bad config key names the file and key.
    aurum::test::write_text(ws.dir.path() / "config" / "models.yaml", "policy: {treshold: 0.7}\n");
    expect_bad({"train", "--model", "gbdt", "--symbols", "BTC/USDT", "--timeframe", "4h"}, "treshold");
    ws.config(true);

    // Feature-set mismatch: the current set differs from the one the model was trained on.
    std::string yaml = aurum::FeatureConfig::default_yaml();
    const std::string from = "{indicator: rsi, period: 7}";
    ASSERT_NE(yaml.find(from), std::string::npos);
    yaml.replace(yaml.find(from), from.size(), "{indicator: rsi, period: 9}");
    aurum::test::write_text(ws.dir.path() / "config" / "features.yaml", yaml);
    expect_bad({"predict", "--model", "latest", "--symbol", "BTC/USDT"}, "feature set");
    fs::remove(ws.dir.path() / "config" / "features.yaml");

    // Corrupt and missing model files.
    const fs::path model = ws.dir.path() / "models/registry/gbdt-BTCUSDT-4h/v1/model/model.ubj";
    ASSERT_TRUE(fs::exists(model));
    const std::string good = aurum::read_file(model);
    aurum::test::write_text(model, "corrupted bytes");
    const auto snap = ws.snapshot();
    {
        const auto r = ws.run({"predict", "--model", "latest", "--symbol", "BTC/USDT"});
        EXPECT_EQ(r.exit_code, 2);
        EXPECT_NE(r.err.find("corrupt model file"), std::string::npos) << r.err;
        EXPECT_EQ(snap, ws.snapshot());
    }
    fs::remove(model);
    {
        const auto r = ws.run({"predict", "--model", "latest", "--symbol", "BTC/USDT"});
        EXPECT_EQ(r.exit_code, 2);
        EXPECT_NE(r.err.find("model.ubj"), std::string::npos) << r.err;
    }
    aurum::test::write_text(model, good);
    EXPECT_EQ(ws.run({"predict", "--model", "latest", "--symbol", "BTC/USDT"}).exit_code, 0);
}

TEST(ModelsCli, help_lists_the_commands) {
    for (const auto& cmd : {"train", "walkforward", "predict", "registry"}) {
        const auto r = run_aurum({cmd, "--help"});
        EXPECT_EQ(r.exit_code, 0) << cmd;
        EXPECT_NE(r.out.find("--"), std::string::npos);
    }
}

// Issue 19.14: `make build-labels` stores triple-barrier labels (LABEL_METHOD) and `make train`
// used to ignore them, training on models.yaml's fixed 6-bar labels; and the experiment summary
// it points to showed only the last of the models it trained. Run through the Makefile itself
// (`-o build`: the binary under test is not rebuilt).
TEST(ModelsCli, make_train_trains_on_the_built_labels_and_its_summary_lists_every_model) {
    Workspace ws;
    for (const char* sym : {"BTC/USDT", "ETH/USDT"}) {
        const auto r = ws.run({"data", "synth", "--symbols", sym, "--timeframe", "4h", "--days",
                               "320", "--seed", "5"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    ws.config(true); // models.yaml says fixed labels, horizon 6
    const auto m = aurum::test::run_command(
        {"make", "-s", "-C", AURUM_SOURCE_DIR, "-o", "build", "build-labels", "train",
         "HOME_DIR=" + ws.home(), std::string("AURUM=") + AURUM_CLI,
         "TRAIN_SETS=BTC/USDT:4h ETH/USDT:4h"});
    ASSERT_EQ(m.exit_code, 0) << m.out << m.err;
    const auto list = ws.registry();
    ASSERT_EQ(list.size(), 2u) << list.dump();
    for (const auto& rec : list) {
        const std::string spec = rec.at("label_spec");
        // `labels build --method triple-barrier`'s own parameters (horizon 24), not models.yaml's.
        EXPECT_EQ(spec.rfind("triple-barrier:horizon=24;", 0), 0u) << spec;
    }
    const std::string text =
        aurum::read_file(ws.dir.path() / "reports/experiments/latest/summary.txt");
    EXPECT_NE(text.find("(2 models)"), std::string::npos) << text;
    for (const char* name : {"gbdt-BTCUSDT-4h", "gbdt-ETHUSDT-4h"}) {
        EXPECT_NE(text.find(name), std::string::npos) << name << "\n" << text;
        EXPECT_NE(text.find(std::string("Registry     : ") + name), std::string::npos) << text;
    }
    EXPECT_NE(text.find("stored by `aurum labels build`"), std::string::npos) << text;
}

// The label method and the experiment group are checked before anything is trained or written;
// without a stored set, the method's labels are computed with models.yaml's parameters.
TEST(ModelsCli, train_labels_and_experiment_flags) {
    Workspace ws;
    ws.synth(false);
    ws.config(true);
    const auto before = ws.snapshot();
    const auto bad = ws.run({"train", "--symbols", "BTC/USDT", "--labels", "meta"});
    EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
    EXPECT_NE(bad.err.find("--labels"), std::string::npos) << bad.err;
    const auto dir = ws.run({"train", "--symbols", "BTC/USDT", "--experiment", "../elsewhere"});
    EXPECT_EQ(dir.exit_code, 2) << dir.out << dir.err;
    EXPECT_NE(dir.err.find("--experiment '../elsewhere'"), std::string::npos) << dir.err;
    EXPECT_EQ(before, ws.snapshot());
    EXPECT_FALSE(fs::exists(ws.dir.path() / "reports" / "experiments"));

    const auto t = ws.run({"--json", "train", "--symbols", "BTC/USDT", "--labels", "triple-barrier"});
    ASSERT_EQ(t.exit_code, 0) << t.err;
    const auto list = ws.registry();
    ASSERT_EQ(list.size(), 1u);
    const std::string spec = list[0].at("label_spec");
    EXPECT_EQ(spec.rfind("triple-barrier:horizon=6;", 0), 0u) << spec; // models.yaml's horizon
}
