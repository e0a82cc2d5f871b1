// The daemon's life as the user sees it: the lock (not a pid) says whether one runs, so a crash
// or a stale daemon.json never blocks a start and never names another process as the daemon;
// a bad edit of config/risk.yaml is reported and the last valid limits kept; `aurum restart`
// waits until the new daemon serves, reports its death, and restarts after a kill -9; `health`
// exits 1 when a check fails. Every wait is for a state, with a generous bound.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "live/control.hpp"
#include "support/connection_flood.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

test::CliResult cli(const fs::path& home, std::vector<std::string> args) {
    args.insert(args.begin(), {"--home", home.string()});
    return test::run_aurum(args);
}

json cli_json(const fs::path& home, const std::string& what, int* exit_code = nullptr) {
    const auto r = cli(home, {"--json", what});
    if (exit_code) *exit_code = r.exit_code;
    try {
        return json::parse(r.out);
    } catch (...) {
        return json{{"unparsed", r.out + r.err}};
    }
}

/// The replay command line at `speed` (market time per wall time).
std::vector<std::string> paced_args(const fs::path& home, const std::string& to,
                                    const std::string& speed) {
    auto a = test::replay_args(home, to);
    for (std::size_t i = 0; i + 1 < a.size(); ++i)
        if (a[i] == "--speed") a[i + 1] = speed;
    return a;
}

pid_t spawn_sleep() {
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execlp("sleep", "sleep", "300", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    return pid;
}

/// True once /proc shows `pid` as a zombie (dead, not yet reaped).
bool is_zombie(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(in, line);
    const auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

/// A daemon serving after a short replay, started by the test (killed at the end if alive).
struct Served {
    fs::path home;
    pid_t pid = -1;
    /// `hold`: buy-hold instead of sma-cross, so positions are open when the replay ends.
    explicit Served(const fs::path& h, bool hold = false) : home(h) {
        std::vector<std::string> args;
        const auto base = test::replay_args(home, "2023-04-01");
        for (std::size_t i = 0; i < base.size(); ++i) {
            if (hold && base[i] == "--param") {
                ++i;
                continue;
            }
            args.push_back(base[i]);
        }
        if (hold) args.insert(args.end(), {"--strategy", "buy-hold"});
        args.push_back("--serve");
        pid = test::spawn_aurum(args, home / "daemon.log");
        test::wait_until([&] {
            const auto d = read_daemon_info(Workspace(home));
            return d && d->pid == pid && cli_json(home, "status").value("session_status", "") ==
                                             "complete";
        });
    }
    ~Served() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            int st = 0;
            ::waitpid(pid, &st, 0);
        }
        // A daemon started by `aurum restart` is not our child: stop it by its lock's pid.
        if (daemon_running(Workspace(home)))
            if (auto d = read_daemon_info(Workspace(home))) ::kill(d->pid, SIGKILL);
    }
};

/// Connections a flood holds on the control port: more than the old server's 64 workers and
/// than the new server's cap of 128 open connections.
constexpr int kFlood = 200;

/// A paced buy-hold replay (100 ms per 4h bar), waited for until its status satisfies `ready`
/// (by default: it holds a position).
struct Holding {
    fs::path home;
    pid_t pid = -1;
    json status;
    explicit Holding(const fs::path& h, const std::function<bool(const json&)>& ready =
                                           [](const json& s) { return !s["positions"].empty(); })
        : home(h) {
        std::vector<std::string> args;
        const auto base = paced_args(home, "2023-07-01", "144000");
        for (std::size_t i = 0; i < base.size(); ++i) {
            if (base[i] == "--param") {
                ++i;
                continue;
            }
            args.push_back(base[i]);
        }
        args.insert(args.end(), {"--strategy", "buy-hold"});
        pid = test::spawn_aurum(args, home / "daemon.log");
        test::wait_until([&] {
            const auto d = read_daemon_info(Workspace(home));
            if (!d || d->pid != pid) return false;
            status = cli_json(home, "status");
            return status.value("session_status", "") == "running" && ready(status);
        });
    }
    int port() const { return read_daemon_info(Workspace(home))->port; }
    ~Holding() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            int st = 0;
            ::waitpid(pid, &st, 0);
        }
    }
};

/// `aurum stop --emergency` while the daemon `pid` runs; reaps the daemon as it exits so the
/// CLI never waits on a zombie. Returns the CLI's result and the daemon's exit status.
std::pair<test::CliResult, int> emergency_stop(const fs::path& home, pid_t& pid) {
    int exit_status = -1;
    const pid_t child = pid;
    std::thread reaper([&] { ::waitpid(child, &exit_status, 0); });
    const auto es = cli(home, {"stop", "--emergency", "--reason", "flood drill"});
    if (daemon_running(Workspace(home))) ::kill(child, SIGKILL); // the assertions below say why
    reaper.join();
    pid = -1;
    return {es, exit_status};
}

/// After a completed emergency stop: the daemon is gone, nothing is open, the account HALTED.
void expect_closed_and_halted(const fs::path& home, const test::CliResult& es, int exit_status) {
    EXPECT_EQ(es.exit_code, 0) << es.out << es.err << test::slurp(home / "daemon.log");
    EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0)
        << test::slurp(home / "daemon.log");
    EXPECT_FALSE(daemon_running(Workspace(home)));
    const json after = cli_json(home, "status");
    EXPECT_TRUE(after["positions"].empty()) << after.dump();
    EXPECT_EQ(after.value("trading_state", ""), "HALTED") << after.dump();
}

} // namespace

TEST(LiveDaemonLock, stale_daemon_json_naming_a_live_process_neither_blocks_nor_is_the_daemon) {
    test::TempDir home;
    test::seed_workspace(home.path(), 120);
    const pid_t sleeper = spawn_sleep();
    DaemonInfo stale;
    stale.pid = sleeper;
    stale.port = 1;
    stale.started = 1;
    stale.session = "gone";
    write_daemon_info(Workspace(home.path()), stale);
    ASSERT_TRUE(process_alive(sleeper));

    int health_rc = -1;
    const json h = cli_json(home.path(), "health", &health_rc);
    EXPECT_FALSE(h["daemon"]["running"].get<bool>()) << h.dump();
    EXPECT_EQ(h["daemon"]["pid"].get<int>(), 0) << "the sleep was called the daemon";
    EXPECT_EQ(health_rc, 1) << "health must fail with no daemon";
    const auto text = cli(home.path(), {"health"});
    EXPECT_NE(text.out.find("Orchestrator: Not running"), std::string::npos) << text.out;
    EXPECT_EQ(text.out.find("Risk Manager: Active"), std::string::npos) << text.out;
    const json s = cli_json(home.path(), "status");
    EXPECT_FALSE(s.value("daemon_running", true)) << s.dump();

    const auto run = test::run_aurum(test::replay_args(home.path(), "2023-03-01"));
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(test::final_state(home.path()).status, "complete");
    ::kill(sleeper, SIGKILL);
    int st = 0;
    ::waitpid(sleeper, &st, 0);
}

TEST(LiveDaemonLock, kill_dash_nine_mid_replay_then_run_at_once_resumes) {
    test::TempDir home;
    test::seed_workspace(home.path(), 200);
    // 100 ms per 4h bar: slow enough to be killed mid-replay.
    const pid_t pid = test::spawn_aurum(paced_args(home.path(), "2023-06-01", "144000"),
                                        home / "d.log");
    ASSERT_TRUE(test::wait_until([&] {
        const json s = cli_json(home.path(), "status");
        return s.value("session_status", "") == "running" &&
               s.value("last_bar", TimeMs{0}) >= make_time(2023, 2, 5);
    })) << test::slurp(home / "d.log");
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    // Not reaped yet: the pid in daemon.json still exists (a zombie), as after a real crash.
    ASSERT_TRUE(test::wait_until([&] { return is_zombie(pid); }));
    ASSERT_TRUE(read_daemon_info(Workspace(home.path())).has_value());
    auto args = test::replay_args(home.path(), "2023-06-01");
    args.insert(args.begin() + 2, "--json");
    const auto again = test::run_aurum(args);
    int st = 0;
    ::waitpid(pid, &st, 0);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    const json out = json::parse(again.out);
    EXPECT_GT(out["recovered_steps"].get<int>(), 0) << again.out;
    EXPECT_EQ(test::final_state(home.path()).status, "complete");
}

TEST(LiveDaemonRisk, bad_risk_yaml_edit_keeps_the_daemon_and_its_last_valid_limits) {
    test::TempDir home;
    test::seed_workspace(home.path(), 120);
    test::write_text(home / "config" / "risk.yaml", "risk:\n  max_position: 0.3\n");
    Served d(home.path());
    ASSERT_TRUE(daemon_running(Workspace(home.path()))) << test::slurp(home / "daemon.log");
    const auto shown = cli(home.path(), {"--json", "risk", "show"});
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    const json before = json::parse(shown.out);
    ASSERT_TRUE(before.contains("limits")) << before.dump();

    // The seed's own (wrong) key, on line 3.
    test::write_text(home / "config" / "risk.yaml",
                     "risk:\n  max_position: 0.3\n  max_position_size: 0.2\n");
    json h;
    ASSERT_TRUE(test::wait_until([&] {
        h = cli_json(home.path(), "health");
        return h.contains("risk") && h["risk"].contains("config_error");
    })) << h.dump();
    const std::string err = h["risk"]["config_error"];
    EXPECT_NE(err.find("risk.yaml:3"), std::string::npos) << err;
    EXPECT_NE(err.find("max_position_size"), std::string::npos) << err;
    EXPECT_TRUE(h["daemon"]["running"].get<bool>());
    int rc = -1;
    cli_json(home.path(), "health", &rc);
    EXPECT_EQ(rc, 1);
    const auto status = cli(home.path(), {"status"});
    EXPECT_EQ(status.exit_code, 0) << status.err;
    EXPECT_NE(status.out.find("risk.yaml"), std::string::npos) << status.out;
    const auto risk = cli(home.path(), {"--json", "risk", "show"});
    ASSERT_EQ(risk.exit_code, 0) << risk.err;
    EXPECT_EQ(json::parse(risk.out)["limits"], before["limits"]);
    EXPECT_TRUE(daemon_running(Workspace(home.path())));
    EXPECT_NE(test::slurp(home / "logs" / "error.log").find("max_position_size"), std::string::npos);

    // Valid again: applied.
    test::write_text(home / "config" / "risk.yaml", "risk:\n  max_position: 0.2\n");
    json r;
    ASSERT_TRUE(test::wait_until([&] {
        const auto x = cli(home.path(), {"--json", "risk", "show"});
        if (x.exit_code != 0) return false;
        r = json::parse(x.out);
        return !r.contains("config_error") && r["limits"] != before["limits"];
    })) << r.dump();
    EXPECT_DOUBLE_EQ(std::stod(r["limits"]["max_position"].get<std::string>()), 0.2);
    EXPECT_TRUE(daemon_running(Workspace(home.path())));
}

TEST(LiveDaemonRestart, restart_after_kill_dash_nine_starts_the_last_command_line) {
    test::TempDir home;
    test::seed_workspace(home.path(), 120);
    Served d(home.path());
    ASSERT_TRUE(daemon_running(Workspace(home.path()))) << test::slurp(home / "daemon.log");
    ::kill(d.pid, SIGKILL);
    int st = 0;
    ::waitpid(d.pid, &st, 0);
    d.pid = -1;
    const auto r = cli(home.path(), {"restart"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("Daemon restarted"), std::string::npos) << r.out;
    // Serving when restart returned: the daemon holds the lock and answers.
    EXPECT_TRUE(daemon_running(Workspace(home.path())));
    const json s = cli_json(home.path(), "status");
    EXPECT_TRUE(s.value("daemon_running", false)) << s.dump();
    const auto stop = cli(home.path(), {"stop"});
    EXPECT_EQ(stop.exit_code, 0) << stop.err;
    EXPECT_FALSE(daemon_running(Workspace(home.path())));
}

TEST(LiveDaemonRestart, restart_reports_a_new_daemon_that_dies_on_a_bad_config) {
    test::TempDir home;
    test::seed_workspace(home.path(), 120);
    Served d(home.path());
    ASSERT_TRUE(daemon_running(Workspace(home.path()))) << test::slurp(home / "daemon.log");
    test::write_text(home / "config" / "live.yaml", "live:\n  timeframe: 4h\n  bogus_key: 1\n");
    const auto r = cli(home.path(), {"restart"});
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_NE(r.err.find("bogus_key"), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("Daemon restarted"), std::string::npos) << r.out;
    int st = 0;
    ::waitpid(d.pid, &st, 0); // the old daemon stopped on the restart's shutdown
    d.pid = -1;
}

TEST(LiveDaemonControl, idle_half_open_connections_do_not_starve_the_control_api) {
    test::TempDir home;
    test::seed_workspace(home.path(), 120);
    Served d(home.path());
    const auto info = read_daemon_info(Workspace(home.path()));
    ASSERT_TRUE(info && daemon_running(Workspace(home.path()))) << test::slurp(home / "daemon.log");
    // A local program holds 40 connections open without sending a byte.
    std::vector<int> socks;
    for (int i = 0; i < 40; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<uint16_t>(info->port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        socks.push_back(fd);
    }
    // The daemon still answers (not the database fallback), and a stop still stops it.
    const json s = cli_json(home.path(), "status");
    EXPECT_TRUE(s.value("daemon_running", false)) << s.dump();
    const auto stop = cli(home.path(), {"stop"});
    EXPECT_EQ(stop.exit_code, 0) << stop.out << stop.err;
    int st = 0;
    ::waitpid(d.pid, &st, 0);
    d.pid = -1;
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    for (const int fd : socks) ::close(fd);
}

TEST(LiveDaemonControl, emergency_stop_after_the_replay_ended_stops_and_says_what_stays_open) {
    test::TempDir home;
    test::seed_workspace(home.path(), 120);
    Served d(home.path(), true);
    ASSERT_TRUE(daemon_running(Workspace(home.path()))) << test::slurp(home / "daemon.log");
    const json before = cli_json(home.path(), "status");
    ASSERT_EQ(before.value("session_status", ""), "complete") << before.dump();
    ASSERT_FALSE(before["positions"].empty()) << "buy-hold holds at the end: " << before.dump();
    int exit_status = -1;
    std::thread reaper([&] { ::waitpid(d.pid, &exit_status, 0); });
    const auto es = cli(home.path(), {"stop", "--emergency", "--reason", "after the end"});
    // The daemon is down when the command returns (it used to keep waiting for a next bar).
    EXPECT_FALSE(daemon_running(Workspace(home.path())));
    reaper.join();
    d.pid = -1;
    EXPECT_TRUE(WIFEXITED(exit_status)) << test::slurp(home / "daemon.log");
    const json after = cli_json(home.path(), "status");
    // Still under the emergency stop: no entries, a start needs --acknowledge-stop.
    EXPECT_NE(after.value("trading_state_text", "").find("emergency stop"), std::string::npos)
        << after.dump();
    const auto refused = test::run_aurum(test::replay_args(home.path(), "2023-04-01"));
    EXPECT_EQ(refused.exit_code, 2) << refused.out;
    EXPECT_NE(refused.err.find("--acknowledge-stop"), std::string::npos) << refused.err;
    // Nothing can fill after the last bar: it says so, precisely, and exits 1.
    EXPECT_EQ(es.exit_code, 1) << es.out << es.err;
    EXPECT_NE(es.err.find("still open"), std::string::npos) << es.err;
    EXPECT_NE(es.err.find("BTC/USDT"), std::string::npos) << es.err;
    EXPECT_NE(test::slurp(home / "logs" / "error.log").find("no next bar"), std::string::npos);
}

// Issue 19.1: a local program holding 200 slow-loris connections on the control port (more than
// the workers and than the connection cap) must not delay an emergency stop; under the old
// server it starved every worker and the stop never reached the daemon.
TEST(LiveDaemonFlood, emergency_stop_mid_replay_closes_and_halts_under_a_connection_flood) {
    test::TempDir home;
    test::seed_workspace(home.path(), 200);
    Holding d(home.path());
    ASSERT_FALSE(d.status["positions"].empty()) << test::slurp(home / "daemon.log");
    test::ConnectionFlood flood(d.port(), kFlood, true);
    // The server evicts flood connections at its cap of 128 and the flood reopens them (it
    // notices a close only at its next drip): the stop below meets a full, churning server.
    EXPECT_TRUE(test::wait_until([&] { return flood.opened() > static_cast<std::uint64_t>(kFlood); }))
        << "the server never closed one";
    const json s = cli_json(home.path(), "status");
    EXPECT_TRUE(s.value("daemon_running", false)) << s.dump();
    auto [es, exit_status] = emergency_stop(home.path(), d.pid);
    expect_closed_and_halted(home.path(), es, exit_status);
}

TEST(LiveDaemonFlood, emergency_stop_while_paused_closes_the_kept_positions_under_a_flood) {
    test::TempDir home;
    test::seed_workspace(home.path(), 200);
    Holding d(home.path());
    ASSERT_FALSE(d.status["positions"].empty()) << test::slurp(home / "daemon.log");
    test::ConnectionFlood flood(d.port(), kFlood, true);
    const auto p = cli(home.path(), {"pause", "--duration", "30d", "--reason", "news",
                                     "--keep-positions"});
    ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
    const json paused = cli_json(home.path(), "status");
    ASSERT_EQ(paused.value("trading_state", ""), "PAUSED") << paused.dump();
    ASSERT_FALSE(paused["positions"].empty()) << paused.dump();
    auto [es, exit_status] = emergency_stop(home.path(), d.pid);
    expect_closed_and_halted(home.path(), es, exit_status);
}

TEST(LiveDaemonFlood, emergency_stop_after_the_kill_switch_halted_stops_under_a_flood) {
    test::TempDir home;
    test::seed_workspace(home.path(), 200);
    // The entry's own fee is a drawdown past this: the kill switch closes and halts at once.
    test::write_text(home / "config" / "risk.yaml", "risk:\n  max_drawdown: 0.0001\n");
    Holding d(home.path(), [](const json& s) { return s.value("trading_state", "") == "HALTED"; });
    ASSERT_EQ(d.status.value("trading_state", ""), "HALTED") << d.status.dump()
                                                             << test::slurp(home / "daemon.log");
    ASSERT_TRUE(d.status["positions"].empty()) << d.status.dump();
    test::ConnectionFlood flood(d.port(), kFlood, true);
    auto [es, exit_status] = emergency_stop(home.path(), d.pid);
    expect_closed_and_halted(home.path(), es, exit_status);
    const json after = cli_json(home.path(), "status");
    EXPECT_NE(after.value("trading_state_text", "").find("emergency stop"), std::string::npos)
        << after.dump();
}

/// After the replay ended (still serving) nothing can fill: the stop says precisely what stays
/// open, exits 1, and the daemon is down with the stop in force.
void expect_after_end_report(const fs::path& home, const test::CliResult& es, int exit_status) {
    EXPECT_EQ(es.exit_code, 1) << es.out << es.err;
    EXPECT_NE(es.err.find("still open"), std::string::npos) << es.out << es.err;
    EXPECT_NE(es.err.find("BTC/USDT"), std::string::npos) << es.err;
    EXPECT_EQ((es.out + es.err).find("recovery diverged"), std::string::npos) << es.out << es.err;
    EXPECT_TRUE(WIFEXITED(exit_status)) << test::slurp(home / "daemon.log");
    EXPECT_FALSE(daemon_running(Workspace(home)));
    const json after = cli_json(home, "status");
    EXPECT_NE(after.value("trading_state_text", "").find("emergency stop"), std::string::npos)
        << after.dump();
}

TEST(LiveDaemonFlood, emergency_stop_after_the_replay_ended_answers_under_a_flood) {
    test::TempDir home;
    test::seed_workspace(home.path(), 120);
    Served d(home.path(), true);
    ASSERT_TRUE(daemon_running(Workspace(home.path()))) << test::slurp(home / "daemon.log");
    test::ConnectionFlood flood(read_daemon_info(Workspace(home.path()))->port, kFlood, true);
    auto [es, exit_status] = emergency_stop(home.path(), d.pid);
    expect_after_end_report(home.path(), es, exit_status);
}

// The reported "recovery diverged": a daemon started again on a finished replay recovers it from
// the journal and used to stay in recovery, so the stop's closing orders were refused as not
// journaled (exit 2) and the daemon kept running.
TEST(LiveDaemonFlood, emergency_stop_after_a_restart_on_a_finished_replay_is_not_a_divergence) {
    test::TempDir home;
    test::seed_workspace(home.path(), 120);
    {
        Served first(home.path(), true);
        ASSERT_TRUE(daemon_running(Workspace(home.path()))) << test::slurp(home / "daemon.log");
        const auto stop = cli(home.path(), {"stop"});
        ASSERT_EQ(stop.exit_code, 0) << stop.out << stop.err;
    }
    Served again(home.path(), true); // the same command line: resumes the finished session
    ASSERT_TRUE(daemon_running(Workspace(home.path()))) << test::slurp(home / "daemon.log");
    test::ConnectionFlood flood(read_daemon_info(Workspace(home.path()))->port, kFlood, true);
    auto [es, exit_status] = emergency_stop(home.path(), again.pid);
    expect_after_end_report(home.path(), es, exit_status);
}
