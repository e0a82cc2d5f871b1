#pragma once
// The daemon application below the CLI: the config/live.yaml schema, the options of a run
// (file overridden by flags, every refusal before anything is written), the assembly of session,
// control server (injected: it lives in surfaces/), scheduled jobs and loop, the process stop
// flag. `aurum run` (cli) keeps only flags and output.
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/instrument.hpp"
#include "data/binance_market_data.hpp"
#include "data/binance_streams.hpp"
#include "core/workspace.hpp"
#include "data/market_store.hpp"
#include "live/control.hpp"
#include "live/event_bus.hpp"
#include "live/live_session.hpp"
#include "live/scheduler.hpp"
#include "models/model_strategy.hpp"

namespace aurum {

/// Settings of config/live.yaml (all optional), overridden by flags.
struct LiveFileConfig {
    std::vector<std::string> symbols{"BTC/USDT", "ETH/USDT"};
    std::string timeframe = "4h";
    double capital = 10000;
    std::string strategy = "sma-cross";
    std::map<std::string, double> params;
    double fraction = 0.3;
    double fee = 0.001;
    double slippage_bps = 5;
    /// Protective stops: the stop-limit's limit this fraction beyond the trigger (0 = stop-market,
    /// paper only; live mode sends STOP_LOSS_LIMIT and needs it > 0).
    double stop_limit_offset = 0.005;
    bool approval = false;
    TimeMs approval_expiry = 4 * kMsPerHour;
    ModelSelection model; ///< strategy "model": `model:`, `version:`, `kind:`
    int warmup_bars = 200;
    int port = 0;
    std::vector<JobSpec> jobs;
    std::string exchange = "binance";          ///< live mode: where orders go
    std::string exchange_profile = "mainnet";    ///< "testnet": Binance's spot test network
    std::string exchange_url = kBinanceSpotBaseUrl; ///< the profile's URL unless base_url is set
    int recv_window_ms = 5000;
    /// `exchange.streams`: market and user data over WebSocket at the profile's URLs (or
    /// stream_url / ws_api_url). A base_url of your own without stream URLs means REST only.
    bool streams = true;
    std::string stream_url = kBinanceStreamUrl;
    std::string ws_api_url = kBinanceWsApiUrl;
    /// `dashboard:` the web dashboard the daemon serves (a non-loopback address only by flag).
    bool dashboard = true;
    int dashboard_port = 8501;
};

/// Reads config/live.yaml (defaults when missing); InputError naming file:line and key.
LiveFileConfig load_live_config(const std::filesystem::path& path);
/// The exchange's URLs given on the command line (empty: config/live.yaml's).
struct VenueUrlFlags {
    std::string rest;   ///< --exchange-url
    std::string stream; ///< --stream-url
    std::string ws_api; ///< --ws-api-url
};
/// The exchange of live.yaml, at the flags' URLs when given; a bad URL is an InputError naming
/// it. Streams stay off when the REST URL is not the configured one and no stream URL is given
/// (a test's fake exchange is never paired with the real streams). Credentials are not loaded
/// here: callers refuse what they must first.
LiveVenueOptions configured_venue(const LiveFileConfig& fc, const VenueUrlFlags& urls);

/// `aurum run`'s flags; empty or 0 leaves the choice to config/live.yaml.
struct RunFlags {
    std::string mode = "paper";
    double capital = 0;
    std::string symbols; ///< "BTC/USDT,ETH/USDT"
    std::string timeframe;
    std::string strategy;
    std::vector<std::string> params; ///< "name=value"
    std::string model; ///< --model: the registry name traded by strategy model or rl
    double fraction = 0;
    std::string replay_from, replay_to;
    double speed = 0;
    bool approval = false;
    int port = 0;
    bool serve = false;
    bool acknowledge_stop = false;
    std::string reason; ///< with acknowledge_stop
    bool new_session = false;
    bool confirm_live = false;
    std::string exchange_url;
    std::string stream_url, ws_api_url; ///< --stream-url, --ws-api-url
    /// --feed exchange: paper in real time on the exchange's public market data (no keys).
    std::string feed;
    int dashboard_port = -1;  ///< -1: config/live.yaml; 0: any free port
    std::string bind;         ///< dashboard address; empty: 127.0.0.1 (others need this flag)
    bool no_dashboard = false;
};

/// The session's options: config/live.yaml overridden by the flags, all checked. Every refusal
/// (a bad flag, live without --confirm-live or with an MT5 symbol, a model the daemon could not
/// load) is an InputError here, before anything is written.
LiveOptions resolve_run_options(const Workspace& ws, const InstrumentRegistry& instruments,
                                const LiveFileConfig& file, const RunFlags& flags);

/// The control API server the daemon listens with (implemented in surfaces/, injected here).
class ControlServer {
  public:
    virtual ~ControlServer() = default;
    /// Binds 127.0.0.1:`port` (0: any free port); returns the port.
    virtual int start(int port) = 0;
    virtual void stop() = 0;
};
using QueryFn = std::function<nlohmann::json(const std::string&, const nlohmann::json&)>;
using ControlServerFactory = std::function<std::unique_ptr<ControlServer>(
    std::string token, CommandQueue& queue, QueryFn query, std::atomic<bool>& stop)>;

/// A service beside the daemon's loop (alert delivery, the Telegram bot), built in surfaces/
/// and injected like the control server.
class DaemonService {
  public:
    virtual ~DaemonService() = default;
    /// New alerts were committed: deliver them now rather than at the next poll.
    virtual void notify() {}
    /// The loop has ended and its last alerts are committed: send them (briefly), then stop.
    virtual void stop() = 0;
};
using DaemonServiceFactory =
    std::function<std::unique_ptr<DaemonService>(CommandQueue& queue, QueryFn query)>;

/// The daemon's liveness, written to the database every few seconds by the loop (kv
/// `daemon_heartbeat`) and read by `aurum watchdog`.
struct DaemonHeartbeat {
    int pid = 0;
    std::string session;
    TimeMs wall = 0;      ///< when the loop last wrote it
    std::string state;    ///< "running" | "stopped" (a clean exit)
    std::string reason;   ///< why it stopped
};
void write_heartbeat(StateStore& store, const DaemonHeartbeat& h);
std::optional<DaemonHeartbeat> read_heartbeat(StateStore& store);
/// How often the loop writes it.
constexpr TimeMs kHeartbeatEveryMs = 5000;
/// The web dashboard the daemon serves (implemented in surfaces/, injected here).
class DashboardService {
  public:
    virtual ~DashboardService() = default;
    /// Binds `bind`:`port` (0: any free port); returns the port. Throws SystemError.
    virtual int start(const std::string& bind, int port) = 0;
    virtual void stop() = 0;
    /// A login URL with a fresh one-time token.
    virtual std::string login_url() = 0;
};
/// What the daemon lends its dashboard: the command queue (commands, and reads on the engine
/// thread), its query function (route_query names and "order_preview") and the live events.
struct DashboardWiring {
    CommandQueue& queue;
    QueryFn query;
    EventBus& events;
    std::string mode; ///< the session's mode: "paper" | "live"
};
using DashboardFactory = std::function<std::unique_ptr<DashboardService>(DashboardWiring)>;

/// What the daemon application takes from its caller.
struct DaemonEnvironment {
    Workspace ws{"."};
    std::string db_spec; ///< the database in force (queries get their own connection)
    InstrumentRegistry instruments;
    std::function<std::unique_ptr<MarketStore>()> open_store;
    ControlServerFactory make_server;
    /// The daily summary's text (surfaces/ formats it).
    std::function<std::string(const nlohmann::json&)> format_daily_summary;
    /// Writes the report `kind` under reports/ and returns its HTML file (surfaces/ builds it):
    /// "daily", "weekly" (the session's day as of `t`; jobs daily_report, weekly_report) and
    /// "data-quality" (as of `t`; job data_quality). Unset: those jobs write nothing.
    std::function<std::filesystem::path(const std::string& kind, TimeMs t)> write_report;
    /// Alert delivery and the Telegram bot (surfaces/alerts); empty: alerts stay in the outbox.
    DaemonServiceFactory make_alerts;
    /// Called once the control API listens (the CLI prints its banner there).
    std::function<void(const LiveSession&, int port)> on_started;
    /// Builds the dashboard (null: none); `on_dashboard` gets its login URL once it listens.
    DashboardFactory make_dashboard;
    std::function<void(const std::string& url)> on_dashboard;
};

/// How a daemon run ended.
struct DaemonRunSummary {
    std::string session, reason;
    double equity = 0, cash = 0;
    std::size_t trades = 0;
    std::int64_t steps = 0, recovered_steps = 0;
};

/// Runs the daemon: takes the workspace lock (refused, InputError, while another daemon holds
/// it), opens or resumes the session, serves the control API, runs the scheduled jobs
/// (daily_summary, weekly_retrain, gap_check) and steps the session until the replay ends, an
/// emergency stop completes, or a stop is asked. Edits of config/risk.yaml apply while it runs;
/// a bad one keeps the last valid limits.
DaemonRunSummary run_daemon_app(const DaemonEnvironment& env, const LiveOptions& options,
                                const LiveFileConfig& file, const RunFlags& flags);

/// Starts `args` (a daemon command line, from daemon.json) as a detached process, its output
/// appended to logs/daemon.out (`aurum restart`). Returns its pid.
pid_t spawn_daemon(const Workspace& ws, const std::vector<std::string>& args);
/// The bytes of `path` from offset `from` (what a failed daemon wrote to logs/daemon.out).
std::string read_file_from(const std::filesystem::path& path, std::uintmax_t from);

/// The daemon's stop flag (one per process: signals can only reach a global).
std::atomic<bool>& daemon_stop_flag();
/// SIGINT and SIGTERM set daemon_stop_flag(): the daemon checkpoints and exits cleanly.
void install_stop_signals();

/// Where the daily summary due at `due` goes: reports/daily/YYYY-MM-DD_<session>.txt, so a new
/// session never overwrites the history of an earlier one.
std::filesystem::path daily_report_path(const std::filesystem::path& reports_dir, TimeMs due,
                                        const std::string& session_id);

/// The report files of the day of `t` written by the reports job:
/// reports/daily_report_YYYY_MM_DD.<ext> ("html", "txt"); emailed by the alert service.
std::filesystem::path daily_report_file(const std::filesystem::path& reports_dir, TimeMs t,
                                        const std::string& ext);

/// One run of missing bars while the market was open.
struct DataGap {
    TimeMs after = 0;         ///< open time of the last bar before the hole
    TimeMs until = 0;         ///< open time of the first bar after it
    std::int64_t missing = 0; ///< bars the instrument's sessions expected in between
};

/// Holes in `bars` that the sessions expected bars in; closures (weekends, daily breaks,
/// holidays) are not gaps. Only holes ending after `reported_until` are returned.
std::vector<DataGap> find_open_market_gaps(const BarSeries& bars, const TradingSessions& sessions,
                                           TimeMs reported_until = INT64_MIN);

/// How to repair a gap for this instrument's source: MT5 data is re-exported and imported,
/// exchange data is backfilled.
std::string gap_repair_advice(const Instrument& instrument, const std::string& timeframe);

/// The gap_check job: judges holes against each instrument's sessions and reports each hole once
/// per daemon (it remembers the end of the last reported gap per symbol).
class GapChecker {
  public:
    explicit GapChecker(InstrumentRegistry instruments) : instruments_(std::move(instruments)) {}
    /// Gaps of `bars` not reported before; each is logged once with advice fitting the source.
    std::vector<DataGap> check(const std::string& symbol, const BarSeries& bars);
    /// Polls the store, then checks the last week of bars of each symbol the session trades.
    void run(LiveSession& session, MarketStore& store, const LiveOptions& options);

  private:
    InstrumentRegistry instruments_;
    std::map<std::string, TimeMs> reported_until_; ///< symbol -> end of its last reported gap
};

} // namespace aurum
