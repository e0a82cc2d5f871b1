// The daemon on PostgreSQL (`aurum --db postgresql://... run`, kill -9, status with the daemon
// down) ends exactly where the SQLite run ends; and an emergency stop in the middle of a paper
// replay closes every position at the next bar's open through the fill model, exits, and keeps
// the daemon from starting again (nothing written) until the stop is acknowledged.
#include <sys/wait.h>

#include <chrono>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "live/control.hpp"
#include "support/live_helpers.hpp"
#include "support/postgres_server.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

/// Every row of every live table and the account key-value state, to prove nothing changed.
std::map<std::string, std::string> live_tables(const std::string& spec) {
    auto db = open_database(spec);
    StateStore st(*db);
    std::map<std::string, std::string> out;
    for (const char* t :
         {"live_sessions", "live_orders", "live_exec_reports", "live_risk_decisions", "live_trades",
          "live_positions", "live_balances", "live_equity", "live_kv", "live_commands",
          "live_audit", "live_signals"}) {
        std::string dump;
        for (const auto& r : db->query(std::string("SELECT * FROM ") + t)) {
            for (const auto& c : r.cells) {
                if (auto s = std::get_if<std::string>(&c))
                    dump += *s;
                else if (auto i = std::get_if<std::int64_t>(&c))
                    dump += std::to_string(*i);
                else if (auto d = std::get_if<double>(&c))
                    dump += std::to_string(*d);
                dump += '|';
            }
            dump += '\n';
        }
        out[t] = dump;
    }
    return out;
}

json status_json(const fs::path& home, const std::string& db = "") {
    std::vector<std::string> a{"--home", home.string()};
    if (!db.empty())
        a.insert(a.end(), {"--db", db});
    a.insert(a.end(), {"--json", "status"});
    const auto r = test::run_aurum(a);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    try {
        return json::parse(r.out);
    } catch (const std::exception&) {
        ADD_FAILURE() << "status is not JSON: " << r.out << r.err;
        return json::object();
    }
}

} // namespace

TEST(LiveDaemonPostgres, run_status_and_kill_dash_nine_match_the_sqlite_run) {
    AURUM_REQUIRE_POSTGRES(pg);
    const std::string to = "2023-07-01";
    test::TempDir ref_home, home;
    test::seed_workspace(ref_home.path(), 200);
    const auto ref_run = test::run_aurum(test::replay_args(ref_home.path(), to));
    ASSERT_EQ(ref_run.exit_code, 0) << ref_run.err;
    const test::Final ref = test::final_state(ref_home.path());
    ASSERT_EQ(ref.status, "complete");
    ASSERT_GT(ref.orders.size(), 10u);

    // Uninterrupted on PostgreSQL: the same result, and status commands read it with the daemon
    // down.
    Workspace(home.path()).ensure_dirs();
    const std::string full_db = pg->fresh_database();
    test::seed_market(full_db, 200);
    const auto t0 = std::chrono::steady_clock::now();
    const auto full = test::run_aurum(test::replay_args(home.path(), to, full_db));
    const auto full_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    ASSERT_EQ(full.exit_code, 0) << full.err;
    test::expect_same_final(test::final_state(full_db), ref, "postgres, uninterrupted");
    EXPECT_FALSE(fs::exists(home / "data" / "aurum.db")) << "--db must not fall back to SQLite";
    const json st = status_json(home.path(), full_db);
    EXPECT_EQ(st.value("session_status", ""), "complete") << st.dump();
    EXPECT_EQ(st.value("equity", 0.0), ref.equity);
    EXPECT_EQ(st.value("daemon_running", true), false);
    for (const char* cmd : {"summary", "health"}) {
        const auto r = test::run_aurum({"--home", home.path().string(), "--db", full_db, cmd});
        // health exits 1 with the daemon down (a failed check); it still reads the database.
        EXPECT_EQ(r.exit_code, std::string(cmd) == "health" ? 1 : 0) << cmd << ": " << r.err;
        EXPECT_NE(r.out.find(std::string(cmd) == "health" ? "Database: Connected" : "SUMMARY"),
                  std::string::npos) << r.out;
    }

    // kill -9 at random moments; every restart resumes from what PostgreSQL committed.
    std::string db = pg->fresh_database();
    test::seed_market(db, 200);
    std::mt19937 rng(7031);
    int kills = 0;
    for (int runs = 0; runs < 60 && kills < 6; ++runs) {
        const int delay = std::uniform_int_distribution<int>(5, static_cast<int>(full_ms))(rng);
        if (test::kill_dash_nine_after(test::replay_args(home.path(), to, db), home / "d.log",
                                       delay)) {
            ++kills;
            continue;
        }
        // Finished before the kill: start over on a fresh database to kill it again.
        db = pg->fresh_database();
        test::seed_market(db, 200);
    }
    EXPECT_GE(kills, 6);
    const auto last = test::run_aurum(test::replay_args(home.path(), to, db));
    ASSERT_EQ(last.exit_code, 0) << last.err;
    const test::Final got = test::final_state(db);
    test::expect_same_final(got, ref, "postgres after kill -9");
    test::expect_unique_ids(got);
}

namespace {

std::vector<std::string> paced_args(const fs::path& home, const std::string& speed) {
    std::vector<std::string> a = test::replay_args(home, "2023-06-01");
    for (std::size_t i = 0; i + 1 < a.size(); ++i) {
        if (a[i] == "--speed")
            a[i + 1] = speed;
        if (a[i + 1] == "fast=3")
            a[i + 1] = "fast=10"; // slower crosses: positions last longer
        if (a[i + 1] == "slow=8")
            a[i + 1] = "slow=30";
        if (a[i] == "--fraction")
            a[i + 1] = "0.2";
    }
    return a;
}

/// paced_args with buy-hold: once the first entry filled, a position is open at every later
/// bar, so a stop sent after a position was seen always finds one (a state, not a race).
std::vector<std::string> holding_args(const fs::path& home, const std::string& speed) {
    std::vector<std::string> out;
    const auto a = paced_args(home, speed);
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] == "--param") {
            ++i;
            continue;
        }
        out.push_back(a[i]);
    }
    out.insert(out.end(), {"--strategy", "buy-hold"});
    return out;
}

/// Signed quantity per symbol filled at or before `t`, and filled after it.
struct FillsAround {
    std::map<std::string, double> before, after;
};

} // namespace

TEST(LiveDaemon, emergency_stop_mid_replay_closes_at_next_open_and_blocks_restart) {
    // Buy-hold never exits on its own: the position seen open is still open when the stop lands,
    // however slow the build (the stop waits for that state, not for a time).
    {
        test::TempDir home;
        test::seed_workspace(home.path(), 200);
        // The fill model's costs come from a partial live.yaml; the drawdown limit is out of
        // reach of this test strategy, so only the emergency stop halts.
        test::write_text(
            home / "config" / "live.yaml",
            "live:\n  fees:\n    taker: 0.002\n  slippage_bps: 7\n  warmup_bars: 30\n");
        test::write_text(home / "config" / "risk.yaml", "risk:\n  max_drawdown: 0.6\n");
        // Paced at 100 ms per 4h bar so the stop lands in the middle of the replay.
        const pid_t pid = test::spawn_aurum(holding_args(home.path(), "144000"), home / "d.log");
        json open;
        for (int i = 0; i < 1200; ++i) { // up to 2 min for the first position (slow builds)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            const auto d = read_daemon_info(Workspace(home.path()));
            if (!d || d->pid != pid)
                continue;
            open = status_json(home.path());
            if (open.value("session_status", "") == "running" && !open["positions"].empty())
                break;
        }
        int exit_status = -1;
        // Reap the daemon as it exits, so `stop` does not wait on a zombie.
        std::thread reaper([&] { ::waitpid(pid, &exit_status, 0); });
        ASSERT_FALSE(open["positions"].empty()) << test::slurp(home / "d.log");
        const auto es = test::run_aurum(
            {"--home", home.path().string(), "stop", "--emergency", "--reason", "Market crash"});
        reaper.join();
        ASSERT_EQ(es.exit_code, 0) << es.out << es.err;
        EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0)
            << test::slurp(home / "d.log");

        // The stop was applied after bar A. Fills at or before A make the positions it found.
        auto db = open_database(test::home_db(home.path()));
        StateStore st(*db);
        const auto session = st.latest_session();
        ASSERT_TRUE(session.has_value());
        TimeMs stop_after = -1;
        for (const auto& c : st.commands(session->id))
            if (c.kind == "emergency_stop")
                stop_after = c.after_bar;
        ASSERT_GT(stop_after, 0);
        const TimeMs next = stop_after + 4 * kMsPerHour;
        FillsAround fills;
        for (const auto& r : st.reports(session->id))
            if (r.kind == "fill")
                (r.time <= stop_after ? fills.before : fills.after)[r.symbol] +=
                    r.side == "buy" ? r.qty : -r.qty;
        int open_at_stop = 0;
        for (const auto& [symbol, qty] : fills.before)
            open_at_stop += std::fabs(qty) > 1e-9;
        ASSERT_GT(open_at_stop, 0) << "nothing open when the stop landed";

        // At the next bar's open every position was closed through the fill model (7 bps
        // adverse slippage, 0.2% taker fee), and nothing traded after that.
        EXPECT_NE(session->status, "complete");
        EXPECT_TRUE(st.positions(session->id).empty());
        auto store = open_market_store(test::home_db(home.path()));
        for (const auto& r : st.reports(session->id)) {
            if (r.kind != "fill" || r.time <= stop_after)
                continue;
            EXPECT_EQ(r.time, next) << "a fill after the emergency stop: " << r.client_order_id;
            const BarSeries bar =
                store->load_bars(r.symbol, Timeframe(4 * kMsPerHour), TimeRange{next, next + 1});
            ASSERT_EQ(bar.size(), 1u);
            const double sign = r.side == "buy" ? 1.0 : -1.0;
            EXPECT_NEAR(r.price, bar.open[0] * (1 + sign * 7e-4), 1e-9 * bar.open[0]) << r.symbol;
            EXPECT_NEAR(r.fee, r.qty * r.price * 0.002, 1e-9 * r.qty * r.price) << r.symbol;
        }
        for (const auto& [symbol, qty] : fills.before)
            EXPECT_NEAR(fills.after[symbol], -qty, 1e-9)
                << symbol << " not closed at the next open";
        const json halted = status_json(home.path());
        EXPECT_EQ(halted.value("trading_state", ""), "HALTED") << halted.dump();

        // A restart without acknowledging: refused, exit 2, not one row written.
        const auto before = live_tables(test::home_db(home.path()));
        const auto refused = test::run_aurum(holding_args(home.path(), "0"));
        EXPECT_EQ(refused.exit_code, 2);
        EXPECT_NE(refused.err.find("--acknowledge-stop"), std::string::npos) << refused.err;
        EXPECT_EQ(live_tables(test::home_db(home.path())), before);
        EXPECT_FALSE(read_daemon_info(Workspace(home.path())).has_value());

        // Acknowledged: the same session resumes ACTIVE and trades again to the replay's end.
        auto ack = holding_args(home.path(), "0");
        ack.insert(ack.end(), {"--acknowledge-stop", "--reason", "reviewed the crash"});
        const auto acked = test::run_aurum(ack);
        ASSERT_EQ(acked.exit_code, 0) << acked.err;
        const json resumed = status_json(home.path());
        EXPECT_EQ(resumed.value("trading_state", ""), "ACTIVE") << resumed.dump();
        EXPECT_EQ(resumed.value("session", ""), session->id);
        EXPECT_EQ(resumed.value("session_status", ""), "complete");
        std::size_t orders_after = 0;
        for (const auto& o : st.orders(session->id))
            orders_after += o.bar_time > next;
        EXPECT_GT(orders_after, 0u) << "no trading after the acknowledged restart";
        bool audited = false;
        for (const auto& a : st.audit_log(20))
            audited = audited || a.reason.find("reviewed the crash") != std::string::npos;
        EXPECT_TRUE(audited);
        return;
    }
}
