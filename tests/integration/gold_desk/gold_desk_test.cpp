// The gold desk end to end on the real MT5 gold export: a paper daemon with human approval
// trades XAUUSD 1h; a signal is approved from the CLI and becomes a ticket (file, alert, control
// API); a fake Expert Advisor speaking the documented protocol (docs/gold-desk.md: GET
// /api/tickets?status=open, POST /api/commands/ticket_fill | ticket_cancel, bearer token) reads
// it and reports the broker's fill; bad reports are 400s naming the field and change nothing.
#include <signal.h>
#include <sys/wait.h>

#include <fstream>

#include <gtest/gtest.h>
#include <httplib.h>

#include "live/control.hpp"
#include "live/state_store.hpp"
#include "support/data/shared_bars.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kGold = "mt5/XAUUSD_H1_201501020900_202512221100.csv";

/// The EA's side of the protocol, as the shipped MQL5 source speaks it.
struct FakeEa {
    httplib::Client http;
    std::string token;
    FakeEa(int port, std::string t) : http("127.0.0.1", port), token(std::move(t)) {}
    httplib::Headers auth() const { return {{"Authorization", "Bearer " + token}}; }
    json open_tickets() {
        auto r = http.Get("/api/tickets?status=open", auth());
        EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
        return r ? json::parse(r->body) : json::array();
    }
    httplib::Result report(const std::string& kind, const json& body) {
        return http.Post("/api/commands/" + kind, auth(), body.dump(), "application/json");
    }
};

/// A workspace holding the real gold bars of 2024, approval on with a long expiry.
void gold_workspace(const fs::path& home) {
    Workspace(home).ensure_dirs();
    auto store = open_market_store(test::home_db(home));
    BarSeries bars = test::load_shared_bars(kGold, 2 * kMsPerHour);
    store->upsert_bars(bars.slice({make_time(2024, 1, 1), make_time(2024, 4, 1)}));
    std::ofstream(home / "config" / "live.yaml")
        << "live:\n  approval: {enabled: true, expiry: 10000h}\n";
}

} // namespace

TEST(GoldDesk, AnApprovedGoldSignalBecomesATicketTheEaFillsThroughTheControlApi) {
    AURUM_REQUIRE_SHARED_DATA(file, kGold);
    test::TempDir home;
    gold_workspace(home.path());
    const std::vector<std::string> args{
        "--home", home.path().string(), "-q", "run", "--mode", "paper", "--symbols", "XAUUSD",
        "--timeframe", "1h", "--replay-from", "2024-03-01", "--replay-to", "2024-03-20",
        "--speed", "0", "--serve", "--param", "fast=3", "--param", "slow=8", "--param",
        "stop-loss=0.01", "--fraction", "0.2", "--capital", "200000"};
    const pid_t pid = test::spawn_aurum(args, home / "daemon.log");
    struct Reaper {
        pid_t pid;
        ~Reaper() {
            ::kill(pid, SIGTERM);
            ::waitpid(pid, nullptr, 0);
        }
    } reaper{pid};
    DaemonInfo info;
    ASSERT_TRUE(test::wait_until([&] {
        auto d = read_daemon_info(Workspace(home.path()));
        if (d && d->pid == pid) info = *d;
        return info.pid == pid && info.port > 0;
    })) << test::slurp(home / "daemon.log");
    ASSERT_TRUE(test::wait_until(
        [&] { return test::final_state(home.path()).status == "complete"; },
        std::chrono::seconds(300)))
        << test::slurp(home / "daemon.log");
    auto db = open_database(test::home_db(home.path()));
    std::vector<SignalRecord> pending;
    {
        StateStore st(*db);
        pending = st.signals("pending", 50);
    }
    ASSERT_FALSE(pending.empty()) << "the sma-cross on real gold signals within three weeks";

    // The trader approves one signal from the CLI: the answer names the ticket.
    const SignalRecord sig = pending.back();
    auto r = test::run_aurum({"--home", home.path().string(), "signals", "approve",
                              std::to_string(sig.id), "--reason", "desk"});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_NE(r.out.find("Ticket #1 for the broker"), std::string::npos) << r.out;

    FakeEa ea(info.port, read_token(Workspace(home.path())).value_or(""));
    const json open = ea.open_tickets();
    ASSERT_EQ(open.size(), 1u) << open.dump();
    const json& t = open[0];
    EXPECT_EQ(t["signal_id"], sig.id);
    EXPECT_EQ(t["symbol"], "XAUUSD");
    EXPECT_EQ(t["side"], sig.quantity > 0 ? "buy" : "sell");
    EXPECT_EQ(t["contract_size"], 100.0);
    const double entry = t["entry"], stop = t["stop"], target = t["target"];
    const double dir = sig.quantity > 0 ? 1.0 : -1.0;
    EXPECT_NEAR(dir * (entry - stop), entry * 0.01, 0.011) << "the 1 % stop, on the tick";
    EXPECT_NEAR(dir * (target - entry), 2 * dir * (entry - stop), 0.021) << "a 2R target";
    EXPECT_GT(t["lots"].get<double>(), 0.0);
    EXPECT_TRUE(fs::exists(home / "tickets" / "ticket-1.json"));
    {
        auto alert = db->query_one("SELECT COUNT(*) FROM live_alerts WHERE kind = 'ticket'");
        EXPECT_EQ(alert->as_int(0), 1) << "announced on the alert channels";
    }

    // Bad reports: 400 naming the field, 401 without the token; nothing changes.
    const double lots = t["lots"];
    auto bad = ea.report("ticket_fill", {{"id", 1}, {"price", entry}, {"lots", lots * 2}});
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400) << bad->body;
    EXPECT_NE(bad->body.find("field 'lots'"), std::string::npos) << bad->body;
    bad = ea.report("ticket_fill", {{"id", 1}, {"price", "high"}, {"lots", lots}});
    EXPECT_EQ(bad->status, 400);
    EXPECT_NE(bad->body.find("field 'price' must be a number"), std::string::npos) << bad->body;
    auto forged = ea.http.Post("/api/commands/ticket_fill",
                               json{{"id", 1}, {"price", entry}, {"lots", lots}}.dump(),
                               "application/json");
    EXPECT_EQ(forged->status, 401);
    auto bogus = ea.http.Get("/api/tickets?status=bogus", ea.auth());
    EXPECT_EQ(bogus->status, 400) << bogus->body;
    ASSERT_EQ(ea.open_tickets().size(), 1u) << "still open";

    // The EA placed it at the broker and reports the fill.
    auto ok = ea.report("ticket_fill",
                        {{"id", 1}, {"price", entry + dir * 0.35}, {"lots", lots},
                         {"broker_ticket", "50912"}, {"reason", "AurumEdgeTickets EA"}});
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200) << ok->body;
    EXPECT_TRUE(ea.open_tickets().empty());
    auto filled = ea.http.Get("/api/tickets?status=filled", ea.auth());
    const json f = json::parse(filled->body);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0]["broker_ticket"], "50912");
    EXPECT_NEAR(f[0]["fill_price"].get<double>(), entry + dir * 0.35, 1e-9);
    EXPECT_EQ(json::parse(test::slurp(home / "tickets" / "ticket-1.json"))["status"], "filled");
    // The CLI lists it, daemon up.
    r = test::run_aurum({"--home", home.path().string(), "tickets", "list", "--status", "all"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("broker #50912"), std::string::npos) << r.out;
}

TEST(GoldDesk, ReportsWorkWithTheDaemonDownAndBadFlagsExitTwo) {
    test::TempDir home;
    Workspace(home.path()).ensure_dirs();
    {
        auto db = open_database(test::home_db(home.path()));
        StateStore st(*db);
        TradeTicket t = make_ticket(3, "s", InstrumentRegistry().get("XAUUSD"), false, 0.2,
                                    2300.0, 0.005, make_time(2024, 5, 1));
        st.insert_ticket(t);
    }
    const std::string h = home.path().string();
    auto r = test::run_aurum({"--home", h, "tickets", "fill", "1", "--price", "2299.5", "--lots",
                              "0.25"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("field 'lots' must be in (0, 0.2]"), std::string::npos) << r.err;
    r = test::run_aurum({"--home", h, "tickets", "cancel", "1"});
    EXPECT_EQ(r.exit_code, 2) << "--reason is required";
    r = test::run_aurum({"--home", h, "tickets", "cancel", "1", "--reason", "market closed"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = test::run_aurum({"--home", h, "--json", "tickets", "list", "--status", "cancelled"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = json::parse(r.out);
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0]["note"], "market closed");
    EXPECT_EQ(j[0]["side"], "sell");
}

} // namespace aurum
