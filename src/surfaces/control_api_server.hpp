#pragma once
// The daemon's control API: HTTP on 127.0.0.1, every request needs the workspace token
// (`Authorization: Bearer <token>`), handlers are thin over the live layer's queries and the
// command queue that the engine thread drains.
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "live/control.hpp"

namespace aurum {

class BoundedHttpServer;

/// Worker threads of the control API. They only ever see whole requests (the reader thread of
/// BoundedHttpServer reads them), so idle or slow clients hold none.
inline constexpr int kControlWorkers = 8;
/// Hard cap on open control connections; at the cap the oldest unfinished request is dropped.
inline constexpr int kControlMaxConnections = 128;
/// A request must arrive whole within this long after connecting (reading), and its answer be
/// taken within this long (writing); otherwise the connection is closed.
inline constexpr int kIoTimeoutSeconds = 2;

/// Serves GET /api/{status,summary,health,risk,signals} and POST /api/commands/<kind>,
/// POST /api/shutdown.
class ControlApiServer {
public:
    /// `query(name, params)` answers a GET (called on server threads; must be thread-safe).
    using QueryFn = std::function<nlohmann::json(const std::string& name,
                                                 const nlohmann::json& params)>;
    ControlApiServer(std::string token, CommandQueue& queue, QueryFn query,
                     std::atomic<bool>& stop_flag);
    ~ControlApiServer();

    /// Binds 127.0.0.1:`port` (0: any free port) and serves on a thread. Returns the port.
    /// Throws SystemError when it cannot bind.
    int start(int port);
    void stop();
    /// Connections open now (tests and the benchmark watch the cap).
    int open_connections() const;

private:
    std::string token_;
    CommandQueue& queue_;
    QueryFn query_;
    std::atomic<bool>& stop_flag_;
    std::unique_ptr<BoundedHttpServer> server_;
};

/// HTTP status for a command outcome: 200 ok, 409 refused by a check, 400 bad input.
int http_status_of(const CommandOutcome& o);

} // namespace aurum
