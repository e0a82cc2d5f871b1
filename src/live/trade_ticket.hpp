#pragma once
// The gold signal desk's trade tickets. MT5 instruments (XAUUSD) are traded on paper here, with
// human approval: an approved signal of an MT5 instrument becomes a ticket (side, lots for the
// configured contract size, entry, stop, target) that a person or the shipped MQL5 Expert
// Advisor places at the broker. The EA polls the control API for open tickets and reports each
// fill back (`ticket_fill`), or says why it did not place one (`ticket_cancel`).
#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/instrument.hpp"
#include "core/time.hpp"

namespace aurum {

/// Reward-to-risk of a ticket's target: the target sits this many stop distances from the entry.
inline constexpr double kTicketRewardRisk = 2.0;

/// One trade ticket.
struct TradeTicket {
    std::int64_t id = 0;
    std::int64_t signal_id = 0; ///< the approved signal it comes from (one ticket per signal)
    std::string session_id, symbol;
    std::string side;          ///< "buy" | "sell"
    double lots = 0;           ///< in the instrument's lots (contract_size units each)
    double contract_size = 1;  ///< units per lot (100 oz for XAUUSD)
    double lot_step = 0.01;    ///< the broker's lot increment (fills must be multiples)
    double entry = 0;          ///< the close the signal was approved at
    double stop = 0, target = 0; ///< 0: none (the session's strategy sets no stop-loss)
    TimeMs created = 0;
    std::string status = "open"; ///< "open" | "filled" | "cancelled"
    double fill_price = 0, fill_lots = 0;
    TimeMs fill_time = 0;
    std::string broker_ticket; ///< the broker's order/deal number, as the EA reports it
    std::string note;          ///< cancel reason, or the fill report's comment

    nlohmann::json to_json() const;
};

/// The ticket of an approved signal: `lots` placed at `entry`; with `stop_loss` > 0 (a fraction
/// of the entry) a stop that far beyond the entry and a target kTicketRewardRisk stop distances
/// the other way, both rounded to the instrument's tick.
TradeTicket make_ticket(std::int64_t signal_id, const std::string& session_id,
                        const Instrument& inst, bool buy, double lots, double entry,
                        double stop_loss, TimeMs now);

/// Checks a fill report against its ticket: open, a positive finite price, lots in (0, ticket
/// lots] on the ticket's lot step. Throws InputError naming the field and the value.
void check_ticket_fill(const TradeTicket& t, double price, double lots);

} // namespace aurum
