// The tactical PPO agent: bit-identical reruns, learning a market with a known edge (and gated
// through), finding nothing in noise (gated out), TensorBoard/CSV logs, checkpoints that restore
// the same policy, and config errors that name the key.
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "rl/rl_training.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

/// A small, fast run: 4 environments x 128 steps, a one-layer net of 16 units.
RlConfig tiny_config(const std::string& shape, int updates, int ppo_seed = 3, int market_seed = 7) {
    return RlConfig::parse(fmt::format(R"(name: test-agent
market: {{shape: {}, momentum: 0.5, days: 500, seed: {}, test_fraction: 0.3}}
agent: {{episode_bars: 128, envs: 4, rollout_steps: 128, updates: {}}}
ppo: {{hidden: 16, layers: 1, lr: 0.003, epochs: 4, minibatch: 128, seed: {}}}
)",
                                       shape, market_seed, updates, ppo_seed),
                           "test rl.yaml");
}

RlTrainResult train(const RlConfig& c, const std::filesystem::path& runs,
                    ModelRegistry* registry = nullptr) {
    RlTrainOptions o;
    o.runs_root = runs;
    o.run = "run";
    o.env = default_env_config();
    o.registry = registry;
    return train_rl(c, o);
}

std::vector<std::string> lines_of(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);)
        out.push_back(l);
    return out;
}

void expect_same_trades(const std::vector<Trade>& a, const std::vector<Trade>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].entry_time, b[i].entry_time) << i;
        EXPECT_EQ(a[i].exit_time, b[i].exit_time) << i;
        EXPECT_EQ(a[i].qty, b[i].qty) << i;
        EXPECT_EQ(a[i].entry_price, b[i].entry_price) << i;
        EXPECT_EQ(a[i].net_pnl(), b[i].net_pnl()) << i;
    }
}

bool rule_failed(const GatingVerdict& v, const std::string& name_part) {
    for (const GatingRule& r : v.rules)
        if (r.name.find(name_part) != std::string::npos && !r.passed)
            return true;
    return false;
}

} // namespace

TEST(Ppo, SameSeedAndConfigGiveBitIdenticalParametersAndTrades) {
    const test::TempDir dir;
    const RlTrainResult a = train(tiny_config("momentum", 4), dir / "a");
    const RlTrainResult b = train(tiny_config("momentum", 4), dir / "b");
    EXPECT_EQ(a.parameter_hash, b.parameter_hash);
    ASSERT_EQ(a.updates.size(), 4u);
    for (std::size_t u = 0; u < a.updates.size(); ++u) {
        EXPECT_EQ(a.updates[u].reward, b.updates[u].reward) << u;
        EXPECT_EQ(a.updates[u].stats.approx_kl, b.updates[u].stats.approx_kl) << u;
    }
    ASSERT_FALSE(a.evaluation.episodes[0].result.trades.empty());
    expect_same_trades(a.evaluation.episodes[0].result.trades,
                       b.evaluation.episodes[0].result.trades);
    EXPECT_EQ(a.evaluation.episodes[0].metrics.final_equity,
              b.evaluation.episodes[0].metrics.final_equity);
    // The hash sees the seed: another PPO seed trains other parameters.
    const RlTrainResult c = train(tiny_config("momentum", 4, 4), dir / "c");
    EXPECT_NE(a.parameter_hash, c.parameter_hash);
}

TEST(Ppo, LearnsAKnownEdgeAndBeatsBuyAndHoldOutOfSample) {
    // Three (market, PPO) seed pairs: learning is a property of the method, not of one seed.
    for (int seed : {3, 4, 5}) {
        SCOPED_TRACE(fmt::format("seed {}", seed));
        const test::TempDir dir;
        const RlTrainResult r = train(tiny_config("momentum", 30, seed, seed + 4), dir.path());
        ASSERT_EQ(r.evaluation.episodes.size(), 1u);
        const EpisodeReport& e = r.evaluation.episodes[0];
        EXPECT_GT(e.metrics.total_return, e.buy_hold_return);
        EXPECT_GT(e.metrics.total_return, 0.0);
        EXPECT_GT(e.metrics.sharpe, e.buy_hold_sharpe);
        EXPECT_GT(e.t_stat, 2.0);
        EXPECT_TRUE(r.evaluation.gate.passed) << r.evaluation.gate.failures();
        // It learned: the policy sharpened (entropy fell from log 3) and the reward rose.
        EXPECT_LT(r.updates.back().stats.entropy, 0.9 * r.updates.front().stats.entropy);
        double first = 0, last = 0;
        for (std::size_t u = 0; u < 5; ++u)
            first += r.updates[u].reward;
        for (std::size_t u = r.updates.size() - 5; u < r.updates.size(); ++u)
            last += r.updates[u].reward;
        EXPECT_GT(last, first);
    }
}

TEST(Ppo, FindsNoEdgeInNoiseAndTheGateRefuses) {
    for (int seed : {3, 4, 5}) {
        SCOPED_TRACE(fmt::format("seed {}", seed));
        const test::TempDir dir;
        const RlTrainResult r = train(tiny_config("noise", 30, seed, seed + 4), dir.path());
        EXPECT_FALSE(r.evaluation.gate.passed);
        EXPECT_TRUE(rule_failed(r.evaluation.gate, "t-stat")) << r.evaluation.gate.failures();
        EXPECT_LT(r.evaluation.episodes[0].t_stat, 2.0);
    }
}

TEST(Ppo, TrainingWritesTensorBoardEventsAndTheCsvMirror) {
    const test::TempDir dir;
    const RlTrainResult r = train(tiny_config("momentum", 3), dir.path());
    EXPECT_EQ(r.run_dir, dir / "run");
    int events = 0;
    for (const auto& e : std::filesystem::directory_iterator(r.run_dir))
        events += e.path().filename().string().starts_with("events.out.tfevents.") ? 1 : 0;
    EXPECT_EQ(events, 1);
    const auto metrics = lines_of(r.run_dir / "metrics.csv");
    ASSERT_EQ(metrics.size(), 4u); // header + one row per update
    EXPECT_TRUE(metrics[0].starts_with("update,env_steps,reward,reward_market,reward_fees"));
    EXPECT_TRUE(metrics[3].starts_with("3,1536,")) << metrics[3];
    std::set<std::string> tags;
    for (const auto& l : lines_of(r.run_dir / "scalars.csv")) {
        const auto a = l.find(','), b = l.find(',', a + 1), c = l.find(',', b + 1);
        if (a != std::string::npos && c != std::string::npos)
            tags.insert(l.substr(b + 1, c - b - 1));
    }
    for (const char* want :
         {"tactical/reward", "tactical/reward/market", "tactical/reward/fees",
          "tactical/episode_length", "tactical/value_estimate", "tactical/policy_entropy",
          "tactical/approx_kl", "tactical/clip_fraction", "tactical/shield_interventions"})
        EXPECT_TRUE(tags.count(want)) << want;
    // The reward components add up.
    for (const PpoUpdateReport& u : r.updates)
        EXPECT_NEAR(u.reward, u.reward_market + u.reward_fees, 1e-12);
    EXPECT_LT(r.updates[0].reward_fees, 0.0);
}

TEST(Ppo, RegisteredCheckpointRestoresTheSamePolicy) {
    const test::TempDir dir;
    ModelRegistry registry(dir / "registry", nullptr);
    const RlConfig config = tiny_config("momentum", 3);
    const RlTrainResult r = train(config, dir / "runs", &registry);
    ASSERT_TRUE(r.record);
    EXPECT_EQ(r.record->kind, "rl");
    EXPECT_EQ(r.record->name, "test-agent");
    const ModelRecord rec = registry.get("test-agent");
    EXPECT_EQ(rec.gating_passed(), r.evaluation.gate.passed);
    PolicyAgent agent = PolicyAgent::load(rec.dir / "model");
    EXPECT_EQ(agent.net().parameter_hash(), r.parameter_hash);
    const RlConfig stored = stored_rl_config(rec);
    const RlEvaluation again =
        evaluate_agent(agent, nullptr, build_training_market(stored), stored, default_env_config());
    expect_same_trades(again.episodes[0].result.trades, r.evaluation.episodes[0].result.trades);
}

TEST(RlConfigFile, ShippedDefaultParses) {
    const RlConfig c = RlConfig::parse(default_rl_yaml(), "config/rl.yaml");
    EXPECT_EQ(c.name, "rl-tactical");
    EXPECT_EQ(c.agent.action_levels.size(), 3u);
    EXPECT_EQ(c.market.shape, MarketShape::Regimes);
}

TEST(RlConfigFile, BadKeysAndValuesNameTheKeyAndLine) {
    const auto message = [](const std::string& yaml) {
        try {
            (void)RlConfig::parse(yaml, "rl.yaml");
        } catch (const InputError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    std::string m = message("agent:\n  envz: 4\n");
    EXPECT_NE(m.find("rl.yaml:2"), std::string::npos) << m;
    EXPECT_NE(m.find("envz"), std::string::npos) << m;
    m = message("ppo:\n  clip: 5\n");
    EXPECT_NE(m.find("ppo.clip"), std::string::npos) << m;
    m = message("agent:\n  action_levels: [0, -0.5]\n");
    EXPECT_NE(m.find("agent.action_levels"), std::string::npos) << m;
    m = message("agent:\n  level: executive\n");
    EXPECT_NE(m.find("expected tactical, strategic or execution"), std::string::npos) << m;
    m = message("agent:\n  level: execution\n  action_levels: [0, 800]\n");
    EXPECT_NE(m.find("limit offset in bps in [0, 500]"), std::string::npos) << m;
    m = message("agent:\n  level: strategic\n  strategic_model: rl-strategic\n");
    EXPECT_NE(m.find("agent.strategic_model"), std::string::npos) << m;
    EXPECT_NE(m.find("only for level: execution"), std::string::npos) << m;
    m = message("agent:\n  level: execution\n  strategic_model: s\n  tactical_model: t\n");
    EXPECT_NE(m.find("not both"), std::string::npos) << m;
    m = message("agent:\n  tactical_model: rl-tactical\n");
    EXPECT_NE(m.find("only for level: strategic or execution"), std::string::npos) << m;
    EXPECT_EQ(RlConfig::parse("agent:\n  level: execution\n", "rl.yaml").agent.action_levels,
              (std::vector<double>{0, 5, 10, 25}));
    m = message("agent:\n  cadence: 6\n");
    EXPECT_NE(m.find("only for level: strategic"), std::string::npos) << m;
    m = message("agent:\n  level: strategic\n  cadence: 5\n");
    EXPECT_NE(m.find("agent.cadence"), std::string::npos) << m;
    m = message("market:\n  shape: trending\n");
    EXPECT_NE(m.find("market.shape"), std::string::npos) << m;
    m = message("market:\n  days: 70\nagent:\n  episode_bars: 5000\n");
    EXPECT_NE(m.find("agent.episode_bars"), std::string::npos) << m;
}
