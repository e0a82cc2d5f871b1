// The strategic level: the differential Sharpe ratio is the first-order growth of the Sharpe
// ratio; an allocation caps what the tactical level below it may hold (0: nothing trades); the
// strategic PPO agent learns a market whose edge is at its cadence (long bull/bear regimes), and
// trains reproducibly over a tactical agent.
#include <cmath>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/workspace.hpp"
#include "data/synthetic_market.hpp"
#include "rl/rl_training.hpp"
#include "rl/strategic_env.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

double sharpe(const DifferentialSharpe& d) {
    return d.mean() / std::sqrt(d.second_moment() - d.mean() * d.mean());
}

RlConfig strategic_config(const std::string& shape, int updates, int seed) {
    return RlConfig::parse(fmt::format(R"(name: test-strategic
market: {{shape: {}, days: 1460, seed: {}}}
agent: {{level: strategic, cadence: 6, episode_bars: 252, envs: 8, rollout_steps: 42, updates: {},
         action_levels: [0.0, 0.25]}}
ppo: {{hidden: 32, layers: 1, lr: 0.003, minibatch: 112, seed: {}}}
)",
                                       shape, seed + 20, updates, seed),
                           "test rl.yaml");
}

RlTrainResult train(const RlConfig& c, const std::filesystem::path& runs,
                    PolicyAgent* tactical = nullptr) {
    RlTrainOptions o;
    o.runs_root = runs;
    o.run = "run";
    o.env = default_env_config();
    o.tactical = tactical;
    return train_rl(c, o);
}

} // namespace

TEST(DifferentialSharpe, StepsSumToTheGrowthOfTheSharpeRatio) {
    const double eta = 0.002;
    DifferentialSharpe d(eta);
    SynthRng rng(5);
    for (int k = 0; k < 2000; ++k)
        d.update(0.001 + 0.01 * rng.normal()); // warm up
    const double before = sharpe(d);
    double sum = 0;
    for (int k = 0; k < 300; ++k)
        sum += d.update(0.004 + 0.01 * rng.normal()); // better returns
    const double grew = sharpe(d) - before;
    EXPECT_GT(grew, 0.05);
    EXPECT_NEAR(eta * sum, grew, 0.1 * grew); // first order in eta
    DifferentialSharpe flat;
    EXPECT_EQ(flat.update(0.0), 0.0); // no variance yet: no ratio
}

TEST(StrategicEnv, AllocationCapsTheTargetAndZeroTradesNothing) {
    const RlConfig c = strategic_config("trend", 1, 1);
    const TrainingMarket m = build_training_market(c);
    EnvConfig env = default_env_config();
    env.episode_bars = 252;
    VecEnv bars(m.train_tapes(), env, 2, 9);
    StrategicEnv s(bars, nullptr, 6, 252, 0.01);
    const std::vector<double> zero{0.0, 0.0};
    for (int k = 0; k < 10; ++k)
        s.step(zero);
    EXPECT_EQ(s.shield_total().orders, 0u);
    EXPECT_EQ(s.log_returns()[0], 0.0);
    const std::vector<double> tenth{0.1, 0.1};
    for (int k = 0; k < 10; ++k)
        s.step(tenth);
    EXPECT_GT(s.shield_total().orders, 0u);
    EXPECT_LT(s.shield_total().max_entry_exposure, 0.1 * 1.05);
    EXPECT_THROW(StrategicEnv(bars, nullptr, 5, 252, 0.01), InputError); // 5 does not divide 252
}

TEST(Strategic, LearnsLongBullAndBearRegimesAtItsCadence) {
    for (int seed : {1, 2, 3}) {
        SCOPED_TRACE(fmt::format("seed {}", seed));
        const test::TempDir dir;
        const RlTrainResult r = train(strategic_config("trend", 60, seed), dir.path());
        const EpisodeReport& e = r.evaluation.episodes.at(0);
        EXPECT_GT(e.metrics.sharpe, e.buy_hold_sharpe);
        EXPECT_GT(e.t_stat, 2.0);
        EXPECT_TRUE(r.evaluation.gate.passed) << r.evaluation.gate.failures();
    }
}

TEST(Strategic, TrainsReproduciblyOverATacticalAgentWithItsOwnTags) {
    const test::TempDir dir;
    PolicyAgent tactical(
        ObsLayout{build_training_market(strategic_config("trend", 1, 1)).train.at(0).columns}
            .size(),
        {0.0, 0.125, 0.25}, PpoParams{});
    const RlConfig c = strategic_config("trend", 3, 4);
    const RlTrainResult a = train(c, dir / "a", &tactical);
    const RlTrainResult b = train(c, dir / "b", &tactical);
    EXPECT_EQ(a.parameter_hash, b.parameter_hash);
    EXPECT_EQ(a.evaluation.episodes[0].metrics.final_equity,
              b.evaluation.episodes[0].metrics.final_equity);
    // Steps are strategic decisions: 3 updates x 42 x 8.
    EXPECT_EQ(a.updates.back().env_steps, 3u * 42 * 8);
    const std::string csv = read_file(a.run_dir / "scalars.csv");
    EXPECT_NE(csv.find(",strategic/reward,"), std::string::npos);
    EXPECT_NE(csv.find(",strategic/reward/fees,"), std::string::npos);
    EXPECT_EQ(csv.find("tactical/"), std::string::npos);
}
