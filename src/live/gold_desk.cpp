#include "live/gold_desk.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/workspace.hpp"
#include "live/live_session.hpp"
#include "live/session_alerts.hpp"

namespace aurum {

namespace {

void write_ticket_file(const std::filesystem::path& workspace, const TradeTicket& t) {
    if (workspace.empty()) return;
    const auto dir = workspace / "tickets";
    std::filesystem::create_directories(dir);
    write_file_atomic(dir / fmt::format("ticket-{}.json", t.id), t.to_json().dump(2) + "\n");
}

std::string price_text(double p) { return p > 0 ? fmt::format("{:.2f}", p) : "none"; }

} // namespace

std::pair<TradeTicket, bool> issue_ticket(StateStore& store, const std::filesystem::path& workspace,
                                          TradeTicket t) {
    const auto [id, created] = store.insert_ticket(t);
    TradeTicket stored = *store.ticket(id);
    if (created) write_ticket_file(workspace, stored);
    return {stored, created};
}

CommandOutcome apply_ticket_command(StateStore& store, const std::filesystem::path& workspace,
                                    const Command& c, TimeMs wall_now) {
    const std::string kind = to_string(c.kind);
    auto t = store.ticket(c.id);
    if (!t) throw InputError(fmt::format("{}: no ticket #{}", kind, c.id));
    CommandOutcome out;
    if (c.kind == CommandKind::TicketFill) {
        check_ticket_fill(*t, c.price, c.lots);
        t->status = "filled";
        t->fill_price = c.price;
        t->fill_lots = c.lots;
        t->fill_time = wall_now;
        t->broker_ticket = c.broker_ticket;
        t->note = c.reason;
        out.message = fmt::format("Ticket #{} filled: {} {} lots {} at {} (ticket entry {}){}",
                                  t->id, t->side, c.lots, t->symbol, price_text(c.price),
                                  price_text(t->entry),
                                  c.broker_ticket.empty() ? "" : ", broker #" + c.broker_ticket);
    } else {
        if (t->status != "open")
            throw InputError(fmt::format("ticket_cancel: ticket #{} is {}, not open", t->id,
                                         t->status));
        t->status = "cancelled";
        t->note = c.reason;
        out.message = fmt::format("Ticket #{} cancelled: {}", t->id, c.reason);
    }
    {
        Transaction tx(store.db());
        store.update_ticket(*t);
        Command shown = c;
        shown.at.reset();
        store.audit(wall_now, kind, c.audit_reason(), shown.to_json().dump(), "ok");
        tx.commit();
    }
    write_ticket_file(workspace, *t);
    out.data = t->to_json();
    return out;
}

AlertEvent ticket_alert(TimeMs wall, const TradeTicket& t) {
    AlertEvent e = make_alert(
        wall, "ticket", AlertSeverity::Warning,
        fmt::format("Ticket #{}: {} {} lots {}", t.id, t.side, t.lots, t.symbol),
        fmt::format("{} {} lots {} ({} units per lot) at about {}; stop {}, target {}. Place it "
                    "at the broker (or let the Aurum Edge EA do it), then report the fill: "
                    "`aurum tickets fill {} --price P --lots L` (or cancel it with a reason)",
                    t.side == "buy" ? "Buy" : "Sell", t.lots, t.symbol, t.contract_size,
                    price_text(t.entry), price_text(t.stop), price_text(t.target), t.id));
    e.data = t.to_json();
    return e;
}

} // namespace aurum
