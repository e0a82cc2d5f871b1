#include "surfaces/reports/session_reports.hpp"

#include "live/daemon_app.hpp" // daily_report_file: the name the daemon emails

#include "core/error.hpp"
#include "live/feature_drift.hpp"
#include "live/model_monitor.hpp"
#include "live/prediction_outcomes.hpp"
#include "models/models_config.hpp"
#include "core/timeframe.hpp"
#include "surfaces/reports/daily_report.hpp"
#include "surfaces/reports/market_reports.hpp"
#include "surfaces/reports/report_html.hpp"
#include "surfaces/reports/weekly_report.hpp"

namespace aurum {

using nlohmann::json;

namespace {

json judge_models(StateStore& st, MarketStore& market, const SessionView& v, const Workspace& ws,
                  const ExpectationLookup& lookup, int* resolved) {
    // The config first: a broken file is refused before anything is stored.
    const MonitorConfig cfg = load_monitor_config(ws.config_file("monitor.yaml"));
    const int added = resolve_outcomes(st, market, v.session, v.now, lookup);
    if (resolved) *resolved = added;
    if (v.predictions.empty()) return nullptr;
    json verdict = accuracy_monitor(load_outcomes(st, v.session.id), lookup, cfg);
    if (v.is_current)
        st.put_kv(kModelMonitorKey, json{{"session", v.session.id}, {"verdict", verdict}}.dump());
    return verdict;
}

/// The entry threshold of the session's model (the first one the registry knows).
double entry_threshold(const SessionView& v, const ExpectationLookup& lookup) {
    for (const auto& p : v.predictions) {
        const json d = json::parse(p.detail, nullptr, false);
        if (d.is_object())
            if (auto e = lookup(d.value("model", ""))) return e->threshold;
    }
    return PolicyConfig{}.threshold;
}

/// The volatility report of `rq.symbols` (else the session's) up to the report day's end.
SessionReport volatility_report(const SessionReportRequest& rq, MarketStore& market, const Workspace& ws,
                                const InstrumentRegistry& instruments, const RiskLimits& limits,
                                const SessionView* v) {
    std::vector<std::string> symbols = rq.symbols.empty() && v ? v->symbols : rq.symbols;
    for (auto& s : symbols) s = normalize_symbol(s);
    for (const auto& s : symbols) instruments.get(s); // unknown symbols refused first
    const std::string tf_text = !rq.timeframe.empty() ? rq.timeframe : v ? v->session.timeframe : "4h";
    const auto tf = Timeframe::parse(tf_text);
    if (!tf) throw InputError("--timeframe: '" + tf_text + "' is not a timeframe (e.g. 1h, 4h, 1d)");
    TimeMs day = 0;
    if (v) {
        day = resolve_report_day(*v, rq.date, "--date");
    } else if (!rq.date.empty()) {
        const auto t = parse_time(rq.date);
        if (!t || floor_to(*t, kMsPerDay) != *t)
            throw InputError("--date: '" + rq.date + "' is not a date (expected YYYY-MM-DD)");
        day = *t;
    } else {
        // The day of the newest bar of the first symbol.
        const BarSeries last = market.load_bars(symbols.front(), *tf);
        if (last.size() == 0) throw InputError("--symbols: no " + tf->name() + " bars of " + symbols.front() + " in the store");
        day = floor_to(last.time.back(), kMsPerDay);
    }
    const std::filesystem::path dir = rq.out_dir.empty() ? ws.reports_dir() : rq.out_dir;
    check_report_dir(dir);
    const TimeMs to = v ? std::min(day + kMsPerDay, v->now) : day + kMsPerDay;
    SessionReport out;
    out.data = volatility_report_data(market, instruments, symbols, *tf, to, limits);
    out.text = volatility_report_text(out.data);
    out.files = {dir / report_file_name("volatility_analysis", day, "html"),
                 dir / report_file_name("volatility_analysis", day, "txt")};
    write_report_files({{out.files[0], volatility_report_html(out.data)}, {out.files[1], out.text}});
    return out;
}

} // namespace

SessionReport write_session_report(const SessionReportRequest& rq, MarketStore& market,
                                   const Workspace& ws, const InstrumentRegistry& instruments,
                                   TimeMs wall_now) {
    if (rq.kind != "daily" && rq.kind != "weekly" && rq.kind != "volatility" && rq.kind != "costs")
        throw InputError("report: unknown report '" + rq.kind + "' (daily, weekly, volatility, costs)");
    if (rq.kind == "costs" && rq.days < 1) throw InputError("--days: must be >= 1 (got " + std::to_string(rq.days) + ")");
    const RiskLimits limits = load_risk_limits(ws.config_file("risk.yaml").string());
    StateStore st(market.database());
    if (rq.kind == "volatility" && !rq.symbols.empty()) return volatility_report(rq, market, ws, instruments, limits, nullptr);
    const SessionView v = load_session_view(st, rq.session, wall_now);
    const TimeMs day = resolve_report_day(v, rq.date, "--date");
    const std::filesystem::path dir = rq.out_dir.empty() ? ws.reports_dir() : rq.out_dir;
    check_report_dir(dir);
    if (rq.kind == "volatility") return volatility_report(rq, market, ws, instruments, limits, &v);
    SessionReport out;
    if (rq.kind == "costs") {
        const TimeMs to = std::min(day + kMsPerDay, v.now);
        out.data = costs_report_data(v, to - rq.days * kMsPerDay, to);
        out.text = costs_report_text(out.data);
        out.files = {dir / report_file_name("cost_analysis", day, "html"),
                     dir / report_file_name("cost_analysis", day, "txt")};
        write_report_files({{out.files[0], costs_report_html(out.data)}, {out.files[1], out.text}});
        return out;
    }
    const ExpectationLookup lookup = registry_expectations(ws.models_dir() / "registry");
    const json health = judge_models(st, market, v, ws, lookup, nullptr);
    std::string html;
    if (rq.kind == "daily") {
        DailyReportInput in;
        in.view = &v;
        in.store = &st;
        in.market = &market;
        in.limits = &limits;
        in.ws = &ws;
        in.day = day;
        in.wall_now = wall_now;
        in.model_health = health;
        out.data = daily_report_data(in);
        out.text = daily_report_text(out.data);
        html = daily_report_html(out.data);
        out.files = {daily_report_file(dir, day, "html"), daily_report_file(dir, day, "txt")};
    } else {
        WeeklyReportInput in;
        in.view = &v;
        in.market = &market;
        in.instruments = &instruments;
        in.limits = &limits;
        in.day = day;
        in.model_health = health;
        in.outcomes = load_outcomes(st, v.session.id);
        in.entry_threshold = entry_threshold(v, lookup);
        in.drift = session_drift(st, market, instruments, ws, v.session.id, v.is_current);
        out.data = weekly_report_data(in);
        out.text = weekly_report_text(out.data);
        html = weekly_report_html(out.data);
        out.files = {dir / report_file_name("weekly_analysis", day, "html"),
                     dir / report_file_name("weekly_analysis", day, "txt")};
    }
    write_report_files({{out.files[0], html}, {out.files[1], out.text}});
    return out;
}

json run_accuracy_monitor(MarketStore& market, const Workspace& ws, const std::string& session,
                          TimeMs wall_now, int* resolved) {
    const MonitorConfig cfg = load_monitor_config(ws.config_file("monitor.yaml"));
    StateStore st(market.database());
    const SessionView v = load_session_view(st, session, wall_now);
    json verdict = judge_models(st, market, v, ws, registry_expectations(ws.models_dir() / "registry"),
                                resolved);
    if (verdict.is_null()) verdict = accuracy_monitor({}, nullptr, cfg);
    verdict["session"] = v.session.id;
    return verdict;
}

} // namespace aurum
