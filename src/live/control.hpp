#pragma once
// The one command/query layer behind every surface (CLI, control API): status, daily summary,
// health, risk, signals as JSON read from the state store, commands applied while the daemon is
// down, the daemon's files (address, token) and the queue that hands commands to the engine.
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/workspace.hpp"
#include "live/live_session.hpp"
#include "live/state_store.hpp"

namespace aurum {

/// What a running daemon publishes in <home>/data/daemon.json.
/// The state store key of the daemon's exchange feed status (streams, backfills), written with
/// each heartbeat and shown by `aurum health` under data_feed.stream.
inline constexpr const char* kLiveFeedKey = "live_feed";

struct DaemonInfo {
    int pid = 0;
    int port = 0;
    TimeMs started = 0; ///< wall clock
    std::string session;
    std::string mode;
    std::vector<std::string> args; ///< its command line, for `aurum restart`
};

std::filesystem::path daemon_info_path(const Workspace& ws);
std::filesystem::path token_path(const Workspace& ws);
void write_daemon_info(const Workspace& ws, const DaemonInfo& info);
std::optional<DaemonInfo> read_daemon_info(const Workspace& ws);
void remove_daemon_info(const Workspace& ws);
/// The control token: created with mode 0600 when missing (random 32 bytes, hex), else read.
/// Throws SystemError when the file is readable by others (mode not 0600).
std::string ensure_token(const Workspace& ws);
/// Reads the token; nullopt when missing.
std::optional<std::string> read_token(const Workspace& ws);
/// True when a process with this pid exists.
bool process_alive(int pid);

/// The workspace's daemon lock: an exclusive `flock` on data/daemon.lock held for the daemon's
/// life. The kernel releases it when the process dies (kill -9 included), so "a daemon is
/// running" never depends on a pid that may since belong to another process.
class DaemonLock {
public:
    /// Takes the lock; nullopt when another process holds it.
    static std::optional<DaemonLock> try_acquire(const Workspace& ws);
    DaemonLock(DaemonLock&& other) noexcept;
    DaemonLock& operator=(DaemonLock&&) = delete;
    DaemonLock(const DaemonLock&) = delete;
    ~DaemonLock();

private:
    explicit DaemonLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};
std::filesystem::path daemon_lock_path(const Workspace& ws);
/// True when some process holds the workspace's daemon lock (a daemon is running).
bool daemon_running(const Workspace& ws);
/// Waits up to `seconds` for the daemon lock to be released; true when it was.
bool wait_daemon_down(const Workspace& ws, int seconds);

/// config/risk.yaml as a running daemon sees it: the last valid limits and, while the file is
/// broken, its error (file:line). Thread-safe: the engine polls, the API threads read.
class RiskFile {
public:
    RiskFile(std::filesystem::path path, RiskLimits initial);
    /// Re-reads the file when it changed since the last poll. Returns the new limits when the
    /// file is valid and its limits differ from the last valid ones; logs a file error at ERROR
    /// once per distinct error and keeps the last valid limits.
    std::optional<RiskLimits> poll();
    /// Records limits applied another way (`risk set`), so they are not re-applied.
    void set_limits(const RiskLimits& limits);
    RiskLimits limits() const;
    /// The file's current error; nullopt while it is valid.
    std::optional<std::string> error() const;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    mutable std::mutex m_;
    RiskLimits limits_;
    std::optional<std::string> error_;
    std::string last_text_;
    bool read_once_ = false;
};

/// What a query needs beyond the store: the limits in force (nullptr with `risk_error` set when
/// config/risk.yaml is broken and no daemon holds valid ones), and who is running.
struct QueryContext {
    StateStore& store;
    const Workspace& ws;
    const RiskLimits* limits = nullptr;
    std::optional<std::string> risk_error;
    std::optional<DaemonInfo> daemon;
    bool daemon_up = false;
    TimeMs wall_now = 0;
};

/// The session the queries show: the active one, else the most recently created one.
std::optional<SessionRecord> shown_session(StateStore& store);

/// The one query router (control API GETs and the CLI with the daemon down): status, summary,
/// health, risk, signals (`params.status`). Throws InputError for an unknown name, and for
/// summary/risk when no valid limits are known (the risk.yaml error).
nlohmann::json route_query(const std::string& name, const nlohmann::json& params,
                           const QueryContext& c);

/// The figures of `aurum summary` for one day, gathered by query_summary from the live tables
/// and by the daily report from a past day's fills; to_json() is the one wire format.
struct DaySummary {
    std::string session;
    TimeMs day = 0;
    double equity = 0, day_start = 0, week_start = 0;
    double gross = 0, unrealized = 0, realized_today = 0, max_position = 0; ///< max: of equity
    nlohmann::json positions = nlohmann::json::array();
    nlohmann::json trades_today = nlohmann::json::array(); ///< {time, text}
    nlohmann::json alerts = nlohmann::json::array();
    int denied = 0, reduced = 0;
    StateStore::TradeTotals session_trades; ///< every closed trade of the session so far

    void add_position(const std::string& symbol, double qty, double mark, double entry,
                      double unrealized);
    /// A fill of order `o` (at the next bar's open); `p_up`: the model's prediction, if any.
    void add_fill(const OrderRecord& o, TimeMs tf, std::optional<double> p_up);
    void add_close(const TradeRecord& t);
    /// Counts a risk decision (warm-up denials are not the trader's concern).
    void count_decision(const RiskDecisionRecord& d);
    /// `state`: the trading state's words; `active`: trading is not paused or halted; `when`:
    /// "today" or "that day" in the risk-manager alerts.
    nlohmann::json to_json(const RiskLimits& limits, const std::string& state, bool active,
                           const std::string& when);
};

/// Queries (daemon up or down). `wall_now` is the wall clock; replay sessions report in their
/// own (bar) time where "today" matters.
nlohmann::json query_status(StateStore& store, TimeMs wall_now);
nlohmann::json query_summary(StateStore& store, const RiskLimits& limits, TimeMs wall_now);
nlohmann::json query_health(StateStore& store, const Workspace& ws,
                            const std::optional<DaemonInfo>& daemon, bool daemon_up,
                            TimeMs wall_now);
nlohmann::json query_risk(StateStore& store, const RiskLimits& limits);
nlohmann::json query_signals(StateStore& store, const std::string& status);
/// Gold desk tickets with `status` (open, filled, cancelled or all), newest first.
nlohmann::json query_tickets(StateStore& store, const std::string& status);

/// Applies a state command (pause, resume, killswitch_reset, risk_set, emergency_stop) with the
/// daemon down: through the same checks and RiskManager transitions as the daemon
/// (check_account_command, apply_account_command), to the account state and journaled for the
/// latest session, so its recovery replays it. Trades and signal approvals need the running
/// daemon (InputError). Nothing is written when it throws.
CommandOutcome apply_offline(StateStore& store, const Workspace& ws, const Command& command,
                             TimeMs wall_now);

/// Hands commands from the API thread to the engine thread and waits for the outcome.
class CommandQueue {
public:
    struct Item {
        std::string kind;
        nlohmann::json args;
        std::promise<CommandOutcome> done;
        std::function<nlohmann::json()> task; ///< set for call(): a read on the engine thread
    };
    /// Called from any thread; blocks until the engine applied it.
    CommandOutcome submit(std::string kind, nlohmann::json args);
    /// Runs `task` on the engine thread between steps (a read of the session's live state, such
    /// as an order preview) and returns its result; throws InputError with the task's error.
    nlohmann::json call(std::function<nlohmann::json()> task);
    /// Engine thread: runs every queued command through `fn`.
    void drain(const std::function<CommandOutcome(const std::string&, const nlohmann::json&)>& fn);
    /// Waits up to `ms` for a command or a notify() (one made since the last wait counts).
    void wait(int ms);
    /// Wakes wait() (a stop request, a candle streamed by the exchange). Any thread.
    void notify();
    bool empty() const;
    /// Refuses every pending and future command (daemon shutting down).
    void close();

private:
    mutable std::mutex m_;
    std::condition_variable cv_;
    std::deque<std::unique_ptr<Item>> items_;
    bool closed_ = false;
    bool woken_ = false; ///< notify() since the last wait()
};

} // namespace aurum
