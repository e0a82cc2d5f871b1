#include "live/daemon_app.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/config.hpp"
#include "core/error.hpp"
#include "data/binance_market_data.hpp"
#include "data/database.hpp"
#include "data/http_client.hpp"
#include "data/validation.hpp"
#include "execution/binance_auth.hpp"
#include "features/feature_context.hpp"
#include "live/command.hpp"
#include "live/daemon.hpp"
#include "live/db_maintenance.hpp"
#include "live/divergence.hpp"
#include "live/feature_drift.hpp"
#include "live/model_monitor.hpp"
#include "live/rl_session.hpp"
#include "live/prediction_outcomes.hpp"
#include "live/retrain.hpp"
#include "live/session_alerts.hpp"
#include "live/session_events.hpp"

namespace aurum {

LiveFileConfig load_live_config(const std::filesystem::path& path) {
    LiveFileConfig c;
    c.jobs = {parse_schedule("daily_summary", "daily 08:00", "default"),
              parse_schedule("gap_check", "every 4h", "default"),
              parse_schedule("daily_report", "daily 08:00", "default"),
              parse_schedule("prediction_accuracy", "daily 17:00", "default"),
              parse_schedule("weekly_report", "weekly sun 18:00", "default"),
              parse_schedule("volatility_report", "weekly sun 06:30", "default")};
    if (!std::filesystem::exists(path)) return c;
    const ConfigNode root = ConfigNode::load_file(path.string());
    root.allow_keys({"live"});
    const ConfigNode l = root.child("live");
    l.allow_keys({"symbols", "timeframe", "capital", "strategy", "fees", "slippage_bps",
                  "approval", "warmup_bars", "port", "jobs", "exchange", "dashboard",
                  "stop_limit_offset"});
    if (l.has("symbols")) c.symbols = l.get_strings("symbols");
    c.timeframe = l.get_string("timeframe", c.timeframe);
    c.capital = l.get_positive("capital", c.capital);
    const ConfigNode s = l.child("strategy");
    if (s.defined()) {
        c.strategy = s.get_string("name", c.strategy);
        c.fraction = s.get_in_range("fraction", c.fraction, 1e-6, 10.0);
        for (const auto& k : s.keys())
            if (k != "name" && k != "fraction" && k != "model" && k != "version" && k != "kind")
                c.params[k] = s.get_double(k);
        c.model.model = s.get_string("model", c.model.model);
        c.model.version = static_cast<int>(s.get_int("version", 0));
        if (c.model.version < 0) s.fail("version", "must be a positive version number");
        c.model.kind = s.get_string("kind", c.model.kind);
        if (c.model.kind != "gbdt" && c.model.kind != "lstm" && c.model.kind != "gnn" &&
            c.model.kind != "ensemble")
            s.fail("kind", "expected gbdt, lstm, gnn or ensemble");
    }
    const ConfigNode f = l.child("fees");
    f.allow_keys({"taker"});
    c.fee = f.get_in_range("taker", c.fee, 0.0, 0.1);
    c.slippage_bps = l.get_non_negative("slippage_bps", c.slippage_bps);
    c.stop_limit_offset = l.get_in_range("stop_limit_offset", c.stop_limit_offset, 0.0, 0.2);
    const ConfigNode a = l.child("approval");
    a.allow_keys({"enabled", "expiry"});
    c.approval = a.get_bool("enabled", c.approval);
    if (a.has("expiry")) {
        const auto d = parse_duration(a.get_string("expiry"));
        if (!d || *d <= 0) a.fail("expiry", "expected a duration such as 4h");
        c.approval_expiry = *d;
    }
    c.warmup_bars = static_cast<int>(l.get_int("warmup_bars", c.warmup_bars));
    if (c.warmup_bars < 0) l.fail("warmup_bars", "must be >= 0");
    c.port = static_cast<int>(l.get_int("port", c.port));
    const ConfigNode ex = l.child("exchange");
    if (ex.defined()) {
        ex.allow_keys({"name", "profile", "base_url", "recv_window_ms", "streams", "stream_url",
                       "ws_api_url"});
        c.exchange = ex.get_string("name", c.exchange);
        if (c.exchange != "binance") ex.fail("name", "supported exchanges: binance");
        c.exchange_profile = ex.get_string("profile", c.exchange_profile);
        if (c.exchange_profile == "testnet") {
            c.exchange_url = kBinanceSpotTestnetUrl; // keys from testnet.binance.vision
            c.stream_url = kBinanceTestnetStreamUrl;
            c.ws_api_url = kBinanceTestnetWsApiUrl;
        } else if (c.exchange_profile != "mainnet")
            ex.fail("profile", "must be mainnet or testnet, got '" + c.exchange_profile + "'");
        if (ex.has("base_url") && !ex.has("stream_url")) c.stream_url.clear(); // see streams
        if (ex.has("base_url") && !ex.has("ws_api_url")) c.ws_api_url.clear();
        c.exchange_url = ex.get_string("base_url", c.exchange_url);
        BaseUrl::parse(c.exchange_url); // a bad URL fails here, naming it
        c.streams = ex.get_bool("streams", c.streams);
        c.stream_url = ex.get_string("stream_url", c.stream_url);
        c.ws_api_url = ex.get_string("ws_api_url", c.ws_api_url);
        for (const char* key : {"stream_url", "ws_api_url"}) {
            try {
                if (ex.has(key)) WebSocketUrl::parse(ex.get_string(key));
            } catch (const InputError& e) {
                ex.fail(key, e.what());
            }
        }
        c.recv_window_ms = static_cast<int>(ex.get_int("recv_window_ms", c.recv_window_ms));
        if (c.recv_window_ms < 1 || c.recv_window_ms > 60000)
            ex.fail("recv_window_ms", "must be in 1..60000 (the exchange's maximum)");
    }
    const ConfigNode dash = l.child("dashboard");
    if (dash.defined()) {
        // No address here: exposing the dashboard beyond this machine takes the --bind flag.
        dash.allow_keys({"enabled", "port"});
        c.dashboard = dash.get_bool("enabled", c.dashboard);
        c.dashboard_port = static_cast<int>(dash.get_int("port", c.dashboard_port));
        if (c.dashboard_port < 0 || c.dashboard_port > 65535)
            dash.fail("port", "must be in 0..65535 (0 = any free port)");
    }
    const ConfigNode jobs = l.child("jobs");
    if (jobs.defined()) {
        jobs.allow_keys({"daily_summary", "gap_check", "weekly_retrain", "data_quality",
                         "db_maintenance", "daily_report", "prediction_accuracy", "weekly_report",
                         "volatility_report"});
        c.jobs.clear();
        for (const auto& k : jobs.keys())
            c.jobs.push_back(parse_schedule(k, jobs.get_string(k), path.string() + ": live.jobs." + k));
    }
    return c;
}

namespace {
std::atomic<bool> g_daemon_stop{false};
extern "C" void on_stop_signal(int) { g_daemon_stop.store(true); }
} // namespace

std::atomic<bool>& daemon_stop_flag() { return g_daemon_stop; }

void install_stop_signals() {
    ::signal(SIGINT, on_stop_signal);
    ::signal(SIGTERM, on_stop_signal);
}

void write_heartbeat(StateStore& store, const DaemonHeartbeat& h) {
    store.put_kv("daemon_heartbeat", nlohmann::json{{"pid", h.pid},
                                                    {"session", h.session},
                                                    {"wall", h.wall},
                                                    {"state", h.state},
                                                    {"reason", h.reason}}
                                         .dump());
}

std::optional<DaemonHeartbeat> read_heartbeat(StateStore& store) {
    const auto kv = store.get_kv("daemon_heartbeat");
    if (!kv) return std::nullopt;
    const auto j = nlohmann::json::parse(*kv, nullptr, false);
    if (!j.is_object()) return std::nullopt;
    return DaemonHeartbeat{j.value("pid", 0), j.value("session", ""), j.value("wall", TimeMs{0}),
                           j.value("state", ""), j.value("reason", "")};
}

std::filesystem::path daily_report_path(const std::filesystem::path& reports_dir, TimeMs due,
                                        const std::string& session_id) {
    std::string id = session_id;
    for (char& c : id) // the id becomes part of a file name
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    return reports_dir / "daily" / (format_date(due) + "_" + id + ".txt");
}

std::filesystem::path daily_report_file(const std::filesystem::path& reports_dir, TimeMs t,
                                        const std::string& ext) {
    std::string d = format_date(t);
    for (char& c : d)
        if (c == '-') c = '_';
    return reports_dir / ("daily_report_" + d + "." + ext);
}

std::vector<DataGap> find_open_market_gaps(const BarSeries& bars, const TradingSessions& sessions,
                                           TimeMs reported_until) {
    std::vector<DataGap> out;
    const TimeMs step = bars.timeframe.ms();
    if (step <= 0) return out;
    for (std::size_t k = 1; k < bars.size(); ++k) {
        const TimeMs prev = bars.time[k - 1], t = bars.time[k];
        if (t - prev <= step || t <= reported_until) continue;
        std::int64_t missing = 0;
        for (TimeMs u = prev + step; u < t; u += step)
            if (session_expects_bar(sessions, u, bars.timeframe)) ++missing;
        if (missing > 0) out.push_back(DataGap{prev, t, missing});
    }
    return out;
}

std::string gap_repair_advice(const Instrument& in, const std::string& timeframe) {
    if (in.venue == "mt5" || in.asset_class == AssetClass::MetalCfd)
        return fmt::format("re-export {} {} from MetaTrader 5 and run `aurum data import <file>`",
                           in.symbol, timeframe);
    return fmt::format("repair with `aurum data backfill --symbol {} --timeframe {}`", in.symbol,
                       timeframe);
}

std::vector<DataGap> GapChecker::check(const std::string& symbol, const BarSeries& bars) {
    const std::optional<Instrument> in = instruments_.find(symbol);
    const TradingSessions sessions = in ? in->sessions : TradingSessions::crypto();
    const auto it = reported_until_.try_emplace(symbol, INT64_MIN).first;
    std::vector<DataGap> gaps = find_open_market_gaps(bars, sessions, it->second);
    const std::string tf = bars.timeframe.name();
    Instrument fallback;
    fallback.symbol = symbol;
    const std::string advice = gap_repair_advice(in ? *in : fallback, tf);
    for (const auto& g : gaps) {
        spdlog::warn("data gap in {} {}: {} bar{} missing in open market, {} -> {}; {}", symbol, tf,
                     g.missing, g.missing == 1 ? "" : "s", format_time(g.after),
                     format_time(g.until), advice);
        it->second = std::max(it->second, g.until);
    }
    return gaps;
}

void GapChecker::run(LiveSession& session, MarketStore& store, const LiveOptions& o) {
    // New bars first, then any hole in what the session trades on.
    session.poll_store();
    for (const auto& sym : o.symbols)
        for (const auto& g : check(sym, store.load_bars(sym, o.timeframe,
                                                        TimeRange{session.last_bar() - 7 * kMsPerDay,
                                                                  INT64_MAX})))
            session.alerts().enqueue(make_alert(
                0, "data_gap", AlertSeverity::Warning, "Data gap in " + sym,
                fmt::format("{} bar{} missing in open market, {} -> {}", g.missing,
                            g.missing == 1 ? "" : "s", format_time(g.after), format_time(g.until)),
                "data_gap:" + sym));
}

// ----- a run's options ---------------------------------------------------------------------

namespace {

TimeMs parse_date_flag(const std::string& flag, const std::string& text) {
    const auto t = parse_time(text);
    if (!t) throw InputError(flag + ": expected a date such as 2024-01-31, got '" + text + "'");
    return *t;
}

/// Live: the venue, every refusal first (nothing goes live by accident or to the wrong place).
LiveVenueOptions live_venue(const Workspace& ws, const InstrumentRegistry& instruments,
                            const LiveFileConfig& fc, const RunFlags& f,
                            const std::vector<std::string>& symbols) {
    LiveVenueOptions venue = configured_venue(fc, {f.exchange_url, f.stream_url, f.ws_api_url});
    if (!f.confirm_live)
        throw InputError("run: --mode live sends real orders with real money to " +
                         venue.base_url +
                         "; add --confirm-live to the command line to confirm (it is a flag "
                         "only, never a config setting, so nobody goes live by accident)");
    if (!f.replay_from.empty() || !f.replay_to.empty())
        throw InputError("run: --mode live trades on the real-time clock; --replay-from/"
                         "--replay-to are for paper mode");
    for (const auto& sym : symbols) {
        const Instrument in = instruments.get(sym);
        if (in.asset_class != AssetClass::CryptoSpot || in.venue == "mt5")
            throw InputError("run: " + in.symbol + " cannot be traded live: its prices come "
                             "from MetaTrader 5 exports and MT5 is not an order venue here. "
                             "Trade it with --mode paper, or leave it out of --symbols");
    }
    venue.credentials = load_binance_credentials(ws.home());
    return venue;
}

void apply_strategy_flags(LiveOptions& o, const LiveFileConfig& fc, const RunFlags& f) {
    o.strategy.name = f.strategy.empty() ? fc.strategy : f.strategy;
    o.strategy.params = f.strategy.empty() || f.strategy == fc.strategy
                            ? fc.params
                            : std::map<std::string, double>{};
    for (const auto& p : f.params) {
        const auto eq = p.find('=');
        if (eq == std::string::npos)
            throw InputError("run: --param expects name=value, got '" + p + "'");
        try {
            o.strategy.params[p.substr(0, eq)] = std::stod(p.substr(eq + 1));
        } catch (...) {
            throw InputError("run: --param " + p + ": value is not a number");
        }
    }
    o.strategy.sizing.mode = SizingConfig::Mode::EquityFraction;
    o.strategy.sizing.fraction = f.fraction > 0 ? f.fraction : fc.fraction;
    // The file's model choice belongs to the file's strategy: --strategy rl over a live.yaml
    // `strategy: {name: model, model: gbdt-...}` starts from the production agents.
    if (f.strategy.empty() || f.strategy == fc.strategy) o.model = fc.model;
    if (!f.model.empty()) {
        o.model.model = f.model;
        o.model.version = 0;
    }
    if (o.strategy.name == "rl") o.model.kind = "rl";
}

/// The strategy is checked now: a refused model (another feature set) writes nothing.
void check_strategy(const LiveOptions& o, const Workspace& ws) {
    if (o.strategy.name == "model" && !o.strategy.params.empty())
        throw InputError("run: strategy parameters (--param " + o.strategy.params.begin()->first +
                         "=...) are for the rule strategies; the model strategy trades its "
                         "model's own decision policy (config/models.yaml)");
    if (o.strategy.name == "rl") {
        if (!o.strategy.params.empty())
            throw InputError("run: strategy parameters (--param " +
                             o.strategy.params.begin()->first +
                             "=...) are for the rule strategies; an rl agent trades its policy");
        load_rl_agents({o.workspace, o.model, o.symbols, o.timeframe.name()}); // refusals now
        return;
    }
    if (o.strategy.name != "model") {
        make_strategy(o.strategy); // validates name and parameters
        return;
    }
    ModelRegistry reg(ws.models_dir() / "registry", nullptr);
    const FeatureConfig features = workspace_feature_config(ws);
    for (const auto& [sym, rec] : resolve_models(reg, o.symbols, o.timeframe.name(), o.model))
        LiveModel::load(rec, features);
}

} // namespace

LiveVenueOptions configured_venue(const LiveFileConfig& fc, const VenueUrlFlags& urls) {
    LiveVenueOptions venue;
    venue.exchange = fc.exchange;
    venue.base_url = urls.rest.empty() ? fc.exchange_url : urls.rest;
    BaseUrl::parse(venue.base_url);
    venue.recv_window_ms = fc.recv_window_ms;
    // Another REST URL than the file's (a fake, a proxy) never goes with the file's streams.
    const bool own_rest = urls.rest.empty() || urls.rest == fc.exchange_url;
    if (fc.streams) {
        venue.stream_url = !urls.stream.empty() ? urls.stream : own_rest ? fc.stream_url : "";
        venue.ws_api_url = !urls.ws_api.empty() ? urls.ws_api : own_rest ? fc.ws_api_url : "";
    }
    if (!venue.stream_url.empty()) WebSocketUrl::parse(venue.stream_url);
    if (!venue.ws_api_url.empty()) WebSocketUrl::parse(venue.ws_api_url);
    return venue;
}

LiveOptions resolve_run_options(const Workspace& ws, const InstrumentRegistry& instruments,
                                const LiveFileConfig& fc, const RunFlags& f) {
    if (f.mode != "paper" && f.mode != "live")
        throw InputError("run: --mode must be paper or live, got '" + f.mode + "'");
    if (!f.feed.empty() && f.feed != "exchange")
        throw InputError("run: --feed must be 'exchange', got '" + f.feed + "'");
    if (!f.feed.empty() && (f.mode != "paper" || !f.replay_from.empty() || !f.replay_to.empty()))
        throw InputError("run: --feed exchange is for --mode paper in real time (live mode "
                         "always feeds itself from the exchange; a replay reads the store)");
    const bool venue_flags =
        !f.exchange_url.empty() || !f.stream_url.empty() || !f.ws_api_url.empty();
    if (f.mode != "live" && f.feed.empty() && venue_flags)
        throw InputError("run: --exchange-url, --stream-url and --ws-api-url are for --mode live "
                         "or --feed exchange (paper fills are simulated)");
    if (f.acknowledge_stop && f.reason.empty())
        throw InputError("run: --acknowledge-stop needs --reason");
    if (f.capital < 0 || !std::isfinite(f.capital))
        throw InputError(fmt::format("run: --capital must be positive, got {}", f.capital));
    if (f.speed < 0 || !std::isfinite(f.speed))
        throw InputError(fmt::format("run: --speed must be >= 0, got {}", f.speed));
    LiveOptions o;
    o.mode = f.mode;
    o.symbols = f.symbols.empty() ? std::vector<std::string>{} : split_symbols(f.symbols);
    if (f.symbols.empty())
        for (const auto& s : fc.symbols) o.symbols.push_back(normalize_symbol(s));
    if (o.mode == "live") o.venue = live_venue(ws, instruments, fc, f, o.symbols);
    if (!f.feed.empty()) {
        o.venue = configured_venue(fc, {f.exchange_url, f.stream_url, f.ws_api_url});
        o.venue.ws_api_url.clear(); // public market data only: no keys, no account
        o.exchange_feed = true;
    }
    o.timeframe = Timeframe::parse_or_throw(f.timeframe.empty() ? fc.timeframe : f.timeframe);
    o.capital = f.capital > 0 ? f.capital : fc.capital;
    apply_strategy_flags(o, fc, f);
    o.workspace = ws.home();
    check_strategy(o, ws);
    // Protective stops are stop-limit orders in paper and live alike (Binance spot takes them as
    // STOP_LOSS_LIMIT), so a stop that gaps past its limit behaves the same in both modes.
    o.fill.stop_limit_offset = fc.stop_limit_offset;
    if (o.mode == "live" && o.strategy.params.count(kStopLossParam) &&
        !(o.fill.stop_limit_offset > 0))
        throw InputError(std::string("run: the ") + kStopLossParam + " strategy parameter in "
                         "--mode live needs live.stop_limit_offset > 0 in config/live.yaml: "
                         "Binance spot protective stops are STOP_LOSS_LIMIT orders");
    o.fill.fees.taker = fc.fee;
    o.fill.fees.maker = fc.fee;
    o.fill.slippage.fixed_bps = fc.slippage_bps;
    o.approval = f.approval || fc.approval;
    o.approval_expiry = fc.approval_expiry;
    o.warmup_bars = fc.warmup_bars;
    o.new_session = f.new_session;
    o.venue.capital = o.capital;
    if (!f.replay_from.empty() || !f.replay_to.empty()) {
        if (f.replay_from.empty() || f.replay_to.empty())
            throw InputError("run: --replay-from and --replay-to go together");
        o.replay = true;
        o.replay_from = parse_date_flag("--replay-from", f.replay_from);
        o.replay_to = parse_date_flag("--replay-to", f.replay_to);
        if (o.replay_to <= o.replay_from)
            throw InputError("run: --replay-to must be after --replay-from");
        // Nobody watches a full-speed paper replay bar by bar: commit it in batches.
        o.batch_commits = o.mode == "paper" && f.speed == 0;
    }
    return o;
}

// ----- the daemon application --------------------------------------------------------------

namespace {

/// This process's command line (for `aurum restart`), from /proc.
std::vector<std::string> own_argv() {
    std::vector<std::string> out;
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::string arg;
    while (std::getline(in, arg, '\0')) out.push_back(arg);
    return out;
}

DaemonLock acquire_lock(const Workspace& ws) {
    // The lock, not a pid, says whether a daemon runs: the kernel drops it when one dies.
    auto lock = DaemonLock::try_acquire(ws);
    if (lock) return std::move(*lock);
    const auto d = read_daemon_info(ws);
    throw InputError(d ? fmt::format("run: a daemon is already running in this workspace "
                                     "(pid {}, port {}; it holds {}); `aurum stop` it first",
                                     d->pid, d->port, daemon_lock_path(ws).string())
                       : "run: a daemon is already running in this workspace (it holds " +
                             daemon_lock_path(ws).string() + "); `aurum stop` it first");
}

/// `o` whose exchange streams wake the engine thread with `wake`.
LiveOptions with_wake(LiveOptions o, std::function<void()> wake) {
    o.venue.wake = std::move(wake);
    return o;
}

/// One running daemon: the session, its query connection and the scheduled jobs.
class DaemonApp {
  public:
    DaemonApp(const DaemonEnvironment& env, const LiveOptions& o, const LiveFileConfig& fc,
              const RunFlags& f)
        : env_(env), o_(o), fc_(fc), flags_(f), lock_(acquire_lock(env.ws)),
          store_(env.open_store()), risk_yaml_(env.ws.config_file("risk.yaml")),
          session_(store_->database(), *store_, with_wake(o, [this] { queue_.notify(); }),
                   load_risk_limits(risk_yaml_.string()),
                   env.instruments, risk_yaml_),
          // While running, a bad edit of risk.yaml is reported, never fatal.
          risk_file_(risk_yaml_, session_.risk().limits()) {}

    DaemonRunSummary run() {
        session_.open(wall_.now(), flags_.acknowledge_stop, flags_.reason);
        // Queries on their own connection (the engine thread owns the first one).
        qdb_ = open_database(env_.db_spec);
        qstore_ = std::make_unique<StateStore>(*qdb_);
        info_.pid = ::getpid();
        info_.started = wall_.now();
        info_.session = session_.session_id();
        info_.mode = o_.mode;
        info_.args = own_argv();
        std::atomic<bool>& stop_flag = daemon_stop_flag();
        stop_flag.store(false);
        auto server = env_.make_server(ensure_token(env_.ws), queue_,
                                       [this](const std::string& n, const nlohmann::json& p) {
                                           return query(n, p);
                                       },
                                       stop_flag);
        info_.port = server->start(flags_.port > 0 ? flags_.port : fc_.port);
        write_daemon_info(env_.ws, info_);
        install_stop_signals();
        add_jobs();
        if (env_.make_alerts)
            alerts_ = env_.make_alerts(queue_, [this](const std::string& n, const nlohmann::json& p) {
                return query(n, p);
            });
        heartbeat("running", "");
        session_.alerts().enqueue(make_alert(
            wall_.now(), "daemon_started", AlertSeverity::Info,
            fmt::format("Daemon started ({} session {})", o_.mode, session_.session_id()),
            fmt::format("pid {}, control API on 127.0.0.1:{}{}", info_.pid, info_.port,
                        session_.recovered()
                            ? fmt::format("; recovered {} steps after a restart",
                                          session_.recovered_steps())
                            : "")));
        session_.checkpoint(wall_.now());
        if (env_.on_started) env_.on_started(session_, info_.port);
        start_dashboard();
        spdlog::info("daemon started: session {} pid {} port {}", session_.session_id(),
                     info_.pid, info_.port);
        std::string why;
        try {
            why = run_daemon(session_, queue_, sched_, loop_options(), wall_, stop_flag);
        } catch (const std::exception& e) {
            final_alert("daemon_error", AlertSeverity::Critical, "Daemon stopped by an error",
                        e.what());
            shut_down(*server);
            throw;
        }
        final_alert("daemon_stopped",
                    why.rfind("stopped on request", 0) == 0 || why == "replay complete"
                        ? AlertSeverity::Warning
                        : AlertSeverity::Critical,
                    "Daemon stopped", why);
        shut_down(*server);
        const Portfolio& pf = session_.portfolio();
        spdlog::info("daemon exiting: {}; equity {:.2f}", why, pf.equity());
        return {session_.session_id(), why,         pf.equity(),
                pf.cash(),             pf.trades().size(), session_.steps(),
                session_.recovered_steps()};
    }

    ~DaemonApp() {
        session_.stop_feed(); // its thread wakes queue_, which goes first
        if (retrain_thread_.joinable()) retrain_thread_.join();
    }

  private:
    nlohmann::json query(const std::string& name, const nlohmann::json& params) {
        if (name == "order_preview") {
            // The session's live state, read on the engine thread (never under qmutex_: the
            // engine may be waiting for it in a scheduled job).
            const Command trade = parse_command(CommandKind::Trade, params);
            return queue_.call([this, trade] { return session_.preview_order(trade); });
        }
        std::lock_guard<std::mutex> lock(qmutex_);
        const RiskLimits limits = risk_file_.limits();
        QueryContext qc{*qstore_, env_.ws, &limits, risk_file_.error(), info_, true, wall_.now()};
        nlohmann::json j = route_query(name, params, qc);
        // What the hot-swap rule needs to know about this daemon's model choice.
        if (name == "health" && j.contains("model"))
            j["model"]["selection"] = {{"model", o_.model.model}, {"version", o_.model.version}};
        return j;
    }

    void shut_down(ControlServer& server) {
        queue_.close();
        events_.close();
        if (dashboard_) dashboard_->stop();
        server.stop();
        if (alerts_) alerts_->stop(); // after the last alerts are committed
        remove_daemon_info(env_.ws);
    }

    /// The daemon's last alert, committed with its final checkpoint; the heartbeat says it
    /// stopped cleanly so the watchdog stays quiet.
    void final_alert(const char* kind, AlertSeverity sev, const std::string& title,
                     const std::string& why) {
        try {
            session_.alerts().enqueue(make_alert(wall_.now(), kind, sev, title, why));
            session_.checkpoint(wall_.now());
            heartbeat("stopped", why);
        } catch (const std::exception& e) {
            spdlog::error("alerts: could not record the daemon's stop: {}", e.what());
        }
    }

    /// Real time: the newest bar is more than two bars late (what `aurum health` calls stale).
    void check_feed() {
        if (session_.session().clock != "realtime" || session_.last_bar() == 0) return;
        const TimeMs late = wall_.now() - (session_.last_bar() + 2 * o_.timeframe.ms());
        // Once per half hour while it lasts, not a row every heartbeat.
        if (late <= o_.timeframe.ms() || wall_.now() - last_stale_alert_ < 30 * kMsPerMinute) return;
        last_stale_alert_ = wall_.now();
        session_.alerts().enqueue(make_alert(
            wall_.now(), "data_feed_stale", AlertSeverity::Warning, "Data feed stale",
            fmt::format("the last {} bar closed at {}; nothing newer for {}", o_.timeframe.name(),
                        format_time(session_.last_bar() + o_.timeframe.ms()),
                        format_duration(wall_.now() - session_.last_bar() - o_.timeframe.ms())),
            "data_feed_stale"));
    }

    void heartbeat(const std::string& state, const std::string& reason) {
        std::lock_guard<std::mutex> lock(qmutex_);
        write_heartbeat(*qstore_, {info_.pid, session_.session_id(), wall_.now(), state, reason});
        if (auto feed = session_.feed_status(); !feed.is_null()) {
            feed["session"] = session_.session_id();
            qstore_->put_kv(kLiveFeedKey, feed.dump());
        }
        last_heartbeat_ = wall_.now();
    }

    void add_jobs() {
        // The report jobs first: the daily summary due at the same time emails the report the
        // daily_report job has just written.
        std::vector<JobSpec> jobs = fc_.jobs;
        std::stable_partition(jobs.begin(), jobs.end(), [](const JobSpec& j) {
            return j.name == "daily_report" || j.name == "weekly_report";
        });
        for (const auto& job : jobs) {
            if (job.name == "daily_summary")
                sched_.add(job, [this](TimeMs due) { daily_summary(due); });
            else if (job.name == "weekly_retrain")
                sched_.add(job, [this](TimeMs due) { weekly_retrain(due); });
            else if (job.name == "daily_report" || job.name == "weekly_report" ||
                     job.name == "volatility_report")
                sched_.add(job, [this, kind = job.name.substr(0, job.name.find('_'))](TimeMs due) {
                    session_report(kind, due);
                });
            else if (job.name == "prediction_accuracy")
                sched_.add(job, [this](TimeMs due) { prediction_accuracy(due); });
            else if (job.name == "gap_check")
                sched_.add(job, [this, gaps = std::make_shared<GapChecker>(env_.instruments)](
                                    TimeMs) { gaps->run(session_, *store_, o_); });
            else if (job.name == "data_quality" && env_.write_report)
                sched_.add(job, [this](TimeMs due) { guarded("data_quality", [&] {
                               spdlog::info("data_quality report written to {}",
                                            env_.write_report("data-quality", due).string());
                           }); });
            else if (job.name == "db_maintenance")
                sched_.add(job, [this](TimeMs due) { guarded("db_maintenance", [&] {
                               db_maintenance(due);
                           }); });
        }
    }

    /// A maintenance job's failure is logged, never fatal to the trading loop.
    template <class Fn> void guarded(const char* name, Fn fn) {
        try {
            fn();
        } catch (const std::exception& e) {
            spdlog::error("{} job failed: {}", name, e.what());
        }
    }

    /// Monthly: archive history beyond retention, VACUUM/ANALYZE, on its own connection.
    void db_maintenance(TimeMs due) {
        std::lock_guard<std::mutex> lock(qmutex_); // no query mid-way
        MaintenanceRequest rq;
        rq.config = MaintenanceConfig::load(env_.ws.config_file("db_maintenance.yaml").string());
        rq.now = due;
        const std::filesystem::path dir(rq.config.archive_dir);
        rq.archive_dir = (dir.is_absolute() ? dir : env_.ws.home() / dir).string();
        auto db = open_database(env_.db_spec);
        const MaintenanceResult r = run_db_maintenance(*db, rq);
        std::int64_t rows = 0;
        for (const auto& t : r.tables) rows += t.archived;
        spdlog::info("db_maintenance: {} rows archived{}; database {} -> {}", rows,
                     r.archive_file.empty() ? "" : " to " + r.archive_file,
                     format_bytes(r.bytes_before), format_bytes(r.bytes_after));
    }

    void daily_summary(TimeMs due) {
        // Warm-up history (and a clock not yet set: 1970) has nothing to report.
        if (due < session_.session().trade_from || !env_.format_daily_summary) return;
        std::lock_guard<std::mutex> lock(qmutex_);
        const nlohmann::json s = query_summary(*qstore_, risk_file_.limits(), wall_.now());
        const auto path = daily_report_path(env_.ws.reports_dir(), due, session_.session_id());
        const std::string text = env_.format_daily_summary(s);
        write_file_atomic(path, text);
        spdlog::info("daily summary written to {}", path.string());
        // The day's report by email (HTML + charts when the reports job wrote them) and as a
        // short chat message naming the file.
        const auto html = daily_report_file(env_.ws.reports_dir(), due, "html");
        const auto txt = daily_report_file(env_.ws.reports_dir(), due, "txt");
        session_.alerts().enqueue(report_alert(
            wall_.now(), "daily_report", "Daily report " + format_date(due),
            text.substr(0, 1500) + "\nFull report: " +
                (std::filesystem::exists(html) ? html : path).string(),
            std::filesystem::exists(html) ? html.string() : "",
            std::filesystem::exists(txt) ? txt.string() : path.string()));
    }

    /// reports/daily_report_*.html, weekly_analysis_*.html or volatility_analysis_*.html of the
    /// session's current day.
    void session_report(const std::string& kind, TimeMs due) {
        if (due < session_.session().trade_from || !env_.write_report) return;
        session_.checkpoint(wall_.now()); // the report reads what the session has done so far
        try {
            const std::filesystem::path html = env_.write_report(kind, wall_.now());
            spdlog::info("{} report written to {}", kind, html.string());
            if (kind == "weekly") {
                weekly_report_alert(due, html);
                drift_alerts();
                divergence_alert();
            }
        } catch (const std::exception& e) {
            spdlog::error("{} report failed: {}", kind, e.what());
        }
    }

    /// The weekly analysis by email (the report itself) and a short chat message with its path.
    void weekly_report_alert(TimeMs due, const std::filesystem::path& html) {
        auto txt = html;
        txt.replace_extension(".txt");
        std::string headline;
        std::ifstream in(txt);
        for (std::string line; headline.size() < 400 && std::getline(in, line);)
            if (!line.empty()) headline += line + "\n";
        session_.alerts().enqueue(report_alert(
            wall_.now(), "weekly_report", "Weekly report " + format_date(due),
            headline + "Full report: " + html.string(), html.string(),
            std::filesystem::exists(txt) ? txt.string() : ""));
        session_.checkpoint(wall_.now());
    }

    /// The weekly report has just judged the session's feature drift (kModelDriftKey): a model
    /// whose inputs drifted since the verdict last alerted on raises model_drifted, once.
    void drift_alerts() {
        StateStore st(store_->database());
        const nlohmann::json drift = kept_verdict(st, kModelDriftKey);
        if (drift.is_null()) return; // no model traded: nothing judged
        for (auto& a : model_drifted_alerts(wall_.now(), drift, kept_verdict(st, kAlertedDriftKey)))
            session_.alerts().enqueue(std::move(a));
        session_.checkpoint(wall_.now());
        st.put_kv(kAlertedDriftKey,
                  nlohmann::json{{"session", session_.session_id()}, {"verdict", drift}}.dump());
    }

    /// Paper against its clean replay, with every weekly report: trades that differ with
    /// nothing in the journal to explain them (not the user's own trades or decisions) raise
    /// paper_divergence, once per new such trade. A year of 4h bars replays in ~30 ms.
    void divergence_alert() {
        try {
            StateStore st(store_->database());
            const nlohmann::json report =
                find_divergence(st, *store_, env_.ws, env_.instruments, session_.session_id()).to_json();
            const nlohmann::json kept = kept_verdict(st, kAlertedDivergenceKey);
            const std::size_t before = kept.is_number() ? kept.get<std::size_t>() : 0;
            if (auto a = paper_divergence_alert(wall_.now(), report, before)) {
                session_.alerts().enqueue(std::move(*a));
                session_.checkpoint(wall_.now());
            }
            st.put_kv(kAlertedDivergenceKey,
                      nlohmann::json{{"session", session_.session_id()},
                                     {"verdict", std::max(before, unexplained_differences(report))}}
                          .dump());
        } catch (const std::exception& e) {
            spdlog::warn("weekly divergence check skipped: {}", e.what());
        }
    }

    /// Predictions whose horizon has closed get their outcome; models judged against their
    /// walk-forward accuracy (config/monitor.yaml), the verdict kept for `aurum health`.
    void prediction_accuracy(TimeMs due) {
        if (due < session_.session().trade_from) return;
        try {
            const MonitorConfig cfg = load_monitor_config(env_.ws.config_file("monitor.yaml"));
            StateStore st(store_->database());
            const auto lookup = registry_expectations(env_.ws.models_dir() / "registry");
            const int n = resolve_outcomes(st, *store_, session_.session(), session_.step_close_time(), lookup);
            const nlohmann::json verdict = accuracy_monitor(load_outcomes(st, session_.session_id()), lookup, cfg);
            // A model that became degraded since this job's last verdict is alerted once (the
            // reports rewrite kModelMonitorKey, so the job keeps its own); the alerts are
            // committed before that verdict is replaced (a crash between: alerted again).
            for (auto& a : model_degraded_alerts(wall_.now(), verdict, kept_verdict(st, kAlertedVerdictKey)))
                session_.alerts().enqueue(std::move(a));
            session_.checkpoint(wall_.now());
            const std::string kept = nlohmann::json{{"session", session_.session_id()}, {"verdict", verdict}}.dump();
            st.put_kv(kModelMonitorKey, kept);
            st.put_kv(kAlertedVerdictKey, kept);
            spdlog::info("prediction_accuracy: {} outcome(s) resolved", n);
            for (const auto& d : verdict["degraded"]) spdlog::warn("model degraded: {}", d.get<std::string>());
        } catch (const std::exception& e) {
            spdlog::error("prediction_accuracy failed: {}", e.what());
        }
    }

    /// The verdicts the prediction_accuracy job and the weekly drift check last alerted on
    /// (live_kv; the reports rewrite kModelMonitorKey and kModelDriftKey on their own schedule).
    static constexpr const char* kAlertedVerdictKey = "model_monitor_alerted";
    static constexpr const char* kAlertedDriftKey = "model_drift_alerted";
    static constexpr const char* kAlertedDivergenceKey = "divergence_alerted"; ///< unexplained count

    /// This session's verdict kept under `key` ({"session", "verdict"}; null: none yet).
    nlohmann::json kept_verdict(StateStore& st, const char* key) const {
        const auto kv = st.get_kv(key);
        const auto j = kv ? nlohmann::json::parse(*kv, nullptr, false) : nlohmann::json();
        return j.is_object() && j.value("session", "") == session_.session_id() ? j["verdict"]
                                                                                 : nlohmann::json();
    }

    /// Trains in the background; the bar loop only sees the model_reload command.
    void weekly_retrain(TimeMs due) {
        if (o_.strategy.name != "model") {
            spdlog::info("weekly_retrain: the session trades rule strategy {}; skipped",
                         o_.strategy.name);
            return;
        }
        if (due < session_.session().trade_from) return; // warm-up history, not trading
        if (retrain_busy_.exchange(true)) {
            spdlog::warn("weekly_retrain: the previous retrain is still running; skipped");
            return;
        }
        if (retrain_thread_.joinable()) retrain_thread_.join();
        retrain_thread_ = std::thread([this, due, st = std::shared_ptr<MarketStore>(
                                                       env_.open_store())] {
            try {
                retrain_and_swap(*st, due);
            } catch (const std::exception& e) {
                spdlog::error("weekly_retrain failed: {}", e.what());
            }
            retrain_busy_.store(false);
        });
    }

    void retrain_and_swap(MarketStore& st, TimeMs due) {
        RetrainRequest rq;
        rq.model = o_.model.kind;
        rq.symbols = o_.symbols;
        rq.timeframe = o_.timeframe.name();
        rq.reason = "weekly retrain (scheduled " + format_time(due) + ")";
        rq.range.to = due; // a replay never trains on bars after its clock
        SystemClock clock;
        for (const auto& r : run_retrain(st, env_.instruments, env_.ws, rq, clock)) {
            spdlog::info("weekly_retrain: {}", r.line);
            session_.alerts().enqueue(make_alert(0, "retrain", AlertSeverity::Info,
                                                 "Weekly retrain: " + r.name, r.line));
            if (!hot_swap_wanted(r, DaemonModels::from_health(query("health", nlohmann::json::object()))))
                continue;
            const Command reload = model_command(CommandKind::ModelReload, r.name, r.version, rq.reason);
            const CommandOutcome c = queue_.submit(to_string(reload.kind), reload.to_json());
            spdlog::info("weekly_retrain: model_reload: {}", c.message);
            if (c.exit_code != 0)
                session_.alerts().enqueue(make_alert(0, "model_refused", AlertSeverity::Warning,
                                                     "Model not swapped in: " + r.name, c.message));
        }
    }

    DaemonOptions loop_options() {
        DaemonOptions d;
        d.speed = flags_.speed;
        d.serve_after_end = flags_.serve;
        d.between_steps = [this] {
            reload_risk_file();
            if (wall_.now() - last_heartbeat_ >= kHeartbeatEveryMs) {
                heartbeat("running", "");
                check_feed();
            }
            if (alerts_ && session_.alerts_committed() != alerts_seen_) {
                alerts_seen_ = session_.alerts_committed();
                alerts_->notify();
            }
            events_pub_.after_commands(session_);
        };
        d.after_step = [this] { events_pub_.after_step(session_); };
        return d;
    }

    /// The dashboard, when configured; a busy port is a warning, never a reason to stop trading.
    void start_dashboard() {
        if (!env_.make_dashboard || !fc_.dashboard || flags_.no_dashboard) return;
        const int port = flags_.dashboard_port >= 0 ? flags_.dashboard_port : fc_.dashboard_port;
        const std::string bind = flags_.bind.empty() ? "127.0.0.1" : flags_.bind;
        try {
            dashboard_ = env_.make_dashboard(DashboardWiring{
                queue_, [this](const std::string& n, const nlohmann::json& p) { return query(n, p); },
                events_, o_.mode});
            dashboard_->start(bind, port);
            if (env_.on_dashboard) env_.on_dashboard(dashboard_->login_url());
        } catch (const std::exception& e) {
            spdlog::warn("dashboard not served: {}; the daemon runs without it", e.what());
            dashboard_.reset();
        }
    }

    void reload_risk_file() {
        // Never while the journal replays: a new command there would diverge from the record.
        if (session_.journal().recovering() || wall_.now() - last_risk_poll_ < 500) return;
        last_risk_poll_ = wall_.now();
        const auto l = risk_file_.poll();
        if (!l || render_risk_yaml(*l) == render_risk_yaml(session_.risk().limits())) return;
        try {
            Command reload;
            reload.kind = CommandKind::RiskReload;
            reload.reason = "config/risk.yaml changed";
            reload.yaml = render_risk_yaml(*l);
            spdlog::info("config/risk.yaml: {}", session_.execute(reload, wall_.now()).message);
        } catch (const std::exception& e) {
            spdlog::error("config/risk.yaml: not applied: {}", e.what());
        }
    }

    const DaemonEnvironment& env_;
    const LiveOptions& o_;
    const LiveFileConfig& fc_;
    const RunFlags& flags_;
    DaemonLock lock_;
    std::unique_ptr<MarketStore> store_;
    std::filesystem::path risk_yaml_;
    LiveSession session_;
    RiskFile risk_file_;
    SystemClock wall_;
    std::unique_ptr<Database> qdb_;
    std::unique_ptr<StateStore> qstore_;
    std::mutex qmutex_;
    DaemonInfo info_;
    CommandQueue queue_;
    Scheduler sched_;
    std::thread retrain_thread_;
    std::atomic<bool> retrain_busy_{false};
    TimeMs last_risk_poll_ = 0;
    TimeMs last_heartbeat_ = 0;
    TimeMs last_stale_alert_ = 0;
    std::unique_ptr<DaemonService> alerts_;
    std::uint64_t alerts_seen_ = 0;
    EventBus events_;
    SessionEventPublisher events_pub_{events_};
    std::unique_ptr<DashboardService> dashboard_;
};

} // namespace

DaemonRunSummary run_daemon_app(const DaemonEnvironment& env, const LiveOptions& options,
                                const LiveFileConfig& file, const RunFlags& flags) {
    env.ws.ensure_dirs();
    DaemonApp app(env, options, file, flags);
    return app.run();
}

/// The tail of `path` from byte `from` (what a failed daemon wrote to logs/daemon.out).
std::string read_file_from(const std::filesystem::path& path, std::uintmax_t from) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "";
    in.seekg(static_cast<std::streamoff>(from));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Starts `args` (a daemon command line) detached, output appended to logs/daemon.out.
pid_t spawn_daemon(const Workspace& ws, const std::vector<std::string>& args) {
    const pid_t pid = ::fork();
    if (pid < 0) throw SystemError("restart: fork failed");
    if (pid == 0) {
        ::setsid();
        const std::string out = (ws.logs_dir() / "daemon.out").string();
        const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
        }
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        ::execv("/proc/self/exe", argv.data());
        ::_exit(127);
    }
    return pid;
}

} // namespace aurum
