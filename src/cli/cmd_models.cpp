// `aurum train`, `aurum walkforward`, `aurum predict`, `aurum registry ...`: thin handlers over
// models/training_pipeline.hpp and models/registry.hpp.
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/logging.hpp"
#include "live/command.hpp"
#include "live/retrain.hpp"
#include "models/model_strategy.hpp"
#include "models/training_pipeline.hpp"
#include "rl/rl_agent_strategy.hpp"
#include "runtime/engine_stack.hpp"
#include "surfaces/control_api_client.hpp"

namespace aurum {

namespace {

struct TrainFlags {
    std::string model = "gbdt";
    std::string symbols;
    std::string timeframe = "4h";
    std::string from, to, name;
    bool promote = false, force = false;
    std::string risk; ///< --risk: "" = the workspace's config/risk.yaml, "off", or a file
    std::string labels, experiment;
};

/// After a registry change: a running daemon that trades the model applies `c` at once (at its
/// next bar); a stopped one reconciles with the registry when it starts. Returns the exit code.
int tell_daemon(const CliContext& ctx, const Command& c) {
    auto cli = connect_daemon(ctx.workspace());
    if (!cli) {
        std::cout << "daemon not running: a session trading it applies this when it starts\n";
        return 0;
    }
    if (DaemonModels::from_health(cli->get("/api/health")).in_use.count(c.model) == 0) {
        std::cout << fmt::format("daemon: does not trade {}; nothing to change\n", c.model);
        return 0;
    }
    const CommandOutcome o = cli->send(c);
    if (o.exit_code != 0) {
        std::cerr << fmt::format("error: the registry changed but the daemon refused: {}\n",
                                 o.message);
        return 1;
    }
    std::cout << "daemon: " << o.message << "\n";
    return 0;
}

TrainRequest to_request(const TrainFlags& f) {
    TrainRequest r;
    r.kind = f.model;
    r.symbols = split_symbols(f.symbols);
    r.timeframe = Timeframe::parse_or_throw(f.timeframe);
    auto when = [](const std::string& flag, const std::string& text) {
        const auto t = parse_time(text);
        if (!t) throw InputError(flag + ": '" + text + "' is not a date (use 2024-01-31)");
        return *t;
    };
    if (!f.from.empty()) r.range.from = when("--from", f.from);
    if (!f.to.empty()) r.range.to = when("--to", f.to);
    r.name = f.name;
    r.labels = f.labels;
    r.experiment = f.experiment;
    r.promote = f.promote;
    r.force = f.force;
    if (f.force) spdlog::warn("--force: gating results will be IGNORED for promotion; this is logged");
    return r;
}

void add_train_flags(CLI::App* sub, TrainFlags& f) {
    sub->add_option("--model", f.model, "gbdt | lstm | gnn | ensemble")
        ->check(CLI::IsMember({"gbdt", "lstm", "gnn", "ensemble"}));
    sub->add_option("--symbols", f.symbols, "Comma-separated symbols, e.g. BTC/USDT,ETH/USDT")->required();
    sub->add_option("--timeframe", f.timeframe, "Bar timeframe (1h, 4h, 1d, ...)");
    sub->add_option("--from", f.from, "First bar (date), default: all history");
    sub->add_option("--to", f.to, "End (date, exclusive)");
    sub->add_option("--name", f.name, "Registry name (default: <model>-<symbols>-<timeframe>)");
    sub->add_flag("--force", f.force, "Promote even when gating fails (logged loudly)");
    sub->add_option("--labels", f.labels,
                    "Label method, fixed | triple-barrier (default: config/models.yaml's; "
                    "walkforward: the model's own). The set `aurum labels build` stored is used "
                    "when there is one")
        ->check(CLI::IsMember({"fixed", "triple-barrier"}));
    sub->add_option("--risk", f.risk,
                    "Risk of the walk-forward backtests: a risk.yaml, or off (default: the "
                    "workspace's config/risk.yaml, as paper/live trade)");
}

/// The engine stack gating judges with: risk-on with the workspace's limits unless --risk says.
std::shared_ptr<SpecBacktestRunner> gating_runner(const CliContext& ctx, const TrainFlags& f) {
    return std::make_shared<SpecBacktestRunner>(parse_risk_option(
        "--risk", f.risk, ctx.workspace().config_file("risk.yaml").string()));
}

void print_outcome(const TrainOutcome& o) {
    const auto& wf = o.wf;
    std::cout << fmt::format("{} walk-forward on {} folds: OOS accuracy {:.1f}% (AUC {:.3f}), Sharpe {:.2f}, "
                             "max drawdown {:.1f}%, {} trades (buy-and-hold Sharpe {:.2f})\n",
                             wf.kind, wf.folds.size(), wf.oos.accuracy * 100, wf.oos.auc, wf.backtest.sharpe,
                             wf.backtest.max_drawdown * 100, wf.backtest.trades, wf.buy_hold_sharpe);
    std::cout << fmt::format("training accuracy {:.1f}% vs out-of-sample {:.1f}%; shuffled-label control "
                             "AUC {:.3f}\n",
                             wf.leakage.train_accuracy * 100, wf.leakage.test_accuracy * 100,
                             wf.leakage.shuffled_auc);
    for (const auto& f : wf.leakage.flags) std::cout << "LEAKAGE FLAG: " << f << "\n";
    std::cout << "gating: " << (o.verdict.passed ? "PASSED" : "FAILED") << "\n";
    for (const auto& r : o.verdict.rules)
        std::cout << (r.passed ? "  [pass] " : "  [FAIL] ") << r.detail << "\n";
    if (o.record)
        std::cout << fmt::format("registered {} v{} ({})\n", o.record->name, o.record->version,
                                 to_string(o.record->status));
    std::cout << "production: " << o.promotion << "\n";
    if (!o.experiment_dir.empty()) std::cout << "report: " << (o.experiment_dir / "summary.txt").string() << "\n";
    std::cout << "walk-forward report: " << o.walkforward_report.string() << "\n";
}

void print_record(const ModelRecord& r, bool detailed) {
    // Walk-forward figures; an rl agent's out-of-sample evaluation ("oos") has the same keys.
    const auto& w = r.metrics.contains("walkforward") ? r.metrics["walkforward"]
                    : r.metrics.contains("oos")       ? r.metrics["oos"]
                                                      : nlohmann::json::object();
    std::cout << fmt::format("{:<28} v{:<3} {:<10} {:<8} {:<10} Sharpe {:>6.2f}  DD {:>6.1f}%  gating {}  {}\n",
                             r.name, r.version, to_string(r.status), r.kind, r.timeframe,
                             w.value("sharpe", 0.0), w.value("max_drawdown", 0.0) * 100,
                             r.gating_passed() ? "pass" : "FAIL", format_time(r.created));
    if (!detailed) return;
    std::cout << r.to_json().dump(2) << "\n";
}

int parse_version(const std::string& v) {
    if (v.empty() || v == "latest") return 0;
    const std::string digits = v[0] == 'v' ? v.substr(1) : v;
    try {
        std::size_t pos = 0;
        const int n = std::stoi(digits, &pos);
        if (pos == digits.size() && n > 0) return n;
    } catch (...) {
    }
    throw InputError(fmt::format("--version '{}': expected a number like 3 or v3, or latest", v));
}

} // namespace
/// The gating verdict in the log files, one line per rule, so the runbook's grep finds it.
void log_outcome(const TrainOutcome& o) {
    const std::string model = o.record ? fmt::format("{} v{}", o.record->name, o.record->version)
                                       : std::string("model");
    file_logger().log(o.verdict.passed ? spdlog::level::info : spdlog::level::warn,
                      "train: {} gating {}; production: {}", model,
                      o.verdict.passed ? "PASSED" : "FAILED", o.promotion);
    for (const auto& r : o.verdict.rules)
        file_logger().info("train: {} gating rule {}: {}", model, r.passed ? "pass" : "FAIL",
                           r.detail);
}

void register_models(CLI::App& app, CliContext& ctx) {
    // train
    auto tf = std::make_shared<TrainFlags>();
    CLI::App* train = app.add_subcommand(
        "train", "Train a model with purged walk-forward validation, leakage controls and gating; "
                 "register it as a candidate and write reports/experiments/<id>/");
    add_train_flags(train, *tf);
    train->add_flag("--promote", tf->promote, "Promote to production when gating passes");
    train->add_option("--experiment", tf->experiment,
                      "Group this run with others of the same id: reports/experiments/<id>/"
                      "summary.txt lists every model of the group (`make train`)");
    on_run(train, ctx, [&ctx, tf] {
        auto store = ctx.open_store();
        SystemClock clock;
        TrainRequest req = to_request(*tf);
        const auto runner = gating_runner(ctx, *tf);
        req.runner = runner.get();
        const auto out = run_training(*store, ctx.instruments(), ctx.workspace(), req, clock);
        log_outcome(out);
        if (ctx.json) std::cout << train_outcome_json(out).dump(2) << "\n";
        else print_outcome(out);
        return 0;
    });

    // walkforward
    auto wf = std::make_shared<TrainFlags>();
    CLI::App* walk = app.add_subcommand(
        "walkforward", "Purged walk-forward backtest of a model spec: writes reports/walkforward/"
                       "summary.md and summary.html; exit 1 when gating fails");
    add_train_flags(walk, *wf);
    walk->add_flag("--promote", wf->promote,
                   "Promote the latest registered version of this model when gating passes");
    // --universe: one walk-forward per symbol of a file as a Dask graph (aurum.distributed).
    struct UniverseFlags {
        std::string universe, scheduler;
        int workers = 0;
    };
    auto uf = std::make_shared<UniverseFlags>();
    walk->get_option("--symbols")->required(false);
    walk->add_option("--universe", uf->universe,
                     "A file of `SYMBOL [TIMEFRAME]` lines: one walk-forward per symbol on a Dask "
                     "cluster, results in the store (see docs/distributed.md)");
    walk->add_option("--scheduler", uf->scheduler,
                     "--universe: Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a local "
                     "cluster of this machine's cores)");
    walk->add_option("--workers", uf->workers, "--universe: local cluster worker processes");
    on_run(walk, ctx, [&ctx, wf, uf] {
        if (!uf->universe.empty()) {
            if (!wf->symbols.empty())
                throw InputError("give either --symbols or --universe FILE, not both");
            if (wf->promote || !wf->name.empty() || !wf->labels.empty())
                throw InputError("--universe runs each symbol's default model spec: --promote, "
                                 "--name and --labels are not accepted with it");
            std::vector<std::string> a = {"walkforward", "--universe", uf->universe,
                                          "--timeframe", wf->timeframe, "--model", wf->model};
            for (const auto& [flag, v] : {std::pair{"--from", wf->from}, {"--to", wf->to},
                                          {"--risk", wf->risk}, {"--scheduler", uf->scheduler}})
                if (!v.empty())
                    a.insert(a.end(), {flag, v});
            if (uf->workers > 0)
                a.insert(a.end(), {"--workers", std::to_string(uf->workers)});
            return run_distributed(ctx, a);
        }
        if (!uf->scheduler.empty() || uf->workers > 0)
            throw InputError("--scheduler and --workers go with --universe FILE");
        if (wf->symbols.empty())
            throw InputError("--symbols is required (or --universe FILE)");
        auto store = ctx.open_store();
        SystemClock clock;
        TrainRequest req = to_request(*wf);
        const auto runner = gating_runner(ctx, *wf);
        req.runner = runner.get();
        const auto out = run_walkforward_validation(*store, ctx.instruments(), ctx.workspace(),
                                                    req, clock);
        if (ctx.json) std::cout << train_outcome_json(out).dump(2) << "\n";
        else print_outcome(out);
        return out.verdict.passed ? 0 : static_cast<int>(ExitCode::CheckFailed);
    });

    // predict
    auto pf = std::make_shared<std::tuple<std::string, std::string, std::string, std::string>>(
        "production", "", "", "");
    CLI::App* predict = app.add_subcommand(
        "predict", "Latest prediction of a registered model for a symbol, with confidence, decision "
                   "and the features that drove it");
    predict->add_option("--model", std::get<0>(*pf), "production | candidate | latest | vN");
    predict->add_option("--symbol", std::get<1>(*pf), "Symbol, e.g. BTC/USDT")->required();
    predict->add_option("--name", std::get<2>(*pf), "Registry name (default: any model of the symbol)");
    predict->add_option("--timeframe", std::get<3>(*pf), "Only models of this timeframe");
    on_run(predict, ctx, [&ctx, pf] {
        auto store = ctx.open_store();
        std::optional<Timeframe> tfo;
        if (!std::get<3>(*pf).empty()) tfo = Timeframe::parse_or_throw(std::get<3>(*pf));
        const auto p = predict_latest(*store, ctx.instruments(), ctx.workspace(), std::get<0>(*pf),
                                      std::get<1>(*pf), std::get<2>(*pf), tfo);
        if (ctx.json) {
            nlohmann::json j = {{"model", p.model}, {"symbol", p.symbol}, {"bar", format_iso(p.bar_time)},
                                {"p_up", p.p_up}, {"target", p.decision.target},
                                {"expected_value", p.decision.expected_value},
                                {"reason", p.decision.reason}, {"agreement", p.agreement}};
            for (const auto& [f, v] : p.drivers) j["drivers"].push_back({{"feature", f}, {"value", v}});
            for (const auto& [m, v] : p.votes) j["votes"].push_back({{"member", m}, {"p_up", v}});
            std::cout << j.dump(2) << "\n";
            return 0;
        }
        std::cout << fmt::format("{} {} at close of bar {}: {} {:.2f}\n", p.model, p.symbol,
                                 format_time(p.bar_time), p.p_up >= 0.5 ? "UP" : "DOWN",
                                 p.p_up >= 0.5 ? p.p_up : 1 - p.p_up);
        for (const auto& [m, v] : p.votes)
            std::cout << fmt::format("  {}: {} {:.2f}\n", m, v >= 0.5 ? "UP" : "DOWN", v >= 0.5 ? v : 1 - v);
        if (!p.votes.empty()) std::cout << fmt::format("  agreement {:.0f}%\n", p.agreement * 100);
        std::cout << "decision: " << p.decision.reason << "\n";
        std::cout << (p.votes.empty() && p.model.find("gbdt") != std::string::npos
                          ? "top contributions (log-odds):\n"
                          : "top features:\n");
        for (const auto& [f, v] : p.drivers) std::cout << fmt::format("  {:<28} {:+.4f}\n", f, v);
        return 0;
    });

    // registry
    CLI::App* reg = app.add_subcommand("registry", "Model registry: list, show, promote, rollback, demote, archive");
    reg->require_subcommand(1);
    auto rname = std::make_shared<std::string>();
    auto rver = std::make_shared<std::string>();
    auto rforce = std::make_shared<bool>(false);
    auto open_registry = [&ctx](std::unique_ptr<MarketStore>& store) {
        store = ctx.open_store();
        return ModelRegistry(ctx.workspace().models_dir() / "registry", &store->database());
    };
    CLI::App* list = reg->add_subcommand("list", "Every registered model version");
    list->add_option("--name", *rname, "Only this model");
    on_run(list, ctx, [&ctx, rname, open_registry] {
        std::unique_ptr<MarketStore> store;
        auto r = open_registry(store);
        const auto all = r.list(*rname);
        if (ctx.json) {
            nlohmann::json j = nlohmann::json::array();
            for (const auto& m : all) j.push_back(m.to_json());
            std::cout << j.dump(2) << "\n";
            return 0;
        }
        if (all.empty()) std::cout << "no models registered (train one with `aurum train`)\n";
        for (const auto& m : all) print_record(m, false);
        return 0;
    });
    CLI::App* show = reg->add_subcommand("show", "Metadata of one version");
    show->add_option("name", *rname, "Model name")->required();
    show->add_option("--version", *rver, "Version (default latest)");
    on_run(show, ctx, [&ctx, rname, rver, open_registry] {
        std::unique_ptr<MarketStore> store;
        auto r = open_registry(store);
        const auto m = r.get(*rname, parse_version(*rver));
        if (ctx.json) std::cout << m.to_json().dump(2) << "\n";
        else {
            print_record(m, false);
            std::cout << "gating:\n";
            if (m.gating.contains("rules"))
                for (const auto& rule : m.gating["rules"]) std::cout << "  " << rule.value("detail", "") << "\n";
            std::cout << "events:\n";
            for (const auto& e : r.events(*rname))
                std::cout << fmt::format("  {} {} v{} {}\n", format_time(e.time), e.action, e.version, e.note);
            std::cout << "files: " << m.dir.string() << "\n";
        }
        return 0;
    });
    CLI::App* promote = reg->add_subcommand("promote", "Make a version production (gating must have passed)");
    promote->add_option("name", *rname, "Model name")->required();
    promote->add_option("--version", *rver, "Version (default latest)");
    promote->add_flag("--force", *rforce, "Promote despite failed gating (logged loudly)");
    on_run(promote, ctx, [&ctx, rname, rver, rforce, open_registry] {
        std::unique_ptr<MarketStore> store;
        auto r = open_registry(store);
        SystemClock clock;
        // The daemon's own load check (feature set unchanged, every input has a live source),
        // so a model that cannot trade is refused here and never first at `aurum run`.
        const ModelRecord target = r.get(*rname, parse_version(*rver));
        if (target.kind == "rl")
            RlAgent::load(r, target); // what `strategy: rl` loads (policy, tactical agent)
        else
            LiveModel::load(target, workspace_feature_config(ctx.workspace()));
        const auto m = r.promote(*rname, parse_version(*rver), *rforce, clock.now(), "registry promote");
        std::cout << fmt::format("{} v{} is now production{}\n", m.name, m.version,
                                 m.gating_passed() ? "" : " (FORCED: gating failed)");
        return 0;
    });
    auto rreason = std::make_shared<std::string>();
    CLI::App* rollback = reg->add_subcommand("rollback", "Restore the previous production model");
    rollback->add_option("name", *rname, "Model name")->required();
    rollback->add_option("--reason", *rreason, "Why (audit log)");
    on_run(rollback, ctx, [&ctx, rname, rreason, open_registry] {
        std::unique_ptr<MarketStore> store;
        auto r = open_registry(store);
        SystemClock clock;
        const auto m = r.rollback(*rname, clock.now());
        std::cout << fmt::format("rolled back: {} v{} is production again\n", m.name, m.version);
        const std::string why = rreason->empty() ? "registry rollback" : *rreason;
        return tell_daemon(ctx, model_command(CommandKind::ModelReload, m.name, m.version, why));
    });
    CLI::App* demote = reg->add_subcommand(
        "demote", "Withdraw the production model without a replacement (nothing trades it)");
    demote->add_option("name", *rname, "Model name")->required();
    demote->add_option("--reason", *rreason, "Why (audit log)");
    on_run(demote, ctx, [&ctx, rname, rreason, open_registry] {
        std::unique_ptr<MarketStore> store;
        auto r = open_registry(store);
        SystemClock clock;
        const std::string why = rreason->empty() ? "registry demote" : *rreason;
        const auto m = r.demote(*rname, clock.now(), why);
        std::cout << fmt::format("{} v{} demoted: no version of {} is production\n", m.name,
                                 m.version, m.name);
        return tell_daemon(ctx, model_command(CommandKind::ModelUnload, m.name, 0, why));
    });
    CLI::App* archive = reg->add_subcommand("archive", "Archive a version that is not production");
    archive->add_option("name", *rname, "Model name")->required();
    archive->add_option("--version", *rver, "Version")->required();
    on_run(archive, ctx, [rname, rver, open_registry] {
        std::unique_ptr<MarketStore> store;
        auto r = open_registry(store);
        SystemClock clock;
        const auto m = r.archive(*rname, parse_version(*rver), clock.now());
        std::cout << fmt::format("{} v{} archived\n", m.name, m.version);
        return 0;
    });
}

} // namespace aurum
