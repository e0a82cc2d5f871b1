#pragma once
// The web dashboard's HTTP server: one origin serving the built front end (web/dist) and the
// JSON API of docs/dashboard-api.md. Reads come from the live layer's queries on the server's
// own database connection; every POST becomes the one typed Command on the daemon's queue (the
// same risk manager and audit log as the CLI), and live events stream as Server-Sent Events.
// Without a daemon (`aurum dashboard`) it serves the same reads and refuses every POST (409).
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/instrument.hpp"
#include "core/workspace.hpp"
#include "live/control.hpp"
#include "live/event_bus.hpp"
#include "surfaces/dashboard_auth.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
} // namespace httplib

namespace aurum {

class MarketStore;
class StateStore;
class DashboardCache;

/// Worker threads of the dashboard server (each open event stream holds one).
inline constexpr int kDashboardWorkers = 16;
/// Event streams served at once; more are refused (503) so reads always find a worker.
inline constexpr int kDashboardMaxStreams = 8;

/// Everything the dashboard server is given.
struct DashboardServerOptions {
    Workspace ws{"."};
    std::string db_spec;
    InstrumentRegistry instruments;
    std::string mode = "offline";    ///< the session's mode, or "offline" without a daemon
    /// The daemon's queue; null: read-only (POSTs answer 409 with `read_only_reason`).
    CommandQueue* queue = nullptr;
    /// The daemon's queries (route_query names + "order_preview"); null: route_query on the
    /// server's own connection with the daemon down.
    std::function<nlohmann::json(const std::string&, const nlohmann::json&)> base;
    EventBus* events = nullptr;      ///< null: heartbeats only
    std::string read_only_reason =
        "daemon not running: controls are disabled (start it with `aurum run`)";
    std::filesystem::path web_dir;   ///< empty: find_web_dir()
    int heartbeat_ms = 15000;
};

/// The directory of the built front end: AURUM_WEB_DIR, <binary dir>/../share/aurum/web, the
/// source tree's web/dist (first holding an index.html); empty when none is built.
std::filesystem::path find_web_dir();

/// The dashboard server. Thread-safe; start() once.
class DashboardServer {
  public:
    explicit DashboardServer(DashboardServerOptions options);
    ~DashboardServer();
    DashboardServer(const DashboardServer&) = delete;
    DashboardServer& operator=(const DashboardServer&) = delete;

    /// Binds `bind`:`port` (0: any free port), publishes data/dashboard.json and serves on a
    /// thread. Returns the port. Throws SystemError when it cannot bind.
    int start(const std::string& bind, int port);
    void stop();
    /// A login URL with a fresh one-time token.
    std::string login_url();
    int port() const { return info_.port; }

  private:
    void routes();
    void serve_api_get(const std::string& name, const httplib::Request& req,
                       httplib::Response& res);
    void serve_command(const std::string& kind, const httplib::Request& req,
                       httplib::Response& res);
    void serve_preview(const httplib::Request& req, httplib::Response& res);
    void serve_events(httplib::Response& res);
    void serve_static(const httplib::Request& req, httplib::Response& res);
    nlohmann::json base_query(const std::string& name, const nlohmann::json& params);

    DashboardServerOptions o_;
    DashboardInfo info_;
    DashboardSessions sessions_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    std::mutex db_mutex_; ///< one connection: reads are serialised
    std::unique_ptr<MarketStore> market_;
    std::unique_ptr<StateStore> store_;
    std::unique_ptr<DashboardCache> cache_; ///< under db_mutex_
    std::filesystem::path web_dir_;
    std::atomic<bool> stopping_{false};
    std::atomic<int> streams_{0};
};

} // namespace aurum
