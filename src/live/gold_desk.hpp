#pragma once
// The gold signal desk (docs/gold-desk.md): an approved signal of an MT5 instrument becomes a
// trade ticket, stored once, written to <workspace>/tickets/ticket-<id>.json and announced on the
// alert channels; `ticket_fill` / `ticket_cancel` (the EA's report, through the control API or
// the CLI) close it, whether the daemon runs or not.
#include <filesystem>
#include <utility>

#include "live/alert_outbox.hpp"
#include "live/command.hpp"
#include "live/state_store.hpp"

namespace aurum {

struct CommandOutcome;

/// Stores `t` (one ticket per signal) and writes its file under `workspace` (none when empty).
/// Returns the stored ticket and true when it is new (false: issued before, e.g. a recovery
/// re-applying the approval).
std::pair<TradeTicket, bool> issue_ticket(StateStore& store, const std::filesystem::path& workspace,
                                          TradeTicket t);

/// Applies a ticket_fill or ticket_cancel to its stored ticket, rewrites the ticket's file and
/// audits it. InputError (nothing written) for an unknown or closed ticket or a bad fill.
CommandOutcome apply_ticket_command(StateStore& store, const std::filesystem::path& workspace,
                                    const Command& c, TimeMs wall_now);

/// The alert of a new ticket: side, lots, entry, stop, target, and how to report the fill.
AlertEvent ticket_alert(TimeMs wall, const TradeTicket& t);

/// Whether `kind` is one of the ticket commands (handled by apply_ticket_command).
inline bool is_ticket_command(CommandKind k) {
    return k == CommandKind::TicketFill || k == CommandKind::TicketCancel;
}

} // namespace aurum
