// One rl decision in the daemon (`strategy: rl`), the issue's "one hierarchical decision: p99 <=
// 1 ms": per decided bar, RlAgentStrategy::on_bar = the streaming feature update (default set),
// the regime classifier, the observation, the greedy policy (the strategic agent's network every
// 6th bar, the tactical agent's every bar; the default config's 2 x 64 tanh MLPs, libtorch on one
// thread), the environment's action rule and sizing, and the order hand-off to the engine
// (instrument rules, the account risk hook, the simulated execution client). Timed inside a risk-on
// engine stack over a year of synthetic 4h bars; the database commit is the session's, not the
// agent's.
#include <algorithm>
#include <chrono>
#include <vector>

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>


#include "latency_stats.hpp"
#include "rl/rl_agent_strategy.hpp"
#include "rl/rl_config.hpp"
#include "rl/scenarios.hpp"

using namespace aurum;

namespace {

using bench::percentile;
using bench::thread_cpu_us;

/// An agent of the default config's network size (untrained: the cost does not depend on the
/// weights), strategic over a tactical agent when `hierarchy`.
std::shared_ptr<RlAgent> make_agent(bool hierarchy) {
    auto a = std::make_shared<RlAgent>();
    a->config = RlConfig::parse(default_rl_yaml(), "<built-in rl.yaml>");
    a->config.agent.cadence = 6;
    a->record.name = hierarchy ? "bench-strategic" : "bench-tactical";
    a->record.version = 1;
    a->record.symbols = {"BTC/USDT"};
    a->features = FeatureConfig::parse(FeatureConfig::default_yaml(), "features").get("default");
    const std::size_t obs = ObsLayout{a->features.column_names().size()}.size();
    const PpoParams& p = a->config.ppo;
    a->agent = std::make_unique<PolicyAgent>(obs, std::vector<double>{0.0, 0.125, 0.25}, p,
                                             hierarchy ? "strategic" : "tactical");
    if (hierarchy)
        a->tactical = std::make_unique<PolicyAgent>(obs, std::vector<double>{0.0, 0.5, 1.0}, p);
    return a;
}

/// Times RlAgentStrategy::on_bar on the bars it decides.
struct Timed final : Strategy {
    RlAgentStrategy inner;
    std::vector<double> wall_us, cpu_us;
    explicit Timed(std::shared_ptr<RlAgent> a) : inner({{"BTC/USDT", std::move(a)}}) {}
    std::string name() const override { return "timed"; }
    void on_start(StrategyContext& c) override { inner.on_start(c); }
    void resync() override { inner.resync(); }
    void on_bar(StrategyContext& c, InstrumentId i) override {
        const std::size_t before = inner.decisions();
        const double c0 = thread_cpu_us();
        const auto t0 = std::chrono::steady_clock::now();
        inner.on_bar(c, i);
        const auto t1 = std::chrono::steady_clock::now();
        const double c1 = thread_cpu_us();
        if (inner.decisions() > before) {
            wall_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
            cpu_us.push_back(c1 - c0);
        }
    }
};

void run(benchmark::State& state, bool hierarchy) {
    spdlog::set_level(spdlog::level::warn);
    const MarketTape tape = scenario_tape(Scenario::Ranging, 42, 365);
    const auto agent = make_agent(hierarchy);
    std::vector<double> wall, cpu;
    std::size_t orders = 0;
    for (auto _ : state) {
        const EnvConfig env = default_env_config();
        InstrumentRegistry reg;
        reg.add(tape.instrument);
        RiskManager risk(env.spec.risk.limits, reg);
        AccountRiskHook hook(risk);
        Timed t(agent);
        t.inner.set_risk_manager(&risk);
        // As a session: decisions from the first warm bar (the first bar builds the pipeline).
        t.inner.set_first_decision_close(tape.bars.time[tape.first_ready] +
                                         tape.bars.timeframe.ms());
        EngineParts parts;
        parts.instruments = {tape.instrument};
        parts.data = {&tape.bars};
        parts.strategy = &t;
        parts.risk_manager = &risk;
        parts.hook = &hook;
        EngineStack stack = build_engine_stack(env.spec, std::move(parts));
        stack.engine->start();
        static constexpr InstrumentId kOnly = 0;
        for (std::size_t k = 0; k < tape.bars.size(); ++k) {
            stack.clock->set(tape.bars.time[k] + tape.bars.timeframe.ms());
            stack.engine->step(std::span<const InstrumentId>(&kOnly, 1));
        }
        orders += stack.engine->finish().trades.size();
        wall.insert(wall.end(), t.wall_us.begin(), t.wall_us.end());
        cpu.insert(cpu.end(), t.cpu_us.begin(), t.cpu_us.end());
    }
    state.counters["decisions"] = static_cast<double>(wall.size());
    state.counters["trades"] = static_cast<double>(orders);
    state.counters["wall_p50_us"] = percentile(wall, 0.50);
    state.counters["wall_p99_us"] = percentile(wall, 0.99);
    state.counters["wall_max_us"] = percentile(wall, 1.0);
    state.counters["cpu_p50_us"] = percentile(cpu, 0.50);
    state.counters["cpu_p99_us"] = percentile(cpu, 0.99);
    state.counters["cpu_max_us"] = percentile(cpu, 1.0);
}

} // namespace

static void BM_RlDecisionHierarchical(benchmark::State& state) {
    run(state, true);
}
BENCHMARK(BM_RlDecisionHierarchical)->Unit(benchmark::kMillisecond)->Iterations(3);

static void BM_RlDecisionTactical(benchmark::State& state) {
    run(state, false);
}
BENCHMARK(BM_RlDecisionTactical)->Unit(benchmark::kMillisecond)->Iterations(3);

BENCHMARK_MAIN();
