// `aurum run` (the paper/live daemon) and the commands that watch and steer it: status, summary,
// health, stop, pause, resume, trade, risk, signals, killswitch, restart. Thin handlers: the
// logic lives in src/live (session, queries, commands) and src/surfaces (control API, text).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "live/command.hpp"
#include "live/control.hpp"
#include "data/binance_market_data.hpp"
#include "execution/binance_auth.hpp"
#include "live/daemon.hpp"
#include "live/live_session.hpp"
#include "live/retrain.hpp"
#include "live/scheduler.hpp"
#include "surfaces/control_api_client.hpp"
#include "surfaces/control_api_server.hpp"
#include "surfaces/status_format.hpp"

namespace aurum {

using nlohmann::json;

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

/// This process's command line (for `aurum restart`), from /proc.
std::vector<std::string> own_argv() {
    std::vector<std::string> out;
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::string arg;
    while (std::getline(in, arg, '\0')) out.push_back(arg);
    return out;
}

TimeMs parse_date_flag(const std::string& flag, const std::string& text) {
    const auto t = parse_time(text);
    if (!t) throw InputError(flag + ": expected a date such as 2024-01-31, got '" + text + "'");
    return *t;
}

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
    bool approval = false;
    TimeMs approval_expiry = 4 * kMsPerHour;
    ModelSelection model; ///< strategy "model": `model:`, `version:`, `kind:`
    int warmup_bars = 200;
    int port = 0;
    std::vector<JobSpec> jobs;
    std::string exchange = "binance";          ///< live mode: where orders go
    std::string exchange_url = kBinanceSpotBaseUrl;
    int recv_window_ms = 5000;
};

LiveFileConfig load_live_config(const std::filesystem::path& path) {
    LiveFileConfig c;
    c.jobs = {parse_schedule("daily_summary", "daily 08:00", "default"),
              parse_schedule("gap_check", "every 4h", "default")};
    if (!std::filesystem::exists(path)) return c;
    const ConfigNode root = ConfigNode::load_file(path.string());
    root.allow_keys({"live"});
    const ConfigNode l = root.child("live");
    l.allow_keys({"symbols", "timeframe", "capital", "strategy", "fees", "slippage_bps",
                  "approval", "warmup_bars", "port", "jobs", "exchange"});
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
        ex.allow_keys({"name", "base_url", "recv_window_ms"});
        c.exchange = ex.get_string("name", c.exchange);
        if (c.exchange != "binance") ex.fail("name", "supported exchanges: binance");
        c.exchange_url = ex.get_string("base_url", c.exchange_url);
        BaseUrl::parse(c.exchange_url); // a bad URL fails here, naming it
        c.recv_window_ms = static_cast<int>(ex.get_int("recv_window_ms", c.recv_window_ms));
        if (c.recv_window_ms < 1 || c.recv_window_ms > 60000)
            ex.fail("recv_window_ms", "must be in 1..60000 (the exchange's maximum)");
    }
    const ConfigNode jobs = l.child("jobs");
    if (jobs.defined()) {
        jobs.allow_keys({"daily_summary", "gap_check", "weekly_retrain"});
        c.jobs.clear();
        for (const auto& k : jobs.keys())
            c.jobs.push_back(parse_schedule(k, jobs.get_string(k), path.string() + ": live.jobs." + k));
    }
    return c;
}

void print_json(const json& j) { std::cout << j.dump(2) << "\n"; }

/// Sends a command to the daemon, or applies it offline when none runs. Prints the outcome.
int send_command(CliContext& ctx, const Command& cmd) {
    const Workspace ws = ctx.workspace();
    CommandOutcome o;
    if (auto cli = connect_daemon(ws)) {
        int status = 0;
        const json r = cli->post("/api/commands/" + to_string(cmd.kind), cmd.to_json(), &status);
        o.exit_code = r.value("exit_code", status == 200 ? 0 : 2);
        o.message = r.value("message", "");
        o.data = r.value("data", json::object());
        if (status == 401) throw SystemError("control API refused the token: " + o.message);
    } else {
        auto store = ctx.open_store();
        StateStore st(store->database());
        o = apply_offline(st, ws, cmd, SystemClock().now());
    }
    if (ctx.json) {
        print_json(json{{"exit_code", o.exit_code}, {"message", o.message}, {"data", o.data}});
    } else if (o.exit_code == 2) {
        std::cerr << "error: " << o.message << "\n";
    } else {
        std::cout << o.message << "\n";
    }
    return o.exit_code;
}

/// A command of `kind` with its reason.
Command make_command(CommandKind kind, std::string reason = {}) {
    Command c;
    c.kind = kind;
    c.reason = std::move(reason);
    return c;
}

/// GET from the daemon, or the same query on the database when it is down.
json query(CliContext& ctx, const std::string& name, bool* up) {
    const Workspace ws = ctx.workspace();
    if (auto cli = connect_daemon(ws)) {
        try {
            *up = true;
            return cli->get("/api/" + name);
        } catch (const SystemError& e) {
            spdlog::warn("daemon not answering ({}); reading the database", e.what());
        }
    }
    *up = false;
    auto store = ctx.open_store();
    StateStore st(store->database());
    const RiskLimits limits = load_risk_limits(ws.config_file("risk.yaml").string());
    const TimeMs now = SystemClock().now();
    if (name == "status") return query_status(st, now);
    if (name == "summary") return query_summary(st, limits, now);
    if (name == "risk") return query_risk(st, limits);
    if (name == "signals") return query_signals(st, "all");
    return query_health(st, ws, read_daemon_info(ws), false, now);
}

bool wait_for_exit(int pid, int seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
        if (!process_alive(pid)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return !process_alive(pid);
}

std::string require_reason(const std::string& what, const std::string& reason) {
    if (reason.find_first_not_of(" \t") == std::string::npos)
        throw InputError(what + ": --reason is required (it goes into the audit log)");
    return reason;
}

int run_command(CliContext& ctx, const std::string& mode, double capital, std::string symbols_text,
                std::string tf_text, std::string strategy, std::vector<std::string> params,
                double fraction, std::string from, std::string to, double speed, bool approval,
                int port, bool serve, bool ack, std::string ack_reason, bool new_session,
                bool confirm_live, std::string exchange_url) {
    const Workspace ws = ctx.workspace();
    LiveFileConfig fc = load_live_config(ws.config_file("live.yaml"));
    if (mode != "paper" && mode != "live")
        throw InputError("run: --mode must be paper or live, got '" + mode + "'");
    // Live: every refusal comes before anything is written.
    if (mode != "live" && !exchange_url.empty())
        throw InputError("run: --exchange-url is only used with --mode live (paper fills are "
                         "simulated)");
    LiveVenueOptions venue;
    if (mode == "live") {
        venue.exchange = fc.exchange;
        venue.base_url = exchange_url.empty() ? fc.exchange_url : exchange_url;
        BaseUrl::parse(venue.base_url);
        venue.recv_window_ms = fc.recv_window_ms;
        if (!confirm_live)
            throw InputError("run: --mode live sends real orders with real money to " +
                             venue.base_url +
                             "; add --confirm-live to the command line to confirm (it is a flag "
                             "only, never a config setting, so nobody goes live by accident)");
        if (!from.empty() || !to.empty())
            throw InputError("run: --mode live trades on the real-time clock; --replay-from/"
                             "--replay-to are for paper mode");
        std::vector<std::string> syms = fc.symbols;
        if (!symbols_text.empty()) {
            syms.clear();
            std::stringstream ss(symbols_text);
            std::string one;
            while (std::getline(ss, one, ',')) if (!one.empty()) syms.push_back(one);
        }
        for (const auto& sym : syms) {
            const Instrument in = ctx.instruments().get(normalize_symbol(sym));
            if (in.asset_class != AssetClass::CryptoSpot || in.venue == "mt5")
                throw InputError("run: " + in.symbol + " cannot be traded live: its prices come "
                                 "from MetaTrader 5 exports and MT5 is not an order venue here. "
                                 "Trade it with --mode paper, or leave it out of --symbols");
        }
        venue.credentials = load_binance_credentials(ws.home());
    }
    ws.ensure_dirs();
    if (ack && ack_reason.empty()) throw InputError("run: --acknowledge-stop needs --reason");
    LiveOptions o;
    o.mode = mode;
    if (!symbols_text.empty()) {
        fc.symbols.clear();
        std::stringstream ss(symbols_text);
        std::string s;
        while (std::getline(ss, s, ','))
            if (!s.empty()) fc.symbols.push_back(s);
    }
    for (auto& s : fc.symbols) o.symbols.push_back(normalize_symbol(s));
    o.timeframe = Timeframe::parse_or_throw(tf_text.empty() ? fc.timeframe : tf_text);
    o.capital = capital > 0 ? capital : fc.capital;
    if (capital < 0 || !std::isfinite(capital))
        throw InputError(fmt::format("run: --capital must be positive, got {}", capital));
    o.strategy.name = strategy.empty() ? fc.strategy : strategy;
    o.strategy.params = strategy.empty() || strategy == fc.strategy ? fc.params
                                                                    : std::map<std::string, double>{};
    for (const auto& p : params) {
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
    o.strategy.sizing.fraction = fraction > 0 ? fraction : fc.fraction;
    o.model = fc.model;
    o.workspace = ws.home();
    if (o.strategy.name == "model") {
        // Resolve and load the models now: a refused model (other feature set) writes nothing.
        ModelRegistry reg(ws.models_dir() / "registry", nullptr);
        const auto recs = resolve_models(reg, o.symbols, o.timeframe.name(), o.model);
        const auto fcfg = std::filesystem::exists(ws.config_file("features.yaml"))
                              ? FeatureConfig::load_file(ws.config_file("features.yaml").string())
                              : FeatureConfig::parse(FeatureConfig::default_yaml(), "features");
        for (const auto& [sym, rec] : recs) LiveModel::load(rec, fcfg);
    } else {
        make_strategy(o.strategy); // validates name and parameters now
    }
    o.fill.fees.taker = fc.fee;
    o.fill.fees.maker = fc.fee;
    o.fill.slippage.fixed_bps = fc.slippage_bps;
    o.approval = approval || fc.approval;
    o.approval_expiry = fc.approval_expiry;
    o.warmup_bars = fc.warmup_bars;
    o.new_session = new_session;
    o.venue = venue;
    o.venue.capital = o.capital;
    if (!from.empty() || !to.empty()) {
        if (from.empty() || to.empty())
            throw InputError("run: --replay-from and --replay-to go together");
        o.replay = true;
        o.replay_from = parse_date_flag("--replay-from", from);
        o.replay_to = parse_date_flag("--replay-to", to);
        if (o.replay_to <= o.replay_from)
            throw InputError("run: --replay-to must be after --replay-from");
    }
    if (speed < 0 || !std::isfinite(speed))
        throw InputError(fmt::format("run: --speed must be >= 0, got {}", speed));
    if (auto d = read_daemon_info(ws); d && process_alive(d->pid) && d->pid != ::getpid())
        throw InputError(fmt::format("run: a daemon is already running in this workspace (pid {}, "
                                     "port {}); `aurum stop` it first",
                                     d->pid, d->port));

    auto store = ctx.open_store();
    const auto risk_yaml = ws.config_file("risk.yaml");
    LiveSession session(store->database(), *store, o, load_risk_limits(risk_yaml.string()),
                        ctx.instruments(), risk_yaml);
    SystemClock wall;
    session.open(wall.now(), ack, ack_reason);

    // Queries on their own connection (the engine thread owns the first one).
    auto qdb = open_database(ctx.db_spec());
    StateStore qstore(*qdb);
    std::mutex qmutex;
    DaemonInfo info;
    info.pid = ::getpid();
    info.started = wall.now();
    info.session = session.session_id();
    info.mode = mode;
    info.args = own_argv();
    CommandQueue queue;
    auto query_fn = [&](const std::string& name, const json& params) -> json {
        std::lock_guard<std::mutex> lock(qmutex);
        const TimeMs now = wall.now();
        const RiskLimits limits = load_risk_limits(risk_yaml.string());
        if (name == "status") return query_status(qstore, now);
        if (name == "summary") return query_summary(qstore, limits, now);
        if (name == "risk") return query_risk(qstore, limits);
        if (name == "signals") return query_signals(qstore, params.value("status", "all"));
        return query_health(qstore, ws, info, true, now);
    };
    g_stop.store(false);
    ControlApiServer server(ensure_token(ws), queue, query_fn, g_stop);
    info.port = server.start(port > 0 ? port : fc.port);
    write_daemon_info(ws, info);
    ::signal(SIGINT, on_signal);
    ::signal(SIGTERM, on_signal);

    Scheduler sched;
    // The weekly retrain trains in the background; the bar loop only sees the model_reload.
    struct Background {
        std::thread t;
        std::atomic<bool> busy{false};
        ~Background() {
            if (t.joinable()) t.join();
        }
    } retrain_bg;
    for (const auto& job : fc.jobs) {
        if (job.name == "daily_summary") {
            sched.add(job, [&, risk_yaml](TimeMs due) {
                std::lock_guard<std::mutex> lock(qmutex);
                const json s = query_summary(qstore, load_risk_limits(risk_yaml.string()),
                                             wall.now());
                const auto path = ws.reports_dir() / "daily" / (format_date(due) + ".txt");
                write_file_atomic(path, format_summary(s));
                spdlog::info("daily summary written to {}", path.string());
            });
        } else if (job.name == "weekly_retrain") {
            sched.add(job, [&, o](TimeMs due) {
                if (o.strategy.name != "model") {
                    spdlog::info("weekly_retrain: the session trades rule strategy {}; skipped",
                                 o.strategy.name);
                    return;
                }
                if (due < session.session().trade_from) return; // warm-up history, not trading
                if (retrain_bg.busy.exchange(true)) {
                    spdlog::warn("weekly_retrain: the previous retrain is still running; skipped");
                    return;
                }
                if (retrain_bg.t.joinable()) retrain_bg.t.join();
                const InstrumentRegistry instruments = ctx.instruments();
                auto bg_store = ctx.open_store();
                retrain_bg.t = std::thread([&, o, due, instruments,
                                            st = std::shared_ptr<MarketStore>(std::move(bg_store))] {
                    try {
                        RetrainRequest rq;
                        rq.model = o.model.kind;
                        rq.symbols = o.symbols;
                        rq.timeframe = o.timeframe.name();
                        rq.reason = "weekly retrain (scheduled " + format_time(due) + ")";
                        rq.range.to = due; // a replay never trains on bars after its clock
                        SystemClock clock;
                        for (const auto& r : run_retrain(*st, instruments, ws, rq, clock)) {
                            spdlog::info("weekly_retrain: {}", r.line);
                            const bool selected = o.model.model == "production" ||
                                                  o.model.model == r.name;
                            if (!r.promoted || !selected || o.model.version > 0) continue;
                            const CommandOutcome c = queue.submit(
                                "model_reload", json{{"name", r.name}, {"version", r.version},
                                                     {"reason", rq.reason}});
                            spdlog::info("weekly_retrain: model_reload: {}", c.message);
                        }
                    } catch (const std::exception& e) {
                        spdlog::error("weekly_retrain failed: {}", e.what());
                    }
                    retrain_bg.busy.store(false);
                });
            });
        } else if (job.name == "gap_check") {
            sched.add(job, [&](TimeMs) {
                // New bars first, then any hole in what the session trades on.
                session.poll_store();
                for (const auto& sym : o.symbols) {
                    const BarSeries b = store->load_bars(
                        sym, o.timeframe, TimeRange{session.last_bar() - 7 * kMsPerDay, INT64_MAX});
                    for (std::size_t k = 1; k < b.size(); ++k)
                        if (b.time[k] - b.time[k - 1] > o.timeframe.ms())
                            spdlog::warn("data gap in {} {}: {} -> {}; repair with `aurum data "
                                         "backfill --symbol {}`",
                                         sym, o.timeframe.name(), format_time(b.time[k - 1]),
                                         format_time(b.time[k]), sym);
                }
            });
        }
    }
    if (!ctx.json)
        std::cout << fmt::format(
            "Aurum {} daemon: session {} ({} {} on {}, capital {}){}\nControl API on "
            "127.0.0.1:{} (token in {}). Try `aurum status`, `aurum summary`, `aurum health`.\n",
            mode, session.session_id(), o.replay ? "replay" : "real time",
            o.timeframe.name(), session.session().symbols, format_money(o.capital),
            session.recovered() ? fmt::format("; resumed after {} recovered steps",
                                              session.recovered_steps())
                                : "",
            info.port, token_path(ws).string())
                  << std::flush;
    spdlog::info("daemon started: session {} pid {} port {}", session.session_id(), info.pid,
                 info.port);
    DaemonOptions dopt;
    dopt.speed = speed;
    dopt.serve_after_end = serve;
    std::string why;
    try {
        why = run_daemon(session, queue, sched, dopt, wall, g_stop);
    } catch (...) {
        queue.close();
        server.stop();
        remove_daemon_info(ws);
        throw;
    }
    queue.close();
    server.stop();
    remove_daemon_info(ws);
    const Portfolio& pf = session.portfolio();
    spdlog::info("daemon exiting: {}; equity {:.2f}", why, pf.equity());
    const json out{{"session", session.session_id()}, {"reason", why},
                   {"equity", pf.equity()},           {"cash", pf.cash()},
                   {"trades", pf.trades().size()},    {"steps", session.steps()},
                   {"recovered_steps", session.recovered_steps()}};
    if (ctx.json)
        print_json(out);
    else
        std::cout << fmt::format("Daemon stopped: {}. Equity {} ({} closed trades).\n", why,
                                 format_money(pf.equity()), pf.trades().size());
    return 0;
}

} // namespace

void register_live(CLI::App& app, CliContext& ctx) {
    // run
    {
        auto* sub = app.add_subcommand("run", "Run the trading daemon (paper: simulated fills) on "
                                              "a replayed or real-time clock");
        struct Flags {
            std::string mode = "paper", symbols, timeframe, strategy, from, to, reason;
            std::vector<std::string> params;
            double capital = 0, fraction = 0, speed = 0;
            bool approval = false, serve = false, ack = false, new_session = false;
            bool confirm_live = false;
            std::string exchange_url;
            int port = 0;
        };
        auto f = std::make_shared<Flags>();
        sub->add_option("--mode", f->mode, "paper or live")->check(CLI::IsMember({"paper", "live"}));
        sub->add_option("--capital", f->capital, "Starting capital in quote currency (default "
                                                 "config/live.yaml or 10000)");
        sub->add_option("--symbols", f->symbols, "Comma-separated symbols (BTC/USDT,ETH/USDT)");
        sub->add_option("--timeframe", f->timeframe, "Bar timeframe (default 4h)");
        sub->add_option("--strategy", f->strategy, "Rule strategy (sma-cross, rsi-reversion, "
                                                   "donchian-breakout, buy-hold) or model (the "
                                                   "registry's production model; live.yaml "
                                                   "strategy.model picks which)");
        sub->add_option("--param", f->params, "Strategy parameter name=value (repeatable)");
        sub->add_option("--fraction", f->fraction, "Target position as a fraction of equity "
                                                   "(the risk manager caps it)");
        sub->add_option("--replay-from", f->from, "Replay from this date (bars from the store)");
        sub->add_option("--replay-to", f->to, "Replay up to this date (exclusive)");
        sub->add_option("--speed", f->speed, "Replay speed: market time per wall time "
                                             "(0 = as fast as possible)");
        sub->add_flag("--approval", f->approval, "Human approval: strategy entries wait in "
                                                 "`aurum signals`");
        sub->add_option("--port", f->port, "Control API port on 127.0.0.1 (0 = any free port)");
        sub->add_flag("--serve", f->serve, "After a replay ends, keep serving the control API");
        sub->add_flag("--acknowledge-stop", f->ack, "Start again after an emergency stop");
        sub->add_option("--reason", f->reason, "Why (with --acknowledge-stop)");
        sub->add_flag("--new-session", f->new_session, "Start a fresh session instead of "
                                                       "resuming the one with these options");
        sub->add_flag("--confirm-live", f->confirm_live, "Required with --mode live: confirms that "
                                                         "real orders go to the exchange");
        sub->add_option("--exchange-url", f->exchange_url, "Live: exchange REST base URL "
                                                           "(default config/live.yaml "
                                                           "exchange.base_url)");
        on_run(sub, ctx, [&ctx, f] {
            return run_command(ctx, f->mode, f->capital, f->symbols, f->timeframe, f->strategy,
                               f->params, f->fraction, f->from, f->to, f->speed, f->approval,
                               f->port, f->serve, f->ack, f->reason, f->new_session,
                               f->confirm_live, f->exchange_url);
        });
    }
    // status / summary / health
    for (const char* name : {"status", "summary", "health"}) {
        const std::string n = name;
        auto* sub = app.add_subcommand(
            n, n == "status"    ? "Quick status: portfolio, positions, risk, last update"
               : n == "summary" ? "Daily summary: positions, P&L, trades today, risk, alerts"
                                : "Health check: daemon, database, data feed, risk, disk, errors");
        on_run(sub, ctx, [&ctx, n] {
            bool up = false;
            const json j = query(ctx, n, &up);
            if (ctx.json) {
                json out = j;
                if (out.is_object()) out["daemon_running"] = up;
                print_json(out);
            } else if (n == "status") {
                std::cout << format_status(j, up);
            } else if (n == "summary") {
                std::cout << format_summary(j);
            } else {
                std::cout << format_health(j, SystemClock().now());
            }
            return 0;
        });
    }
    // stop
    {
        auto* sub = app.add_subcommand("stop", "Stop the daemon (--emergency: close everything "
                                               "at market first)");
        auto emergency = std::make_shared<bool>(false);
        auto reason = std::make_shared<std::string>();
        sub->add_flag("--emergency", *emergency, "Close all positions at market, stop, and refuse "
                                                 "to start until `aurum run --acknowledge-stop`");
        sub->add_option("--reason", *reason, "Why (required with --emergency)");
        on_run(sub, ctx, [&ctx, emergency, reason] {
            const Workspace ws = ctx.workspace();
            const auto info = read_daemon_info(ws);
            if (*emergency) {
                require_reason("stop --emergency", *reason);
                const int rc = send_command(ctx, make_command(CommandKind::EmergencyStop, *reason));
                if (rc == 0 && info && process_alive(info->pid) && !ctx.json) {
                    std::cout << "Waiting for the daemon to close positions and exit...\n";
                    if (!wait_for_exit(info->pid, 60))
                        std::cout << "The daemon is still closing positions (market orders fill "
                                     "at the next bar in paper mode); `aurum status` shows "
                                     "progress.\n";
                }
                return rc;
            }
            auto cli = connect_daemon(ws);
            if (!cli) throw InputError("stop: no daemon is running in " + ws.home().string());
            int status = 0;
            const json r = cli->post("/api/shutdown", json::object(), &status);
            if (status != 200) throw SystemError("stop: " + r.value("message", r.dump()));
            wait_for_exit(info->pid, 30);
            std::cout << "Daemon stopped (session kept; `aurum run` with the same options resumes "
                         "it).\n";
            return 0;
        });
    }
    // pause / resume
    {
        auto* sub = app.add_subcommand("pause", "Pause trading: close positions gracefully, block "
                                                "entries, resume automatically");
        auto duration = std::make_shared<std::string>();
        auto reason = std::make_shared<std::string>();
        auto keep = std::make_shared<bool>(false);
        sub->add_option("--duration", *duration, "How long (24h, 90m, 2d)")->required();
        sub->add_option("--reason", *reason, "Why (audited)")->required();
        sub->add_flag("--keep-positions", *keep, "Only block new entries; keep what is open");
        on_run(sub, ctx, [&ctx, duration, reason, keep] {
            const auto d = parse_duration(*duration);
            if (!d || *d <= 0)
                throw InputError("pause: --duration: expected a duration such as 24h, 90m or 2d, "
                                 "got '" + *duration + "'");
            require_reason("pause", *reason);
            Command c = make_command(CommandKind::Pause, *reason);
            c.duration = *d;
            c.close = !*keep;
            return send_command(ctx, c);
        });
        auto* res = app.add_subcommand("resume", "Resume trading after a pause");
        auto rreason = std::make_shared<std::string>("manual resume");
        res->add_option("--reason", *rreason, "Why (audited)");
        on_run(res, ctx, [&ctx, rreason] {
            return send_command(ctx, make_command(CommandKind::Resume, *rreason));
        });
    }
    // trade
    {
        auto* sub = app.add_subcommand("trade", "Manual trade, through the risk manager");
        auto symbol = std::make_shared<std::string>();
        auto side = std::make_shared<std::string>();
        auto amount = std::make_shared<double>(0);
        auto reason = std::make_shared<std::string>();
        sub->add_option("--symbol", *symbol, "Symbol (BTC/USDT)")->required();
        sub->add_option("--side", *side, "long, short or close")->required();
        sub->add_option("--amount", *amount, "Quantity in base units (0.1 = 0.1 BTC); close: "
                                             "default all");
        sub->add_option("--reason", *reason, "Why (audited)")->required();
        on_run(sub, ctx, [&ctx, symbol, side, amount, reason] {
            Command c = make_command(CommandKind::Trade, *reason);
            c.side = parse_trade_side(*side);
            if (!std::isfinite(*amount) || *amount < 0 ||
                (c.side != TradeSide::Close && *amount <= 0))
                throw InputError(fmt::format("trade: --amount must be positive, got {}", *amount));
            c.amount = *amount;
            c.symbol = normalize_symbol(*symbol);
            ctx.instruments().get(c.symbol); // unknown symbols fail here, before anything is sent
            require_reason("trade", *reason);
            return send_command(ctx, c);
        });
    }
    // risk show|set
    {
        auto* risk = app.add_subcommand("risk", "Show or change the risk limits (applied at once, "
                                                "persisted, audited)");
        risk->require_subcommand(1);
        auto* show = risk->add_subcommand("show", "Limits, trading state, recent risk decisions");
        on_run(show, ctx, [&ctx] {
            bool up = false;
            const json j = query(ctx, "risk", &up);
            if (ctx.json)
                print_json(j);
            else
                std::cout << format_risk(j);
            return 0;
        });
        auto* set = risk->add_subcommand("set", "Change limits: --max-position 0.15 ...");
        auto values = std::make_shared<std::map<std::string, std::string>>();
        auto reason = std::make_shared<std::string>("manual change");
        for (const auto& [key, v] : risk_limit_fields(RiskLimits{})) {
            std::string flag = "--" + key;
            for (char& c : flag)
                if (c == '_') c = '-';
            set->add_option_function<std::string>(
                flag, [values, k = key](const std::string& val) { (*values)[k] = val; },
                "New value of " + key);
        }
        set->add_option("--reason", *reason, "Why (audited)");
        auto confirm = std::make_shared<bool>(false);
        set->add_flag("--confirm", *confirm, "Accept a change that loosens a limit by more than "
                                             "risk.max_loosen_factor (default 2x)");
        on_run(set, ctx, [&ctx, values, reason, confirm] {
            if (values->empty())
                throw InputError("risk set: give at least one limit, e.g. --max-position 0.15");
            Command c = make_command(CommandKind::RiskSet, *reason);
            c.changes = *values;
            c.confirm_loosen = *confirm;
            // Validate against the file's limits first (values, contradictions, loosening): a
            // refused change writes nothing, daemon up or down.
            apply_risk_changes(load_risk_limits(ctx.workspace().config_file("risk.yaml").string()),
                               c);
            return send_command(ctx, c);
        });
    }
    // signals list|approve|reject
    {
        auto* sig = app.add_subcommand("signals", "Human approval queue of strategy signals");
        sig->require_subcommand(1);
        auto* list = sig->add_subcommand("list", "List signals");
        auto status = std::make_shared<std::string>("pending");
        list->add_option("--status", *status, "pending, approved, refused, rejected, expired or all")
            ->check(CLI::IsMember({"pending", "approved", "refused", "rejected", "expired", "all"}));
        on_run(list, ctx, [&ctx, status] {
            json j;
            if (auto cli = connect_daemon(ctx.workspace())) {
                j = cli->get("/api/signals?status=" + *status);
            } else {
                auto store = ctx.open_store();
                StateStore st(store->database());
                j = query_signals(st, *status);
            }
            if (ctx.json)
                print_json(j);
            else
                std::cout << format_signals(j);
            return 0;
        });
        for (const char* verb : {"approve", "reject"}) {
            const std::string v = verb;
            auto* sub = sig->add_subcommand(v, v == "approve" ? "Approve a pending signal (it "
                                                                "trades through the risk manager)"
                                                              : "Reject a pending signal");
            auto id = std::make_shared<std::int64_t>(0);
            auto reason = std::make_shared<std::string>();
            sub->add_option("id", *id, "Signal id (from `aurum signals list`)")->required();
            sub->add_option("--reason", *reason, "Why (audited)");
            on_run(sub, ctx, [&ctx, v, id, reason] {
                if (*id <= 0)
                    throw InputError(fmt::format("signals {}: id must be a signal id (> 0), got {}",
                                                 v, *id));
                Command c = make_command(v == "approve" ? CommandKind::SignalApprove
                                                        : CommandKind::SignalReject,
                                         reason->empty() ? v : *reason);
                c.id = *id;
                return send_command(ctx, c);
            });
        }
    }
    // killswitch reset
    {
        auto* ks = app.add_subcommand("killswitch", "The kill switch (drawdown circuit breaker)");
        ks->require_subcommand(1);
        auto* reset = ks->add_subcommand("reset", "Leave HALTED: needs an explicit confirmation");
        auto confirm = std::make_shared<std::string>();
        reset->add_option("--confirm", *confirm, "Why it is safe to trade again (audited)")
            ->required();
        on_run(reset, ctx, [&ctx, confirm] {
            require_reason("killswitch reset --confirm", *confirm);
            Command c = make_command(CommandKind::KillswitchReset);
            c.confirm = *confirm;
            return send_command(ctx, c);
        });
    }
    // restart
    {
        auto* sub = app.add_subcommand("restart", "Stop the daemon and start it again with the "
                                                  "same options (reloads config files)");
        on_run(sub, ctx, [&ctx] {
            const Workspace ws = ctx.workspace();
            const auto info = read_daemon_info(ws);
            auto cli = connect_daemon(ws);
            if (!cli || !info) throw InputError("restart: no daemon is running in " + ws.home().string());
            int status = 0;
            cli->post("/api/shutdown", json::object(), &status);
            if (!wait_for_exit(info->pid, 60))
                throw SystemError(fmt::format("restart: daemon pid {} did not stop", info->pid));
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
                for (const auto& a : info->args) argv.push_back(const_cast<char*>(a.c_str()));
                argv.push_back(nullptr);
                ::execv("/proc/self/exe", argv.data());
                ::_exit(127);
            }
            std::cout << fmt::format("Daemon restarted (pid {}); output in logs/daemon.out\n", pid);
            return 0;
        });
    }
}

} // namespace aurum
