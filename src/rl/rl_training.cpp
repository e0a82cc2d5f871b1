#include "rl/rl_training.hpp"

#include <chrono>
#include <cmath>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "features/feature_set.hpp"
#include "rl/execution_env.hpp"
#include "rl/scenarios.hpp"
#include "rl/portfolio_strategic_env.hpp"
#include "rl/strategic_env.hpp"
#include "rl/tfevents_writer.hpp"

namespace aurum {

namespace {

/// TensorBoard scalars and the CSV mirror of one update (tags under "tactical/").
class TrainingLog {
  public:
    TrainingLog(const std::filesystem::path& root, const std::string& run, std::string level)
        : events_(root, run), csv_(root / run / "metrics.csv"), prefix_(std::move(level) + "/") {
        if (!csv_)
            throw SystemError("cannot write " + (root / run / "metrics.csv").string());
        csv_ << "update,env_steps,reward,reward_market,reward_fees,episodes,episode_return,"
                "episode_length,value_estimate,mean_target,policy_loss,value_loss,"
                "policy_entropy,approx_kl,clip_fraction,grad_norm,shield_interventions\n";
    }

    void write(const PpoUpdateReport& r) {
        const auto step = static_cast<std::int64_t>(r.env_steps);
        const auto scalar = [&](const char* tag, double v) {
            events_.scalar(prefix_ + tag, step, v);
        };
        scalar("reward", r.reward);
        scalar("reward/market", r.reward_market);
        scalar("reward/fees", r.reward_fees);
        if (r.episodes > 0) {
            scalar("episode_return", r.episode_return);
            scalar("episode_length", r.episode_length);
        }
        scalar("value_estimate", r.value);
        scalar("mean_target", r.mean_target);
        scalar("policy_entropy", r.stats.entropy);
        scalar("approx_kl", r.stats.approx_kl);
        scalar("clip_fraction", r.stats.clip_fraction);
        scalar("policy_loss", r.stats.policy_loss);
        scalar("value_loss", r.stats.value_loss);
        scalar("shield_interventions", static_cast<double>(r.shield_interventions));
        csv_ << fmt::format("{},{},{:.9g},{:.9g},{:.9g},{},{:.9g},{:.6g},{:.9g},{:.6g},{:.9g},"
                            "{:.9g},{:.9g},{:.9g},{:.9g},{:.9g},{}\n",
                            r.update, r.env_steps, r.reward, r.reward_market, r.reward_fees,
                            r.episodes, r.episode_return, r.episode_length, r.value, r.mean_target,
                            r.stats.policy_loss, r.stats.value_loss, r.stats.entropy,
                            r.stats.approx_kl, r.stats.clip_fraction, r.stats.grad_norm,
                            r.shield_interventions);
    }

    void flush() {
        events_.flush();
        csv_.flush();
    }

  private:
    EventWriter events_;
    std::ofstream csv_;
    std::string prefix_;
};

GatingRule rule(std::string name, bool ok, double actual, double threshold, std::string detail) {
    std::string text = name + ": " + detail;
    return {std::move(name), ok, actual, threshold, std::move(text)};
}

std::string utc_stamp(TimeMs now) {
    const CivilTime c = civil_from_time(now);
    return fmt::format("{:04}{:02}{:02}-{:02}{:02}{:02}", c.year, c.month, c.day, c.hour, c.minute,
                       c.second);
}

} // namespace

nlohmann::json RlEvaluation::summary_json() const {
    double sharpe = 0, dd = 0, ret = 0, bh = 0;
    for (const EpisodeReport& e : episodes) {
        sharpe += e.metrics.sharpe;
        dd += e.metrics.max_drawdown;
        ret += e.metrics.total_return;
        bh += e.buy_hold_return;
    }
    const double n = episodes.empty() ? 1.0 : static_cast<double>(episodes.size());
    return {{"sharpe", sharpe / n},
            {"max_drawdown", dd / n},
            {"total_return", ret / n},
            {"buy_hold_return", bh / n}};
}

nlohmann::json RlEvaluation::to_json() const {
    nlohmann::json out = nlohmann::json::array();
    for (std::size_t i = 0; i < episodes.size(); ++i) {
        const EpisodeReport& e = episodes[i];
        out.push_back({{"symbol", symbols[i]},
                       {"from", format_time(e.from)},
                       {"to", format_time(e.to)},
                       {"decisions", e.decisions},
                       {"total_return", e.metrics.total_return},
                       {"sharpe", e.metrics.sharpe},
                       {"max_drawdown", e.metrics.max_drawdown},
                       {"trades", e.metrics.trades},
                       {"buy_hold_return", e.buy_hold_return},
                       {"buy_hold_sharpe", e.buy_hold_sharpe},
                       {"t_stat", e.t_stat},
                       {"max_entry_exposure", e.shield.max_entry_exposure},
                       {"entries_past_halt", e.shield.entries_past_halt},
                       {"shield_interventions", e.shield.interventions()}});
        if (!assets.empty()) {
            out.back()["buy_hold"] = "equal weight";
            for (const Asset& a : assets)
                out.back()["assets"].push_back({{"symbol", a.symbol},
                                                {"max_entry_exposure", a.max_entry_exposure},
                                                {"mean_allocation", a.mean_allocation}});
        }
        if (i < market_execution.size()) {
            const ExecutionStats& x = e.execution;
            out.back()["execution"] = {
                {"parent_orders", x.parents},
                {"limit_orders", x.limits},
                {"forced_fills", x.forced},
                {"mean_shortfall_bps", x.mean_shortfall_bps()},
                {"market_only_shortfall_bps", market_execution[i].mean_shortfall_bps()},
                {"market_only_parent_orders", market_execution[i].parents},
                {"gain_t_stat", shortfall_gain_t(x, market_execution[i])}};
        }
    }
    return out;
}

ActionFn agent_policy(PolicyAgent& agent, PolicyAgent* tactical, const RlConfig& config,
                      HierarchyTrace* trace, StrategicAbove above) {
    if (config.agent.portfolio)
        throw InputError(config.name + ": a portfolio agent (agent.portfolio) allocates across "
                                       "its symbols together; it runs in `aurum rl evaluate`, "
                                       "not in the single-asset simulate/safety");
    if (agent.level() == "strategic")
        return hierarchical_policy(agent, tactical, config.agent.cadence, trace);
    if (agent.level() == "execution") {
        if (above.agent) return hierarchical_policy(*above.agent, tactical, above.cadence, trace);
        return tactical ? tactical->action_fn() : ActionFn(regime_trend_action);
    }
    return agent.action_fn();
}

ExecutionFn execution_policy(PolicyAgent& agent) {
    if (agent.level() != "execution") return {};
    return [&agent](std::span<const float> obs) { return agent.act(obs); };
}

PortfolioFn portfolio_policy(PolicyAgent& agent) {
    return [&agent](std::span<const float> obs, std::span<double> out) {
        agent.act_batch(obs, out.size(), out);
    };
}

RlEvaluation evaluate_portfolio(PolicyAgent& agent, const PortfolioMarket& market,
                                const RlConfig& config, const EnvConfig& env) {
    const double cap = env.spec.risk.limits.max_position;
    const double need = config.gating.min_t_stat;
    PortfolioEpisodeReport p = run_portfolio_episode(market.full_tapes(), market.split, env,
                                                     portfolio_policy(agent),
                                                     config.agent.cadence);
    RlEvaluation ev;
    auto& rules = ev.gate.rules;
    const EpisodeReport& e = p.total;
    const Metrics& m = e.metrics;
    rules.push_back(rule("portfolio oos t-stat", e.t_stat >= need, e.t_stat, need,
                         fmt::format("mean bar return / standard error {:.2f} (need >= {:.2f})",
                                     e.t_stat, need)));
    if (config.gating.beat_buy_hold_sharpe)
        rules.push_back(rule("portfolio sharpe vs equal-weight buy-and-hold",
                             m.sharpe > e.buy_hold_sharpe, m.sharpe, e.buy_hold_sharpe,
                             fmt::format("{:.2f} vs equal-weight buy-and-hold {:.2f}", m.sharpe,
                                         e.buy_hold_sharpe)));
    rules.push_back(rule("portfolio trades", m.trades > 0, static_cast<double>(m.trades), 1,
                         fmt::format("{} trades out of sample", m.trades)));
    for (std::size_t i = 0; i < p.symbols.size(); ++i) {
        const double x = p.max_entry_exposure[i];
        rules.push_back(rule(p.symbols[i] + " position cap", x <= cap * (1 + kEntryGapTolerance),
                             x, cap,
                             fmt::format("largest entry {:.1f} % of equity (cap {:.0f} %)",
                                         x * 100, cap * 100)));
        ev.assets.push_back({p.symbols[i], x, p.mean_allocation[i]});
    }
    rules.push_back(rule("portfolio drawdown halt", e.shield.entries_past_halt == 0,
                         static_cast<double>(e.shield.entries_past_halt), 0,
                         fmt::format("{} entries past the halt", e.shield.entries_past_halt)));
    ev.gate.passed = true;
    for (const GatingRule& r : rules)
        ev.gate.passed = ev.gate.passed && r.passed;
    ev.symbols.push_back(fmt::format("portfolio {}", fmt::join(p.symbols, " + ")));
    ev.episodes.push_back(std::move(p.total));
    return ev;
}

RlEvaluation evaluate_agent(PolicyAgent& agent, PolicyAgent* tactical, const TrainingMarket& market,
                            const RlConfig& config, const EnvConfig& env, StrategicAbove above) {
    if (config.agent.portfolio)
        return evaluate_portfolio(agent, portfolio_market(market, config), config, env);
    RlEvaluation ev;
    const double cap = env.spec.risk.limits.max_position;
    ev.gate.passed = true;
    for (std::size_t i = 0; i < market.full.size(); ++i) {
        const MarketTape& tape = market.full[i];
        const ExecutionFn exec = execution_policy(agent);
        EpisodeReport e = run_policy_episode(tape, market.split[i], env,
                                             agent_policy(agent, tactical, config, nullptr, above), exec);
        const std::string s = tape.bars.symbol + " ";
        const Metrics& m = e.metrics;
        auto& rules = ev.gate.rules;
        if (exec) {
            // The execution level is judged on execution alone: the same upper policy, every
            // order at market, is the baseline.
            const ExecutionStats market_only =
                run_policy_episode(tape, market.split[i], env,
                                   agent_policy(agent, tactical, config, nullptr, above))
                    .execution;
            const double a = e.execution.mean_shortfall_bps();
            const double b = market_only.mean_shortfall_bps();
            const double t = shortfall_gain_t(e.execution, market_only);
            rules.push_back(rule(s + "execution shortfall", t >= config.gating.min_t_stat, t,
                                 config.gating.min_t_stat,
                                 fmt::format("mean {:.2f} bps over {} parent orders vs {:.2f} "
                                             "bps all at market: gain t-stat {:.2f} (need >= "
                                             "{:.2f})",
                                             a, e.execution.parents, b, t,
                                             config.gating.min_t_stat)));
            ev.market_execution.push_back(market_only);
        } else {
            rules.push_back(rule(s + "oos t-stat", e.t_stat >= config.gating.min_t_stat,
                                 e.t_stat, config.gating.min_t_stat,
                                 fmt::format("mean bar return / standard error {:.2f} (need >= "
                                             "{:.2f})",
                                             e.t_stat, config.gating.min_t_stat)));
            if (config.gating.beat_buy_hold_sharpe)
                rules.push_back(rule(
                    s + "sharpe vs buy-and-hold", m.sharpe > e.buy_hold_sharpe, m.sharpe,
                    e.buy_hold_sharpe,
                    fmt::format("{:.2f} vs buy-and-hold {:.2f}", m.sharpe, e.buy_hold_sharpe)));
        }
        rules.push_back(rule(s + "trades", m.trades > 0, static_cast<double>(m.trades), 1,
                             fmt::format("{} trades out of sample", m.trades)));
        const double entry = e.shield.max_entry_exposure;
        rules.push_back(rule(s + "position cap", entry <= cap * (1 + kEntryGapTolerance), entry,
                             cap,
                             fmt::format("largest entry {:.1f} % of equity (cap {:.0f} %)",
                                         entry * 100, cap * 100)));
        rules.push_back(rule(s + "drawdown halt", e.shield.entries_past_halt == 0,
                             static_cast<double>(e.shield.entries_past_halt), 0,
                             fmt::format("{} entries past the halt", e.shield.entries_past_halt)));
        ev.symbols.push_back(tape.bars.symbol);
        ev.episodes.push_back(std::move(e));
    }
    for (const GatingRule& r : ev.gate.rules)
        ev.gate.passed = ev.gate.passed && r.passed;
    return ev;
}

RlTrainResult train_rl(const RlConfig& config, const RlTrainOptions& options) {
    const auto t0 = std::chrono::steady_clock::now();
    const TimeMs now = SystemClock().now();
    EnvConfig env = options.env;
    env.episode_bars = config.agent.episode_bars;
    if (!config.agent.tactical_model.empty() && !options.tactical)
        throw InputError("agent.tactical_model " + config.agent.tactical_model + ": not loaded");
    if (!config.agent.strategic_model.empty() && !options.strategic.agent)
        throw InputError("agent.strategic_model " + config.agent.strategic_model +
                         ": not loaded");
    const std::uint64_t seed = config.market.seed ^ config.ppo.seed;
    std::optional<TrainingMarket> market;
    std::optional<PortfolioMarket> portfolio;
    std::unique_ptr<VecEnv> venv;
    std::unique_ptr<BatchEnv> upper;
    PortfolioStrategicEnv* portfolio_env = nullptr;
    if (config.agent.portfolio) {
        // One account over every symbol; the batch rows are (environment, asset) pairs.
        portfolio = build_portfolio_market(config, options.store);
        auto p = std::make_unique<PortfolioStrategicEnv>(portfolio->train_tapes(), env,
                                                         config.agent.envs, config.agent.cadence,
                                                         config.agent.dsr_eta, seed);
        portfolio_env = p.get();
        upper = std::move(p);
    } else {
        market = build_training_market(config, options.store);
        venv = std::make_unique<VecEnv>(market->train_tapes(), env, config.agent.envs, seed);
    }
    if (config.agent.strategic && !config.agent.portfolio)
        upper = std::make_unique<StrategicEnv>(*venv, options.tactical, config.agent.cadence,
                                               config.agent.episode_bars, config.agent.dsr_eta);
    if (config.agent.execution) {
        std::vector<ActionFn> policies;
        // One upper policy per environment: a hierarchy keeps its cadence's state.
        for (std::size_t i = 0; i < venv->size(); ++i)
            policies.push_back(options.strategic.agent
                                   ? hierarchical_policy(*options.strategic.agent,
                                                         options.tactical,
                                                         options.strategic.cadence)
                               : options.tactical ? options.tactical->action_fn()
                                                  : ActionFn(regime_trend_action));
        upper = std::make_unique<ExecutionEnv>(*venv, std::move(policies));
    }
    BatchEnv& batch = upper ? *upper : static_cast<BatchEnv&>(*venv);
    PolicyAgent agent(batch.obs_size(), config.agent.action_levels, config.ppo, config.level());
    PpoTrainer trainer(batch, agent.net(), agent.norm(), config.agent.action_levels, config.ppo,
                       config.agent.rollout_steps, config.agent.reward_scale);

    RlTrainResult out;
    out.run = options.run.empty() ? config.name + "-" + utc_stamp(now) : options.run;
    // One run per directory (TensorBoard would merge two runs' event files into one curve).
    if (std::filesystem::exists(options.runs_root / out.run)) {
        if (!options.run.empty())
            throw InputError(fmt::format("--run {}: {} exists (choose another name or remove it)",
                                         out.run, (options.runs_root / out.run).string()));
        for (int k = 2; std::filesystem::exists(options.runs_root / out.run); ++k)
            out.run = fmt::format("{}-{}-{}", config.name, utc_stamp(now), k);
    }
    out.run_dir = options.runs_root / out.run;
    TrainingLog log(options.runs_root, out.run, config.level());
    for (std::size_t u = 0; u < config.agent.updates; ++u) {
        out.updates.push_back(trainer.step());
        log.write(out.updates.back());
        if (options.progress)
            options.progress(out.updates.back());
    }
    log.flush();
    out.bar_steps = portfolio_env ? portfolio_env->bars_stepped() : venv->bars_stepped();
    out.parameter_hash = agent.net().parameter_hash();
    out.parameters = agent.net().parameter_count();
    out.evaluation = portfolio ? evaluate_portfolio(agent, *portfolio, config, env)
                               : evaluate_agent(agent, options.tactical, *market, config, env,
                                                options.strategic);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!options.registry)
        return out;

    const FeatureConfig fc = FeatureConfig::parse(FeatureConfig::default_yaml(), "features");
    ModelRecord rec;
    rec.name = config.name;
    rec.kind = "rl";
    rec.feature_set_name = config.feature_set;
    rec.feature_set_id = fc.get(config.feature_set).id();
    rec.label_spec = config.agent.portfolio
                         ? "reward: differential Sharpe ratio of the portfolio's block return, "
                           "shared by every asset row"
                     : config.agent.strategic ? "reward: differential Sharpe ratio of the bar returns"
                     : config.agent.execution
                         ? "reward: minus the implementation shortfall vs the arrival price"
                         : "reward: log equity change net of costs";
    rec.symbols = config.market.symbols;
    rec.timeframe = config.market.timeframe;
    const BarSeries& first = portfolio ? portfolio->full.front().bars : market->full.front().bars;
    rec.data_from = first.time.front();
    rec.data_to = first.time.back();
    rec.created = now;
    rec.experiment_id = out.run;
    rec.params = {{"level", config.level()},
                  {"ppo", config.ppo.to_json()},
                  {"action_levels", config.agent.action_levels}};
    if (config.agent.strategic)
        rec.params["cadence"] = config.agent.cadence;
    if (config.agent.portfolio)
        rec.params["portfolio"] = true;
    const PpoUpdateReport& last = out.updates.back();
    rec.metrics = {{"training",
                    {{"updates", last.update},
                     {"env_steps", last.env_steps},
                     {"reward", last.reward},
                     {"policy_entropy", last.stats.entropy},
                     {"approx_kl", last.stats.approx_kl}}},
                   {"evaluation", out.evaluation.to_json()},
                   {"oos", out.evaluation.summary_json()}};
    rec.gating = out.evaluation.gate.to_json();
    rec.extra = {{"rl_yaml", config.yaml},
                 {"run", out.run},
                 {"parameter_hash", fmt::format("{:016x}", out.parameter_hash)}};
    if (options.tactical)
        rec.extra["tactical_model"] = {
            {"name", options.tactical_name.empty() ? config.agent.tactical_model
                                                   : options.tactical_name},
            {"version", options.tactical_version}};
    if (options.strategic.agent)
        rec.extra["strategic_model"] = {{"name", config.agent.strategic_model},
                                        {"version", options.strategic_version},
                                        {"cadence", options.strategic.cadence}};
    out.record = options.registry->register_model(
        rec, [&](const std::filesystem::path& dir) { agent.save(dir); });
    return out;
}

RlConfig stored_rl_config(const ModelRecord& record) {
    if (record.kind != "rl")
        throw InputError(fmt::format("{} v{} is a {} model, not an rl agent", record.name,
                                     record.version, record.kind));
    return RlConfig::parse(record.extra.value("rl_yaml", default_rl_yaml()),
                           record.name + " metadata (rl.yaml snapshot)");
}

} // namespace aurum
