// RL environment throughput: a batch of environments (each a full engine stack with the account
// risk manager as shield) stepped together, on a synthetic BTC/USDT 4h market. Reports env
// steps/s on one core and heap allocations per step (counted by a global operator new); and the
// multi-asset PortfolioEnv (one account over 3 symbols) in portfolio steps/s.
//   build/release/bench/bench_rl_env
#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include <benchmark/benchmark.h>

#include "data/synthetic_market.hpp"
#include "rl/execution_env.hpp"
#include "rl/portfolio_env.hpp"
#include "rl/vec_env.hpp"

namespace {
std::atomic<std::uint64_t> g_allocs{0};
} // namespace

void* operator new(std::size_t n) {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
// GCC pairs `free` with `malloc` only when it sees both; these are the matching replacements.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

using namespace aurum;

namespace {

const MarketTape& tape() {
    static const MarketTape t = [] {
        InstrumentRegistry reg;
        const SynthConfig c = SynthConfig::defaults(reg, {"BTC/USDT"}, Timeframe(4 * kMsPerHour),
                                                    1577836800000LL, 5 * 365, 7, false);
        const FeatureConfig fc = FeatureConfig::parse(FeatureConfig::default_yaml(), "features");
        return build_market_tape(reg.get("BTC/USDT"), generate_synthetic_market(c).series[0],
                                 fc.get("default"));
    }();
    return t;
}

/// range(0): environments; range(1): bars between target changes (0: hold one target);
/// range(2): the orders' limit offset in bps (0: market).
void BM_VecEnvStep(benchmark::State& state) {
    EnvConfig cfg = default_env_config();
    cfg.episode_bars = 4096;
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto every = static_cast<std::uint64_t>(state.range(1));
    const auto limit_bps = static_cast<double>(state.range(2));
    VecEnv v({&tape()}, cfg, n, 1);
    std::vector<double> act(n, 0.2);
    std::uint64_t k = 0, steps = 0, calm_steps = 0, calm_allocs = 0;
    const std::uint64_t allocs0 = g_allocs.load();
    const std::uint64_t episodes0 = v.episodes_done();
    for (auto _ : state) {
        if (every && ++k % every == 0)
            for (auto& a : act) a = a == 0.2 ? 0.1 : 0.2;
        const std::uint64_t a0 = g_allocs.load(std::memory_order_relaxed);
        const std::uint64_t e0 = v.episodes_done();
        for (std::size_t i = 0; i < n; ++i) v.step_one(i, act[i], limit_bps);
        steps += n;
        if (v.episodes_done() == e0) { // no episode restarted (a reset builds a new stack)
            calm_allocs += g_allocs.load(std::memory_order_relaxed) - a0;
            calm_steps += n;
        }
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(steps));
    state.counters["allocs/step"] = static_cast<double>(g_allocs.load() - allocs0) /
                                    static_cast<double>(steps);
    state.counters["allocs/step_no_reset"] =
        calm_steps ? static_cast<double>(calm_allocs) / static_cast<double>(calm_steps) : 0.0;
    state.counters["episodes"] = static_cast<double>(v.episodes_done() - episodes0);
    state.counters["orders"] = static_cast<double>(v.shield_total().orders);
}
BENCHMARK(BM_VecEnvStep)
    ->ArgsProduct({{1, 64}, {0, 20}, {0}})
    ->Args({1, 20, 10})
    ->Args({64, 20, 10})
    ->ArgNames({"envs", "rebalance_every", "limit_bps"});

/// The execution level's environment: a scripted upper level changes its target every 20 bars;
/// each step is one parent order sent as a 10 bps limit. Reports bars/s and parent orders/s.
void BM_ExecutionEnvStep(benchmark::State& state) {
    EnvConfig cfg = default_env_config();
    cfg.episode_bars = 4096;
    const auto n = static_cast<std::size_t>(state.range(0));
    VecEnv v({&tape()}, cfg, n, 1);
    std::vector<ActionFn> upper;
    for (std::size_t i = 0; i < n; ++i) {
        upper.push_back([k = std::uint64_t{0}](std::span<const float>, const ObsLayout&) mutable {
            return (k++ / 20) % 2 == 0 ? 0.2 : 0.1;
        });
    }
    ExecutionEnv env(v, std::move(upper));
    const std::vector<double> offsets(n, 10.0);
    std::uint64_t parents = 0;
    const std::uint64_t bars0 = v.bars_stepped();
    for (auto _ : state) {
        env.step(offsets);
        parents += n;
    }
    const auto bars = static_cast<double>(v.bars_stepped() - bars0);
    state.SetItemsProcessed(static_cast<std::int64_t>(parents));
    state.counters["bars/s"] = benchmark::Counter(bars, benchmark::Counter::kIsRate);
    state.counters["bars/parent"] = bars / static_cast<double>(parents);
}
BENCHMARK(BM_ExecutionEnvStep)->Arg(1)->Arg(16)->ArgName("envs");

const std::vector<MarketTape>& portfolio_tapes() {
    static const std::vector<MarketTape> t = [] {
        InstrumentRegistry reg;
        const std::vector<std::string> symbols{"BTC/USDT", "ETH/USDT", "SOL/USDT"};
        const SynthConfig c = SynthConfig::defaults(reg, symbols, Timeframe(4 * kMsPerHour),
                                                    1577836800000LL, 5 * 365, 7, false);
        const FeatureConfig fc = FeatureConfig::parse(FeatureConfig::default_yaml(), "features");
        const SynthMarket m = generate_synthetic_market(c);
        std::vector<MarketTape> tapes;
        for (std::size_t i = 0; i < symbols.size(); ++i)
            tapes.push_back(build_market_tape(reg.get(symbols[i]), m.series[i], fc.get("default")));
        return align_tapes(tapes);
    }();
    return t;
}

/// The multi-asset environment: one account over N = 3 symbols, every asset's target changing
/// every `rebalance_every` bars (0: held). Items = portfolio steps (one bar of all 3 assets).
void BM_PortfolioEnvStep(benchmark::State& state) {
    EnvConfig cfg = default_env_config();
    cfg.episode_bars = 4096;
    const auto every = static_cast<std::uint64_t>(state.range(0));
    const auto& tapes = portfolio_tapes();
    std::vector<const MarketTape*> ptrs;
    for (const MarketTape& t : tapes) ptrs.push_back(&t);
    PortfolioEnv env(cfg);
    std::vector<float> obs(ptrs.size() * PortfolioLayout{tapes[0].columns}.size());
    const std::size_t start = tapes[0].first_ready;
    env.reset(ptrs, start, obs);
    std::vector<double> act{0.2, 0.1, 0.2};
    std::uint64_t k = 0, steps = 0, calm_steps = 0, calm_allocs = 0;
    const std::uint64_t allocs0 = g_allocs.load();
    for (auto _ : state) {
        if (every && ++k % every == 0)
            for (auto& a : act) a = a == 0.2 ? 0.1 : 0.2;
        const std::uint64_t a0 = g_allocs.load(std::memory_order_relaxed);
        if (env.step(act, obs).done) {
            state.PauseTiming();
            env.reset(ptrs, start, obs);
            state.ResumeTiming();
        } else {
            calm_allocs += g_allocs.load(std::memory_order_relaxed) - a0;
            ++calm_steps;
        }
        ++steps;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(steps));
    state.counters["asset_bars/s"] =
        benchmark::Counter(static_cast<double>(steps * ptrs.size()), benchmark::Counter::kIsRate);
    state.counters["allocs/step_no_reset"] =
        calm_steps ? static_cast<double>(calm_allocs) / static_cast<double>(calm_steps) : 0.0;
    state.counters["allocs/step"] = static_cast<double>(g_allocs.load() - allocs0) /
                                    static_cast<double>(steps);
}
BENCHMARK(BM_PortfolioEnvStep)->Arg(0)->Arg(20)->ArgName("rebalance_every");

} // namespace

BENCHMARK_MAIN();
