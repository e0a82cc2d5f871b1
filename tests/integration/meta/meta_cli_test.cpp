// End to end through the `aurum` binary: Reptile meta-training on the real BTC/USDT, ETH/USDT and
// XAUUSD 4h bars, its held-out report, few-shot adaptation to gold after the meta-training data,
// and bad configs and flags exiting 2 with nothing written.
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "support/test_support.hpp"

using aurum::test::run_aurum;
using aurum::test::parse_json;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> at(const fs::path& home, std::vector<std::string> a) {
    a.insert(a.begin(), {"--home", home.string()});
    return a;
}

/// A small, fast meta-learning config (the shipped one runs longer).
void write_small_config(const fs::path& file) {
    aurum::test::write_text(file, "tasks: {min_window: 120, max_window: 480}\n"
                                  "reptile: {iterations: 40}\n"
                                  "adapt: {steps: 5}\n"
                                  "evaluation: {bootstrap: 100}\n");
}

void expect_interval(const json& g, const std::string& what) {
    EXPECT_LE(g["low"].get<double>(), g["value"].get<double>() + 1e-12) << what;
    EXPECT_GE(g["high"].get<double>(), g["value"].get<double>() - 1e-12) << what;
}

} // namespace

TEST(MetaCli, meta_train_and_adapt_on_real_btc_eth_and_gold) {
    AURUM_REQUIRE_SHARED_DATA(btc, "crypto/binance/BTCUSDT_4h.csv");
    AURUM_REQUIRE_SHARED_DATA(eth, "crypto/binance/ETHUSDT_4h.csv");
    AURUM_REQUIRE_SHARED_DATA(gold, "mt5/XAUUSD_H1_201501020900_202512221100.csv");
    aurum::test::TempDir home;
    const fs::path h = home.path();
    ASSERT_EQ(run_aurum(at(h, {"data", "import", "--symbol", "BTC/USDT", "--timeframe", "4h", btc.string()})).exit_code, 0);
    ASSERT_EQ(run_aurum(at(h, {"data", "import", "--symbol", "ETH/USDT", "--timeframe", "4h", eth.string()})).exit_code, 0);
    ASSERT_EQ(run_aurum(at(h, {"data", "import", "--symbol", "XAUUSD", "--timeframe", "1h", "--format", "mt5", gold.string()})).exit_code, 0);
    ASSERT_EQ(run_aurum(at(h, {"data", "resample", "--symbol", "XAUUSD", "--from-timeframe", "1h", "--to", "4h"})).exit_code, 0);
    write_small_config(h / "meta_small.yaml");

    auto r = run_aurum(at(h, {"--json", "meta", "train", "--config", (h / "meta_small.yaml").string(),
                              "--symbols", "BTC/USDT,ETH/USDT,XAUUSD", "--timeframe", "4h",
                              "--name", "lstm-meta-real"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = parse_json(r);
    ASSERT_EQ(j["folds"].size(), 4u); // new regime windows + each symbol left out
    EXPECT_EQ(j["folds"][0]["name"], "new-regime");
    EXPECT_EQ(j["folds"][3]["name"], "leave-out XAUUSD");
    for (const auto& f : j["folds"]) {
        EXPECT_GT(f["train_tasks"].get<int>(), 20) << f["name"];
        EXPECT_GT(f["test_tasks"].get<int>(), 5) << f["name"];
        for (const char* m : {"meta+adapt", "meta", "joint", "joint+adapt"}) {
            const double ll = f["methods"][m]["logloss"].get<double>();
            EXPECT_GT(ll, 0.3) << m; // real direction labels: no model is near-certain
            EXPECT_LT(ll, 1.5) << m;
        }
        ASSERT_EQ(f["gains"].size(), 4u);
        for (const auto& g : f["gains"])
            for (const char* k : {"logloss", "accuracy", "auc"}) expect_interval(g[k], k);
        const auto split = aurum::parse_time(f["split_time"].get<std::string>());
        ASSERT_TRUE(split);
        for (const auto& t : f["tasks"]) { // held out: after the split, query after the gap
            EXPECT_GE(*aurum::parse_time(t["support_from"].get<std::string>()), *split);
            EXPECT_GE(t["gap"].get<int>(), 1);
        }
    }
    EXPECT_EQ(j["gating"]["rules"].size(), 1u);
    EXPECT_EQ(j["adaptation_used"].get<bool>(), j["gating"]["passed"].get<bool>());
    EXPECT_EQ(j["model"], "lstm-meta-real v1");
    EXPECT_EQ(j["params_hash"].get<std::string>().size(), 16u);
    const fs::path report = j["report"].get<std::string>();
    EXPECT_TRUE(fs::exists(report));
    EXPECT_TRUE(fs::exists(report.parent_path() / "report.txt"));

    r = run_aurum(at(h, {"--json", "registry", "show", "lstm-meta-real"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("lstm-meta"), std::string::npos);

    // The same seed and config give the same parameters, end to end (a tiny run, twice).
    aurum::test::write_text(h / "tiny.yaml", "reptile: {iterations: 20}\n"
                                             "evaluation: {bootstrap: 10, leave_one_symbol_out: false}\n");
    std::string hashes[2];
    for (int k = 0; k < 2; ++k) {
        r = run_aurum(at(h, {"--json", "meta", "train", "--config", (h / "tiny.yaml").string(),
                             "--symbols", "BTC/USDT,XAUUSD", "--name", "tiny"}));
        ASSERT_EQ(r.exit_code, 0) << r.err;
        hashes[k] = parse_json(r)["params_hash"].get<std::string>();
    }
    EXPECT_EQ(hashes[0], hashes[1]);

    // Adapting inside the meta-training data would score on bars it learnt from: refused.
    r = run_aurum(at(h, {"meta", "adapt", "--model", "lstm-meta-real", "--symbol", "XAUUSD",
                         "--since", "2019-01-01"}));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--since 2019-01-01"), std::string::npos) << r.err;

    r = run_aurum(at(h, {"--json", "meta", "adapt", "--model", "lstm-meta-real", "--symbol", "XAUUSD",
                         "--since", "2025-03-03", "--shots", "30"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json a = parse_json(r);
    EXPECT_EQ(a["support"]["rows"], 30);
    const auto support_to = aurum::parse_time(a["support"]["to"].get<std::string>());
    const auto query_from = aurum::parse_time(a["query"]["from"].get<std::string>());
    ASSERT_TRUE(support_to && query_from);
    EXPECT_GE(*aurum::parse_time(a["support"]["from"].get<std::string>()),
              *aurum::parse_time("2025-03-03"));
    EXPECT_GT(*query_from, *support_to);
    EXPECT_GE(a["gap_rows"].get<int>(), 1);
    EXPECT_GE(a["query"]["rows"].get<int>(), 20);
    for (const char* k : {"logloss", "accuracy", "auc"}) expect_interval(a["gain"][k], k);
    EXPECT_EQ(a["adapted_model"], "lstm-meta-real-adapted-XAUUSD v1");
    // Adaptation is used only when the meta model's gating passed and this gain's CI is above 0.
    if (!j["gating"]["passed"].get<bool>()) {
        EXPECT_FALSE(a["adaptation_used"].get<bool>());
    }
}

TEST(MetaCli, bad_config_key_exits_2_naming_it_and_writes_nothing) {
    aurum::test::TempDir home;
    const fs::path h = home.path();
    aurum::test::write_text(h / "bad.yaml", "reptile:\n  iterations: 10\n  inner_lr: 2.5\n");
    auto r = run_aurum(at(h, {"meta", "train", "--config", (h / "bad.yaml").string()}));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("bad.yaml:3"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("reptile.inner_lr"), std::string::npos) << r.err;
    aurum::test::write_text(h / "bad2.yaml", "adapt: {shotz: 5}\n");
    r = run_aurum(at(h, {"meta", "train", "--config", (h / "bad2.yaml").string()}));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("adapt.shotz"), std::string::npos) << r.err;
    r = run_aurum(at(h, {"meta", "train", "--config", (h / "missing.yaml").string()}));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--config"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(h / "reports" / "meta"));
    EXPECT_FALSE(fs::exists(h / "models" / "registry"));
}

TEST(MetaCli, bad_flags_exit_2_naming_the_flag) {
    aurum::test::TempDir home;
    const fs::path h = home.path();
    auto r = run_aurum(at(h, {"meta", "adapt", "--model", "m", "--symbol", "XAUUSD", "--since",
                              "2025-01-01", "--shots", "0"}));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--shots"), std::string::npos) << r.err;
    r = run_aurum(at(h, {"meta", "adapt", "--model", "m", "--symbol", "XAUUSD", "--since", "soon"}));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--since"), std::string::npos) << r.err;
    r = run_aurum(at(h, {"meta", "adapt", "--model", "no-such-model", "--symbol", "XAUUSD",
                         "--since", "2025-01-01"}));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("no-such-model"), std::string::npos) << r.err;
    r = run_aurum(at(h, {"meta", "train", "--timeframe", "7x"}));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("7x"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(h / "reports" / "meta"));
}
