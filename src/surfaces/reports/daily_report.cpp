#include "surfaces/reports/daily_report.hpp"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "core/html.hpp"
#include "live/control.hpp"
#include "risk/risk_manager.hpp"
#include "risk/trading_state.hpp"
#include "surfaces/reports/report_html.hpp"
#include "surfaces/status_format.hpp"

namespace aurum {

using nlohmann::json;

namespace {

/// Close of the last bar of `symbol` that closed by `t` (0 when the store has none).
double mark_at(MarketStore* market, const std::string& symbol, TimeMs tf, TimeMs t) {
    if (!market) return 0;
    const BarSeries b = market->load_bars(symbol, Timeframe(tf), {t - 30 * kMsPerDay, t - tf + 1});
    return b.size() ? b.close.back() : 0;
}

/// `aurum summary`'s fields for a day before the session's last one, rebuilt from the fills
/// and equity points (the risk state is today's: it is not kept per day).
json past_summary(const DailyReportInput& in) {
    const SessionView& v = *in.view;
    const TimeMs day = in.day, end = std::min(day + kMsPerDay, v.now);
    DaySummary s;
    s.session = v.session.id;
    s.day = day;
    s.equity = v.equity_at(end);
    for (const auto& p : positions_at(v, end)) {
        const double mark = mark_at(in.market, p.symbol, v.tf, end);
        s.add_position(p.symbol, p.qty, mark, p.avg_price, p.qty * (mark - p.avg_price));
    }
    for (const auto& o : v.orders) {
        if (o.filled_qty <= 0 || o.bar_time + v.tf < day || o.bar_time + v.tf >= day + kMsPerDay)
            continue;
        std::optional<double> p_up;
        for (const auto& p : v.predictions)
            if (p.time == o.bar_time && p.symbol == o.symbol) p_up = p.value;
        s.add_fill(o, v.tf, p_up);
    }
    for (const auto& t : v.trades) {
        if (t.exit_time >= day && t.exit_time < day + kMsPerDay) s.add_close(t);
        if (t.exit_time < day + kMsPerDay) {
            ++s.session_trades.trades;
            s.session_trades.wins += t.pnl > 0;
            s.session_trades.realized += t.pnl;
        }
    }
    s.day_start = v.equity_at(day);
    s.week_start = v.equity_at(end - kMsPerWeek);
    for (const auto& d : v.decisions)
        if (d.time >= day && d.time < day + kMsPerDay) s.count_decision(d);
    return s.to_json(*in.limits, "ACTIVE", true, "that day");
}

/// Signals generated, approved and rejected that day: every order request the risk manager
/// judged, and the human-approval queue.
json signal_review(const SessionView& v, TimeMs day) {
    int generated = 0, approved = 0, reduced = 0, rejected = 0;
    std::map<std::string, int> rules;
    for (const auto& d : v.decisions) {
        if (d.time < day || d.time >= day + kMsPerDay) continue;
        ++generated;
        if (d.verdict == "deny") {
            ++rejected;
            ++rules[d.rule.empty() ? d.reason : d.rule];
        } else {
            ++approved;
            reduced += d.verdict == "reduce";
        }
    }
    json queue = {{"pending", 0}, {"approved", 0}, {"rejected", 0}, {"expired", 0}, {"executed", 0}};
    for (const auto& s : v.signals)
        if (s.time >= day && s.time < day + kMsPerDay && queue.contains(s.status))
            queue[s.status] = queue[s.status].get<int>() + 1;
    json why = json::array();
    for (const auto& [rule, n] : rules) why.push_back({{"rule", rule}, {"count", n}});
    return {{"generated", generated}, {"approved", approved}, {"reduced", reduced},
            {"rejected", rejected}, {"rejected_by", why}, {"approval_queue", queue}};
}

/// Predictions of the day per symbol: how many and how confident (max(p, 1 - p)).
json prediction_review(const SessionView& v, TimeMs day) {
    std::map<std::string, std::pair<int, double>> by;
    for (const auto& p : v.predictions)
        if (p.time + v.tf > day && p.time + v.tf <= day + kMsPerDay) {
            auto& [n, sum] = by[p.symbol];
            ++n;
            sum += std::max(p.value, 1 - p.value);
        }
    json out = json::array();
    for (const auto& [sym, x] : by)
        out.push_back({{"symbol", sym}, {"count", x.first}, {"mean_confidence", x.second / x.first}});
    return out;
}

/// Error lines of logs/error.log written on `day` (UTC), and on the session's replay run.
json logged_errors(const Workspace* ws, TimeMs day) {
    json out = json::array();
    if (!ws) return out;
    std::ifstream in(ws->logs_dir() / "error.log");
    const std::string date = format_date(day);
    std::string line;
    while (std::getline(in, line))
        if (line.compare(0, date.size(), date) == 0 && out.size() < 50) out.push_back(line);
    return out;
}

} // namespace

json daily_report_data(const DailyReportInput& in) {
    const SessionView& v = *in.view;
    const TimeMs day = in.day, end = std::min(day + kMsPerDay, v.now);
    json r;
    // The current day of the current session is exactly what `aurum summary` shows.
    const bool live_day = v.is_current && day == v.current_day();
    r["summary"] = live_day ? query_summary(*in.store, *in.limits, in.wall_now) : past_summary(in);
    r["session"] = {{"id", v.session.id}, {"mode", v.session.mode}, {"clock", v.session.clock},
                    {"symbols", v.session.symbols}, {"timeframe", v.session.timeframe},
                    {"strategy", v.session.strategy}, {"capital", v.session.capital}};
    r["date"] = format_date(day);
    r["as_of"] = end;
    const Metrics m = period_metrics(v, v.session.trade_from, end, {}, {});
    r["performance"] = {{"equity", v.equity_at(end)},
                        {"total_return_pct", m.total_return * 100},
                        {"sharpe", m.sharpe},
                        {"max_drawdown_pct", m.max_drawdown * 100},
                        {"closed_trades", m.trades},
                        {"win_rate_pct", m.win_rate * 100},
                        {"fees", m.fees}};
    r["signals"] = signal_review(v, day);
    r["predictions"] = prediction_review(v, day);
    r["errors"] = logged_errors(in.ws, day);
    r["risk_state"] = live_day ? r["summary"]["risk"]["state"] : json("not kept per day");
    r["model_health"] = in.model_health;
    // Chart data: the session's equity to the day's end, and a week of predictions.
    json eq_t = json::array(), eq_v = json::array();
    for (const auto& [t, e] : v.equity)
        if (t >= v.session.trade_from && t + v.tf <= end) { // not the warm-up bars
            eq_t.push_back(t + v.tf);
            eq_v.push_back(e);
        }
    r["equity_curve"] = {{"time", eq_t}, {"equity", eq_v}};
    json preds = json::object();
    for (const auto& p : v.predictions)
        if (p.time + v.tf > end - kMsPerWeek && p.time + v.tf <= end) {
            preds[p.symbol]["time"].push_back(p.time + v.tf);
            preds[p.symbol]["p_up"].push_back(p.value);
        }
    r["prediction_trend"] = preds;
    return r;
}

std::string daily_report_text(const json& r) {
    std::string text = format_summary(r["summary"]);
    const auto& p = r["performance"];
    // The seed's email line "Sharpe: 1.65 | Max DD: -8.2%" belongs with the P&L.
    const std::string perf = fmt::format("  Sharpe: {:.2f} | Max DD: {:.1f}%\n", p["sharpe"].get<double>(),
                                         p["max_drawdown_pct"].get<double>());
    if (const auto at = text.find("\nTRADES TODAY:"); at != std::string::npos)
        text.insert(at, perf);
    const auto& s = r["signals"];
    std::string review = "\nEND OF DAY REVIEW:\n";
    review += fmt::format("  Signals: {} generated, {} approved ({} reduced), {} rejected\n",
                          s["generated"].get<int>(), s["approved"].get<int>(),
                          s["reduced"].get<int>(), s["rejected"].get<int>());
    for (const auto& w : s["rejected_by"])
        review += fmt::format("    rejected by {}: {}\n", w["rule"].get<std::string>(), w["count"].get<int>());
    const auto& q = s["approval_queue"];
    if (q["approved"].get<int>() + q["rejected"].get<int>() + q["expired"].get<int>() +
            q["pending"].get<int>() + q["executed"].get<int>() >
        0)
        review += fmt::format("  Approval queue: {} approved, {} rejected, {} expired, {} pending\n",
                              q["approved"].get<int>() + q["executed"].get<int>(),
                              q["rejected"].get<int>(), q["expired"].get<int>(), q["pending"].get<int>());
    for (const auto& x : r["predictions"])
        review += fmt::format("  Predictions {}: {} (mean confidence {:.2f})\n",
                              x["symbol"].get<std::string>(), x["count"].get<int>(),
                              x["mean_confidence"].get<double>());
    review += fmt::format("  Paper P&L: {} today, {} since start ({:+.1f}%)\n",
                          format_money(r["summary"]["pnl_today"], true),
                          format_money(p["equity"].get<double>() - r["session"]["capital"].get<double>(), true),
                          p["total_return_pct"].get<double>());
    review += std::string("  Risk limits: ") +
              (r["summary"]["risk"]["healthy"].get<bool>() ? "within every limit" : "over a limit") + "\n";
    if (r["model_health"].is_object())
        for (const auto& f : r["model_health"].value("degraded", json::array()))
            review += "  ⚠ Model degraded: " + f.get<std::string>() + "\n";
    review += fmt::format("  Errors: {}\n", r["errors"].empty() ? std::string("none")
                                                                 : std::to_string(r["errors"].size()));
    for (const auto& e : r["errors"]) review += "    " + e.get<std::string>() + "\n";
    const std::string closing = "=====================================================\n";
    if (const auto at = text.rfind(closing); at != std::string::npos) text.insert(at, review);
    return text;
}

namespace {

void html_positions_and_trades(std::ostringstream& o, const json& r) {
    const auto& s = r["summary"];
    o << "<h2>Positions</h2>";
    if (s["positions"].empty()) o << "<p>None open.</p>";
    else {
        o << "<table><thead><tr><th class='l'>symbol</th><th class='l'>side</th><th>quantity</th>"
             "<th>entry</th><th>mark</th><th>unrealized</th></tr></thead><tbody>";
        for (const auto& x : s["positions"])
            o << "<tr><td class='l'>" << html_escape(x["symbol"].get<std::string>()) << "</td><td class='l'>"
              << x["side"].get<std::string>() << "</td><td>" << fmt::format("{:.6g}", x["qty"].get<double>())
              << "</td><td>" << format_money(x["entry"]) << "</td><td>" << format_money(x["mark"])
              << "</td>" << signed_cell(format_money(x["unrealized"], true), x["unrealized"].get<double>())
              << "</tr>";
        o << "</tbody></table>";
    }
    o << "<h2>Trades today</h2>";
    if (s["trades_today"].empty()) o << "<p>None.</p>";
    else {
        o << "<table><thead><tr><th class='l'>time (UTC)</th><th class='l'>trade</th></tr></thead><tbody>";
        for (const auto& t : s["trades_today"])
            o << "<tr><td class='l'>" << format_time(t["time"].get<TimeMs>()) << "</td><td class='l'>"
              << html_escape(t["text"].get<std::string>()) << "</td></tr>";
        o << "</tbody></table>";
    }
}

void html_risk_and_alerts(std::ostringstream& o, const json& r) {
    const auto& s = r["summary"];
    const auto& rk = s["risk"];
    o << "<h2>Risk status: " << (rk["healthy"].get<bool>() ? "<span class='ok'>✓ All limits healthy</span>"
                                                           : "<span class='bad'>⚠ Over a limit</span>")
      << "</h2><p>Trading state: " << html_escape(r["risk_state"].get<std::string>()) << "</p>";
    o << svg_bar_chart({{"portfolio heat (limit " + fmt::format("{:.0f}%", rk["heat_limit_pct"].get<double>()) + ")",
                         rk["heat_pct"].get<double>() / 100},
                        {"max position (limit " + fmt::format("{:.0f}%", rk["max_position_limit_pct"].get<double>()) + ")",
                         rk["max_position_pct"].get<double>() / 100},
                        {"daily P&L (limit -" + fmt::format("{:.0f}%", rk["daily_limit_pct"].get<double>()) + ")",
                         rk["daily_pct"].get<double>() / 100}},
                       700, true);
    o << "<h2>Alerts</h2>";
    if (s["alerts"].empty()) o << "<p>None.</p>";
    for (const auto& a : s["alerts"]) o << "<p class='warn'>⚠ " << html_escape(a.get<std::string>()) << "</p>";
    if (r["model_health"].is_object())
        for (const auto& f : r["model_health"].value("degraded", json::array()))
            o << "<p class='bad'>⚠ Model degraded: " << html_escape(f.get<std::string>()) << "</p>";

}

void html_review(std::ostringstream& o, const json& r) {
    const auto& p = r["performance"];
    const auto& sg = r["signals"];
    o << "<h2>End of day review</h2><table><tbody>";
    o << "<tr><td class='l'>signals generated</td><td>" << sg["generated"].get<int>() << "</td></tr>"
      << "<tr><td class='l'>approved (of which reduced)</td><td>" << sg["approved"].get<int>() << " ("
      << sg["reduced"].get<int>() << ")</td></tr><tr><td class='l'>rejected</td><td>"
      << sg["rejected"].get<int>() << "</td></tr>";
    for (const auto& w : sg["rejected_by"])
        o << "<tr><td class='l'>&nbsp;&nbsp;by " << html_escape(w["rule"].get<std::string>()) << "</td><td>"
          << w["count"].get<int>() << "</td></tr>";
    for (const auto& [k, n] : sg["approval_queue"].items())
        o << "<tr><td class='l'>approval queue: " << k << "</td><td>" << n.get<int>() << "</td></tr>";
    o << "<tr><td class='l'>paper P&amp;L since start</td><td>" << fmt::format("{:+.2f}%", p["total_return_pct"].get<double>())
      << "</td></tr><tr><td class='l'>closed trades / win rate</td><td>" << p["closed_trades"].get<std::size_t>()
      << " / " << fmt::format("{:.1f}%", p["win_rate_pct"].get<double>()) << "</td></tr>"
      << "<tr><td class='l'>fees paid</td><td>" << format_money(p["fees"]) << "</td></tr></tbody></table>";

}

void html_charts_and_errors(std::ostringstream& o, const json& r) {
    const auto& sess = r["session"];
    o << "<h2>Equity</h2>";
    std::vector<TimeMs> t = r["equity_curve"]["time"].get<std::vector<TimeMs>>();
    std::vector<double> eq = r["equity_curve"]["equity"].get<std::vector<double>>();
    o << svg_line_chart(t, {{&eq, "#1f5fbf", "equity", false}}, {1100, 300, false, false});
    std::vector<double> dd = drawdown_series(eq, sess["capital"].get<double>());
    o << svg_line_chart(t, {{&dd, "#c0392b", "drawdown", true}}, {1100, 180, true, false});

    o << "<h2>Prediction confidence (last 7 days)</h2>";
    if (r["prediction_trend"].empty())
        o << "<p class='note'>No model predictions (the session trades a rule strategy).</p>";
    for (const auto& [sym, x] : r["prediction_trend"].items()) {
        std::vector<TimeMs> pt = x["time"].get<std::vector<TimeMs>>();
        std::vector<double> pv = x["p_up"].get<std::vector<double>>();
        o << "<p>" << html_escape(sym) << "</p>"
          << svg_line_chart(pt, {{&pv, "#7d3c98", "P(up) " + sym, false}}, {1100, 200, true, false});
    }
    for (const auto& x : r["predictions"])
        o << "<p class='note'>" << html_escape(x["symbol"].get<std::string>()) << ": "
          << x["count"].get<int>() << " predictions today, mean confidence "
          << fmt::format("{:.2f}", x["mean_confidence"].get<double>()) << "</p>";

    o << "<h2>Errors and warnings</h2>";
    if (r["errors"].empty()) o << "<p>None logged that day.</p>";
    else {
        o << "<pre>";
        for (const auto& e : r["errors"]) o << html_escape(e.get<std::string>()) << "\n";
        o << "</pre>";
    }
    o << "<h2>Text version</h2><pre>" << html_escape(daily_report_text(r)) << "</pre>";
}

} // namespace

std::string daily_report_html(const json& r) {
    const auto& s = r["summary"];
    const auto& p = r["performance"];
    const auto& sess = r["session"];
    std::ostringstream o;
    o << "<h1>Daily Report " << html_escape(r["date"].get<std::string>()) << "</h1><div class='sub'>Session "
      << html_escape(sess["id"].get<std::string>()) << " (" << html_escape(sess["mode"].get<std::string>())
      << ", " << html_escape(sess["clock"].get<std::string>()) << "; "
      << html_escape(sess["symbols"].get<std::string>()) << " " << html_escape(sess["timeframe"].get<std::string>())
      << "; " << html_escape(sess["strategy"].get<std::string>()) << "); figures as of "
      << format_time(r["as_of"].get<TimeMs>()) << " UTC</div>";
    o << "<div class='cards'>";
    report_card(o, "Equity", format_money(p["equity"]));
    report_card(o, "P&L today", format_money(s["pnl_today"], true), s["pnl_today"].get<double>());
    report_card(o, "P&L this week", format_money(s["pnl_week"], true), s["pnl_week"].get<double>());
    report_card(o, "Unrealized", format_money(s["unrealized"], true), s["unrealized"].get<double>());
    report_card(o, "Realized today", format_money(s["realized_today"], true), s["realized_today"].get<double>());
    report_card(o, "Sharpe", fmt::format("{:.2f}", p["sharpe"].get<double>()));
    report_card(o, "Max DD", fmt::format("{:.1f}%", p["max_drawdown_pct"].get<double>()), -1);
    report_card(o, "Open positions", std::to_string(s["positions"].size()));
    const auto& sg = r["signals"];
    report_card(o, "Signals generated / approved / rejected",
                fmt::format("{} / {} / {}", sg["generated"].get<int>(), sg["approved"].get<int>(),
                            sg["rejected"].get<int>()));
    o << "</div>";

    html_positions_and_trades(o, r);
    html_risk_and_alerts(o, r);
    html_review(o, r);
    html_charts_and_errors(o, r);
    return html_page("Daily Report " + r["date"].get<std::string>(), o.str());
}

} // namespace aurum
