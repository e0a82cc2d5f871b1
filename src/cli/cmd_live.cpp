// `aurum run` (the paper/live daemon) and the commands that watch and steer it: status, summary,
// health, stop, pause, resume, trade, risk, signals, killswitch, restart. Thin handlers: the
// logic lives in src/live (session, queries, commands) and src/surfaces (control API, text).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>
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
#include "live/daemon_app.hpp"
#include "live/live_session.hpp"
#include "live/retrain.hpp"
#include "live/scheduler.hpp"
#include "surfaces/control_api_client.hpp"
#include "surfaces/control_api_server.hpp"
#include "surfaces/data_quality_report.hpp"
#include "surfaces/reports/session_reports.hpp"
#include "surfaces/status_format.hpp"
#include "surfaces/alerts/alert_service.hpp"
#include "surfaces/alerts/watchdog.hpp"

namespace aurum {

using nlohmann::json;

namespace {

void print_json(const json& j) { std::cout << j.dump(2) << "\n"; }

/// Sends a command to the daemon, or applies it offline when none runs. Prints the outcome.
int send_command(CliContext& ctx, const Command& cmd) {
    const Workspace ws = ctx.workspace();
    CommandOutcome o;
    if (auto cli = connect_daemon(ws)) {
        o = cli->send(cmd);
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
    std::optional<RiskLimits> limits;
    std::optional<std::string> risk_error;
    try {
        limits = load_risk_limits(ws.config_file("risk.yaml").string());
    } catch (const InputError& e) {
        risk_error = e.what();
    }
    QueryContext qc{st, ws, limits ? &*limits : nullptr, risk_error, read_daemon_info(ws),
                    false, SystemClock().now()};
    return route_query(name, json{{"status", "all"}}, qc);
}


std::string require_reason(const std::string& what, const std::string& reason) {
    if (reason.find_first_not_of(" \t") == std::string::npos)
        throw InputError(what + ": --reason is required (it goes into the audit log)");
    return reason;
}

/// `aurum restart`: stops the running daemon (if any) and starts its last command line again
/// (daemon.json, kept after a crash); succeeds only once the new daemon answers its control API.
int restart_daemon(CliContext& ctx) {
    const Workspace ws = ctx.workspace();
    const auto info = read_daemon_info(ws);
    if (!info || info->args.empty())
        throw InputError("restart: no daemon has run in " + ws.home().string() +
                         " since its last clean stop (no data/daemon.json); start one with "
                         "`aurum run`");
    if (daemon_running(ws)) {
        auto cli = connect_daemon(ws);
        if (!cli) throw SystemError("restart: the daemon runs but its control token is missing");
        int status = 0;
        cli->post("/api/shutdown", json::object(), &status);
        if (!wait_daemon_down(ws, 60))
            throw SystemError(fmt::format("restart: daemon pid {} did not stop within 60 s",
                                          info->pid));
    } else if (!ctx.quiet) {
        std::cout << "No daemon is running (it did not stop cleanly); starting its last command "
                     "line again.\n";
    }
    const auto out = ws.logs_dir() / "daemon.out";
    std::error_code ec;
    const auto offset = std::filesystem::exists(out) ? std::filesystem::file_size(out, ec) : 0;
    const pid_t pid = spawn_daemon(ws, info->args);
    // Serving = holds the lock, published its daemon.json, and answers with its session.
    for (int i = 0; i < 1200; ++i) {
        int st = 0;
        if (::waitpid(pid, &st, WNOHANG) == pid) {
            std::cerr << "error: restart: the new daemon exited ("
                      << (WIFEXITED(st) ? fmt::format("exit code {}", WEXITSTATUS(st))
                                        : fmt::format("signal {}", WTERMSIG(st)))
                      << ") before serving; logs/daemon.out says:\n"
                      << read_file_from(out, offset);
            return 1;
        }
        const auto now_info = read_daemon_info(ws);
        if (now_info && now_info->pid == pid && daemon_running(ws)) {
            if (auto cli = connect_daemon(ws)) {
                try {
                    const json s = cli->get("/api/status");
                    if (s.value("session", json()) == json(now_info->session)) {
                        std::cout << fmt::format("Daemon restarted (pid {}, session {}, port {}); "
                                                 "output in logs/daemon.out\n",
                                                 pid, now_info->session, now_info->port);
                        return 0;
                    }
                } catch (const SystemError&) {
                    // not answering yet
                }
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::cerr << fmt::format("error: restart: the new daemon (pid {}) is not serving after 120 s; "
                             "see logs/daemon.out\n",
                             pid);
    return 1;
}

/// The surfaces' HTTP control server behind the daemon application's interface.
class HttpControlServer final : public ControlServer {
  public:
    HttpControlServer(std::string token, CommandQueue& queue, QueryFn query,
                      std::atomic<bool>& stop)
        : server_(std::move(token), queue, std::move(query), stop) {}
    int start(int port) override { return server_.start(port); }
    void stop() override { server_.stop(); }

  private:
    ControlApiServer server_;
};

int run_command(CliContext& ctx, const RunFlags& flags) {
    const Workspace ws = ctx.workspace();
    const LiveFileConfig file = load_live_config(ws.config_file("live.yaml"));
    DaemonEnvironment env;
    env.ws = ws;
    env.db_spec = ctx.db_spec();
    env.instruments = ctx.instruments();
    const LiveOptions o = resolve_run_options(ws, env.instruments, file, flags);
    env.open_store = [&ctx] { return ctx.open_store(); };
    env.make_server = [](std::string token, CommandQueue& queue, QueryFn query,
                         std::atomic<bool>& stop) -> std::unique_ptr<ControlServer> {
        return std::make_unique<HttpControlServer>(std::move(token), queue, std::move(query),
                                                   stop);
    };
    env.format_daily_summary = [](const json& s) { return format_summary(s); };
    // The scheduled report jobs (daily_report, weekly_report, data_quality): the same code as
    // `aurum report`.
    env.write_report = [&ctx, &env](const std::string& kind, TimeMs t) {
        auto store = ctx.open_store();
        if (kind == "data-quality") {
            const auto cfg = ValidationConfig::load(env.ws.config_file("validation.yaml").string());
            const auto html = data_quality_report_path(env.ws.reports_dir(), t);
            write_data_quality_files(
                build_data_quality_report(*store, env.instruments, cfg, env.ws.logs_dir(), t), html);
            return html;
        }
        SessionReportRequest rq;
        rq.kind = kind;
        return write_session_report(rq, *store, env.ws, env.instruments, t).files.front();
    };
    // config/alerts.yaml: a bad one refuses the start (exit 2) before anything is written.
    env.make_alerts = alert_service_factory(load_workspace_alerts(ws), env.db_spec);
    attach_dashboard(env, ctx, !ctx.json);
    if (!ctx.json)
        env.on_started = [&](const LiveSession& session, int port) {
            std::cout << fmt::format(
                             "Aurum {} daemon: session {} ({} {} on {}, capital {}){}\nControl "
                             "API on 127.0.0.1:{} (token in {}). Try `aurum status`, `aurum "
                             "summary`, `aurum health`.\n",
                             o.mode, session.session_id(), o.replay ? "replay" : "real time",
                             o.timeframe.name(), session.session().symbols,
                             format_money(o.capital),
                             session.recovered() ? fmt::format("; resumed after {} recovered steps",
                                                               session.recovered_steps())
                                                 : "",
                             port, token_path(ws).string())
                      << std::flush;
        };
    const DaemonRunSummary r = run_daemon_app(env, o, file, flags);
    if (ctx.json)
        print_json(json{{"session", r.session},   {"reason", r.reason},
                        {"equity", r.equity},     {"cash", r.cash},
                        {"trades", r.trades},     {"steps", r.steps},
                        {"recovered_steps", r.recovered_steps}});
    else
        std::cout << fmt::format("Daemon stopped: {}. Equity {} ({} closed trades).\n", r.reason,
                                 format_money(r.equity), r.trades);
    return 0;
}

} // namespace

void register_live(CLI::App& app, CliContext& ctx) {
    // run
    {
        auto* sub = app.add_subcommand("run", "Run the trading daemon (paper: simulated fills) on "
                                              "a replayed or real-time clock");
        auto f = std::make_shared<RunFlags>();
        sub->add_option("--mode", f->mode, "paper or live")->check(CLI::IsMember({"paper", "live"}));
        sub->add_option("--capital", f->capital, "Starting capital in quote currency (default "
                                                 "config/live.yaml or 10000)");
        sub->add_option("--symbols", f->symbols, "Comma-separated symbols (BTC/USDT,ETH/USDT)");
        sub->add_option("--timeframe", f->timeframe, "Bar timeframe (default 4h)");
        sub->add_option("--strategy", f->strategy, "Rule strategy (sma-cross, rsi-reversion, "
                                                   "donchian-breakout, buy-hold), model (the "
                                                   "registry's production model; live.yaml "
                                                   "strategy.model picks which) or rl (the "
                                                   "production rl agents)");
        sub->add_option("--model", f->model, "Registry name traded by --strategy model or rl "
                                             "(its production version; default live.yaml "
                                             "strategy.model, else the production ones)");
        sub->add_option("--param", f->params, "Strategy parameter name=value (repeatable)");
        sub->add_option("--fraction", f->fraction, "Target position as a fraction of equity "
                                                   "(the risk manager caps it)");
        sub->add_option("--replay-from", f->replay_from, "Replay from this date (bars from the store)");
        sub->add_option("--replay-to", f->replay_to, "Replay up to this date (exclusive)");
        sub->add_option("--speed", f->speed, "Replay speed: market time per wall time "
                                             "(0 = as fast as possible)");
        sub->add_flag("--approval", f->approval, "Human approval: strategy entries wait in "
                                                 "`aurum signals`");
        sub->add_option("--port", f->port, "Control API port on 127.0.0.1 (0 = any free port)");
        sub->add_flag("--serve", f->serve, "After a replay ends, keep serving the control API");
        sub->add_flag("--acknowledge-stop", f->acknowledge_stop, "Start again after an emergency stop");
        sub->add_option("--reason", f->reason, "Why (with --acknowledge-stop)");
        sub->add_flag("--new-session", f->new_session, "Start a fresh session instead of "
                                                       "resuming the one with these options");
        sub->add_option("--dashboard-port", f->dashboard_port,
                        "Web dashboard port (default live.yaml dashboard.port or 8501; 0 = any "
                        "free port)");
        sub->add_option("--bind", f->bind, "Web dashboard address (default 127.0.0.1; any other "
                                           "address exposes it to the network and warns)");
        sub->add_flag("--no-dashboard", f->no_dashboard, "Do not serve the web dashboard");
        sub->add_flag("--confirm-live", f->confirm_live, "Required with --mode live: confirms that "
                                                         "real orders go to the exchange");
        sub->add_option("--exchange-url", f->exchange_url, "Live: exchange REST base URL "
                                                           "(default config/live.yaml "
                                                           "exchange.base_url)");
        sub->add_option("--stream-url", f->stream_url,
                        "Market streams base URL (default config/live.yaml exchange.stream_url)");
        sub->add_option("--ws-api-url", f->ws_api_url,
                        "Live: WebSocket API URL for the user data stream (default "
                        "config/live.yaml exchange.ws_api_url)");
        sub->add_option("--feed", f->feed,
                        "Paper in real time on the exchange's public market data: 'exchange' "
                        "(streams + REST, no keys; config/live.yaml exchange:)");
        on_run(sub, ctx, [&ctx, f] { return run_command(ctx, *f); });
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
            // Health fails (exit 1) when any of its checks fails.
            if (n == "health" && !j.value("failures", json::array()).empty()) return 1;
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
            if (*emergency) {
                require_reason("stop --emergency", *reason);
                const int rc = send_command(ctx, make_command(CommandKind::EmergencyStop, *reason));
                if (rc == 0 && daemon_running(ws) && !ctx.json) {
                    std::cout << "Waiting for the daemon to close positions and exit...\n";
                    if (!wait_daemon_down(ws, 60)) {
                        std::cout << "The daemon is still closing positions (market orders fill "
                                     "at the next bar in paper mode); `aurum status` shows "
                                     "progress.\n";
                        return rc;
                    }
                    // Down: say plainly what, if anything, it could not close.
                    bool up = false;
                    const json s = query(ctx, "status", &up);
                    if (s.contains("positions") && !s["positions"].empty()) {
                        std::string open;
                        for (const auto& p : s["positions"])
                            open += fmt::format("{}{} {}", open.empty() ? "" : ", ",
                                                p["symbol"].get<std::string>(),
                                                format_qty(p["qty"].get<double>()));
                        std::cerr << "error: stop --emergency: the daemon stopped (emergency stop "
                                     "in force) with position(s) still open: " << open
                                  << (s.value("session_status", "") == "complete"
                                          ? " (the replay had ended: paper orders fill at the "
                                            "next bar's open and there is none)"
                                          : "")
                                  << "; see logs/error.log\n";
                        return 1;
                    }
                    std::cout << "Emergency stop complete: no position open; the daemon stopped "
                                 "(`aurum run --acknowledge-stop --reason ...` starts again).\n";
                }
                return rc;
            }
            auto cli = connect_daemon(ws);
            if (!cli) throw InputError("stop: no daemon is running in " + ws.home().string());
            int status = 0;
            const json r = cli->post("/api/shutdown", json::object(), &status);
            if (status != 200) throw SystemError("stop: " + r.value("message", r.dump()));
            if (!wait_daemon_down(ws, 30))
                throw SystemError("stop: the daemon accepted the shutdown but still runs after 30 s");
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
    // tickets list|fill|cancel (the gold desk: docs/gold-desk.md)
    {
        auto* tk = app.add_subcommand("tickets", "Gold desk: broker tickets of approved MT5 "
                                                 "(XAUUSD) signals, and their fill reports");
        tk->require_subcommand(1);
        auto* list = tk->add_subcommand("list", "List tickets");
        auto status = std::make_shared<std::string>("open");
        list->add_option("--status", *status, "open, filled, cancelled or all")
            ->check(CLI::IsMember({"open", "filled", "cancelled", "all"}));
        on_run(list, ctx, [&ctx, status] {
            json j;
            if (auto cli = connect_daemon(ctx.workspace())) {
                j = cli->get("/api/tickets?status=" + *status);
            } else {
                auto store = ctx.open_store();
                StateStore st(store->database());
                j = query_tickets(st, *status);
            }
            if (ctx.json)
                print_json(j);
            else
                std::cout << format_tickets(j);
            return 0;
        });
        auto* fill = tk->add_subcommand("fill", "Report a ticket's fill at the broker");
        auto cancel = tk->add_subcommand("cancel", "Report that a ticket was not placed, and why");
        auto c = std::make_shared<Command>();
        for (auto* sub : {fill, cancel})
            sub->add_option("id", c->id, "Ticket id (from `aurum tickets list`)")->required();
        fill->add_option("--price", c->price, "Fill price at the broker")->required();
        fill->add_option("--lots", c->lots, "Lots filled")->required();
        fill->add_option("--broker-ticket", c->broker_ticket, "The broker's order/deal number");
        fill->add_option("--reason", c->reason, "Comment (audited)");
        cancel->add_option("--reason", c->reason, "Why it was not placed (audited)")->required();
        on_run(fill, ctx, [&ctx, c] {
            c->kind = CommandKind::TicketFill;
            return send_command(ctx, parse_command(c->kind, c->to_json()));
        });
        on_run(cancel, ctx, [&ctx, c] {
            c->kind = CommandKind::TicketCancel;
            return send_command(ctx, parse_command(c->kind, c->to_json()));
        });
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
        on_run(sub, ctx, [&ctx] { return restart_daemon(ctx); });
    }
}

} // namespace aurum
