#pragma once
// The one typed control command: parsed once at every boundary (CLI flags, control API JSON,
// journal replay) through one table of kinds, validated and applied by one path shared by the
// running daemon (LiveSession) and the daemon-down path (apply_offline).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "risk/risk_manager.hpp"

namespace aurum {

/// Every control command the daemon (or the offline path) accepts.
enum class CommandKind {
    Pause,
    Resume,
    Trade,
    EmergencyStop,
    KillswitchReset,
    AcknowledgeStop,
    RiskSet,
    RiskReload,
    SignalApprove,
    SignalReject,
    ModelReload,
    ModelUnload,
    Settle,
    TicketFill,   ///< the gold desk's EA (or a person) reports a ticket's fill at the broker
    TicketCancel, ///< ... or that it was not placed, and why
};

/// The wire and journal name ("pause", "risk_set", ...).
std::string to_string(CommandKind k);
/// Parses a wire name; throws InputError naming the value and the known kinds.
CommandKind parse_command_kind(std::string_view text);

/// A manual trade's direction.
enum class TradeSide { Long, Short, Close };
std::string to_string(TradeSide s);
/// Case-insensitive; throws InputError naming the value.
TradeSide parse_trade_side(std::string_view text);

/// One control command with typed fields; only the fields of its kind are meaningful.
struct Command {
    CommandKind kind = CommandKind::Resume;
    std::string reason;
    std::optional<TimeMs> at;  ///< session time it applies at (journal); set by the executor
    TimeMs duration = 0;       ///< pause
    bool close = true;         ///< pause: close positions gracefully
    std::string symbol;        ///< trade
    TradeSide side = TradeSide::Long; ///< trade
    double amount = 0;         ///< trade: base units (lots x contract size for CFDs); close: 0 = all
    std::map<std::string, std::string> changes; ///< risk_set: limit key -> new value (text)
    bool confirm_loosen = false; ///< risk_set: accept a change beyond the loosening factor
    std::string yaml;          ///< risk_reload: the risk.yaml text
    std::int64_t id = 0;       ///< signal_approve / signal_reject / ticket_fill / ticket_cancel
    double price = 0;          ///< ticket_fill: the broker's fill price
    double lots = 0;           ///< ticket_fill: lots filled
    std::string broker_ticket; ///< ticket_fill: the broker's order/deal number
    std::string confirm;       ///< killswitch_reset: why it is safe (audited)
    std::string model;         ///< model_reload: name ("" = the selection); model_unload: name
    int version = 0;           ///< model_reload: 0 = production
    std::string source;        ///< which surface sent it ("dashboard"; empty: CLI/control API)

    /// The wire/journal JSON (the keys the journal has always stored).
    nlohmann::json to_json() const;
    /// What goes into the audit log's reason column.
    const std::string& audit_reason() const { return reason.empty() ? confirm : reason; }
};

/// A model_reload of `name` at `version` (0 = its production version), or a model_unload.
Command model_command(CommandKind kind, std::string name, int version, std::string reason);

/// Parses a command of `kind` from its JSON fields. Every error names the field and the value
/// ("trade: field 'amount' must be a number, got \"lots\""), never a raw JSON exception.
Command parse_command(std::string_view kind, const nlohmann::json& fields);
Command parse_command(CommandKind kind, const nlohmann::json& fields);

/// Applies the changes of a risk_set to `limits`; throws InputError when a value is bad, a
/// limit then contradicts another (naming both), or a limit is loosened by more than
/// `limits.max_loosen_factor` without `confirm_loosen` (the last two only with
/// `check_policy`). `changes_text` gets "k: a -> b, ...".
RiskLimits apply_risk_changes(const RiskLimits& limits, const Command& c,
                              std::string* changes_text = nullptr, bool check_policy = true);

/// The state rules of a command against the account, shared by the daemon and the offline
/// path: throws InputError (changing nothing) when it is not allowed now.
void check_account_command(const Command& c, const RiskManager& rm, TimeMs now);

/// Applies the account part of a command (pause, resume, emergency stop, kill switch, stop
/// acknowledgement, risk_set/risk_reload limits) to `rm`. Returns the message in words, or
/// nullopt for kinds with no account part (trade, signals, model_reload, settle).
std::optional<std::string> apply_account_command(const Command& c, RiskManager& rm, TimeMs at);

} // namespace aurum
