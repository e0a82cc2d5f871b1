#pragma once
// The alerts a trading session raises, built from its events (trades, risk decisions, risk
// events, commands, signals). Words only: each channel's layout is done at delivery
// (surfaces/alerts).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "live/alert_outbox.hpp"
#include "live/command.hpp"
#include "live/state_store.hpp"
#include "risk/risk_manager.hpp"

namespace aurum {

struct CommandOutcome;

/// A position opened: side, size, price and the decision record (model confidence and top
/// features when a model decided; the risk manager's reduction when it made one).
AlertEvent trade_opened_alert(TimeMs wall, const std::string& session, const std::string& symbol,
                              double qty, double price, const nlohmann::json& decision);
/// A round trip closed, with its P&L.
AlertEvent trade_closed_alert(TimeMs wall, const std::string& session, const TradeRecord& t);
/// A risk decision that reduced or denied an order (nullopt-like empty kind for others).
AlertEvent risk_decision_alert(TimeMs wall, const RiskAssessment& a);
/// A signal waiting for approval (its id in data.signal_id: Telegram adds Approve/Reject).
AlertEvent signal_pending_alert(TimeMs wall, const SignalRecord& s, std::int64_t id);
/// An account event of the risk manager ("KILL SWITCH: ...", "daily loss limit ...",
/// "all positions closed: HALTED ..."): kind and severity from what it says.
AlertEvent risk_event_alert(TimeMs wall, const std::string& event);
/// A control command applied (pause, resume, emergency stop, kill switch reset, model
/// reload/unload, risk changes); empty kind for commands not worth an alert.
AlertEvent command_alert(TimeMs wall, const Command& c, const std::string& outcome);
/// Models the accuracy monitor judges degraded now and did not at `previous` (its last verdict,
/// null at first): one warning each with what, why and what to do (retrain or roll back), keyed
/// per model and symbol. A model that stays degraded is not alerted again; one that recovers
/// and degrades again is.
std::vector<AlertEvent> model_degraded_alerts(TimeMs wall, const nlohmann::json& verdict,
                                              const nlohmann::json& previous);
/// The same for the weekly feature-drift check (session_drift's verdict, same row shape): one
/// model_drifted warning per model/symbol pair whose inputs drifted since `previous`.
std::vector<AlertEvent> model_drifted_alerts(TimeMs wall, const nlohmann::json& drift,
                                             const nlohmann::json& previous);
/// The weekly paper-vs-replay check (DivergenceReport::to_json()): a paper_divergence warning
/// when more trades differ with nothing in the journal to explain them (kUnexplainedDifference)
/// than `alerted_before`; the user's own trades, pauses and signal decisions never alert.
std::optional<AlertEvent> paper_divergence_alert(TimeMs wall, const nlohmann::json& report,
                                                 std::size_t alerted_before);
/// How many of a DivergenceReport's differences nothing in the journal explains.
std::size_t unexplained_differences(const nlohmann::json& report);
/// A report a scheduled job wrote (kind "daily_report", "weekly_report"; never in a digest): the
/// email channel sends the files themselves (data.html, data.txt; either may be empty), chat
/// channels the short `text`, which names the file.
AlertEvent report_alert(TimeMs wall, std::string kind, std::string title, std::string text,
                        const std::string& html, const std::string& txt);
/// Anything else (daemon started/stopped, errors, data feed, models refused).
AlertEvent make_alert(TimeMs wall, std::string kind, AlertSeverity severity, std::string title,
                      std::string text, std::string dedup_key = {});

} // namespace aurum
