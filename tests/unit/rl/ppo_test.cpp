// The tactical PPO agent: bit-identical reruns, learning a market with a known edge (and gated
// through), finding nothing in noise (gated out), TensorBoard/CSV logs, and config errors that
// name the key.
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "rl/rl_training.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

/// A small, fast run: 4 environments, tiny net.
RlConfig tiny_config(const std::string& shape, int updates) {
    return RlConfig::parse(fmt::format(R"(name: test-agent
market: {{shape: {}, momentum: 0.5, days: 500, seed: 7, test_fraction: 0.3}}
agent: {{episode_bars: 128, envs: 4, rollout_steps: 128, updates: {}}}
ppo: {{hidden: 16, layers: 1, lr: 0.003, epochs: 4, minibatch: 128, seed: 3}}
)",
                                       shape, updates),
                           "test rl.yaml");
}

RlTrainResult train(const RlConfig& c, const std::filesystem::path& runs) {
    RlTrainOptions o;
    o.runs_root = runs;
    o.run = "run";
    o.env = default_env_config();
    return train_rl(c, o);
}

} // namespace

TEST(Ppo, LearnsAKnownEdgeAndTheGatePassesIt) {
    const test::TempDir dir;
    const RlTrainResult r = train(tiny_config("momentum", 30), dir.path());
    ASSERT_EQ(r.evaluation.episodes.size(), 1u);
    const EpisodeReport& e = r.evaluation.episodes[0];
    std::cerr << fmt::format("edge: return {:.4f} bh {:.4f} sharpe {:.2f} bh {:.2f} t {:.2f} trades {} entropy {:.3f}\n",
                             e.metrics.total_return, e.buy_hold_return, e.metrics.sharpe,
                             e.buy_hold_sharpe, e.t_stat, e.metrics.trades,
                             r.updates.back().stats.entropy);
    for (const auto& u : r.updates)
        std::cerr << fmt::format("{} reward {:.6f} ent {:.3f} kl {:.4f} tgt {:.3f}\n", u.update, u.reward, u.stats.entropy, u.stats.approx_kl, u.mean_target);
    EXPECT_TRUE(r.evaluation.gate.passed) << r.evaluation.gate.failures();
}

TEST(Ppo, FindsNoEdgeInNoiseAndTheGateRefuses) {
    const test::TempDir dir;
    const RlTrainResult r = train(tiny_config("noise", 30), dir.path());
    const EpisodeReport& e = r.evaluation.episodes[0];
    std::cerr << fmt::format("noise: return {:.4f} bh {:.4f} sharpe {:.2f} bh {:.2f} t {:.2f} trades {}\n",
                             e.metrics.total_return, e.buy_hold_return, e.metrics.sharpe,
                             e.buy_hold_sharpe, e.t_stat, e.metrics.trades);
    EXPECT_FALSE(r.evaluation.gate.passed);
}
