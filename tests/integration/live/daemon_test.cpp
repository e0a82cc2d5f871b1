// The daemon as a user runs it: kill -9 at random moments of a replay (the restarted daemon
// ends exactly where an uninterrupted run ends, no client order id twice), bad commands (clear
// error, exit 2, nothing written), the control API token, emergency stop and acknowledgement.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "live/control.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"

using namespace aurum;
namespace fs = std::filesystem;

using test::Final;
using test::final_state;
using test::replay_args;
using test::seed_workspace;
using test::slurp;
using test::spawn_aurum;

namespace {

/// Kills replays of `extra`'s session at `kills` random moments; the restarted daemon must end
/// exactly where an uninterrupted run ends, with no client order id sent twice.
Final kill_dash_nine_until_done(const std::vector<std::string>& extra, int kills_wanted,
                                std::uint32_t seed) {
    test::TempDir ref_home, home;
    seed_workspace(ref_home.path(), 500);
    seed_workspace(home.path(), 500);
    const std::string to = "2024-05-01";
    auto args = [&](const fs::path& h) {
        auto a = replay_args(h, to);
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    };
    const auto t0 = std::chrono::steady_clock::now();
    const auto ref_run = test::run_aurum(args(ref_home.path()));
    const auto full_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - t0)
                             .count();
    EXPECT_EQ(ref_run.exit_code, 0) << ref_run.err;
    const Final ref = final_state(ref_home.path());
    EXPECT_EQ(ref.status, "complete");
    EXPECT_GT(ref.orders.size(), 50u);

    std::mt19937 rng(seed);
    int kills = 0;
    for (int runs = 0; runs < 200 && kills < kills_wanted; ++runs) {
        // Kill anywhere from start-up to the end of a full run (later runs resume, so shorter).
        const int delay = std::uniform_int_distribution<int>(5, static_cast<int>(full_ms))(rng);
        if (test::kill_dash_nine_after(args(home.path()), home / "daemon.log", delay)) {
            ++kills;
            continue;
        }
        // Finished before the kill: start the replay over in a fresh session to kill it again.
        fs::remove(home / "data" / "aurum.db");
        fs::remove(home / "data" / "aurum.db-wal");
        fs::remove(home / "data" / "aurum.db-shm");
        seed_workspace(home.path(), 500);
    }
    EXPECT_GE(kills, kills_wanted);
    // A last uninterrupted restart completes the session.
    const auto last = test::run_aurum(args(home.path()));
    EXPECT_EQ(last.exit_code, 0) << last.err;
    const Final got = final_state(home.path());
    test::expect_same_final(got, ref, "after kill -9");
    test::expect_unique_ids(got);
    return got;
}

} // namespace

TEST(LiveDaemon, kill_dash_nine_at_random_moments_changes_nothing) {
    kill_dash_nine_until_done({}, 20, 20241203);
}

TEST(LiveDaemon, kill_dash_nine_keeps_protective_stops_exactly_as_an_uninterrupted_run) {
    // Stops are orders the engine places on fills: a restarted session must place, cancel and
    // fill the same ones under the same client order ids.
    const Final got = kill_dash_nine_until_done({"--param", "stop-loss=0.02"}, 8, 20261207);
    std::size_t stop_orders = 0, stop_fills = 0;
    for (const auto& o : got.orders) {
        const bool stop = o.find(" stop ") != std::string::npos ||
                          o.find(" stop_limit ") != std::string::npos; // live.stop_limit_offset
        stop_orders += stop;
        stop_fills += stop && o.find("filled") != std::string::npos;
    }
    EXPECT_GT(stop_orders, 10u) << "the session placed protective stops";
    EXPECT_GT(stop_fills, 0u) << "and some of them fired";
}

namespace {

/// A daemon serving the control API after a short replay.
struct ServedDaemon {
    fs::path home;
    pid_t pid = -1;
    DaemonInfo info;
    std::string token;
    ServedDaemon(const fs::path& h, std::vector<std::string> extra = {}) : home(h) {
        auto args = replay_args(home, "2023-04-01");
        args.push_back("--serve");
        for (auto& e : extra) args.push_back(e);
        pid = spawn_aurum(args, home / "daemon.log");
        test::wait_until([&] {
            auto d = read_daemon_info(Workspace(home));
            if (d && d->pid == pid)
                info = *d;
            return info.pid == pid;
        });
        token = read_token(Workspace(home)).value_or("");
    }
    ~ServedDaemon() {
        if (pid > 0) {
            ::kill(pid, SIGTERM);
            int st = 0;
            ::waitpid(pid, &st, 0);
        }
    }
    test::CliResult cli(std::vector<std::string> args) const {
        args.insert(args.begin(), {"--home", home.string()});
        return test::run_aurum(args);
    }
};

std::size_t count_rows(const fs::path& home, const std::string& table) {
    auto db = open_database((home / "data" / "aurum.db").string());
    StateStore st(*db); // schema exists
    return static_cast<std::size_t>(db->query_one("SELECT COUNT(*) FROM " + table)->as_int(0));
}

} // namespace

TEST(LiveDaemon, control_api_refuses_requests_without_the_token) {
    test::TempDir home;
    seed_workspace(home.path(), 120);
    ServedDaemon d(home.path());
    ASSERT_GT(d.info.port, 0) << slurp(home / "daemon.log");
    struct stat st {};
    ASSERT_EQ(::stat((home / "data" / "control.token").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    httplib::Client c("127.0.0.1", d.info.port);
    auto none = c.Get("/api/status");
    ASSERT_TRUE(none);
    EXPECT_EQ(none->status, 401);
    auto wrong = c.Get("/api/status", {{"Authorization", "Bearer nope"}});
    EXPECT_EQ(wrong->status, 401);
    const auto before = count_rows(home.path(), "live_commands");
    auto post = c.Post("/api/commands/pause", {{"Authorization", "Bearer nope"}},
                       R"({"duration_ms": 3600000, "reason": "x"})", "application/json");
    EXPECT_EQ(post->status, 401);
    EXPECT_EQ(count_rows(home.path(), "live_commands"), before);
    auto ok = c.Get("/api/status", {{"Authorization", "Bearer " + d.token}});
    ASSERT_EQ(ok->status, 200);
    EXPECT_NE(ok->body.find("\"session\""), std::string::npos);
}

TEST(LiveDaemon, bad_commands_fail_clearly_and_change_nothing) {
    test::TempDir home;
    seed_workspace(home.path(), 120);
    ServedDaemon d(home.path());
    ASSERT_GT(d.info.port, 0) << slurp(home / "daemon.log");
    // The replay has finished (status says complete), so no order or journal row can appear
    // between the counts below and the checks after the bad commands.
    ASSERT_TRUE(test::wait_until([&] { return final_state(home.path()).status == "complete"; },
                                 std::chrono::seconds(300)))
        << slurp(home / "daemon.log");
    const auto orders = count_rows(home.path(), "live_orders");
    const auto cmds = count_rows(home.path(), "live_commands");
    const auto audit = count_rows(home.path(), "live_audit");
    struct Case {
        std::vector<std::string> args;
        std::string expect;
    };
    const std::vector<Case> cases = {
        {{"trade", "--symbol", "NOSUCH", "--side", "long", "--amount", "0.1", "--reason", "x"},
         "unknown symbol"},
        {{"trade", "--symbol", "SOL/USDT", "--side", "long", "--amount", "1", "--reason", "x"},
         "unknown symbol 'SOL/USDT' for this session"},
        {{"trade", "--symbol", "BTC/USDT", "--side", "long", "--amount", "-0.1", "--reason", "x"},
         "--amount must be positive"},
        {{"trade", "--symbol", "BTC/USDT", "--side", "sideways", "--amount", "0.1", "--reason", "x"},
         "--side must be long, short or close"},
        {{"pause", "--duration", "24x", "--reason", "x"}, "expected a duration"},
        {{"pause", "--duration", "0h", "--reason", "x"}, "expected a duration"},
        {{"resume"}, "not paused"},
        {{"killswitch", "reset", "--confirm", "ok"}, "not engaged"},
        {{"risk", "set", "--max-position", "-1"}, "max_position"},
        {{"signals", "approve", "99", "--reason", "x"}, "no signal #99"},
        {{"stop", "--emergency"}, "--reason is required"},
    };
    for (const auto& c : cases) {
        const auto r = d.cli(c.args);
        EXPECT_EQ(r.exit_code, 2) << c.args[0] << ": " << r.out << r.err;
        EXPECT_NE(r.err.find(c.expect), std::string::npos)
            << c.args[0] << " " << c.args[1] << ": " << r.err;
    }
    EXPECT_EQ(count_rows(home.path(), "live_orders"), orders);
    EXPECT_EQ(count_rows(home.path(), "live_commands"), cmds);
    EXPECT_EQ(count_rows(home.path(), "live_audit"), audit);

    // Good commands work against it.
    EXPECT_EQ(d.cli({"status"}).exit_code, 0);
    const auto sum = d.cli({"summary"});
    EXPECT_NE(sum.out.find("DAILY SUMMARY"), std::string::npos) << sum.out;
    const auto health = d.cli({"health"});
    EXPECT_NE(health.out.find("Orchestrator: Running"), std::string::npos) << health.out;
    const auto rs = d.cli({"risk", "set", "--max-position", "0.15", "--reason", "vol spike"});
    EXPECT_EQ(rs.exit_code, 0) << rs.err;
    EXPECT_EQ(load_risk_limits((home / "config" / "risk.yaml").string()).max_position, 0.15);
    const auto p = d.cli({"pause", "--duration", "24h", "--reason", "Fed announcement"});
    EXPECT_EQ(p.exit_code, 0) << p.err;
    EXPECT_NE(d.cli({"status"}).out.find("PAUSED"), std::string::npos);
    // Entries while paused: refused by the risk manager (a stored decision), exit 1.
    const auto t = d.cli({"trade", "--symbol", "BTC/USDT", "--side", "long", "--amount", "0.01",
                          "--reason", "breaking news"});
    EXPECT_EQ(t.exit_code, 1) << t.out << t.err;
    EXPECT_NE(t.out.find("paused"), std::string::npos) << t.out;
    EXPECT_EQ(d.cli({"resume", "--reason", "over"}).exit_code, 0);

    // Emergency stop: closes, halts, exits; a restart is refused until acknowledged.
    // Reap the daemon as it exits, so the CLI waiting for it does not see a zombie.
    std::thread reaper([pid = d.pid] {
        int st = 0;
        ::waitpid(pid, &st, 0);
    });
    const auto es = d.cli({"stop", "--emergency", "--reason", "Market crash"});
    EXPECT_EQ(es.exit_code, 0) << es.err;
    reaper.join();
    d.pid = -1;
    const auto halted_trade =
        d.cli({"trade", "--symbol", "BTC/USDT", "--side", "long", "--amount", "0.01", "--reason", "x"});
    EXPECT_EQ(halted_trade.exit_code, 2);
    auto again = replay_args(home.path(), "2023-04-01");
    again.push_back("--serve");
    const auto refused = test::run_aurum(again);
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_NE(refused.err.find("--acknowledge-stop"), std::string::npos) << refused.err;
    auto ack = replay_args(home.path(), "2023-04-01");
    ack.insert(ack.end(), {"--acknowledge-stop", "--reason", "reviewed the crash"});
    const auto acked = test::run_aurum(ack);
    EXPECT_EQ(acked.exit_code, 0) << acked.err;
    EXPECT_NE(d.cli({"status"}).out.find("ACTIVE"), std::string::npos);
}
