#include "live/session_alerts.hpp"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "live/divergence.hpp"
#include "models/registry.hpp"

namespace aurum {

using nlohmann::json;

AlertEvent make_alert(TimeMs wall, std::string kind, AlertSeverity severity, std::string title,
                      std::string text, std::string dedup_key) {
    AlertEvent e;
    e.time = wall;
    e.kind = std::move(kind);
    e.severity = severity;
    e.title = std::move(title);
    e.text = std::move(text);
    e.dedup_key = std::move(dedup_key);
    return e;
}

namespace {

/// "model on symbol" pairs flagged degraded in a monitor verdict.
std::set<std::pair<std::string, std::string>> degraded_pairs(const json& verdict) {
    std::set<std::pair<std::string, std::string>> out;
    if (!verdict.is_object() || !verdict.contains("models")) return out;
    for (const auto& m : verdict["models"])
        if (m.value("degraded", false)) out.insert({m.value("model", ""), m.value("symbol", "")});
    return out;
}

} // namespace

namespace {

/// One alert per pair `verdict` flags and `previous` did not; `advice` formats the text from
/// (model, symbol, reason, retrain kind, registry name).
template <class Advice>
std::vector<AlertEvent> newly_flagged(TimeMs wall, const std::string& kind, const std::string& what,
                                      const json& verdict, const json& previous, Advice advice) {
    std::vector<AlertEvent> out;
    if (!verdict.is_object() || !verdict.contains("models")) return out;
    const auto before = degraded_pairs(previous);
    for (const auto& m : verdict["models"]) {
        const std::string model = m.value("model", ""), symbol = m.value("symbol", "");
        if (!m.value("degraded", false) || before.count({model, symbol})) continue;
        // "gbdt-BTCUSDT-4h v3": rollback takes the registry name, retrain the kind before '-'.
        const auto id = parse_model_label(model);
        const std::string name = id ? id->first : model;
        const std::string reason = m.value("reason", "");
        AlertEvent e = make_alert(wall, kind, AlertSeverity::Warning,
                                  fmt::format("{}: {} on {}", what, model, symbol),
                                  advice(model, symbol, reason, name.substr(0, name.find('-')), name),
                                  kind + ":" + model + ":" + symbol);
        e.data = {{"model", model}, {"symbol", symbol}, {"reason", reason}};
        out.push_back(std::move(e));
    }
    return out;
}

} // namespace

std::vector<AlertEvent> model_degraded_alerts(TimeMs wall, const json& verdict, const json& previous) {
    return newly_flagged(
        wall, "model_degraded", "Model degraded", verdict, previous,
        [](const std::string& model, const std::string& symbol, const std::string& reason,
           const std::string& kind, const std::string& name) {
            return fmt::format("{} on {}: {}.\nIt keeps trading until you act: retrain it with `aurum "
                               "retrain --model {} --symbols {} --reason \"accuracy degraded\"` or go "
                               "back to the version before with `aurum registry rollback {}`.",
                               model, symbol, reason, kind, symbol, name);
        });
}

std::vector<AlertEvent> model_drifted_alerts(TimeMs wall, const json& drift, const json& previous) {
    return newly_flagged(
        wall, "model_drifted", "Model inputs drifted", drift, previous,
        [](const std::string& model, const std::string& symbol, const std::string& reason,
           const std::string& kind, const std::string& name) {
            return fmt::format("{} on {}: {}.\nThe market it trades no longer looks like the data it "
                               "learned on; it keeps trading until you act: retrain it on recent data "
                               "with `aurum retrain --model {} --symbols {} --reason \"feature drift\"`, "
                               "or go back to the version before with `aurum registry rollback {}`. "
                               "The weekly report lists the drifted features.",
                               model, symbol, reason, kind, symbol, name);
        });
}

std::size_t unexplained_differences(const json& report) {
    std::size_t n = 0;
    for (const auto& d : report.value("differences", json::array()))
        n += d.value("reason", "").rfind(kUnexplainedDifference, 0) == 0;
    return n;
}

std::optional<AlertEvent> paper_divergence_alert(TimeMs wall, const json& report,
                                                 std::size_t alerted_before) {
    const std::size_t n = unexplained_differences(report);
    if (n <= alerted_before) return std::nullopt;
    std::string first;
    for (const auto& d : report["differences"])
        if (d.value("reason", "").rfind(kUnexplainedDifference, 0) == 0) {
            first = fmt::format("{} at {}: session {}, replay {}", d.value("symbol", ""),
                                format_time(d.value("entry_time", TimeMs{0})),
                                d["session"].is_string() ? d["session"].get<std::string>() : "no trade",
                                d["replay"].is_string() ? d["replay"].get<std::string>() : "no trade");
            break;
        }
    const std::string session = report.value("session", "");
    AlertEvent e = make_alert(
        wall, "paper_divergence", AlertSeverity::Warning,
        fmt::format("Paper trading differs from its backtest: {} trade(s)", n),
        fmt::format("Session {}: {} of {} trades differ from a clean replay of the same bars with "
                    "nothing in the journal to explain them (no manual trade, command or signal "
                    "decision). First: {}.\nUsual causes: config/live.yaml costs or "
                    "config/risk.yaml changed since the session started, or a restart with other "
                    "options. `aurum monitor divergence` lists every difference.",
                    session, n, report.value("session_trades", 0), first),
        "paper_divergence:" + session);
    e.data = {{"session", session}, {"unexplained", n}};
    return e;
}

AlertEvent report_alert(TimeMs wall, std::string kind, std::string title, std::string text,
                        const std::string& html, const std::string& txt) {
    AlertEvent e = make_alert(wall, std::move(kind), AlertSeverity::Info, std::move(title), std::move(text));
    e.data = {{"html", html}, {"txt", txt}};
    return e;
}

AlertEvent trade_opened_alert(TimeMs wall, const std::string& session, const std::string& symbol,
                              double qty, double price, const json& decision) {
    std::string text = fmt::format("{} {} {} at {:.2f} (session {})", qty > 0 ? "Long" : "Short",
                                   format_qty(std::fabs(qty)), symbol, price, session);
    if (decision.contains("agent")) // an rl agent's decision in its words
        text += "\n" + decision["agent"].get<std::string>();
    if (decision.contains("confidence"))
        text += fmt::format("\nModel confidence: P(up) = {:.2f}", decision["confidence"].get<double>());
    if (decision.contains("top_features") && !decision["top_features"].empty())
        text += "\nTop features: " + decision["top_features"].dump();
    if (decision.contains("risk")) text += "\nRisk: " + decision["risk"].get<std::string>();
    AlertEvent e = make_alert(wall, "trade_opened", AlertSeverity::Info,
                              fmt::format("Trade opened: {} {}", qty > 0 ? "long" : "short", symbol),
                              text);
    e.data = {{"symbol", symbol}, {"qty", qty}, {"price", price}, {"decision", decision}};
    return e;
}

AlertEvent trade_closed_alert(TimeMs wall, const std::string& session, const TradeRecord& t) {
    AlertEvent e = make_alert(
        wall, "trade_closed", AlertSeverity::Info,
        fmt::format("Trade closed: {} {} P&L {:+.2f}", t.direction > 0 ? "long" : "short",
                    t.symbol, t.pnl),
        fmt::format("{} {} {}: entry {:.2f} at {}, exit {:.2f} at {}; P&L {:+.2f} after fees "
                    "{:.2f} (session {})",
                    t.direction > 0 ? "Long" : "Short", format_qty(t.qty), t.symbol,
                    t.entry_price, format_time(t.entry_time), t.exit_price,
                    format_time(t.exit_time), t.pnl, t.fees, session));
    e.data = {{"symbol", t.symbol}, {"pnl", t.pnl}, {"entry", t.entry_price},
              {"exit", t.exit_price}, {"qty", t.qty}};
    return e;
}

AlertEvent risk_decision_alert(TimeMs wall, const RiskAssessment& a) {
    if (a.verdict == RiskVerdict::Approve || a.rule == "human_approval") return {};
    const bool deny = a.verdict == RiskVerdict::Deny;
    AlertEvent e = make_alert(wall, deny ? "risk_denied" : "risk_reduced", AlertSeverity::Warning,
                              fmt::format("Risk {} {} ({})", deny ? "denied" : "reduced",
                                          a.symbol, a.rule),
                              a.reason, "risk:" + a.rule + ":" + a.symbol);
    e.data = {{"symbol", a.symbol}, {"rule", a.rule}, {"requested", a.requested},
              {"approved", a.approved}, {"source", a.source}};
    return e;
}

AlertEvent signal_pending_alert(TimeMs wall, const SignalRecord& s, std::int64_t id) {
    AlertEvent e = make_alert(
        wall, "signal_pending", AlertSeverity::Warning,
        fmt::format("Signal #{} awaiting approval: {} {} {}", id, s.quantity > 0 ? "buy" : "sell",
                    format_qty(std::fabs(s.quantity)), s.symbol),
        fmt::format("{} {} {} at about {:.2f}; expires {}. Approve with /approve {} or `aurum "
                    "signals approve {}`",
                    s.quantity > 0 ? "Buy" : "Sell", format_qty(std::fabs(s.quantity)), s.symbol,
                    s.price, format_time(s.expires_at), id, id));
    e.data = {{"signal_id", id}, {"symbol", s.symbol}, {"quantity", s.quantity},
              {"expires_at", s.expires_at}};
    return e;
}

AlertEvent risk_event_alert(TimeMs wall, const std::string& ev) {
    auto has = [&](const char* s) { return ev.find(s) != std::string::npos; };
    if (has("KILL SWITCH"))
        return make_alert(wall, "kill_switch", AlertSeverity::Critical, "KILL SWITCH tripped", ev);
    if (has("daily loss"))
        return make_alert(wall, "daily_loss", AlertSeverity::Critical, "Daily loss limit hit", ev);
    if (has("HALTED"))
        return make_alert(wall, "halted", AlertSeverity::Critical, "Trading HALTED", ev);
    if (has("pause ended"))
        return make_alert(wall, "resumed", AlertSeverity::Info, "Pause ended", ev);
    return make_alert(wall, "breaker", AlertSeverity::Warning, "Risk breaker", ev);
}

AlertEvent command_alert(TimeMs wall, const Command& c, const std::string& outcome) {
    const std::string why = c.audit_reason().empty() ? "" : " (" + c.audit_reason() + ")";
    switch (c.kind) {
    case CommandKind::Pause:
        return make_alert(wall, "paused", AlertSeverity::Warning, "Trading paused" + why, outcome);
    case CommandKind::Resume:
        return make_alert(wall, "resumed", AlertSeverity::Warning, "Trading resumed" + why, outcome);
    case CommandKind::EmergencyStop:
        return make_alert(wall, "emergency_stop", AlertSeverity::Critical,
                          "EMERGENCY STOP" + why, outcome);
    case CommandKind::KillswitchReset:
        return make_alert(wall, "killswitch_reset", AlertSeverity::Warning,
                          "Kill switch reset" + why, outcome);
    case CommandKind::ModelReload:
        return make_alert(wall, "model_promoted", AlertSeverity::Info,
                          fmt::format("Model {} v{} now trades", c.model, c.version), outcome);
    case CommandKind::ModelUnload:
        return make_alert(wall, "model_withdrawn", AlertSeverity::Warning,
                          "Model " + c.model + " withdrawn", outcome);
    case CommandKind::RiskSet:
    case CommandKind::RiskReload:
        return make_alert(wall, "risk_limits", AlertSeverity::Info, "Risk limits changed" + why,
                          outcome);
    default: return {};
    }
}

} // namespace aurum
