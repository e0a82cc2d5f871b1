#include "live/trade_ticket.hpp"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace aurum {

nlohmann::json TradeTicket::to_json() const {
    return {{"id", id},
            {"signal_id", signal_id},
            {"session_id", session_id},
            {"symbol", symbol},
            {"side", side},
            {"lots", lots},
            {"contract_size", contract_size},
            {"lot_step", lot_step},
            {"entry", entry},
            {"stop", stop},
            {"target", target},
            {"created", created},
            {"created_text", format_time(created)},
            {"status", status},
            {"fill_price", fill_price},
            {"fill_lots", fill_lots},
            {"fill_time", fill_time},
            {"broker_ticket", broker_ticket},
            {"note", note}};
}

namespace {
double to_tick(double price, double tick) {
    return tick > 0 ? std::round(price / tick) * tick : price;
}
} // namespace

TradeTicket make_ticket(std::int64_t signal_id, const std::string& session_id,
                        const Instrument& inst, bool buy, double lots, double entry,
                        double stop_loss, TimeMs now) {
    TradeTicket t;
    t.signal_id = signal_id;
    t.session_id = session_id;
    t.symbol = inst.symbol;
    t.side = buy ? "buy" : "sell";
    t.lots = lots;
    t.contract_size = inst.contract_size;
    t.lot_step = inst.lot_step;
    t.entry = to_tick(entry, inst.tick_size);
    t.created = now;
    if (stop_loss > 0) {
        const double risk = entry * stop_loss, dir = buy ? 1.0 : -1.0;
        t.stop = to_tick(entry - dir * risk, inst.tick_size);
        t.target = to_tick(entry + dir * kTicketRewardRisk * risk, inst.tick_size);
    }
    return t;
}

void check_ticket_fill(const TradeTicket& t, double price, double lots) {
    if (t.status != "open")
        throw InputError(fmt::format("ticket_fill: ticket #{} is {}, not open{}", t.id, t.status,
                                     t.note.empty() ? "" : " (" + t.note + ")"));
    if (!(price > 0) || !std::isfinite(price))
        throw InputError(fmt::format("ticket_fill: field 'price' must be a positive price, got {}",
                                     price));
    if (!(lots > 0) || lots > t.lots * (1 + 1e-9))
        throw InputError(fmt::format("ticket_fill: field 'lots' must be in (0, {}] (the "
                                     "ticket's lots), got {}",
                                     t.lots, lots));
    const double steps = lots / t.lot_step;
    if (t.lot_step > 0 && std::fabs(steps - std::round(steps)) > 1e-6)
        throw InputError(fmt::format("ticket_fill: field 'lots' {} is not a multiple of {}'s lot "
                                     "step {}",
                                     lots, t.symbol, t.lot_step));
}

} // namespace aurum
