// `aurum report daily|weekly|volatility|costs` and `aurum monitor accuracy|drift|divergence`: thin
// handlers. They read the state store (daemon up or down: SQLite WAL readers never block the
// daemon); the reports are built and written by src/surfaces/reports, the checks live in
// src/live (prediction_outcomes, model_monitor, feature_drift, divergence).
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "live/control.hpp"
#include "live/divergence.hpp"
#include "live/feature_drift.hpp"
#include "models/registry.hpp"
#include "surfaces/reports/session_reports.hpp"

namespace aurum {

using nlohmann::json;

namespace {

/// Flags every session report takes.
struct ReportFlags {
    std::string date;
    std::string session;
    std::string out; ///< empty: <home>/reports
    std::vector<std::string> symbols;
    std::string timeframe;
    int days = 30;
};

void add_report_flags(CLI::App* sub, ReportFlags& f, const std::string& date_help) {
    sub->add_option("--date", f.date, date_help);
    sub->add_option("--session", f.session, "Session id (default: the one `aurum status` shows)");
    sub->add_option("--out", f.out, "Directory for the report files (default <home>/reports)");
}

int run_report(CliContext& ctx, const std::string& kind, const ReportFlags& f) {
    SessionReportRequest rq{kind, f.date, f.session, f.out, f.symbols, f.timeframe, f.days};
    auto market = ctx.open_store();
    const SessionReport r =
        write_session_report(rq, *market, ctx.workspace(), ctx.instruments(), SystemClock().now());
    if (ctx.json) {
        json out = r.data;
        out["files"] = json::array();
        for (const auto& p : r.files) out["files"].push_back(p.string());
        std::cout << out.dump(2) << "\n";
    } else {
        std::cout << r.text << "\nHTML report: " << r.files[0].string()
                  << "\nText report: " << r.files[1].string() << "\n";
    }
    return 0;
}

std::string accuracy_text(const json& verdict) {
    if (verdict["models"].empty()) return "No resolved predictions yet (horizons not closed, or a rule strategy).\n";
    std::string o = fmt::format("{:<26} {:<10} {:>6} {:>9} {:>6} {:>12}  {}\n", "model", "symbol", "n",
                                "hit rate", "AUC", "walk-forward", "verdict");
    for (const auto& m : verdict["models"]) {
        o += fmt::format("{:<26} {:<10} {:>6} {:>8.1f}% {:>6.3f} {:>12}  {}\n", m["model"].get<std::string>(),
                         m["symbol"].get<std::string>(), m["n"].get<std::size_t>(),
                         m["hit_rate_pct"].get<double>(), m["auc"].get<double>(),
                         m["wf_accuracy_pct"].is_null() ? std::string("-")
                                                        : fmt::format("{:.1f}%", m["wf_accuracy_pct"].get<double>()),
                         m["degraded"].get<bool>() ? "DEGRADED"
                         : m["judged"].get<bool>() ? "ok"
                                                   : "not judged (too few predictions or no walk-forward)");
        for (const auto& c : m["calibration"])
            o += fmt::format("    P(up) {}: {:>5} predictions, mean {:.2f}, went up {:.0f}%\n",
                             c["bin"].get<std::string>(), c["n"].get<int>(), c["mean_p_up"].get<double>(),
                             c["share_up"].get<double>() * 100);
    }
    for (const auto& d : verdict["degraded"]) o += "⚠ degraded: " + d.get<std::string>() + "\n";
    return o;
}

int accuracy(CliContext& ctx, const std::string& session) {
    auto market = ctx.open_store();
    int resolved = 0;
    const json verdict =
        run_accuracy_monitor(*market, ctx.workspace(), session, SystemClock().now(), &resolved);
    if (ctx.json) {
        json out = verdict;
        out["resolved_now"] = resolved;
        std::cout << out.dump(2) << "\n";
    } else {
        std::cout << "Session " << verdict["session"].get<std::string>() << ": " << resolved
                  << " prediction(s) resolved now\n"
                  << accuracy_text(verdict);
    }
    return verdict["degraded"].empty() ? 0 : 1;
}

/// Flags of `monitor drift`: the shown session's models, or one model on chosen dates.
struct DriftFlags {
    std::string session, model, symbol, from, to;
    int version = 0;
};

std::string drift_text(const json& row) {
    std::string o = fmt::format(
        "{} on {}: training {} .. {} ({} bars) vs live {} .. {} ({} bars): {} of {} features "
        "drifted{}\n",
        row["model"].get<std::string>(), row["symbol"].get<std::string>(),
        format_time(row["training"]["from"].get<TimeMs>()), format_time(row["training"]["to"].get<TimeMs>()),
        row["training"]["rows"].get<std::size_t>(), format_time(row["live"]["from"].get<TimeMs>()),
        format_time(row["live"]["to"].get<TimeMs>()), row["live"]["rows"].get<std::size_t>(),
        row["drifted"].get<std::size_t>(), row["features"].size(),
        row["degraded"].get<bool>() ? " -> DRIFTED" : " -> ok");
    o += fmt::format("  {:<28} {:>8} {:>6}\n", "feature (most drifted first)", "PSI", "KS");
    std::size_t shown = 0;
    for (const auto& f : row["features"]) {
        if (shown++ == 10 && !f["drifted"].get<bool>()) break;
        o += fmt::format("  {:<28} {:>8.3f} {:>6.3f}{}\n", f["name"].get<std::string>(),
                         f["psi"].get<double>(), f["ks"].get<double>(), f["drifted"].get<bool>() ? "  drifted" : "");
    }
    return o;
}

TimeMs drift_date(const std::string& text, const char* flag) {
    const auto t = parse_time(text);
    if (!t) throw InputError(std::string(flag) + ": '" + text + "' is not a date (YYYY-MM-DD)");
    return *t;
}

int drift(CliContext& ctx, const DriftFlags& f) {
    auto market = ctx.open_store();
    json verdict;
    if (!f.model.empty()) {
        // One model on chosen dates: no session needed (a research check before promotion).
        if (f.symbol.empty() || f.from.empty() || f.to.empty())
            throw InputError("--model needs --symbol, --from and --to (the live window to compare)");
        const MonitorConfig cfg = load_monitor_config(ctx.workspace().config_file("monitor.yaml"));
        ModelRegistry registry(ctx.workspace().models_dir() / "registry", nullptr);
        DriftRequest rq{registry.get(f.model, f.version),
                        normalize_symbol(f.symbol),
                        {drift_date(f.from, "--from"), drift_date(f.to, "--to")}};
        if (rq.live.to <= rq.live.from) throw InputError("--to must be after --from");
        json row = feature_drift(*market, ctx.instruments(), ctx.workspace(), rq, cfg);
        verdict = {{"models", json::array({row})}, {"skipped", json::array()},
                   {"degraded", row["degraded"].get<bool>()
                                    ? json::array({row["model"].get<std::string>() + " on " + rq.symbol + ": " +
                                                   row["reason"].get<std::string>()})
                                    : json::array()}};
    } else {
        StateStore st(market->database());
        const auto shown = shown_session(st);
        const std::string id = f.session.empty() ? (shown ? shown->id : std::string()) : f.session;
        if (id.empty()) throw InputError("no trading session yet: start one with `aurum run --mode paper`");
        verdict = session_drift(st, *market, ctx.instruments(), ctx.workspace(), id,
                                shown && shown->id == id);
    }
    if (ctx.json) {
        std::cout << verdict.dump(2) << "\n";
    } else {
        if (verdict["models"].empty() && verdict["skipped"].empty())
            std::cout << "No model predictions in the session (a rule strategy): nothing to compare.\n";
        for (const auto& row : verdict["models"]) std::cout << drift_text(row);
        for (const auto& s : verdict["skipped"]) std::cout << "not judged: " << s.get<std::string>() << "\n";
        for (const auto& d : verdict["degraded"]) std::cout << "⚠ drifted: " << d.get<std::string>() << "\n";
    }
    return verdict["degraded"].empty() ? 0 : 1;
}

} // namespace

void register_report(CLI::App& report_group, CliContext& ctx) {
    CLI::App* report = &report_group;
    {
        auto* sub = report->add_subcommand("daily", "Daily report: positions, P&L, Sharpe, trades, risk, "
                                                    "signals, errors -> reports/daily_report_YYYY_MM_DD.html");
        auto f = std::make_shared<ReportFlags>();
        add_report_flags(sub, *f, "Day to report, YYYY-MM-DD (default: the session's current day)");
        on_run(sub, ctx, [&ctx, f] { return run_report(ctx, "daily", *f); });
    }
    {
        auto* sub = report->add_subcommand("weekly", "Weekly analysis: vs BTC/ETH buy & hold, risk, accuracy, "
                                                     "features, wins/losses, recommendations -> "
                                                     "reports/weekly_analysis_YYYY_MM_DD.html");
        auto f = std::make_shared<ReportFlags>();
        add_report_flags(sub, *f, "Last day of the week to report, YYYY-MM-DD (default: the session's current day)");
        on_run(sub, ctx, [&ctx, f] { return run_report(ctx, "weekly", *f); });
    }
    {
        auto* sub = report->add_subcommand("volatility", "Realised volatility now vs its history per symbol, and the "
                                                         "max position that keeps risk constant -> "
                                                         "reports/volatility_analysis_YYYY_MM_DD.html");
        auto f = std::make_shared<ReportFlags>();
        add_report_flags(sub, *f, "Day to report, YYYY-MM-DD (default: the session's current day)");
        sub->add_option("--symbols", f->symbols, "Comma-separated symbols (default: the session's)")->delimiter(',');
        sub->add_option("--timeframe", f->timeframe, "Bar timeframe (default: the session's, else 4h)");
        on_run(sub, ctx, [&ctx, f] { return run_report(ctx, "volatility", *f); });
    }
    {
        auto* sub = report->add_subcommand("costs", "Fees, spread and slippage paid, P&L before and after costs -> "
                                                    "reports/cost_analysis_YYYY_MM_DD.html");
        auto f = std::make_shared<ReportFlags>();
        add_report_flags(sub, *f, "Last day of the period, YYYY-MM-DD (default: the session's current day)");
        sub->add_option("--days", f->days, "Length of the period in days (default 30)");
        on_run(sub, ctx, [&ctx, f] { return run_report(ctx, "costs", *f); });
    }
}

void register_monitor(CLI::App& app, CliContext& ctx) {
    auto* monitor = app.add_subcommand("monitor", "Model health: predictions against outcomes");
    monitor->require_subcommand(1);
    auto* sub = monitor->add_subcommand("accuracy", "Rolling hit rate, AUC and calibration per model and symbol "
                                                    "vs the walk-forward expectation (exit 1: a model is degraded)");
    auto session = std::make_shared<std::string>();
    sub->add_option("--session", *session, "Session id (default: the one `aurum status` shows)");
    on_run(sub, ctx, [&ctx, session] { return accuracy(ctx, *session); });
    auto* dr = monitor->add_subcommand("drift", "Per-feature PSI and KS of the live inputs vs each model's "
                                                "training window (exit 1: a model drifted)");
    auto df = std::make_shared<DriftFlags>();
    dr->add_option("--session", df->session, "Session id (default: the one `aurum status` shows)");
    dr->add_option("--model", df->model, "One registry model instead of a session's (needs --symbol, --from, --to)");
    dr->add_option("--version", df->version, "Its version (default: the latest)");
    dr->add_option("--symbol", df->symbol, "Symbol whose live inputs are compared");
    dr->add_option("--from", df->from, "Live window start, YYYY-MM-DD");
    dr->add_option("--to", df->to, "Live window end (exclusive), YYYY-MM-DD");
    on_run(dr, ctx, [&ctx, df] { return drift(ctx, *df); });
    auto* div = monitor->add_subcommand("divergence", "Replay the paper session's bars through the same engine "
                                                      "(no manual commands) and list every trade that differs, "
                                                      "with the reason (exit 1: some differ)");
    auto div_session = std::make_shared<std::string>();
    div->add_option("--session", *div_session, "Session id (default: the one `aurum status` shows)");
    on_run(div, ctx, [&ctx, div_session] {
        auto market = ctx.open_store();
        StateStore st(market->database());
        const DivergenceReport r = find_divergence(st, *market, ctx.workspace(), ctx.instruments(), *div_session);
        if (ctx.json) std::cout << r.to_json().dump(2) << "\n";
        else std::cout << r.to_text();
        return r.differences.empty() ? 0 : 1;
    });
}

} // namespace aurum
