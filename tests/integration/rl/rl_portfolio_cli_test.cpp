// `aurum rl train|evaluate` of a multi-asset strategic agent (agent.portfolio): trains on the
// rotation market, registers kind rl, evaluates out of sample (per-asset lines, the equal-weight
// buy-and-hold); a portfolio config with one symbol exits 2 naming the key and writes nothing;
// the single-asset simulate refuses a portfolio agent with exit 2.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/test_support.hpp"

using namespace aurum;

namespace {

bool contains(const std::string& text, const std::string& want) {
    return text.find(want) != std::string::npos;
}

} // namespace

TEST(RlPortfolioCli, TrainEvaluateAndBadConfigs) {
    const test::TempDir home;
    const std::string h = home.path().string();
    std::ofstream(home / "portfolio.yaml")
        << "name: cli-portfolio\n"
           "market: {shape: rotation, symbols: [BTC/USDT, ETH/USDT], days: 1460, seed: 21}\n"
           "agent: {level: strategic, portfolio: true, cadence: 6, episode_bars: 252, envs: 8,\n"
           "        rollout_steps: 42, updates: 60, action_levels: [0.0, 0.25]}\n"
           "ppo: {hidden: 32, layers: 1, lr: 0.003, minibatch: 112, seed: 1}\n";
    auto r = test::run_aurum(
        {"--home", h, "rl", "train", "--config", (home / "portfolio.yaml").string(), "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j.at("evaluation").size(), 1u); // one account, one episode
    const auto& e = j["evaluation"][0];
    EXPECT_EQ(e.at("symbol"), "portfolio BTC/USDT + ETH/USDT");
    EXPECT_EQ(e.at("buy_hold"), "equal weight");
    ASSERT_EQ(e.at("assets").size(), 2u);
    for (const auto& a : e["assets"])
        EXPECT_LE(a.at("max_entry_exposure").get<double>(), 0.25 * 1.05) << a;
    EXPECT_TRUE(j.at("gating").at("passed").get<bool>()) << j["gating"].dump(2);

    r = test::run_aurum({"--home", h, "rl", "evaluate", "--model", "cli-portfolio"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    for (const char* want : {"Out of sample portfolio BTC/USDT + ETH/USDT", "BTC/USDT position cap",
                             "ETH/USDT position cap", "equal-weight buy-and-hold",
                             "mean allocation", "Gate: PASSED"})
        EXPECT_TRUE(contains(r.out, want)) << want << "\n" << r.out;
    r = test::run_aurum({"--home", h, "registry", "list"});
    EXPECT_TRUE(contains(r.out, "cli-portfolio")) << r.out;

    // The single-asset simulate cannot run a portfolio agent: exit 2 saying so.
    r = test::run_aurum({"--home", h, "rl", "simulate", "--scenario", "bull", "--days", "200",
                         "--model", "cli-portfolio"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "agent.portfolio")) << r.err;

    // A portfolio of one symbol: exit 2 naming the key, no run directory, nothing registered.
    std::ofstream(home / "one.yaml")
        << "name: one\nagent: {level: strategic, portfolio: true}\n";
    r = test::run_aurum({"--home", h, "rl", "train", "--config", (home / "one.yaml").string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "agent.portfolio")) << r.err;
    EXPECT_TRUE(contains(r.err, "one.yaml")) << r.err;
    EXPECT_FALSE(std::filesystem::exists(home / "models/registry/one"));
    // portfolio on the tactical level: refused the same way.
    std::ofstream(home / "tactical.yaml")
        << "market: {symbols: [BTC/USDT, ETH/USDT]}\nagent: {portfolio: true}\n";
    r = test::run_aurum({"--home", h, "rl", "train", "--config", (home / "tactical.yaml").string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "agent.portfolio")) << r.err;
    std::size_t runs = 0;
    for ([[maybe_unused]] const auto& d : std::filesystem::directory_iterator(home / "runs"))
        ++runs;
    EXPECT_EQ(runs, 1u); // only the first training's
}
