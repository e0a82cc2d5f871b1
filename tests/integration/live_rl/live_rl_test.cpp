// `strategy: rl` in the paper daemon, as a user runs it: a promoted rl agent replayed over the
// demo's synthetic market (`aurum data synth`) trades exactly what `aurum rl simulate` and the
// environment trade over the same bars (decisions, trades, equity); each decision is stored with
// the predictions and read back by the dashboard's decision record and `aurum health`; an
// unknown or missing agent exits 2 naming it and writes no session; promote refuses an agent
// whose gate failed; a session decides from its first bar, refuses model_reload, and resumes
// after a stop with the agent version it pinned.
#include <algorithm>
#include <cmath>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/time.hpp"
#include "core/workspace.hpp"
#include "data/market_store.hpp"
#include "features/feature_set.hpp"
#include "live/dashboard_queries.hpp"
#include "live/live_session.hpp"
#include "live/state_store.hpp"
#include "models/registry.hpp"
#include "rl/market_tape.hpp"
#include "rl/policy_eval.hpp"
#include "rl/rl_agent_strategy.hpp"
#include "rl/rl_training.hpp"
#include "runtime/run_spec.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"

using namespace aurum;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kFrom = "2025-06-01";
const char* kTo = "2025-12-01";

/// config/live.yaml: the environment's costs (taker and maker fee 0.1 %, 2 bps slippage), the
/// warm-up `rl simulate` loads before a window of real history (400 bars), no dashboard.
const char* kLiveYaml = R"(live:
  symbols: [BTC/USDT]
  timeframe: 4h
  capital: 10000
  strategy: {name: rl}
  fees: {taker: 0.001}
  slippage_bps: 2
  approval: {enabled: false}
  warmup_bars: 400
  dashboard: {enabled: false}
)";

/// An agent of the momentum market (a known edge: its gate passes) and one of pure noise (its
/// gate fails), both BTC/USDT 4h agents, in a workspace holding the demo's synthetic market.
/// Built once, copied per test.
const fs::path& template_home() {
    static test::TempDir* dir = [] {
        auto* d = new test::TempDir();
        const std::string h = d->path().string();
        const auto synth =
            test::run_aurum({"--home", h, "-q", "data", "synth", "--symbols", "BTC/USDT",
                             "--timeframe", "4h", "--days", "730", "--seed", "42"});
        EXPECT_EQ(synth.exit_code, 0) << synth.err;
        const std::string agent = "agent: {episode_bars: 128, envs: 4, rollout_steps: 128, "
                                  "updates: 30}\nppo: {hidden: 16, layers: 1, lr: 0.003, "
                                  "minibatch: 128, seed: 3}\n";
        test::write_text(d->path() / "edge.yaml",
                         "name: rl-edge\nmarket: {shape: momentum, momentum: 0.5, days: 500, "
                         "seed: 7}\n" +
                             agent);
        test::write_text(d->path() / "noise.yaml",
                         "name: rl-noise\nmarket: {shape: noise, days: 500, seed: 7}\n" + agent);
        for (const char* name : {"edge", "noise"}) {
            const auto r = test::run_aurum({"--home", h, "-q", "rl", "train", "--config",
                                            (d->path() / (std::string(name) + ".yaml")).string(),
                                            "--run", name});
            EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
        }
        test::write_text(Workspace(d->path()).config_file("live.yaml"), kLiveYaml);
        return d;
    }();
    return dir->path();
}

void copy_template(const fs::path& to) { test::copy_tree(template_home(), to); }

std::vector<std::string> replay(const fs::path& home, std::vector<std::string> extra = {}) {
    std::vector<std::string> a{
        "--home", home.string(),   "-q",  "run",         "--mode", "paper",   "--strategy",
        "rl",     "--replay-from", kFrom, "--replay-to", kTo,      "--speed", "0"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

/// An in-process paper replay of the production rl agent over the window (config/live.yaml's
/// warm-up), as `replay()` runs it from the command line.
LiveOptions rl_replay_options(const fs::path& home) {
    LiveOptions o;
    o.symbols = {"BTC/USDT"};
    o.replay = true;
    o.replay_from = *parse_time(kFrom);
    o.replay_to = *parse_time(kTo);
    o.warmup_bars = 400;
    o.strategy.name = "rl";
    o.model.kind = "rl";
    o.workspace = home;
    return o;
}

bool starts_with(const std::string& s, const std::string& prefix) {
    return s.rfind(prefix, 0) == 0;
}

/// The environment's episode of `name`'s production agent over the store's bars of the window,
/// built as `aurum rl simulate --scenario FROM..TO` builds it, keeping the engine's trades.
EpisodeReport environment_episode(const fs::path& home, const std::string& name) {
    const Workspace ws(home);
    ModelRegistry registry(ws.models_dir() / "registry", nullptr);
    const auto agent = RlAgent::load(registry, *registry.production(name));
    const Timeframe tf(4 * kMsPerHour);
    const TimeMs from = *parse_time(kFrom), to = *parse_time(kTo);
    auto store = open_market_store(ws.default_db());
    InstrumentRegistry instruments;
    const MarketTape tape = build_market_tape(
        instruments.get("BTC/USDT"), store->load_bars("BTC/USDT", tf, {from - 400 * tf.ms(), to}),
        agent->features);
    std::size_t start = tape.first_ready;
    while (tape.bars.time[start] < from)
        ++start;
    EnvConfig env = default_env_config();
    env.spec.risk = parse_risk_option("--risk", "", ws.config_file("risk.yaml").string());
    return run_policy_episode(tape, start, env,
                              agent_policy(*agent->agent, agent->tactical.get(), agent->config));
}

} // namespace

TEST(LiveRl, PaperReplayTradesWhatTheEnvironmentAndSimulateTrade) {
    const test::TempDir home;
    copy_template(home.path());
    const std::string h = home.path().string();
    auto r = test::run_aurum({"--home", h, "registry", "promote", "rl-edge"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("rl-edge v1 is now production"), std::string::npos) << r.out;

    r = test::run_aurum(replay(home.path(), {"--no-dashboard"}));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    r = test::run_aurum({"--home", h, "rl", "simulate", "--scenario",
                         std::string(kFrom) + ".." + kTo, "--model", "rl-edge", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json sim = json::parse(r.out);
    const EpisodeReport env = environment_episode(home.path(), "rl-edge");

    auto db = open_market_store(Workspace(home.path()).default_db());
    StateStore store(db->database());
    const auto session = store.latest_session();
    ASSERT_TRUE(session);
    EXPECT_NE(session->strategy.find("rl"), std::string::npos) << session->strategy;

    // Every decision: the same bar and the same target as simulate's (the session also decides
    // at the window's last close, whose order no bar fills).
    const auto decisions = store.predictions(session->id);
    const std::size_t n = sim.at("decisions");
    ASSERT_GT(n, 500U);
    ASSERT_EQ(decisions.size(), n + 1);
    ASSERT_EQ(env.decisions, n);
    std::size_t nonzero = 0;
    for (std::size_t k = 0; k < n; ++k) {
        ASSERT_EQ(decisions[k].time, sim["series"]["time"][k].get<TimeMs>()) << k;
        ASSERT_EQ(decisions[k].value, sim["series"]["target"][k].get<double>()) << k;
        ASSERT_EQ(decisions[k].value, env.targets[k]) << k;
        nonzero += decisions[k].value != 0;
    }
    EXPECT_GT(nonzero, 20U); // the agent trades: the parity is not that of two flat books

    // Trades: identical, fill for fill.
    const auto trades = store.trades(session->id);
    ASSERT_EQ(trades.size(), env.result.trades.size());
    ASSERT_EQ(static_cast<double>(trades.size()), sim.at("trades").get<double>());
    ASSERT_GT(trades.size(), 5U);
    for (std::size_t k = 0; k < trades.size(); ++k) {
        const Trade& t = env.result.trades[k];
        EXPECT_EQ(trades[k].entry_time, t.entry_time) << k;
        EXPECT_EQ(trades[k].exit_time, t.exit_time) << k;
        EXPECT_DOUBLE_EQ(trades[k].entry_price, t.entry_price) << k;
        EXPECT_DOUBLE_EQ(trades[k].exit_price, t.exit_price) << k;
        EXPECT_DOUBLE_EQ(trades[k].qty, t.qty) << k;
        EXPECT_NEAR(trades[k].pnl, t.net_pnl(), 1e-6) << k;
    }
    const auto equity = store.equity(session->id, INT64_MIN, INT64_MAX);
    ASSERT_FALSE(equity.empty());
    EXPECT_NEAR(equity.back().second, sim["series"]["equity"].back().get<double>(), 1e-6);

    // The decision record: stored detail, the trade's why, the dashboard's prediction panel.
    const json detail = json::parse(decisions.front().detail);
    EXPECT_EQ(detail.at("kind"), "rl");
    EXPECT_EQ(detail.at("model"), "rl-edge v1");
    EXPECT_TRUE(starts_with(detail.at("reason").get<std::string>(), "RL agent: target ")) << detail;
    const Workspace ws(home.path());
    const InstrumentRegistry instruments;
    const DashboardReadContext ctx{store, *db, ws, instruments, nullptr, 0, nullptr};
    const json page = dashboard_query("trades", json::object(), ctx);
    ASSERT_FALSE(page.at("trades").empty());
    for (const auto& t : page["trades"]) {
        const std::string why = t.at("reason");
        EXPECT_TRUE(starts_with(why, "RL agent: target ")) << why;
        EXPECT_NE(why.find("(level "), std::string::npos) << why;
    }
    const json trade = dashboard_query("trade", json{{"id", "0"}}, ctx);
    EXPECT_EQ(trade.at("prediction").at("kind"), "rl") << trade.dump();
    EXPECT_GT(trade["prediction"].at("target").get<double>(), 0) << trade.dump();

    // `aurum health` names the agent the session trades.
    r = test::run_aurum({"--home", h, "--json", "health"});
    const json health = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(health.is_object()) << r.out << r.err;
    const json& models = health.at("model").at("models");
    ASSERT_EQ(models.size(), 1U) << health.dump();
    EXPECT_EQ(models[0].at("model"), "rl-edge");
    EXPECT_EQ(models[0].at("kind"), "rl");
    EXPECT_EQ(models[0].at("agent"), "tactical");
}

TEST(LiveRl, UnknownOrMissingAgentExitsTwoNamingItAndWritesNoSession) {
    const test::TempDir home;
    copy_template(home.path());
    const auto no_session = [&] {
        auto db = open_market_store(Workspace(home.path()).default_db());
        StateStore store(db->database());
        return !store.latest_session().has_value();
    };
    auto r = test::run_aurum(replay(home.path()));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("no production rl agent for BTC/USDT 4h"), std::string::npos) << r.err;
    r = test::run_aurum(replay(home.path(), {"--model", "nope"}));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("'nope'"), std::string::npos) << r.err;
    r = test::run_aurum(replay(home.path(), {"--model", "rl-noise"}));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("'rl-noise' has no production version"), std::string::npos) << r.err;
    EXPECT_TRUE(no_session());
    // An rl agent is not a model of `strategy: model`, and the other way round.
    r = test::run_aurum({"--home", home.path().string(), "registry", "promote", "rl-edge"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> as_model = replay(home.path(), {"--model", "rl-edge"});
    *std::find(as_model.begin(), as_model.end(), "rl") = "model";
    r = test::run_aurum(as_model);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("rl-edge v1 is an rl model: trade it with `strategy: rl`"),
              std::string::npos)
        << r.err;
    EXPECT_TRUE(no_session());
}

TEST(LiveRl, PromoteRefusesAnAgentWhoseGateFailed) {
    const test::TempDir home;
    copy_template(home.path());
    const std::string h = home.path().string();
    auto r = test::run_aurum({"--home", h, "registry", "promote", "rl-noise"});
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_NE(r.err.find("rl-noise v1 failed gating"), std::string::npos) << r.err;
    r = test::run_aurum({"--home", h, "--json", "registry", "show", "rl-noise"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out).at("status"), "candidate");
    // The same command promotes the agent whose gate passed (the daemon can load it).
    r = test::run_aurum({"--home", h, "registry", "promote", "rl-edge"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(LiveRl, ModelReloadIsRefusedInAnRlSession) {
    spdlog::set_level(spdlog::level::warn);
    const test::TempDir home;
    copy_template(home.path());
    auto r = test::run_aurum({"--home", home.path().string(), "registry", "promote", "rl-edge"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Workspace ws(home.path());
    auto db = open_market_store(ws.default_db());
    LiveOptions o = rl_replay_options(home.path());
    o.new_session = true;
    LiveSession s(db->database(), *db, o, RiskLimits{}, InstrumentRegistry(), {});
    s.open(1, false, "");
    // Past the 400 warm-up bars into the replay.
    for (int k = 0; k < 420; ++k)
        ASSERT_EQ(s.step(1), LiveSession::StepResult::Stepped);
    try {
        s.execute("model_reload", json{{"name", "rl-edge"}}, 1);
        FAIL() << "model_reload accepted by an rl session";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("trades rl agents (strategy rl)"), std::string::npos)
            << e.what();
    }
    s.checkpoint(1);
    StateStore store(db->database());
    // One decision per bar from the replay's start (none in the warm-up).
    const auto decisions = store.predictions(s.session_id());
    ASSERT_FALSE(decisions.empty());
    EXPECT_EQ(decisions.front().time, *parse_time(kFrom));
    EXPECT_EQ(decisions.size(),
              static_cast<std::size_t>((s.last_bar() - *parse_time(kFrom)) / (4 * kMsPerHour) + 1));
}

TEST(LiveRl, ARestartedSessionEndsWithTheTradesOfTheEnvironment) {
    spdlog::set_level(spdlog::level::warn);
    const test::TempDir home;
    copy_template(home.path());
    auto r = test::run_aurum({"--home", home.path().string(), "registry", "promote", "rl-edge"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Workspace ws(home.path());
    auto db = open_market_store(ws.default_db());
    LiveOptions o = rl_replay_options(home.path());
    o.fill.fees.taker = o.fill.fees.maker = 0.001;
    o.fill.slippage.fixed_bps = 2;
    const RiskLimits limits =
        parse_risk_option("--risk", "", ws.config_file("risk.yaml").string()).limits;
    std::string id;
    {
        // Stopped without a final checkpoint mid-replay (a crash loses the uncommitted steps).
        LiveSession s(db->database(), *db, o, limits, InstrumentRegistry(), {});
        s.open(1, false, "");
        for (int k = 0; k < 900; ++k)
            ASSERT_EQ(s.step(1), LiveSession::StepResult::Stepped);
        id = s.session_id();
    }
    // A newer production agent meanwhile does not change what the session trades (pinned).
    // Another seed: another policy (the same config would train the same parameters).
    std::string other = test::slurp(home.path() / "edge.yaml");
    other.replace(other.find("seed: 3"), 7, "seed: 11");
    test::write_text(home.path() / "edge2.yaml", other);
    r = test::run_aurum({"--home", home.path().string(), "-q", "rl", "train", "--config",
                         (home.path() / "edge2.yaml").string(), "--run", "edge2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = test::run_aurum({"--home", home.path().string(), "registry", "promote", "rl-edge"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    LiveSession s(db->database(), *db, o, limits, InstrumentRegistry(), {});
    s.open(2, false, "");
    ASSERT_EQ(s.session_id(), id);
    EXPECT_TRUE(s.recovered());
    while (s.step(2) != LiveSession::StepResult::Finished) {
    }
    s.checkpoint(2);
    StateStore store(db->database());
    const auto trades = store.trades(id);
    ModelRegistry registry(ws.models_dir() / "registry", nullptr);
    ASSERT_EQ(registry.production("rl-edge")->version, 2);
    const EpisodeReport v2 = environment_episode(home.path(), "rl-edge");
    registry.promote("rl-edge", 1, false, 3); // the environment runs the pinned version
    const EpisodeReport env = environment_episode(home.path(), "rl-edge");
    const auto entries = [](const BacktestResult& b) {
        std::vector<TimeMs> t;
        for (const Trade& x : b.trades)
            t.push_back(x.entry_time);
        return t;
    };
    ASSERT_NE(entries(v2.result), entries(env.result)) << "v2 trades as v1: pinning untested";
    ASSERT_EQ(trades.size(), env.result.trades.size());
    for (std::size_t k = 0; k < trades.size(); ++k) {
        EXPECT_EQ(trades[k].entry_time, env.result.trades[k].entry_time) << k;
        EXPECT_DOUBLE_EQ(trades[k].qty, env.result.trades[k].qty) << k;
        EXPECT_NEAR(trades[k].pnl, env.result.trades[k].net_pnl(), 1e-6) << k;
    }
}

namespace {

/// Trains `exec_yaml` (an execution agent named rl-exec, after `before` more configs), promotes
/// it and checks that a paper replay makes every choice, forced fill and trade of `rl simulate`.
void expect_execution_parity(const std::vector<std::string>& before, const std::string& exec_yaml) {
    spdlog::set_level(spdlog::level::warn);
    const test::TempDir home;
    copy_template(home.path());
    const std::string h = home.path().string();
    std::vector<std::string> configs = before;
    configs.push_back(exec_yaml);
    for (std::size_t k = 0; k < configs.size(); ++k) {
        const fs::path file = home / ("level" + std::to_string(k) + ".yaml");
        test::write_text(file, configs[k]);
        const auto r = test::run_aurum({"--home", h, "-q", "rl", "train", "--config", file.string()});
        ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    }
    auto r = test::run_aurum({"--home", h, "registry", "promote", "rl-exec", "--force"});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;

    r = test::run_aurum(replay(home.path(), {"--model", "rl-exec", "--no-dashboard"}));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    r = test::run_aurum({"--home", h, "rl", "simulate", "--scenario",
                         std::string(kFrom) + ".." + kTo, "--model", "rl-exec", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json sim = json::parse(r.out);

    auto db = open_market_store(Workspace(home.path()).default_db());
    StateStore store(db->database());
    const auto session = store.latest_session();
    ASSERT_TRUE(session);
    const auto decisions = store.predictions(session->id);
    const std::size_t n = sim.at("decisions");
    ASSERT_EQ(decisions.size(), n + 1);
    std::size_t limits = 0, forced = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const json d = json::parse(decisions[k].detail);
        ASSERT_EQ(decisions[k].value, sim["series"]["target"][k].get<double>()) << k;
        ASSERT_EQ(d.at("limit_bps").get<double>(), sim["series"]["limit_bps"][k].get<double>())
            << k;
        if (sim.contains("hierarchy")) {
            ASSERT_EQ(d.at("allocation").get<double>(),
                      sim["hierarchy"]["allocation"][k].get<double>())
                << k;
        }
        limits += d["limit_bps"].get<double>() > 0;
        forced += d.at("forced").get<bool>();
    }
    EXPECT_GT(limits, 5U) << "the agent posts limits: the parity is not market-only";
    EXPECT_EQ(forced, sim.at("execution").at("forced_fills").get<std::size_t>());
    const auto trades = store.trades(session->id);
    ASSERT_EQ(static_cast<double>(trades.size()), sim.at("trades").get<double>());
    ASSERT_GT(trades.size(), 3U);
    const auto equity = store.equity(session->id, INT64_MIN, INT64_MAX);
    ASSERT_FALSE(equity.empty());
    EXPECT_NEAR(equity.back().second, sim["series"]["equity"].back().get<double>(), 1e-6);
    // The decision record says how each order went out.
    bool said = false;
    for (const auto& p : decisions)
        said = said || json::parse(p.detail)["reason"].get<std::string>().find(
                           "execution: limit") != std::string::npos;
    EXPECT_TRUE(said);
}

const char* kExecAgent = "envs: 4, rollout_steps: 32, updates: 3}\n"
                         "ppo: {hidden: 16, layers: 1, minibatch: 64, seed: 5}\n";

} // namespace

TEST(LiveRl, AnExecutionAgentChoosesMarketOrLimitAsInTheEnvironment) {
    // Over rl-edge; an execution agent that posts many orders as limits (its gate may fail:
    // promoted with --force, as a trader may).
    expect_execution_parity({}, std::string("name: rl-exec\nmarket: {shape: regimes, days: 500, "
                                            "seed: 7}\nagent: {level: execution, tactical_model: "
                                            "rl-edge, action_levels: [0, 10, 25], ") +
                                    kExecAgent);
}

TEST(LiveRl, ThreeLevelsTradeAsInTheEnvironment) {
    // Strategic over rl-edge, execution under both: allocation, level and order type per bar.
    expect_execution_parity(
        {"name: rl-strat\nmarket: {shape: trend, days: 730, seed: 9}\nagent: {level: strategic, "
         "tactical_model: rl-edge, cadence: 6, episode_bars: 120, envs: 4, rollout_steps: 20, "
         "updates: 3, action_levels: [0.0, 0.25]}\nppo: {hidden: 16, layers: 1, minibatch: 80}\n"},
        std::string("name: rl-exec\nmarket: {shape: regimes, days: 500, seed: 7}\nagent: {level: "
                    "execution, strategic_model: rl-strat, action_levels: [0, 10, 25], ") +
            kExecAgent);
}
