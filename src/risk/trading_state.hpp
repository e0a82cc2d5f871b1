#pragma once
// The account's trading state machine: ACTIVE, PAUSED (until a time), REDUCING, HALTED.
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/time.hpp"

namespace aurum {

/// ACTIVE: everything allowed. PAUSED: no new entries until `until` (exits allowed).
/// REDUCING: only orders that shrink positions; becomes HALTED once flat. HALTED: the kill
/// switch; nothing new until `aurum killswitch reset --confirm "<reason>"` (or, after an
/// emergency stop, `aurum run --acknowledge-stop`).
enum class TradingMode { Active, Paused, Reducing, Halted };

std::string to_string(TradingMode m);
/// Parses the stored name; throws InputError naming an unknown value (no silent default).
TradingMode parse_trading_mode(const std::string& text);

/// Why the account is not ACTIVE; decides how it may leave the state.
enum class HaltCause { None, DrawdownBreaker, EmergencyStop, Manual };
std::string to_string(HaltCause c);
/// Parses the stored name; throws InputError naming an unknown value: an unreadable cause
/// must not read as "none" (that would skip the acknowledge-stop gate).
HaltCause parse_halt_cause(const std::string& text);

/// The persisted trading state.
struct TradingState {
    TradingMode mode = TradingMode::Active;
    TimeMs since = 0;            ///< when this state was entered
    TimeMs until = 0;            ///< PAUSED: automatic resume time
    bool close_positions = false; ///< PAUSED by the user: positions are being closed gracefully
    HaltCause cause = HaltCause::None;
    std::string reason;          ///< in words, shown by `aurum status`

    bool allows_entries() const { return mode == TradingMode::Active; }
    /// "PAUSED until 2024-12-04 09:00:00 (Fed announcement)".
    std::string describe() const;
    bool operator==(const TradingState&) const = default;
};

/// {state, cause, reason, since, until}: what the dashboard and a command's answer show
/// (`until` is null unless PAUSED until a time).
nlohmann::json trading_state_json(const TradingState& s);

} // namespace aurum
