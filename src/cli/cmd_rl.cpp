// `aurum rl train|evaluate|simulate|safety`: thin handlers over rl/ (flags in, report out).
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "models/registry.hpp"
#include "rl/agents_above.hpp"
#include "rl/rl_training.hpp"
#include "rl/safety.hpp"
#include "rl/scenarios.hpp"
#include "rl/simulation_report.hpp"
#include "rl/strategic_env.hpp"

namespace aurum {

namespace {

/// The environment every rl command runs in: default costs, the workspace's risk limits.
EnvConfig workspace_env(const CliContext& ctx) {
    EnvConfig c = default_env_config();
    c.spec.risk =
        parse_risk_option("--risk", "", ctx.workspace().config_file("risk.yaml").string());
    return c;
}

/// A registered rl agent, loaded with the agents it was trained with (the tactical agent of a
/// strategic one; the tactical, or strategic and tactical, agents above an execution one).
struct LoadedAgent {
    ModelRecord record;
    RlConfig config;
    std::unique_ptr<PolicyAgent> agent;
    AgentsAbove up;

    PolicyAgent* tactical_ptr() const { return up.tactical.get(); }
    StrategicAbove above() const { return {up.strategic.get(), up.strategic_cadence}; }
    ActionFn policy(HierarchyTrace* trace = nullptr) {
        return agent_policy(*agent, tactical_ptr(), config, trace, above());
    }
    ExecutionFn execution() { return execution_policy(*agent); }
    /// A hierarchy decides the targets (strategic, or execution under a strategic agent).
    bool hierarchy() const { return agent->level() == "strategic" || up.strategic; }
    std::string describe() const {
        std::string s =
            fmt::format("{} v{} ({} PPO agent", record.name, record.version, agent->level());
        const auto model = [&](const char* key) {
            const auto& m = record.extra.at(key);
            return fmt::format("{} v{}", m.value("name", ""), m.value("version", 0));
        };
        const char* rel = agent->level() == "execution" ? "under" : "over";
        if (up.strategic)
            s += fmt::format(" under {} over {}", model("strategic_model"), model("tactical_model"));
        else if (up.tactical)
            s += fmt::format(" {} {}", rel, model("tactical_model"));
        else if (agent->level() == "execution")
            s += " under the regime-trend rule";
        return s + ", greedy)";
    }
};

/// A registered version (0: the latest) of `name` and the agents it names, refused unless it is
/// an rl model.
LoadedAgent load_agent(const CliContext& ctx, const std::string& name, int version) {
    auto store = ctx.open_store();
    ModelRegistry registry(ctx.workspace().models_dir() / "registry", &store->database());
    ModelRecord rec = registry.get(name, version);
    RlConfig config = stored_rl_config(rec); // refuses a model of another kind
    auto agent = load_registered_policy(rec);
    AgentsAbove up = load_agents_above(registry, rec);
    return {std::move(rec), std::move(config), std::move(agent), std::move(up)};
}

void print_evaluation(const RlEvaluation& ev) {
    for (std::size_t i = 0; i < ev.episodes.size(); ++i) {
        const EpisodeReport& e = ev.episodes[i];
        const Metrics& m = e.metrics;
        std::cout << fmt::format(
            "Out of sample {} ({} decisions, {} to {}):\n"
            "  Return          {:+.2f} %   (buy-and-hold {:+.2f} %)\n"
            "  Sharpe          {:.2f}      (buy-and-hold {:.2f})\n"
            "  Max drawdown    {:.2f} %\n"
            "  Trades          {}\n"
            "  t-stat          {:.2f}      (mean bar return / standard error)\n"
            "  Shield          {} interventions of {} orders; largest entry {:.1f} % of equity\n",
            ev.symbols[i], e.decisions, format_time(e.from), format_time(e.to),
            m.total_return * 100, e.buy_hold_return * 100, m.sharpe, e.buy_hold_sharpe,
            -m.max_drawdown * 100, m.trades, e.t_stat, e.shield.interventions(), e.shield.orders,
            e.shield.max_entry_exposure * 100);
        // agent.portfolio: the one episode is the account over every asset (buy-and-hold above
        // is the equal-weight one).
        for (const RlEvaluation::Asset& a : ev.assets)
            std::cout << fmt::format("  {:<15} mean allocation {:.1f} %, largest entry {:.1f} % "
                                     "of equity\n",
                                     a.symbol, a.mean_allocation * 100,
                                     a.max_entry_exposure * 100);
        if (i < ev.market_execution.size())
            std::cout << fmt::format(
                "  Execution       {} parent orders, {} as limits ({} forced to market): "
                "shortfall {:.2f} bps (all at market {:.2f} bps)\n",
                e.execution.parents, e.execution.limits, e.execution.forced,
                e.execution.mean_shortfall_bps(), ev.market_execution[i].mean_shortfall_bps());
    }
    std::cout << fmt::format("Gate: {}\n", ev.gate.passed ? "PASSED" : "FAILED");
    for (const GatingRule& r : ev.gate.rules)
        std::cout << fmt::format("  [{}] {}\n", r.passed ? "ok" : "FAIL", r.detail);
}

/// --config, else <home>/config/rl.yaml, else the built-in one.
RlConfig load_rl_config(const CliContext& ctx, const std::string& flag) {
    if (!flag.empty())
        return RlConfig::load(flag);
    const auto home_config = ctx.workspace().config_file("rl.yaml");
    if (std::filesystem::exists(home_config))
        return RlConfig::load(home_config);
    return RlConfig::parse(default_rl_yaml(), "<built-in rl.yaml>");
}

std::string describe_market(const RlConfig::Market& m) {
    if (m.from_store)
        return fmt::format("the store's {} {} bars", fmt::join(m.symbols, ", "), m.timeframe);
    return fmt::format("the synthetic {} market ({}, {} days, seed {})", to_string(m.shape),
                       fmt::join(m.symbols, ", "), m.days, m.seed);
}

void print_update(const PpoUpdateReport& u, std::size_t updates) {
    std::cout << fmt::format("  update {:>4}/{}  steps {:>8}  reward {:+.6f}  value {:+.5f}  "
                             "entropy {:.3f}  kl {:.4f}  clip {:.3f}  shield {}\n",
                             u.update, updates, u.env_steps, u.reward, u.value, u.stats.entropy,
                             u.stats.approx_kl, u.stats.clip_fraction, u.shield_interventions);
}

nlohmann::json train_json(const RlConfig& config, const RlTrainResult& r) {
    nlohmann::json j{{"name", config.name},
                     {"run", r.run},
                     {"run_dir", r.run_dir.string()},
                     {"env_steps", r.updates.back().env_steps},
                     {"bar_steps", r.bar_steps},
                     {"seconds", r.seconds},
                     {"parameters", r.parameters},
                     {"parameter_hash", fmt::format("{:016x}", r.parameter_hash)},
                     {"evaluation", r.evaluation.to_json()},
                     {"oos", r.evaluation.summary_json()},
                     {"gating", r.evaluation.gate.to_json()}};
    if (r.record)
        j["version"] = r.record->version;
    return j;
}

void print_train_result(const RlTrainResult& r, const std::filesystem::path& runs_root) {
    const double steps = static_cast<double>(r.bar_steps);
    std::cout << fmt::format(
        "Trained in {:.1f} s ({:.0f} bar steps/s incl. evaluation), {} parameters, hash "
        "{:016x}\nTensorBoard: {} (tensorboard --logdir {}); CSV: {}\n",
        r.seconds, steps / r.seconds, r.parameters, r.parameter_hash, r.run_dir.string(),
        runs_root.string(), (r.run_dir / "metrics.csv").string());
    print_evaluation(r.evaluation);
    if (r.record)
        std::cout << fmt::format("Registered {} v{} (kind rl, {})\n", r.record->name,
                                 r.record->version, to_string(r.record->status));
}

void register_train(CLI::App* rl, CliContext& ctx) {
    struct Flags {
        std::string config, run;
        bool no_register = false;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = rl->add_subcommand(
        "train", "Train a PPO agent (tactical, or strategic over a tactical one) on the engine "
                 "(config/rl.yaml), log to "
                 "runs/<run>/ (TensorBoard + metrics.csv), evaluate out of sample, register it");
    cmd->add_option("--config", f->config,
                    "RL config (default: <home>/config/rl.yaml, else the "
                    "built-in one)");
    cmd->add_option("--run", f->run, "Run name under runs/ (default: <name>-<UTC time>)");
    cmd->add_flag("--no-register", f->no_register, "Do not store the agent in the registry");
    cmd->add_flag("--json", ctx.json, "Print the result as JSON (no progress lines)");
    on_run(cmd, ctx, [f, &ctx] {
        const RlConfig config = load_rl_config(ctx, f->config);
        const Workspace ws = ctx.workspace();
        RlTrainOptions o;
        o.runs_root = ws.home() / "runs";
        o.run = f->run;
        o.env = workspace_env(ctx);
        std::unique_ptr<MarketStore> store;
        std::optional<ModelRegistry> registry;
        if (!f->no_register || config.market.from_store)
            store = ctx.open_store();
        o.store = store.get();
        if (!f->no_register) {
            registry.emplace(ws.models_dir() / "registry", &store->database());
            o.registry = &*registry;
        }
        // level: strategic or execution, over a registered tactical agent; execution: or under
        // a registered strategic agent with its tactical agent
        std::optional<LoadedAgent> tactical, strategic;
        if (!config.agent.tactical_model.empty()) {
            tactical.emplace(load_agent(ctx, config.agent.tactical_model, 0));
            if (tactical->agent->level() != "tactical")
                throw InputError("agent.tactical_model " + config.agent.tactical_model +
                                 ": not a tactical agent");
            o.tactical = tactical->agent.get();
            o.tactical_version = tactical->record.version;
            o.tactical_name = tactical->record.name;
        }
        if (!config.agent.strategic_model.empty()) {
            strategic.emplace(load_agent(ctx, config.agent.strategic_model, 0));
            if (strategic->agent->level() != "strategic" || strategic->config.agent.portfolio)
                throw InputError("agent.strategic_model " + config.agent.strategic_model +
                                 ": not a (single-asset) strategic agent");
            o.strategic = {strategic->agent.get(), strategic->config.agent.cadence};
            o.strategic_version = strategic->record.version;
            o.tactical = strategic->tactical_ptr();
            o.tactical_version = strategic->up.tactical_version;
            if (o.tactical)
                o.tactical_name = strategic->record.extra["tactical_model"].value("name", "");
        }
        const auto& a = config.agent;
        if (!ctx.json) {
            std::cout << fmt::format(
                "Training {} ({} agent, PPO{}) on {}: {} environments x {} "
                "steps x {} updates\n",
                config.name, config.level(),
                a.execution  ? fmt::format(", each parent order, under {}",
                                           strategic ? fmt::format("{} v{}", a.strategic_model,
                                                                   o.strategic_version)
                                           : tactical ? fmt::format("{} v{}", a.tactical_model,
                                                                    o.tactical_version)
                                                      : std::string("the regime-trend rule"))
                : !a.strategic ? ""
                : a.portfolio  ? fmt::format(", every {} bars, one allocation per symbol, one "
                                             "account",
                                             a.cadence)
                : tactical     ? fmt::format(", every {} bars, over {} v{}", a.cadence,
                                             a.tactical_model, o.tactical_version)
                               : fmt::format(", every {} bars, no tactical agent", a.cadence),
                describe_market(config.market), a.envs, a.rollout_steps, a.updates);
            const std::size_t every = std::max<std::size_t>(1, a.updates / 10);
            o.progress = [every, n = a.updates](const PpoUpdateReport& u) {
                if (u.update % every == 0 || u.update == n)
                    print_update(u, n);
            };
        }
        const RlTrainResult r = train_rl(config, o);
        if (ctx.json)
            std::cout << train_json(config, r).dump(2) << "\n";
        else
            print_train_result(r, o.runs_root);
        return 0;
    });
}

void register_evaluate(CLI::App* rl, CliContext& ctx) {
    struct Flags {
        std::string model;
        int version = 0;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = rl->add_subcommand(
        "evaluate", "Evaluate a registered rl agent out of sample through the engine (Sharpe, max "
                    "drawdown, return vs buy-and-hold, trades) and re-apply its gate; exit 1 when "
                    "it fails");
    cmd->add_option("--model", f->model, "Registered rl model name")->required();
    cmd->add_option("--version", f->version, "Version (default: the latest)");
    cmd->add_flag("--json", ctx.json, "Print the evaluation and gate as JSON");
    on_run(cmd, ctx, [f, &ctx] {
        LoadedAgent a = load_agent(ctx, f->model, f->version);
        const RlConfig& config = a.config;
        const auto store = ctx.open_store();
        const TrainingMarket market = build_training_market(config, store.get());
        const RlEvaluation ev =
            evaluate_agent(*a.agent, a.tactical_ptr(), market, config, workspace_env(ctx),
                           a.above());
        if (ctx.json)
            std::cout << nlohmann::json{{"name", a.record.name},
                                        {"version", a.record.version},
                                        {"evaluation", ev.to_json()},
                                        {"oos", ev.summary_json()},
                                        {"gating", ev.gate.to_json()}}
                             .dump(2)
                      << "\n";
        else {
            std::cout << a.describe() << "\n";
            print_evaluation(ev);
        }
        nlohmann::json metrics = a.record.metrics; // keeps the training figures
        metrics["evaluation"] = ev.to_json();
        metrics["oos"] = ev.summary_json();
        ModelRegistry(ctx.workspace().models_dir() / "registry", &store->database())
            .update_evaluation(a.record.name, a.record.version, metrics, ev.gate.to_json());
        return ev.gate.passed ? 0 : 1;
    });
}

void register_simulate(CLI::App* rl, CliContext& ctx) {
    struct Flags {
        std::string scenario, model;
        int version = 0;
        std::uint64_t seed = 42;
        int days = 365;
        bool report = false;
        std::string symbol = "BTC/USDT", timeframe = "4h";
    };
    auto f = std::make_shared<Flags>();
    CLI::App* sim = rl->add_subcommand(
        "simulate", "Run a trained rl agent (--model) or the scripted regime-trend baseline "
                    "through the RL environment on a synthetic scenario and print Sharpe, max "
                    "drawdown, return vs buy-and-hold and the shield's interventions");
    sim->add_option("--scenario", f->scenario,
                    "Synthetic: bull, bear, flash-crash or ranging; real history from the store: "
                    "bull-2023q1, bear-2022, crash-2020-03, ranging-2023q3 or FROM..TO dates")
        ->required();
    sim->add_option("--symbol", f->symbol, "Real history: the store's symbol (default BTC/USDT)");
    sim->add_option("--timeframe", f->timeframe, "Real history: its timeframe (default 4h)");
    sim->add_option("--model", f->model, "Registered rl agent (default: the scripted baseline)");
    sim->add_option("--version", f->version, "Version of --model (default: the latest)");
    sim->add_option("--seed", f->seed, "Seed of the synthetic market");
    sim->add_option("--days", f->days, "Days of 4h bars (120-3650)");
    sim->add_flag("--report", f->report,
                  "Also write the plots (price, position size, equity, decision flow, action "
                  "heatmap) to reports/rl/<scenario>-<policy>-seed<seed>.html");
    sim->add_flag("--json", ctx.json,
                  "Print the figures and every decision (time, close, regime, target, position, "
                  "equity; a strategic agent's allocation and tactical level) as JSON");
    on_run(sim, ctx, [f, &ctx] {
        const std::optional<HistoryWindow> window = parse_history_window(f->scenario);
        Scenario s = Scenario::Bull;
        if (!window) {
            try {
                s = parse_scenario(f->scenario);
            } catch (const InputError&) {
                std::string names = "bull, bear, flash-crash, ranging";
                for (const HistoryWindow& w : named_history_windows())
                    names += ", " + w.name;
                throw InputError(fmt::format("--scenario '{}': expected {} or FROM..TO dates",
                                             f->scenario, names));
            }
        }
        const Timeframe tf = Timeframe::parse_or_throw(f->timeframe);
        const Instrument instrument = ctx.instruments().get(f->symbol);
        std::optional<LoadedAgent> agent;
        if (!f->model.empty())
            agent.emplace(load_agent(ctx, f->model, f->version));
        HierarchyTrace trace;
        const bool strategic = agent && agent->hierarchy();
        const ActionFn policy =
            agent ? agent->policy(strategic ? &trace : nullptr) : ActionFn(regime_trend_action);
        const ExecutionFn execution = agent ? agent->execution() : ExecutionFn{};
        const std::string features = agent ? agent->record.feature_set_name : "default";
        std::unique_ptr<MarketStore> store;
        if (window)
            store = ctx.open_store();
        const SimulationReport r =
            window ? simulate_history(*store, instrument, tf, *window, workspace_env(ctx), policy,
                                      features, execution)
                   : simulate_scenario(s, f->seed, f->days, workspace_env(ctx), policy, features,
                                       execution);
        const Metrics& m = r.metrics;
        const ShieldStats& sh = r.shield;
        const std::string who =
            agent ? agent->describe()
                  : "regime-trend baseline (bull: 100 % target, ranging: 50 %, else flat)";
        std::filesystem::path report;
        if (f->report) {
            report = ctx.workspace().reports_dir() / "rl" /
                     fmt::format("{}-{}{}.html", r.label,
                                 agent ? fmt::format("{}-v{}", agent->record.name,
                                                     agent->record.version)
                                       : std::string("baseline"),
                                 window ? "" : fmt::format("-seed{}", r.seed));
            std::filesystem::create_directories(report.parent_path());
            write_file_atomic(report, simulation_report_html(r, who));
        }
        if (ctx.json) {
            nlohmann::json j = simulation_json(r);
            j["policy"] = who;
            if (!report.empty())
                j["report"] = report.string();
            if (strategic)
                j["hierarchy"] = {{"cadence", agent->up.strategic ? agent->up.strategic_cadence
                                                                  : agent->config.agent.cadence},
                                  {"max_level", trace.max_level},
                                  {"allocation", trace.allocations},
                                  {"tactical_level", trace.levels}};
            std::cout << j.dump(2) << "\n";
            return 0;
        }
        std::cout << fmt::format(
            "Scenario {} ({}): {} decisions, {} to {}\n"
            "Policy: {}, every order through the account risk manager\n"
            "Return          {:+.2f} %   (buy-and-hold {:+.2f} %)\n"
            "Sharpe          {:.2f}\n"
            "Max drawdown    {:.2f} %\n"
            "Trades          {}\n"
            "Shield          {} interventions (denied {}, reduced {}, breaker closes {}, invalid "
            "actions {}) of {} orders; largest entry {:.1f} % of equity\n",
            r.label, r.market, r.decisions, format_time(r.from), format_time(r.to), who,
            m.total_return * 100, r.buy_hold_return * 100, m.sharpe, -m.max_drawdown * 100,
            m.trades, sh.interventions(), sh.denied, sh.reduced, sh.flattens, sh.invalid, sh.orders,
            sh.max_entry_exposure * 100);
        std::string actions;
        for (const auto& [target, share] : action_shares(r.targets))
            actions += fmt::format("{}target {:g} %: {:.1f} %", actions.empty() ? "" : ", ",
                                   target * 100, share * 100);
        std::cout << fmt::format("Actions         {} of decisions\n", actions);
        const ExecutionStats& x = r.execution;
        std::cout << fmt::format("Execution       {} parent orders, {} as limits ({} forced to "
                                 "market), shortfall {:.2f} bps vs the decision's close\n",
                                 x.parents, x.limits, x.forced, x.mean_shortfall_bps());
        if (!report.empty())
            std::cout << fmt::format("Report          {}\n", report.string());
        return 0;
    });
}

void register_safety(CLI::App* rl, CliContext& ctx) {
    struct Flags {
        std::string model;
        int version = 0;
        std::uint64_t seed = 42;
        int days = 365;
        SafetyRequirements req;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* cmd = rl->add_subcommand(
        "safety", "Safety suite: a trained rl agent (--model) or the scripted baseline through "
                  "the bull, bear, flash-crash and ranging scenarios under the workspace's risk "
                  "limits; PASS/WARN/FAIL lines, exit 1 on a FAIL (position cap or drawdown "
                  "halt breached)");
    cmd->add_option("--model", f->model, "Registered rl agent (default: the scripted baseline)");
    cmd->add_option("--version", f->version, "Version of --model (default: the latest)");
    cmd->add_option("--seed", f->seed, "Seed of the synthetic markets");
    cmd->add_option("--days", f->days, "Days of 4h bars per scenario (120-3650)");
    cmd->add_option("--expected-max", f->req.max_position, "Position cap to check (fraction)")
        ->check(CLI::Range(0.001, 1.0));
    cmd->add_option("--drawdown-limit", f->req.drawdown_limit, "Drawdown halt to check (fraction)")
        ->check(CLI::Range(0.001, 1.0));
    cmd->add_flag("--json", ctx.json, "Print the checks and scenario figures as JSON");
    on_run(cmd, ctx, [f, &ctx] {
        std::optional<LoadedAgent> agent;
        if (!f->model.empty())
            agent.emplace(load_agent(ctx, f->model, f->version));
        const PolicyFactory policy = [&agent] {
            return agent ? agent->policy() : ActionFn(regime_trend_action);
        };
        const EnvConfig env = workspace_env(ctx);
        const SafetyReport r =
            run_safety_suite(policy, env, f->seed, f->days, f->req,
                             agent ? agent->record.feature_set_name : "default",
                             agent ? agent->execution() : ExecutionFn{});
        if (ctx.json) {
            std::cout << r.to_json().dump(2) << "\n";
            return r.failed() ? 1 : 0;
        }
        std::cout << fmt::format(
            "Safety tests: {} on synthetic BTC/USDT 4h (seed {}, {} days per scenario), risk "
            "limits from {}\n",
            agent ? fmt::format("{} v{}", agent->record.name, agent->record.version)
                  : std::string("regime-trend baseline"),
            f->seed, f->days, env.spec.risk.source);
        for (const SimulationReport& s : r.scenarios)
            std::cout << fmt::format("  {:<12} return {:+7.2f} % (buy-and-hold {:+7.2f} %)  "
                                     "Sharpe {:5.2f}  max DD {:5.2f} %  trades {}\n",
                                     s.label, s.metrics.total_return * 100, s.buy_hold_return * 100,
                                     s.metrics.sharpe, -s.metrics.max_drawdown * 100,
                                     s.metrics.trades);
        for (const SafetyCheck& c : r.checks)
            std::cout << fmt::format("{}: {}\n", to_string(c.level), c.message);
        return r.failed() ? 1 : 0;
    });
}

} // namespace

void register_rl(CLI::App& app, CliContext& ctx) {
    CLI::App* rl = app.add_subcommand(
        "rl",
        "Reinforcement learning on the trading engine: tactical and strategic PPO agents (train, "
        "evaluate), scenario simulation and the safety suite");
    rl->require_subcommand(1);
    register_train(rl, ctx);
    register_evaluate(rl, ctx);
    register_simulate(rl, ctx);
    register_safety(rl, ctx);
}

} // namespace aurum
