// `aurum dashboard`: the web dashboard. With a daemon running it prints the daemon's login URL;
// without one it serves the same pages read-only from the database until Ctrl-C. Also the
// daemon's dashboard wiring (`aurum run` serves it on live.yaml's dashboard.port).
#include <chrono>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "live/control.hpp"
#include "live/daemon_app.hpp"
#include "surfaces/dashboard_server.hpp"

namespace aurum {

namespace {

/// The surfaces' dashboard behind the daemon application's interface.
class HttpDashboard final : public DashboardService {
  public:
    explicit HttpDashboard(DashboardServerOptions o) : server_(std::move(o)) {}
    int start(const std::string& bind, int port) override { return server_.start(bind, port); }
    void stop() override { server_.stop(); }
    std::string login_url() override { return server_.login_url(); }

  private:
    DashboardServer server_;
};

struct DashboardFlags {
    bool url = false;
    int port = -1;
    std::string bind;
    std::string web_dir;
};

int dashboard_command(CliContext& ctx, const DashboardFlags& f) {
    const Workspace ws = ctx.workspace();
    if (f.port > 65535) throw InputError(fmt::format("dashboard: --port must be in 0..65535, got {}", f.port));
    if (auto info = read_dashboard_info(ws)) {
        // Someone serves it already (the daemon, or another `aurum dashboard`): a fresh link.
        std::cout << fmt::format("{} dashboard: {}\n",
                                 info->mode == "offline" ? "Read-only" : "The daemon's",
                                 dashboard_login_url(*info, mint_login_token(ws, SystemClock().now())));
        return 0;
    }
    if (daemon_running(ws))
        throw InputError("dashboard: the daemon runs without a dashboard (live.yaml "
                         "dashboard.enabled is false, or its port was taken: see the log); "
                         "restart it with the dashboard enabled");
    if (f.url)
        throw InputError("dashboard: no dashboard is being served in " + ws.home().string() +
                         "; `aurum run` serves one, or `aurum dashboard` serves it read-only");
    const LiveFileConfig file = load_live_config(ws.config_file("live.yaml"));
    DashboardServerOptions o;
    o.ws = ws;
    o.db_spec = ctx.db_spec();
    o.instruments = ctx.instruments();
    o.web_dir = f.web_dir;
    ws.ensure_dirs();
    DashboardServer server(std::move(o));
    const std::string bind = f.bind.empty() ? "127.0.0.1" : f.bind;
    server.start(bind, f.port >= 0 ? f.port : file.dashboard_port);
    install_stop_signals();
    std::atomic<bool>& stop = daemon_stop_flag();
    std::cout << fmt::format("Dashboard (read-only: the daemon is not running) at\n  {}\n"
                             "Open that link once to sign in. Press Ctrl-C to stop.\n",
                             server.login_url())
              << std::flush;
    while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    server.stop();
    return 0;
}

} // namespace

void attach_dashboard(DaemonEnvironment& env, const CliContext& ctx, bool print) {
    const Workspace ws = env.ws;
    const std::string db = ctx.db_spec();
    const InstrumentRegistry instruments = env.instruments;
    env.make_dashboard = [ws, db, instruments](DashboardWiring w) -> std::unique_ptr<DashboardService> {
        DashboardServerOptions o;
        o.ws = ws;
        o.db_spec = db;
        o.instruments = instruments;
        o.mode = w.mode;
        o.queue = &w.queue;
        o.base = std::move(w.query);
        o.events = &w.events;
        return std::make_unique<HttpDashboard>(std::move(o));
    };
    if (print)
        env.on_dashboard = [](const std::string& url) {
            std::cout << "Dashboard: " << url << "\n  (one-time sign-in link; `aurum dashboard "
                                                 "--url` prints a new one)\n"
                      << std::flush;
        };
    else
        env.on_dashboard = [](const std::string& url) { spdlog::info("dashboard: {}", url); };
}

void register_dashboard(CLI::App& app, CliContext& ctx) {
    auto* sub = app.add_subcommand(
        "dashboard", "Web dashboard: the daemon's login link, or without a daemon serve it "
                     "read-only from the database until Ctrl-C");
    auto f = std::make_shared<DashboardFlags>();
    sub->add_flag("--url", f->url, "Only print a fresh login link of the dashboard being served");
    sub->add_option("--port", f->port, "Port (default live.yaml dashboard.port or 8501; 0 = any free)");
    sub->add_option("--bind", f->bind, "Listen address (default 127.0.0.1; any other address "
                                       "exposes the dashboard to the network and warns)");
    sub->add_option("--web-dir", f->web_dir, "Directory of the built front end (default: "
                                             "AURUM_WEB_DIR, share/aurum/web next to the binary, "
                                             "web/dist)");
    on_run(sub, ctx, [&ctx, f] { return dashboard_command(ctx, *f); });
}

} // namespace aurum
