// How long `aurum stop --emergency` takes, from the command's start to its return with the daemon
// down, with and without a local program flooding the control port (issue 19.1), in two daemon
// states: mid-replay with positions open (they are closed at the next bar) and after the replay
// ended while serving (nothing can fill; the stop says what stays open and exits 1).
//
//   build/release/bench/bench_live_emergency_stop [--aurum PATH] [--runs N] [--flood N]
//
// The daemon replays the real Binance BTC/USDT and ETH/USDT 4h candles of ../shared/data (the
// seeded synthetic market when they are absent) with buy-hold at 100 ms per bar. The flood holds
// N connections (default 200) that each send the start of a request line and then one byte every
// 500 ms, reconnecting whatever the server closes. `--aurum` measures another build (e.g. main's).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "../tests/support/connection_flood.hpp"
#include "core/workspace.hpp"
#include "live/control.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using aurum::Workspace;

namespace {

std::string g_aurum; // the binary measured

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Starts `aurum args` with output to `log`; returns its pid.
pid_t spawn(const std::vector<std::string>& args, const fs::path& log) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        std::vector<std::string> copy = args;
        std::vector<char*> argv{g_aurum.data()};
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(g_aurum.c_str(), argv.data());
        ::_exit(127);
    }
    return pid;
}

/// Runs `aurum args` to its end; returns the exit code (output in `log`).
int run(const std::vector<std::string>& args, const fs::path& log) {
    const pid_t pid = spawn(args, log);
    int st = 0;
    ::waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

json daemon_status(const fs::path& home) {
    const fs::path out = home / "status.json";
    fs::remove(out);
    run({"--home", home.string(), "--json", "status"}, out);
    try {
        return json::parse(slurp(out));
    } catch (...) {
        return json::object();
    }
}

/// A workspace holding the template's database (the imported candles).
fs::path fresh_workspace(const fs::path& root, const fs::path& tmpl, int n) {
    const fs::path home = root / fmt::format("run{}", n);
    Workspace(home).ensure_dirs();
    fs::copy_file(tmpl / "data" / "aurum.db", home / "data" / "aurum.db");
    return home;
}

/// Imports the real candles (or synthesizes a market) into `tmpl`; returns the replay window.
std::pair<std::string, std::string> prepare(const fs::path& tmpl) {
    Workspace(tmpl).ensure_dirs();
    const fs::path shared = fs::path(AURUM_SHARED_DATA) / "crypto" / "binance";
    const fs::path log = tmpl / "prepare.log";
    if (fs::exists(shared / "BTCUSDT_4h.csv") && fs::exists(shared / "ETHUSDT_4h.csv")) {
        run({"--home", tmpl.string(), "-q", "data", "import", (shared / "BTCUSDT_4h.csv").string(),
             (shared / "ETHUSDT_4h.csv").string()},
            log);
        std::cout << "data: real Binance BTC/USDT + ETH/USDT 4h from " << shared.string() << "\n";
        return {"2024-01-01", "2024-03-01"}; // buy-hold still holds at the end
    }
    run({"--home", tmpl.string(), "-q", "data", "synth", "--symbols", "BTC/USDT,ETH/USDT",
         "--timeframe", "4h", "--days", "400", "--seed", "5"},
        log);
    std::cout << "data: synthetic BTC/USDT + ETH/USDT 4h (../shared/data not found)\n";
    return {"2023-02-01", "2023-09-01"};
}

struct Measured {
    double seconds = 0;
    int exit_code = -1;
    bool daemon_down = false;
    std::string says;
};

/// One daemon, one emergency stop. `after_end`: the replay runs to its end and serves.
Measured one_stop(const fs::path& home, const std::pair<std::string, std::string>& window,
                  bool after_end, int flood) {
    std::vector<std::string> args{"--home", home.string(), "-q", "run", "--mode", "paper",
                                  "--symbols", "BTC/USDT,ETH/USDT", "--timeframe", "4h",
                                  "--replay-from", window.first, "--replay-to", window.second,
                                  "--strategy", "buy-hold", "--speed", after_end ? "0" : "144000"};
    if (after_end) args.push_back("--serve");
    const pid_t pid = spawn(args, home / "daemon.log");
    // Ready: holding a position mid-replay, or the replay complete and serving.
    for (int i = 0; i < 1200; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const json s = daemon_status(home);
        if (!s.value("daemon_running", false) || !s.contains("positions")) continue;
        if (after_end ? s.value("session_status", "") == "complete"
                      : s.value("session_status", "") == "running" && !s["positions"].empty())
            break;
    }
    std::unique_ptr<aurum::test::ConnectionFlood> f;
    if (flood > 0) {
        const auto info = aurum::read_daemon_info(Workspace(home));
        f = std::make_unique<aurum::test::ConnectionFlood>(info ? info->port : 1, flood, true);
        std::this_thread::sleep_for(std::chrono::seconds(1)); // the flood is in place
    }
    int daemon_status = 0;
    std::thread reaper([&] { ::waitpid(pid, &daemon_status, 0); });
    const fs::path out = home / "stop.log";
    const auto t0 = std::chrono::steady_clock::now();
    Measured m;
    m.exit_code = run({"--home", home.string(), "stop", "--emergency", "--reason", "bench"}, out);
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    m.daemon_down = !aurum::daemon_running(Workspace(home));
    f.reset();
    if (!m.daemon_down) ::kill(pid, SIGKILL);
    reaper.join();
    // Its last line: the outcome ("Daemon stopped ...", or what stays open and why).
    std::string text = slurp(out);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    m.says = text.substr(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1, 200);
    return m;
}

} // namespace

int main(int argc, char** argv) {
    g_aurum = (fs::canonical("/proc/self/exe").parent_path().parent_path() / "bin" / "aurum").string();
    int runs = 3, flood = 200;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind("--benchmark", 0) == 0) continue; // scripts/run-benchmarks passes these
        if (i + 1 < argc && a == "--aurum") g_aurum = argv[++i];
        else if (i + 1 < argc && a == "--runs") runs = std::max(1, std::atoi(argv[++i]));
        else if (i + 1 < argc && a == "--flood") flood = std::max(1, std::atoi(argv[++i]));
        else {
            std::cerr << "usage: bench_live_emergency_stop [--aurum PATH] [--runs N] [--flood N]\n";
            return 2;
        }
    }
    const fs::path root = fs::temp_directory_path() / fmt::format("aurum-bench-estop-{}", ::getpid());
    fs::create_directories(root);
    const auto window = prepare(root / "template");
    std::cout << "binary: " << g_aurum << "\n";
    // What any aurum command costs on this machine before it does anything.
    std::vector<double> start;
    for (int r = 0; r < 5; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        run({"--version"}, root / "version.log");
        start.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(start.begin(), start.end());
    std::cout << fmt::format("`aurum --version` (process start): median {:.2f} s\n", start[2]);
    std::cout << fmt::format("{:<26} {:>7} {:>9} {:>9} {:>9}  {}\n", "state", "flood", "median s",
                             "max s", "exit", "daemon down / says");
    int n = 0;
    for (const bool after_end : {false, true}) {
        for (const int fl : {0, flood}) {
            std::vector<double> secs;
            Measured last;
            bool all_down = true;
            for (int r = 0; r < runs; ++r) {
                last = one_stop(fresh_workspace(root, root / "template", n++), window, after_end, fl);
                secs.push_back(last.seconds);
                all_down = all_down && last.daemon_down;
            }
            std::sort(secs.begin(), secs.end());
            std::cout << fmt::format("{:<26} {:>7} {:>9.2f} {:>9.2f} {:>9}  {} / {}\n",
                                     after_end ? "after the replay (serving)" : "mid-replay, holding",
                                     fl, secs[secs.size() / 2], secs.back(), last.exit_code,
                                     all_down ? "yes" : "NO", last.says);
        }
    }
    std::error_code ec;
    fs::remove_all(root, ec);
    return 0;
}
