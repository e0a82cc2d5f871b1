// PPO end to end: collect a rollout from a VecEnv of full engine stacks (account risk manager as
// shield) and run the PPO update (4 epochs of minibatches, small tanh MLP actor-critic in the
// libtorch plugin), on the synthetic momentum market. Reports env steps/s of collect + update
// (wall time; the torch update may use 1 or 2 threads).
//   build/release/bench/bench_rl_ppo
#include <benchmark/benchmark.h>

#include "rl/policy_agent.hpp"
#include "rl/ppo_trainer.hpp"
#include "rl/training_market.hpp"
#include "rl/vec_env.hpp"

using namespace aurum;

namespace {

const TrainingMarket& market() {
    static const TrainingMarket m = build_training_market(RlConfig::parse(
        "market: {shape: momentum, days: 1825, seed: 7}\nagent: {episode_bars: 256}\n",
        "bench rl.yaml"));
    return m;
}

/// range(0): environments; range(1): hidden units (2 layers); range(2): torch threads.
void BM_PpoCollectUpdate(benchmark::State& state) {
    PpoParams p;
    p.hidden = static_cast<int>(state.range(1));
    p.threads = static_cast<int>(state.range(2));
    EnvConfig cfg = default_env_config();
    cfg.episode_bars = 256;
    const std::size_t rollout = 128;
    VecEnv env(market().train_tapes(), cfg, static_cast<std::size_t>(state.range(0)), 1);
    const std::vector<double> levels{0.0, 0.125, 0.25};
    PolicyAgent agent(env.obs_size(), levels, p);
    PpoTrainer trainer(env, agent.net(), agent.norm(), levels, p, rollout, 100);
    std::uint64_t steps = 0;
    for (auto _ : state)
        steps = trainer.step().env_steps;
    state.counters["env_steps/s"] =
        benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
    state.counters["params"] = static_cast<double>(agent.net().parameter_count());
}

} // namespace

BENCHMARK(BM_PpoCollectUpdate)
    ->ArgNames({"envs", "hidden", "threads"})
    ->Args({8, 64, 1})
    ->Args({16, 64, 1})
    ->Args({16, 64, 2})
    ->Args({16, 32, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);

BENCHMARK_MAIN();
