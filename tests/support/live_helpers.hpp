#pragma once
// What the live engine and daemon tests share: synthetic markets in a store, a replay session's
// options and the daemon's command line, starting and killing the daemon as a child process, and
// reading a session's end state back from the database to compare two runs.
// Header-only: for test binaries that link aurum_live (unit/live*, integration/*).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/workspace.hpp"
#include "data/market_store.hpp"
#include "data/synthetic_market.hpp"
#include "live/live_session.hpp"
#include "live/state_store.hpp"
#include "support/test_support.hpp"

namespace aurum::test {

/// Where every synthetic market of these tests starts.
inline const TimeMs kLiveStart = make_time(2023, 1, 1);

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Polls `ready` every 50 ms until it holds: a test that acts in the middle of a run waits for a
/// state (a position open, the replay complete), never for a time. The bound only stops a hung
/// test; it is generous because a sanitized build runs several times slower (docs/testing.md).
template <class Ready>
bool wait_until(Ready&& ready, std::chrono::seconds bound = std::chrono::seconds(120)) {
    const auto end = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < end) {
        if (ready())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return ready();
}

/// Synthetic BTC/USDT and ETH/USDT 4h bars from 2023-01-01.
inline void seed_market(MarketStore& store, int days, std::uint64_t seed = 5) {
    InstrumentRegistry reg;
    auto cfg = SynthConfig::defaults(reg, {"BTC/USDT", "ETH/USDT"}, Timeframe(4 * kMsPerHour),
                                     kLiveStart, days, seed, false);
    for (const auto& s : generate_synthetic_market(cfg).series)
        store.upsert_bars(s);
}

inline void seed_market(const std::string& spec, int days, std::uint64_t seed = 5) {
    seed_market(*open_market_store(spec), days, seed);
}

/// A paper replay of the synthetic market from day `from_day` to `to_day` (sma-cross 3/8 asking
/// for 40% of equity, so the risk manager reduces entries).
inline LiveOptions replay_options(int from_day, int to_day) {
    LiveOptions o;
    o.symbols = {"BTC/USDT", "ETH/USDT"};
    o.replay = true;
    o.replay_from = kLiveStart + from_day * kMsPerDay;
    o.replay_to = kLiveStart + to_day * kMsPerDay;
    o.warmup_bars = 60;
    o.strategy.name = "sma-cross";
    o.strategy.params = {{"fast", 3}, {"slow", 8}};
    o.strategy.sizing.fraction = 0.4;
    o.fill.fees.taker = 0.001;
    o.fill.slippage.fixed_bps = 5;
    return o;
}

/// Stores a finished 4h paper replay session of the model strategy on `symbol` over bar opens
/// [trade_from, replay_to), made the active one, with its snapshot at the last bar.
inline void store_finished_model_session(StateStore& st, const std::string& id,
                                         const std::string& symbol, TimeMs trade_from,
                                         TimeMs replay_to) {
    SessionRecord s;
    s.id = id;
    s.mode = "paper";
    s.symbols = symbol;
    s.timeframe = "4h";
    s.capital = 10000;
    s.strategy = "model";
    s.clock = "replay";
    s.trade_from = trade_from;
    s.replay_to = replay_to;
    s.status = "complete";
    s.initial_risk = "{}";
    st.upsert_session(s);
    st.put_kv("active_session", s.id);
    SessionSnapshot snap;
    snap.last_bar = replay_to - 4 * kMsPerHour;
    snap.equity = 10000;
    st.write_snapshot(s.id, snap);
}

/// The workspace's default SQLite database.
inline std::string home_db(const std::filesystem::path& home) {
    return (home / "data" / "aurum.db").string();
}

/// A workspace at `home` whose default SQLite store holds `days` of synthetic bars.
inline void seed_workspace(const std::filesystem::path& home, int days) {
    Workspace(home).ensure_dirs();
    seed_market(home_db(home), days);
}

/// `aurum run` replaying from 2023-02-01 to `to` as fast as possible (`db`: a --db spec or "").
inline std::vector<std::string> replay_args(const std::filesystem::path& home,
                                            const std::string& to, const std::string& db = "") {
    std::vector<std::string> a{"--home", home.string()};
    if (!db.empty())
        a.insert(a.end(), {"--db", db});
    a.insert(a.end(), {"-q", "run", "--mode", "paper", "--symbols", "BTC/USDT,ETH/USDT",
                       "--timeframe", "4h", "--replay-from", "2023-02-01", "--replay-to", to,
                       "--speed", "0", "--param", "fast=3", "--param", "slow=8", "--fraction",
                       "0.4"});
    return a;
}

/// Starts the aurum binary with `args` (stdout and stderr appended to `log`); returns its pid.
inline pid_t spawn_aurum(const std::vector<std::string>& args, const std::filesystem::path& log) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        std::vector<std::string> copy = args;
        std::string bin = AURUM_CLI;
        std::vector<char*> argv{bin.data()};
        for (auto& a : copy)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(bin.c_str(), argv.data());
        ::_exit(127);
    }
    return pid;
}

/// Runs the daemon and kill -9s it after `delay_ms`. True when the kill landed; false when it
/// had already finished (a failure is recorded unless it exited 0).
inline bool kill_dash_nine_after(const std::vector<std::string>& args,
                                 const std::filesystem::path& log, int delay_ms) {
    const pid_t pid = spawn_aurum(args, log);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    const bool sent = ::kill(pid, SIGKILL) == 0;
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (sent && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        return true;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(log);
    return false;
}

/// A session's end state, in comparable form.
struct Final {
    std::vector<std::string> orders; ///< "cid side qty status filled"
    std::vector<std::string> fills;  ///< "cid@price x qty"
    std::vector<double> trades;      ///< net P&L per closed trade
    std::vector<std::string> predictions; ///< "time symbol p top-features" (model sessions)
    std::vector<std::pair<std::string, double>> positions;
    double equity = 0, cash = 0, realized = 0, fees = 0;
    std::string status;
};

/// The end state of session `session_id` (empty: the latest session) in the database at `spec`.
inline Final final_state(const std::string& spec, std::string session_id = "") {
    auto db = open_database(spec);
    StateStore st(*db);
    Final f;
    const auto s = session_id.empty() ? st.latest_session() : st.session(session_id);
    if (!s)
        return f;
    f.status = s->status;
    if (auto snap = st.snapshot(s->id)) {
        f.equity = snap->equity;
        f.cash = snap->cash;
        f.realized = snap->realized;
        f.fees = snap->fees;
    }
    for (const auto& o : st.orders(s->id))
        f.orders.push_back(o.client_order_id + " " + o.side + " " + o.type + " " + format_qty(o.qty) + " " +
                           o.status + " " + format_qty(o.filled_qty));
    for (const auto& r : st.reports(s->id))
        if (r.kind == "fill")
            f.fills.push_back(r.client_order_id + "@" + std::to_string(r.price) + "x" +
                              format_qty(r.qty));
    for (const auto& t : st.trades(s->id))
        f.trades.push_back(t.pnl);
    for (const auto& p : st.positions(s->id))
        f.positions.emplace_back(p.symbol, p.qty);
    for (const auto& p : st.predictions(s->id))
        f.predictions.push_back(fmt::format("{} {} {:.17g} {}", p.time, p.symbol, p.value, p.detail));
    return f;
}

inline Final final_state(const std::filesystem::path& home) { return final_state(home_db(home)); }

/// Two runs ended in the same place: orders, fills, trades, positions and the account, exactly
/// (doubles round-trip through both databases bit for bit).
inline void expect_same_final(const Final& got, const Final& ref, const std::string& what) {
    EXPECT_EQ(got.status, ref.status) << what;
    EXPECT_EQ(got.orders.size(), ref.orders.size()) << what;
    for (std::size_t k = 0; k < std::min(got.orders.size(), ref.orders.size()); ++k)
        if (got.orders[k] != ref.orders[k]) {
            ADD_FAILURE() << what << ": the first different order is #" << k << ": "
                          << got.orders[k] << " instead of " << ref.orders[k];
            break;
        }
    EXPECT_EQ(got.fills, ref.fills) << what;
    EXPECT_EQ(got.trades, ref.trades) << what;
    EXPECT_EQ(got.positions, ref.positions) << what;
    EXPECT_EQ(got.equity, ref.equity) << what;
    EXPECT_EQ(got.cash, ref.cash) << what;
    EXPECT_EQ(got.realized, ref.realized) << what;
    EXPECT_EQ(got.fees, ref.fees) << what;
    EXPECT_EQ(got.predictions, ref.predictions) << what;
}

/// `aurum stop` of the daemon `pid` of `home`, reaping it meanwhile (so the stop does not wait on
/// a zombie); `status` gets its waitpid status.
inline CliResult stop_daemon(const std::filesystem::path& home, pid_t pid, int* status) {
    CliResult stop;
    std::thread stopper([&] { stop = run_aurum({"--home", home.string(), "stop"}); });
    ::waitpid(pid, status, 0);
    stopper.join();
    return stop;
}

/// No client order id journaled twice, and none filled twice.
inline void expect_unique_ids(const Final& f) {
    std::set<std::string> ids, filled;
    for (const auto& o : f.orders)
        EXPECT_TRUE(ids.insert(o.substr(0, o.find(' '))).second) << "journaled twice: " << o;
    for (const auto& x : f.fills)
        EXPECT_TRUE(filled.insert(x.substr(0, x.find('@'))).second) << "filled twice: " << x;
}

} // namespace aurum::test
