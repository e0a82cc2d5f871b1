#pragma once
// The daemon's control API: HTTP on 127.0.0.1, every request needs the workspace token
// (`Authorization: Bearer <token>`), handlers are thin over the live layer's queries and the
// command queue that the engine thread drains.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "live/control.hpp"

namespace httplib {
class Server;
}

namespace aurum {

/// Worker threads of the control API (idle connections each hold one until the timeout).
inline constexpr int kControlWorkers = 64;
/// A connection silent for this long (reading or writing) is closed.
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

private:
    std::string token_;
    CommandQueue& queue_;
    QueryFn query_;
    std::atomic<bool>& stop_flag_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
};

/// HTTP status for a command outcome: 200 ok, 409 refused by a check, 400 bad input.
int http_status_of(const CommandOutcome& o);

} // namespace aurum
