// `aurum rl train|evaluate|simulate|safety`: seed-style figures; a bad flag or config exits 2
// naming the value or key and writes nothing; the safety suite exits 1 on a FAIL.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.hpp"

using namespace aurum;

TEST(RlCli, SimulatePrintsTheFigures) {
    const test::TempDir home;
    const auto r = test::run_aurum({"--home", home.path().string(), "rl", "simulate",
                                    "--scenario", "flash-crash", "--days", "200"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* want : {"Scenario flash-crash", "Return", "buy-and-hold", "Sharpe",
                             "Max drawdown", "Shield", "interventions"})
        EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
}

TEST(RlCli, SimulateJsonHoldsEveryDecision) {
    const test::TempDir home;
    const auto r = test::run_aurum({"--home", home.path().string(), "rl", "simulate", "--scenario",
                                    "bull", "--days", "200", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    const std::size_t n = j.at("decisions");
    ASSERT_GT(n, 0U);
    for (const char* k : {"time", "close", "regime", "target", "position", "equity"})
        EXPECT_EQ(j.at("series").at(k).size(), n) << k;
    EXPECT_FALSE(j.contains("hierarchy")); // the baseline has no levels
    EXPECT_EQ(j.at("shield").at("interventions").get<std::uint64_t>(),
              j["shield"]["invalid"].get<std::uint64_t>() +
                  j["shield"]["denied"].get<std::uint64_t>() +
                  j["shield"]["reduced"].get<std::uint64_t>() +
                  j["shield"]["breaker_closes"].get<std::uint64_t>());
    // The baseline's rule: bull -> 100 %, ranging -> 50 %, else flat.
    for (std::size_t i = 0; i < n; ++i) {
        const std::string g = j["series"]["regime"][i];
        const double t = j["series"]["target"][i];
        EXPECT_EQ(t, g == "bull" ? 1.0 : g == "ranging" ? 0.5 : 0.0) << i << " " << g;
    }
}

TEST(RlCli, BadFlagsExitTwoNamingTheValue) {
    const test::TempDir home;
    auto r = test::run_aurum({"--home", home.path().string(), "rl", "simulate", "--scenario",
                              "sideways"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("'sideways'"), std::string::npos) << r.err;
    r = test::run_aurum({"--home", home.path().string(), "rl", "simulate", "--scenario", "bull",
                         "--days", "5"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--days 5"), std::string::npos) << r.err;
    // Nothing but the command log is written.
    for (const auto& e : std::filesystem::directory_iterator(home.path()))
        EXPECT_EQ(e.path().filename(), "logs") << e.path();
}

namespace {

/// A small config (momentum market: a known edge) in <home>/config/rl.yaml.
void write_config(const std::filesystem::path& home, const std::string& extra = "") {
    std::filesystem::create_directories(home / "config");
    std::ofstream(home / "config" / "rl.yaml")
        << "name: cli-agent\n"
           "market: {shape: momentum, momentum: 0.5, days: 500, seed: 7}\n"
           "agent: {episode_bars: 128, envs: 4, rollout_steps: 128, updates: 30}\n"
           "ppo: {hidden: 16, layers: 1, lr: 0.003, minibatch: 128, seed: 3}\n"
        << extra;
}

bool contains(const std::string& text, const std::string& want) {
    return text.find(want) != std::string::npos;
}

} // namespace

TEST(RlCli, TrainEvaluateSimulateAndSafetyWithATrainedAgent) {
    const test::TempDir home;
    write_config(home.path());
    const std::string h = home.path().string();
    auto r = test::run_aurum({"--home", h, "rl", "train", "--run", "cli"});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    for (const char* want : {"Training cli-agent", "update   30/30", "TensorBoard:",
                             "Out of sample BTC/USDT", "buy-and-hold", "Gate: PASSED",
                             "Registered cli-agent v1 (kind rl"})
        EXPECT_TRUE(contains(r.out, want)) << want << "\n" << r.out;
    EXPECT_TRUE(std::filesystem::exists(home / "runs/cli/metrics.csv"));
    EXPECT_TRUE(std::filesystem::exists(home / "models/registry/cli-agent/v1/model/policy.pt"));

    r = test::run_aurum({"--home", h, "rl", "evaluate", "--model", "cli-agent"});
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_TRUE(contains(r.out, "Gate: PASSED")) << r.out;
    r = test::run_aurum({"--home", h, "registry", "list"});
    EXPECT_TRUE(contains(r.out, "cli-agent")) << r.out;

    r = test::run_aurum({"--home", h, "rl", "simulate", "--scenario", "bear", "--days", "200",
                         "--model", "cli-agent", "--report"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "Policy: cli-agent v1 (tactical PPO agent")) << r.out;
    EXPECT_TRUE(contains(r.out, "Max drawdown")) << r.out;
    EXPECT_TRUE(contains(r.out, "Actions         target 0 %")) << r.out;
    EXPECT_TRUE(std::filesystem::exists(home / "reports/rl/bear-cli-agent-v1-seed42.html"));

    r = test::run_aurum({"--home", h, "rl", "safety", "--model", "cli-agent", "--days", "200"});
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_TRUE(contains(r.out, "PASS: Never exceeded 25% position size")) << r.out;
    for (const char* want : {"bull", "bear", "flash-crash", "ranging"})
        EXPECT_TRUE(contains(r.out, want)) << want;

    // The strategic level over the registered tactical agent: the hierarchy trains, registers,
    // and simulates as one policy.
    std::ofstream(home / "strategic.yaml")
        << "name: cli-strategic\n"
           "market: {shape: trend, days: 730, seed: 9}\n"
           "agent: {level: strategic, tactical_model: cli-agent, cadence: 6, episode_bars: 120,\n"
           "        envs: 4, rollout_steps: 20, updates: 3, action_levels: [0.0, 0.25]}\n"
           "ppo: {hidden: 16, layers: 1, minibatch: 80}\n";
    r = test::run_aurum({"--home", h, "rl", "train", "--config", (home / "strategic.yaml").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_TRUE(contains(r.out, "(strategic agent, PPO, every 6 bars, over cli-agent v1)")) << r.out;
    EXPECT_TRUE(contains(r.out, "Registered cli-strategic v1")) << r.out;
    r = test::run_aurum({"--home", h, "rl", "simulate", "--scenario", "bull", "--days", "200",
                         "--model", "cli-strategic"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "cli-strategic v1 (strategic PPO agent over cli-agent v1")) << r.out;
    // --json: every decision's allocation and tactical level; target = allocation x level / max.
    r = test::run_aurum({"--home", h, "rl", "simulate", "--scenario", "bull", "--days", "200",
                         "--model", "cli-strategic", "--json", "--report"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    {
        const auto j = nlohmann::json::parse(r.out);
        EXPECT_TRUE(std::filesystem::exists(j.at("report").get<std::string>())) << r.out;
        const auto& hier = j.at("hierarchy");
        const auto& target = j.at("series").at("target");
        ASSERT_EQ(target.size(), j.at("decisions").get<std::size_t>());
        ASSERT_EQ(hier.at("allocation").size(), target.size());
        EXPECT_EQ(hier.at("cadence"), 6);
        EXPECT_DOUBLE_EQ(hier.at("max_level").get<double>(), 0.25);
        for (std::size_t i = 0; i < target.size(); ++i) {
            const double a = hier["allocation"][i], l = hier["tactical_level"][i];
            EXPECT_DOUBLE_EQ(target[i].get<double>(), a * l / 0.25) << i;
            if (i % 6 != 0) {
                EXPECT_EQ(a, hier["allocation"][i - 1].get<double>()) << i;
            }
        }
    }
    r = test::run_aurum({"--home", h, "rl", "safety", "--model", "cli-strategic", "--days", "200"});
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_TRUE(contains(r.out, "PASS: Never exceeded 25% position size")) << r.out;
    // The execution level under the tactical agent: one decision per parent order, market or
    // a limit, each shown in the simulation's decisions.
    std::ofstream(home / "execution.yaml")
        << "name: cli-execution\n"
           "market: {shape: regimes, days: 730, seed: 9}\n"
           "agent: {level: execution, tactical_model: cli-agent, action_levels: [0, 10, 25],\n"
           "        envs: 4, rollout_steps: 32, updates: 3}\n"
           "ppo: {hidden: 16, layers: 1, minibatch: 64}\n";
    r = test::run_aurum(
        {"--home", h, "rl", "train", "--config", (home / "execution.yaml").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_TRUE(contains(r.out, "(execution agent, PPO, each parent order, under cli-agent v1)"))
        << r.out;
    EXPECT_TRUE(contains(r.out, "bps (all at market")) << r.out;
    r = test::run_aurum({"--home", h, "rl", "simulate", "--scenario", "bull", "--days", "200",
                         "--model", "cli-execution", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    {
        const auto j = nlohmann::json::parse(r.out);
        const auto& bps = j.at("series").at("limit_bps");
        ASSERT_EQ(bps.size(), j.at("decisions").get<std::size_t>());
        std::size_t orders = 0, limits = 0;
        for (const auto& b : bps) {
            orders += b.get<double>() >= 0 ? 1 : 0;
            limits += b.get<double>() > 0 ? 1 : 0;
        }
        const auto& x = j.at("execution");
        EXPECT_GT(x.at("parent_orders").get<std::size_t>(), 0u) << r.out;
        EXPECT_LE(x.at("parent_orders").get<std::size_t>(), orders);
        EXPECT_LE(x.at("limit_orders").get<std::size_t>(), limits);
        EXPECT_LE(x.at("forced_fills").get<std::size_t>(), x.at("limit_orders").get<std::size_t>());
    }
    // All three levels in one policy: the execution agent under the strategic agent over its
    // tactical agent; each decision's allocation, tactical level and execution choice.
    std::ofstream(home / "three.yaml")
        << "name: cli-three\n"
           "market: {shape: regimes, days: 730, seed: 9}\n"
           "agent: {level: execution, strategic_model: cli-strategic, action_levels: [0, 10],\n"
           "        envs: 4, rollout_steps: 32, updates: 3}\n"
           "ppo: {hidden: 16, layers: 1, minibatch: 64}\n";
    r = test::run_aurum({"--home", h, "rl", "train", "--config", (home / "three.yaml").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_TRUE(contains(r.out, "each parent order, under cli-strategic v1")) << r.out;
    r = test::run_aurum({"--home", h, "rl", "simulate", "--scenario", "bull", "--days", "200",
                         "--model", "cli-three", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    {
        const auto j = nlohmann::json::parse(r.out);
        EXPECT_TRUE(contains(j.at("policy").get<std::string>(),
                             "under cli-strategic v1 over cli-agent v1"))
            << j.at("policy");
        const auto& hier = j.at("hierarchy");
        const auto& target = j.at("series").at("target");
        const auto& bps = j.at("series").at("limit_bps");
        ASSERT_EQ(hier.at("allocation").size(), target.size());
        EXPECT_EQ(hier.at("cadence"), 6);
        for (std::size_t i = 0; i < target.size(); ++i) {
            const double a = hier["allocation"][i], l = hier["tactical_level"][i];
            EXPECT_DOUBLE_EQ(target[i].get<double>(), a * l / 0.25) << i;
            EXPECT_TRUE(bps[i] == -1.0 || bps[i] == 0.0 || bps[i] == 10.0) << i;
        }
    }
    std::ofstream(home / "bad-three.yaml")
        << "agent: {level: execution, strategic_model: cli-agent}\n";
    r = test::run_aurum({"--home", h, "rl", "train", "--config", (home / "bad-three.yaml").string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "not a (single-asset) strategic agent")) << r.err;
    std::ofstream(home / "bad-exec.yaml") << "agent: {level: execution, tactical_model: nope}\n";
    r = test::run_aurum({"--home", h, "rl", "train", "--config", (home / "bad-exec.yaml").string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "nope")) << r.err;

    // A strategic agent over a model that is not a tactical agent: exit 2 naming it.
    std::ofstream(home / "bad.yaml") << "agent: {level: strategic, tactical_model: cli-strategic}\n";
    r = test::run_aurum({"--home", h, "rl", "train", "--config", (home / "bad.yaml").string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "not a tactical agent")) << r.err;

    // A run directory is never reused: exit 2 naming it, nothing registered.
    r = test::run_aurum({"--home", h, "rl", "train", "--run", "cli"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "--run cli")) << r.err;
    EXPECT_FALSE(std::filesystem::exists(home / "models/registry/cli-agent/v2"));

    // Not an rl model / no such model: exit 2 naming it.
    r = test::run_aurum({"--home", h, "rl", "evaluate", "--model", "nope"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "nope")) << r.err;
}

TEST(RlCli, BadConfigExitsTwoNamingTheKeyAndWritesNothing) {
    const test::TempDir home;
    write_config(home.path(), "gating: {min_t_stat: 2, beat_buy_and_hold: true}\n");
    const auto r = test::run_aurum({"--home", home.path().string(), "rl", "train"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "rl.yaml:5")) << r.err;
    EXPECT_TRUE(contains(r.err, "beat_buy_and_hold")) << r.err;
    EXPECT_FALSE(std::filesystem::exists(home / "runs"));
    EXPECT_FALSE(std::filesystem::exists(home / "models"));
    const auto missing = test::run_aurum({"--home", home.path().string(), "rl", "train",
                                          "--config", (home / "absent.yaml").string()});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_TRUE(contains(missing.err, "absent.yaml")) << missing.err;
}

TEST(RlCli, SafetyFailsAndExitsOneWhenTheAccountAllowsLargerPositions) {
    const test::TempDir home;
    std::filesystem::create_directories(home / "config");
    std::ofstream(home / "config" / "risk.yaml")
        << "risk:\n  max_position: 0.5\n  max_correlated_exposure: 1.0\n";
    const auto r = test::run_aurum({"--home", home.path().string(), "rl", "safety", "--days",
                                    "200"});
    EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
    EXPECT_TRUE(contains(r.out, "FAIL: Exceeded 25% position size")) << r.out;
    EXPECT_TRUE(contains(r.out, "WARN: Only captured")) << r.out;
    const auto js = test::run_aurum({"--home", home.path().string(), "rl", "safety", "--days",
                                     "200", "--json"});
    EXPECT_EQ(js.exit_code, 1);
    const auto j = nlohmann::json::parse(js.out);
    EXPECT_FALSE(j.at("passed").get<bool>());
    EXPECT_EQ(j.at("checks").at(0).at("level"), "FAIL");
    EXPECT_EQ(j.at("scenarios").size(), 4u);
}

TEST(RlCli, TrainsEvaluatesAndSimulatesOnTheStoresRealBtcBars) {
    AURUM_REQUIRE_SHARED_DATA(csv, "crypto/binance/BTCUSDT_4h.csv");
    const test::TempDir home;
    const std::string h = home.path().string();
    auto r = test::run_aurum({"--home", h, "data", "import", "--symbol", "BTC/USDT",
                              "--timeframe", "4h", csv.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::filesystem::create_directories(home / "config");
    std::ofstream(home / "config" / "rl.yaml")
        << "name: btc-agent\n"
           "market: {source: store, symbols: [BTC/USDT], timeframe: 4h, from: 2021-01-01, "
           "to: 2024-01-01}\n"
           "agent: {episode_bars: 128, envs: 4, rollout_steps: 64, updates: 4}\n"
           "ppo: {hidden: 16, layers: 1, minibatch: 128}\n";
    r = test::run_aurum({"--home", h, "rl", "train", "--run", "btc"});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_TRUE(contains(r.out, "on the store's BTC/USDT 4h bars")) << r.out;
    // The out-of-sample window is the last 30 % of 2021-2023 (the store's bars, not synthetic).
    EXPECT_TRUE(contains(r.out, "Out of sample BTC/USDT")) << r.out;
    EXPECT_TRUE(contains(r.out, "to 2023-12-31 20:00:00")) << r.out;
    r = test::run_aurum({"--home", h, "rl", "evaluate", "--model", "btc-agent"});
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err; // the gate decides
    EXPECT_TRUE(contains(r.out, "Gate: ")) << r.out;

    // Named windows of real history: BTC fell about 64 % in 2022 and rose about 70 % in 2023 Q1;
    // the shield caps the agent's entries at 25 % there as everywhere.
    r = test::run_aurum({"--home", h, "rl", "simulate", "--scenario", "bear-2022"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "Scenario bear-2022 (BTC/USDT 4h from the store)")) << r.out;
    EXPECT_TRUE(contains(r.out, "2022-01-01 00:00:00 to 2022-12-31 20:00:00")) << r.out;
    EXPECT_TRUE(contains(r.out, "(buy-and-hold -6")) << r.out;
    r = test::run_aurum({"--home", h, "rl", "simulate", "--scenario", "2023-01-01..2023-04-01",
                         "--model", "btc-agent", "--report"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "(buy-and-hold +7")) << r.out;
    EXPECT_TRUE(contains(r.out, "largest entry 25.")) << r.out;
    EXPECT_TRUE(std::filesystem::exists(home / "reports/rl/2023-01-01..2023-04-01-btc-agent-v1.html"));
    r = test::run_aurum({"--home", h, "rl", "simulate", "--scenario", "2023-05-01..2023-01-01"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "2023-05-01..2023-01-01")) << r.err;

    // A symbol the store does not hold: exit 2 naming it.
    std::ofstream(home / "config" / "rl.yaml")
        << "market: {source: store, symbols: [ETH/USDT], timeframe: 4h}\n";
    r = test::run_aurum({"--home", h, "rl", "train", "--no-register"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "ETH/USDT")) << r.err;
}
