#include "surfaces/status_format.hpp"

#include <cmath>
#include <tuple>

#include <fmt/format.h>

namespace aurum {

using nlohmann::json;

std::string format_money(double v, bool sign) {
    const double a = std::fabs(v);
    std::string digits = fmt::format("{:.2f}", a);
    const auto dot = digits.find('.');
    std::string whole = digits.substr(0, dot), grouped;
    for (std::size_t i = 0; i < whole.size(); ++i) {
        if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ',';
        grouped += whole[i];
    }
    std::string s = "$" + grouped + digits.substr(dot);
    if (v < 0) return "-" + s;
    return sign ? "+" + s : s;
}

namespace {

/// "✓ Exchange streams: market connected (1,234 candles streamed), user data subscribed".
std::string stream_line(const nlohmann::json& s) {
    if (!s.value("streaming", false))
        return fmt::format("✓ Exchange feed: REST only ({} backfills)\n", s.value("backfills", 0));
    const auto& m = s.value("market_stream", nlohmann::json::object());
    const bool market = m.value("connected", false);
    std::string user = "user data over REST";
    bool user_ok = true;
    if (s.contains("user_stream")) {
        const auto& u = s["user_stream"];
        user_ok = u.value("subscribed", false);
        user = user_ok ? fmt::format("user data subscribed ({} reports)", u.value("reports", 0))
                       : "user data NOT subscribed" +
                             (u.value("last_error", std::string()).empty()
                                  ? std::string()
                                  : ": " + u.value("last_error", std::string()));
    }
    return fmt::format("{} Exchange streams: market {} ({} candles streamed, {} drops, {} gaps "
                       "filled), {}\n",
                       market && user_ok ? "✓" : "⚠", market ? "connected" : "NOT connected",
                       s.value("streamed", 0), m.value("drops", 0), s.value("gaps", 0), user);
}

std::string ago(TimeMs ms) {
    if (ms < 0) return "never";
    if (ms < 60 * kMsPerSecond) return fmt::format("{}s ago", ms / 1000);
    return format_duration(ms) + " ago";
}
std::string pct(double v, bool sign = true) {
    return sign ? fmt::format("{:+.1f}%", v) : fmt::format("{:.1f}%", v);
}
} // namespace

std::string format_status(const json& s, bool daemon_up) {
    if (s.value("session", json()).is_null()) return s.value("message", "no session") + "\n";
    std::string pos_names;
    for (const auto& p : s["positions"]) {
        const std::string sym = p["symbol"];
        pos_names += (pos_names.empty() ? "" : ", ") + sym.substr(0, sym.find('/'));
    }
    const double heat = s["heat_pct"];
    const std::string state = s["trading_state"];
    std::string out;
    out += fmt::format("Portfolio: {} ({} all-time)\n", format_money(s["equity"]),
                       pct(s["return_pct"].get<double>()));
    out += fmt::format("Positions: {}{}\n", s["positions"].size(),
                       pos_names.empty() ? "" : " (" + pos_names + ")");
    out += fmt::format("Risk: {:.0f}% heat ({})\n", heat, heat <= 50 ? "healthy" : "high");
    out += fmt::format("Trading: {}\n", s["trading_state_text"].get<std::string>());
    out += fmt::format("Session: {} ({} {}, {}; last bar {})\n", s["session"].get<std::string>(),
                       s["mode"].get<std::string>(), s["clock"].get<std::string>(),
                       s["session_status"].get<std::string>(),
                       s["last_bar"].get<TimeMs>() ? format_time(s["last_bar"].get<TimeMs>()) : "-");
    for (const auto& g : s.value("signals", json::array())) {
        const double sig = g["signal"];
        out += fmt::format("Signal {}: {} (P(up) {:.2f}, {} at {})\n", g["symbol"].get<std::string>(),
                           sig > 0 ? "LONG" : sig < 0 ? "SHORT" : "FLAT", g["p_up"].get<double>(),
                           g["model"].get<std::string>(), format_time(g["time"].get<TimeMs>()));
    }
    const TimeMs since = s["seconds_since_update"].get<TimeMs>();
    out += fmt::format("Last update: {}\n", since < 0 ? "never" : ago(since * 1000));
    if (!daemon_up)
        out += "Status: daemon not running (figures from the database)\n";
    else if (s.contains("risk_config_error"))
        out += "Status: ⚠ config/risk.yaml is invalid (last valid limits kept): " +
               s["risk_config_error"].get<std::string>() + "\n";
    else if (!s.value("untradable", json::array()).empty())
        out += fmt::format("Status: ⚠ {} has no model to trade with (not traded; `aurum health` "
                           "lists the models)\n",
                           s["untradable"].size() >= s.value("symbol_count", std::size_t{0})
                               ? std::string("no symbol")
                               : s["untradable"].dump());
    else if (state == "ACTIVE")
        out += "Status: ✓ All systems operational\n";
    else
        out += "Status: ⚠ " + s["trading_state_text"].get<std::string>() + "\n";
    return out;
}

std::string format_summary(const json& s) {
    if (s.value("session", json()).is_null()) return s.value("message", "no session") + "\n";
    std::string out = "==================== DAILY SUMMARY ====================\n";
    out += "Date: " + s["date"].get<std::string>() + "\n\nPOSITIONS:\n";
    if (s["positions"].empty()) out += "  (none)\n";
    for (const auto& p : s["positions"])
        out += fmt::format("  {}: {} {} {} @ {} (entry: {})\n", p["symbol"].get<std::string>(),
                           p["side"].get<std::string>(), fmt::format("{:.6g}", p["qty"].get<double>()),
                           p["base"].get<std::string>(), format_money(p["mark"]),
                           format_money(p["entry"]));
    out += "\nP&L:\n";
    out += fmt::format("  Unrealized: {} ({})\n", format_money(s["unrealized"], true),
                       pct(s["unrealized_pct"].get<double>()));
    out += fmt::format("  Realized Today: {}\n", format_money(s["realized_today"], true));
    out += fmt::format("  Total Week: {} ({})\n", format_money(s["pnl_week"], true),
                       pct(s["pnl_week_pct"].get<double>()));
    out += "\nTRADES TODAY:\n";
    if (s["trades_today"].empty()) out += "  (none)\n";
    for (const auto& t : s["trades_today"]) {
        const std::string hhmm = format_time(t["time"].get<TimeMs>()).substr(11, 5);
        out += "  " + hhmm + " - " + t["text"].get<std::string>() + "\n";
    }
    if (const auto n = s.value("trades", 0); n > 0)
        out += fmt::format("  Session so far: {} closed trade{}, win rate {:.0f}%\n", n,
                           n == 1 ? "" : "s", s["win_rate"].get<double>() * 100.0);
    const auto& r = s["risk"];
    out += std::string("\nRISK STATUS: ") +
           (r["healthy"].get<bool>()                   ? std::string("✓ All limits healthy")
            : r["state"].get<std::string>() != "ACTIVE" ? "⚠ " + r["state"].get<std::string>()
                                                        : std::string("⚠ Over a limit after price "
                                                                      "moves (no new entries "
                                                                      "beyond it)")) +
           "\n";
    out += fmt::format("  Portfolio heat: {:.0f}% (max: {:.0f}%)\n", r["heat_pct"].get<double>(),
                       r["heat_limit_pct"].get<double>());
    out += fmt::format("  Max position: {:.0f}% (limit: {:.0f}%)\n",
                       r["max_position_pct"].get<double>(), r["max_position_limit_pct"].get<double>());
    out += fmt::format("  Daily loss: {} (limit: -{:.0f}%)\n", pct(r["daily_pct"].get<double>()),
                       r["daily_limit_pct"].get<double>());
    out += "\nALERTS: ";
    if (s["alerts"].empty()) out += "None\n";
    else {
        out += "\n";
        for (const auto& a : s["alerts"]) out += "  ⚠ " + a.get<std::string>() + "\n";
    }
    out += "=====================================================\n";
    return out;
}

std::string format_health(const json& h, TimeMs wall_now) {
    std::string out = "========== SYSTEM HEALTH CHECK ==========\n";
    const bool up = h["daemon"]["running"];
    out += up ? fmt::format("✓ Orchestrator: Running (uptime: {})\n",
                            format_duration(h["daemon"]["uptime_ms"].get<TimeMs>()))
              : std::string("✗ Orchestrator: Not running (start it with `aurum run`)\n");
    const TimeMs lw = h["database"]["last_write_ms_ago"];
    out += fmt::format("✓ Database: Connected ({}; last write: {})\n",
                       h["database"]["describe"].get<std::string>(), ago(lw));
    if (h.contains("data_feed")) {
        const auto& f = h["data_feed"];
        const bool stale = f["stale"];
        out += fmt::format("{} Data feed: {} {} ({}), last bar {}\n", stale ? "⚠" : "✓",
                           f["symbols"].get<std::string>(), f["timeframe"].get<std::string>(),
                           f["clock"].get<std::string>(),
                           f["last_bar"].get<TimeMs>() ? format_time(f["last_bar"].get<TimeMs>()) : "-");
        if (f.contains("stream")) out += stream_line(f["stream"]);
        const auto& m = h["model"];
        if (m.contains("models")) {
            std::string loaded, missing;
            for (const auto& x : m["models"]) {
                const std::string sym = x["symbol"];
                if (x["model"].is_null())
                    missing += (missing.empty() ? "" : ", ") + sym;
                else
                    loaded += fmt::format("{}{} v{} ({})", loaded.empty() ? "" : ", ",
                                          x["model"].get<std::string>(), x["version"].get<int>(),
                                          sym);
            }
            out += fmt::format("{} Models loaded: {}{}\n", missing.empty() ? "✓" : "⚠",
                               loaded.empty() ? "none" : loaded,
                               missing.empty() ? "" : "; no production model (not traded): " + missing);
        } else {
            out += fmt::format("✓ Models: none loaded; rule strategy {} (last decision: {})\n",
                               m["strategy"].get<std::string>(),
                               m["last_decision"].get<TimeMs>() ? format_time(m["last_decision"].get<TimeMs>()) : "-");
        }
        // The accuracy and drift verdicts: one line when all is well, one per flagged model.
        for (const auto& [key, ok, flagged] :
             {std::tuple{"monitor", "Model accuracy: no model degraded", "Model degraded: "},
              std::tuple{"drift", "Feature drift: no model drifted", "Model drifted: "}}) {
            if (!m.contains(key)) continue;
            const auto& d = m[key]["degraded"];
            if (d.empty())
                out += fmt::format("✓ {} ({} model/symbol pairs checked)\n", ok, m[key]["models"].size());
            for (const auto& x : d) out += std::string("⚠ ") + flagged + x.get<std::string>() + "\n";
        }
        if (m.contains("last_prediction") && !m["last_prediction"].is_null()) {
            const auto& p = m["last_prediction"];
            std::string top;
            for (const auto& f : p["detail"]["top"]) {
                if (top.size() > 60) break;
                top += fmt::format("{}{} {:+.3f}", top.empty() ? "" : ", ",
                                   f["feature"].get<std::string>(), f["value"].get<double>());
            }
            out += fmt::format("  Last prediction: {} {} P(up) {:.2f} signal {:+.0f} by {} (top: {})\n",
                               format_time(p["time"].get<TimeMs>()), p["symbol"].get<std::string>(),
                               p["p_up"].get<double>(), p["detail"].value("signal", 0.0),
                               p["detail"].value("model", ""), top);
        }
    }
    const std::string rs = h["risk"]["state"];
    // Only a running daemon enforces limits: never "Active" with the daemon down.
    if (h["risk"].value("active", up))
        out += fmt::format("{} Risk Manager: Active ({})\n", rs == "ACTIVE" ? "✓" : "⚠",
                           h["risk"]["text"].get<std::string>());
    else
        out += fmt::format("✗ Risk Manager: Not running (no daemon; last state: {})\n",
                           h["risk"]["text"].get<std::string>());
    if (h["risk"].contains("config_error"))
        out += "✗ Risk config: " + h["risk"]["config_error"].get<std::string>() +
               " (the daemon keeps its last valid limits)\n";
    const double disk = h["disk"]["used_pct"];
    out += fmt::format("{} Disk Space: {:.0f}% used (warning at 80%)\n", disk >= 80 ? "⚠" : "✓", disk);
    // Alert delivery per channel (the outbox), from config/alerts.yaml's channels.
    if (h.contains("alerts"))
        for (const auto& c : h["alerts"]["channels"])
            out += fmt::format("{} Alerts {}: {} sent, {} queued, {} failed{}\n",
                               c["state"] == "ok" ? "✓" : (c["state"] == "dead" ? "✗" : "⚠"),
                               c["channel"].get<std::string>(), c["sent"].get<std::int64_t>(),
                               c["queued"].get<std::int64_t>(), c["failed"].get<std::int64_t>(),
                               c["state"] == "ok" ? std::string()
                                                  : " (" + c["state"].get<std::string>() + ": " +
                                                        c["last_error"].get<std::string>() + ")");
    out += fmt::format("\nRecent Errors: {} errors (24h), {} warnings (today)\n",
                       h["recent"]["errors"].get<int>(), h["recent"]["warnings"].get<int>());
    if (h.contains("last_trade") && h["last_trade"]["time"].get<TimeMs>() > 0) {
        const auto& t = h["last_trade"];
        out += fmt::format("Last Trade: {} ({}; session time)\n",
                           format_time(t["time"].get<TimeMs>()), t["text"].get<std::string>());
    } else {
        out += "Last Trade: none\n";
    }
    (void)wall_now;
    const json failures = h.value("failures", json::array());
    if (!failures.empty()) {
        std::string list;
        for (const auto& f : failures) list += (list.empty() ? "" : "; ") + f.get<std::string>();
        out += "\nFAILED: " + list + "\n";
    }
    out += "=========================================\n";
    return out;
}

std::string format_risk(const json& r) {
    std::string out = "Risk limits (config/risk.yaml):\n";
    for (const auto& [k, v] : r["limits"].items())
        out += fmt::format("  {:<24} {}\n", k, v.get<std::string>());
    out += "Trading state: " + r["state_text"].get<std::string>() + "\n";
    out += fmt::format("Peak equity: {}   Day start equity: {}\n",
                       format_money(r["peak_equity"]), format_money(r["day_start_equity"]));
    for (const auto& c : r["cooldowns"])
        out += fmt::format("Cooldown: {} until {}\n", c["symbol"].get<std::string>(),
                           format_time(c["until"].get<TimeMs>()));
    if (!r["recent_decisions"].empty()) out += "Recent decisions:\n";
    for (const auto& d : r["recent_decisions"])
        out += fmt::format("  {} {:<7} {}\n", format_time(d["time"].get<TimeMs>()),
                           d["verdict"].get<std::string>(), d["reason"].get<std::string>());
    return out;
}

std::string format_signals(const json& sigs) {
    if (sigs.empty()) return "No signals.\n";
    std::string out = fmt::format("{:>4}  {:<19}  {:<9}  {:>12}  {:>12}  {:<9}  {:<19}  {}\n",
                                  "id", "time", "symbol", "quantity", "price", "status",
                                  "expires", "outcome");
    for (const auto& s : sigs)
        out += fmt::format("{:>4}  {:<19}  {:<9}  {:>12.6g}  {:>12.2f}  {:<9}  {:<19}  {}\n",
                           s["id"].get<std::int64_t>(), format_time(s["time"].get<TimeMs>()),
                           s["symbol"].get<std::string>(), s["quantity"].get<double>(),
                           s["price"].get<double>(), s["status"].get<std::string>(),
                           format_time(s["expires_at"].get<TimeMs>()),
                           s.value("decision_reason", std::string()));
    return out;
}

std::string format_tickets(const json& tickets) {
    if (tickets.empty()) return "No tickets.\n";
    std::string out = fmt::format("{:>4}  {:<19}  {:<8}  {:<4}  {:>6}  {:>10}  {:>10}  {:>10}  {:<9}  {}\n",
                                  "id", "created", "symbol", "side", "lots", "entry", "stop",
                                  "target", "status", "fill / note");
    for (const auto& t : tickets) {
        const std::string status = t["status"].get<std::string>();
        const std::string detail =
            status == "filled"
                ? fmt::format("{:g} lots at {:.2f}{}", t["fill_lots"].get<double>(),
                              t["fill_price"].get<double>(),
                              t["broker_ticket"].get<std::string>().empty()
                                  ? std::string()
                                  : ", broker #" + t["broker_ticket"].get<std::string>())
                : t["note"].get<std::string>();
        out += fmt::format("{:>4}  {:<19}  {:<8}  {:<4}  {:>6g}  {:>10.2f}  {:>10.2f}  {:>10.2f}  "
                           "{:<9}  {}\n",
                           t["id"].get<std::int64_t>(), format_time(t["created"].get<TimeMs>()),
                           t["symbol"].get<std::string>(), t["side"].get<std::string>(),
                           t["lots"].get<double>(), t["entry"].get<double>(),
                           t["stop"].get<double>(), t["target"].get<double>(), status, detail);
    }
    return out;
}

} // namespace aurum
