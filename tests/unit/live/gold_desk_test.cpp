// The gold desk: a ticket's stop and target from the session's stop-loss, on the tick; one
// ticket per signal however often the approval is re-applied; fill and cancel reports checked
// field by field, and a refused report changes neither the store nor the ticket's file.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/workspace.hpp"
#include "data/market_store.hpp"
#include "live/gold_desk.hpp"
#include "live/live_session.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using nlohmann::json;

namespace {

const Instrument& gold() {
    static const Instrument i = InstrumentRegistry().get("XAUUSD");
    return i;
}

/// A store with one ticket: buy 0.5 lots of XAUUSD at 2,000 with a 1 % stop.
struct Desk {
    Desk() {
        auto [t, created] = issue_ticket(st, dir.path(), make_ticket(7, "s1", gold(), true, 0.5,
                                                                     2000.0, 0.01, 1000));
        ticket = t;
        EXPECT_TRUE(created);
    }
    Command fill(double price, double lots) const {
        return parse_command("ticket_fill", {{"id", ticket.id}, {"price", price}, {"lots", lots},
                                             {"broker_ticket", "881"}});
    }
    std::string file() const {
        return test::slurp(dir / "tickets" / ("ticket-" + std::to_string(ticket.id) + ".json"));
    }
    test::TempDir dir;
    std::unique_ptr<MarketStore> store = open_market_store((dir / "s.db").string());
    StateStore st{store->database()};
    TradeTicket ticket;
};

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const InputError& e) {
        return e.what();
    }
    return "no error";
}

} // namespace

TEST(GoldDesk, StopAndTargetFollowTheStopLossOnTheTick) {
    const TradeTicket buy = make_ticket(1, "s", gold(), true, 0.3, 2034.567, 0.01, 0);
    EXPECT_EQ(buy.side, "buy");
    EXPECT_NEAR(buy.entry, 2034.57, 1e-9);
    EXPECT_NEAR(buy.stop, 2014.22, 1e-9) << "1 % below, on the 0.01 tick";
    EXPECT_NEAR(buy.target, 2075.26, 1e-9) << "two stop distances above";
    EXPECT_EQ(buy.contract_size, gold().contract_size);
    const TradeTicket sell = make_ticket(2, "s", gold(), false, 0.3, 2000.0, 0.02, 0);
    EXPECT_NEAR(sell.stop, 2040.0, 1e-9);
    EXPECT_NEAR(sell.target, 1920.0, 1e-9);
    const TradeTicket bare = make_ticket(3, "s", gold(), true, 0.3, 2000.0, 0.0, 0);
    EXPECT_EQ(bare.stop, 0.0);
    EXPECT_EQ(bare.target, 0.0) << "no stop, no risk unit, no target";
}

TEST(GoldDesk, OneTicketPerSignalWhateverTheReplays) {
    Desk d;
    const auto again = issue_ticket(d.st, d.dir.path(),
                                    make_ticket(7, "s1", gold(), true, 0.9, 2100.0, 0.01, 5000));
    EXPECT_FALSE(again.second);
    EXPECT_EQ(again.first.id, d.ticket.id);
    EXPECT_EQ(again.first.lots, 0.5) << "the stored ticket, not the re-made one";
    EXPECT_EQ(d.st.tickets("all", 10).size(), 1u);
    EXPECT_EQ(json::parse(d.file())["status"], "open");
}

TEST(GoldDesk, AFillClosesTheTicketAndRewritesItsFile) {
    Desk d;
    const CommandOutcome o = apply_ticket_command(d.st, d.dir.path(), d.fill(2001.5, 0.5), 9000);
    EXPECT_EQ(o.exit_code, 0);
    const TradeTicket t = *d.st.ticket(d.ticket.id);
    EXPECT_EQ(t.status, "filled");
    EXPECT_EQ(t.fill_price, 2001.5);
    EXPECT_EQ(t.fill_lots, 0.5);
    EXPECT_EQ(t.fill_time, 9000);
    EXPECT_EQ(t.broker_ticket, "881");
    EXPECT_EQ(json::parse(d.file())["status"], "filled");
    EXPECT_TRUE(d.st.tickets("open", 10).empty());
    EXPECT_EQ(d.st.tickets("filled", 10).size(), 1u);
    bool audited = false;
    for (const auto& a : d.st.audit_log(10)) audited = audited || a.action == "ticket_fill";
    EXPECT_TRUE(audited);
    // A second report of the same ticket is refused: the broker filled it once.
    EXPECT_NE(error_of([&] { apply_ticket_command(d.st, d.dir.path(), d.fill(2001.5, 0.5), 1); })
                  .find("is filled, not open"),
              std::string::npos);
}

TEST(GoldDesk, BadReportsNameTheFieldAndChangeNothing) {
    Desk d;
    const std::string before = d.file();
    struct Case {
        std::function<Command()> make;
        std::string expect;
    };
    const std::vector<Case> cases = {
        {[&] { return d.fill(2001.5, 0.6); }, "field 'lots' must be in (0, 0.5]"},
        {[&] { return d.fill(2001.5, 0.255); }, "not a multiple of XAUUSD's lot step"},
        {[&] {
             Command c = d.fill(2001.5, 0.5);
             c.id = 99;
             return c;
         },
         "no ticket #99"},
    };
    for (const auto& c : cases) {
        const std::string m = error_of([&] { apply_ticket_command(d.st, d.dir.path(), c.make(), 1); });
        EXPECT_NE(m.find(c.expect), std::string::npos) << m;
    }
    for (const auto& [fields, expect] : std::vector<std::pair<json, std::string>>{
             {{{"id", 1}, {"price", -5.0}, {"lots", 0.5}}, "field 'price' must be positive"},
             {{{"id", 1}, {"price", 2000.0}}, "field 'lots' is missing"},
             {{{"id", 1}, {"price", "2000"}, {"lots", 0.5}}, "field 'price' must be a number"},
             {{{"id", 1}, {"price", 2000.0}, {"lots", 0.5}, {"sl", 1.0}}, "unknown field 'sl'"}}) {
        const std::string m = error_of([&] { parse_command("ticket_fill", fields); });
        EXPECT_NE(m.find(expect), std::string::npos) << m;
    }
    EXPECT_NE(error_of([&] { parse_command("ticket_cancel", {{"id", 1}}); }).find("'reason'"),
              std::string::npos);
    EXPECT_EQ(d.st.ticket(d.ticket.id)->status, "open");
    EXPECT_EQ(d.file(), before);
}

TEST(GoldDesk, ACancelNeedsAReasonAndKeepsIt) {
    Desk d;
    const Command c = parse_command("ticket_cancel", {{"id", d.ticket.id},
                                                      {"reason", "MT5 retcode 10019: no money"}});
    apply_ticket_command(d.st, d.dir.path(), c, 5);
    const TradeTicket t = *d.st.ticket(d.ticket.id);
    EXPECT_EQ(t.status, "cancelled");
    EXPECT_EQ(t.note, "MT5 retcode 10019: no money");
    EXPECT_NE(error_of([&] { apply_ticket_command(d.st, d.dir.path(), d.fill(2000.0, 0.5), 6); })
                  .find("is cancelled, not open"),
              std::string::npos);
}
