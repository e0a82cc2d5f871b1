// RlAgentStrategy (what `strategy: rl` runs in the daemon) inside an engine stack with risk on,
// fed every bar from the first one as a session is, decides and trades exactly what the
// environment's episode does from its first decision bar on: a tactical agent and a strategic
// agent over it (the cadence counts from the first decision), both trained and registered.
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/workspace.hpp"
#include "models/registry.hpp"
#include "rl/rl_agent_strategy.hpp"
#include "rl/rl_training.hpp"
#include "rl/scenarios.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

RlConfig config(const std::string& text) {
    return RlConfig::parse(text, "test rl.yaml");
}

/// Collects the decisions.
struct Decisions final : RlDecisionSink {
    std::vector<RlDecision> all;
    void on_rl_decision(const RlDecision& d) override { all.push_back(d); }
};

struct Registered {
    test::TempDir dir;
    ModelRegistry registry{dir.path() / "registry", nullptr};
    ModelRecord tactical, strategic;
};

/// A tactical agent (momentum market) and a strategic one over it, registered once.
Registered& registered() {
    static Registered* r = [] {
        auto* out = new Registered();
        RlTrainOptions o;
        o.runs_root = out->dir.path() / "runs";
        o.env = default_env_config();
        o.registry = &out->registry;
        o.run = "tactical";
        train_rl(config("name: unit-tactical\nmarket: {shape: momentum, momentum: 0.5, days: "
                        "400, seed: 7}\nagent: {episode_bars: 128, envs: 4, rollout_steps: 64, "
                        "updates: 6}\nppo: {hidden: 16, layers: 1, lr: 0.003, minibatch: 128, "
                        "seed: 3}\n"),
                 o);
        out->tactical = out->registry.get("unit-tactical");
        PolicyAgent below = PolicyAgent::load(out->tactical.dir / "model");
        o.run = "strategic";
        o.tactical = &below;
        o.tactical_version = out->tactical.version;
        train_rl(config("name: unit-strategic\nmarket: {shape: trend, days: 730, seed: 9}\n"
                        "agent: {level: strategic, tactical_model: unit-tactical, cadence: 6, "
                        "episode_bars: 120, envs: 4, rollout_steps: 20, updates: 3, "
                        "action_levels: [0.0, 0.25]}\nppo: {hidden: 16, layers: 1, minibatch: "
                        "80}\n"),
                 o);
        out->strategic = out->registry.get("unit-strategic");
        return out;
    }();
    return *r;
}

/// The strategy fed every bar of `tape` in a risk-on stack, deciding from bar `start` on.
BacktestResult run_strategy(const MarketTape& tape, std::size_t start,
                            std::shared_ptr<RlAgent> agent, Decisions& sink) {
    const EnvConfig env = default_env_config();
    InstrumentRegistry reg;
    reg.add(tape.instrument);
    RiskManager risk(env.spec.risk.limits, reg);
    AccountRiskHook hook(risk);
    RlAgentStrategy strategy({{tape.bars.symbol, std::move(agent)}}, &sink);
    strategy.set_risk_manager(&risk);
    const TimeMs tf = tape.bars.timeframe.ms();
    strategy.set_first_decision_close(tape.bars.time[start] + tf);
    EngineParts parts;
    parts.instruments = {tape.instrument};
    parts.data = {&tape.bars};
    parts.strategy = &strategy;
    parts.risk_manager = &risk;
    parts.hook = &hook;
    EngineStack stack = build_engine_stack(env.spec, std::move(parts));
    stack.engine->start();
    static constexpr InstrumentId kOnly = 0;
    for (std::size_t k = 0; k < tape.bars.size(); ++k) {
        stack.clock->set(tape.bars.time[k] + tf);
        stack.engine->step(std::span<const InstrumentId>(&kOnly, 1));
    }
    return stack.engine->finish();
}

void expect_parity(const ModelRecord& record) {
    SCOPED_TRACE(record.name);
    const auto agent = RlAgent::load(registered().registry, record);
    const MarketTape tape = scenario_tape(Scenario::Bull, 5, 240, record.feature_set_name);
    const std::size_t start = tape.first_ready + 7; // off the cadence of bar 0
    const EpisodeReport env =
        run_policy_episode(tape, start, default_env_config(),
                           agent_policy(*agent->agent, agent->tactical.get(), agent->config));
    Decisions sink;
    const BacktestResult live = run_strategy(tape, start, agent, sink);

    // One decision per bar from `start` (the environment makes none at the last bar).
    ASSERT_EQ(sink.all.size(), env.targets.size() + 1);
    std::set<double> distinct;
    for (std::size_t k = 0; k < env.targets.size(); ++k) {
        ASSERT_EQ(sink.all[k].time, tape.bars.time[start + k]) << k;
        ASSERT_EQ(sink.all[k].target, env.targets[k]) << k;
        ASSERT_EQ(sink.all[k].regime, env.regimes[k]) << k;
        distinct.insert(env.targets[k]);
        const auto& levels = (agent->tactical ? agent->tactical : agent->agent)->levels();
        ASSERT_LT(sink.all[k].level, levels.size()) << k;
        EXPECT_EQ(std::isnan(sink.all[k].allocation), agent->agent->level() == "tactical");
    }
    EXPECT_GE(distinct.size(), 2U) << "the agent never changed its target: a weak parity";
    ASSERT_EQ(live.trades.size(), env.result.trades.size());
    ASSERT_GT(live.trades.size(), 0U);
    for (std::size_t k = 0; k < live.trades.size(); ++k) {
        EXPECT_EQ(live.trades[k].entry_time, env.result.trades[k].entry_time) << k;
        EXPECT_EQ(live.trades[k].exit_time, env.result.trades[k].exit_time) << k;
        EXPECT_DOUBLE_EQ(live.trades[k].qty, env.result.trades[k].qty) << k;
        EXPECT_DOUBLE_EQ(live.trades[k].net_pnl(), env.result.trades[k].net_pnl()) << k;
    }
    EXPECT_DOUBLE_EQ(live.final_equity, env.result.final_equity);
}

} // namespace

TEST(RlAgentStrategy, TacticalAgentTradesAsItsEnvironmentEpisode) {
    expect_parity(registered().tactical);
}

TEST(RlAgentStrategy, StrategicHierarchyTradesAsItsEnvironmentEpisode) {
    expect_parity(registered().strategic);
}

TEST(RlAgent, LoadRefusesAnotherKindLevelOrFeatureSet) {
    ModelRecord other = registered().tactical;
    other.kind = "gbdt";
    try {
        RlAgent::load(registered().registry, other);
        FAIL() << "a gbdt record loaded as an rl agent";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("not an rl agent"), std::string::npos) << e.what();
    }
    ModelRecord changed = registered().tactical;
    changed.feature_set_id = "0123456789abcdef";
    try {
        RlAgent::load(registered().registry, changed);
        FAIL() << "a changed feature set loaded";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("unit-tactical v1: trained on feature set"),
                  std::string::npos)
            << e.what();
    }
    // An agent whose files say another level than its stored config: refused, named.
    const test::TempDir copy;
    ModelRecord execution = registered().tactical;
    std::filesystem::copy(execution.dir, copy.path() / "v1",
                          std::filesystem::copy_options::recursive);
    execution.dir = copy.path() / "v1";
    const auto agent_json = execution.dir / "model" / "agent.json";
    auto j = nlohmann::json::parse(read_file(agent_json));
    j["level"] = "execution";
    write_file_atomic(agent_json, j.dump());
    try {
        RlAgent::load(registered().registry, execution);
        FAIL() << "a tactical config with an execution agent loaded";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("unit-tactical v1: its level is execution but its "
                                             "stored rl.yaml trains a tactical agent"),
                  std::string::npos)
            << e.what();
    }
}
