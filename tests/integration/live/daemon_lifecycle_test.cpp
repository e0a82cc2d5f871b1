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

/// Polls `ready` every 100 ms for up to 60 s (a state, not a time).
bool wait_for(const std::function<bool()>& ready) {
    for (int i = 0; i < 600; ++i) {
        if (ready()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return ready();
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
        wait_for([&] {
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
    ASSERT_TRUE(wait_for([&] {
        const json s = cli_json(home.path(), "status");
        return s.value("session_status", "") == "running" &&
               s.value("last_bar", TimeMs{0}) >= make_time(2023, 2, 5);
    })) << test::slurp(home / "d.log");
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    // Not reaped yet: the pid in daemon.json still exists (a zombie), as after a real crash.
    ASSERT_TRUE(wait_for([&] { return is_zombie(pid); }));
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
    ASSERT_TRUE(wait_for([&] {
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
    ASSERT_TRUE(wait_for([&] {
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
