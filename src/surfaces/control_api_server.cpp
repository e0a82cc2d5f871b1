#include "surfaces/control_api_server.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "live/command.hpp"
#include "surfaces/bounded_http_server.hpp"

namespace aurum {

using nlohmann::json;

int http_status_of(const CommandOutcome& o) {
    return o.exit_code == 0 ? 200 : o.exit_code == 1 ? 409 : 400;
}

ControlApiServer::ControlApiServer(std::string token, CommandQueue& queue, QueryFn query,
                                   std::atomic<bool>& stop_flag)
    : token_(std::move(token)), queue_(queue), query_(std::move(query)), stop_flag_(stop_flag) {}

ControlApiServer::~ControlApiServer() { stop(); }

namespace {
void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
}
} // namespace

int ControlApiServer::start(int port) {
    // Idle, slow or flooding clients (no token is needed to open a TCP connection) must not
    // starve the API: requests are read whole by one poll thread with a deadline each, workers
    // only answer, and the open connections are capped (bounded_http_server.hpp).
    HttpServerLimits limits;
    limits.workers = kControlWorkers;
    limits.max_connections = kControlMaxConnections;
    limits.request_deadline_ms = kIoTimeoutSeconds * 1000;
    limits.write_timeout_ms = kIoTimeoutSeconds * 1000;
    server_ = std::make_unique<BoundedHttpServer>(limits);
    auto& srv = *server_;
    srv.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        const std::string auth = req.get_header_value("Authorization");
        if (auth != "Bearer " + token_) {
            reply(res, 401, json{{"error", auth.empty() ? "missing control token (send "
                                                          "Authorization: Bearer <token> from "
                                                          "data/control.token)"
                                                        : "wrong control token"}});
            spdlog::warn("control API: refused {} {} from {} ({})", req.method, req.path,
                         req.remote_addr, auth.empty() ? "no token" : "wrong token");
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    srv.Get(R"(/api/(status|summary|health|risk|signals|tickets))",
            [this](const httplib::Request& req, httplib::Response& res) {
                json params = json::object();
                for (const auto& [k, v] : req.params) params[k] = v;
                try {
                    reply(res, 200, query_(req.matches[1], params));
                } catch (const InputError& e) {
                    reply(res, 400, json{{"error", e.what()}});
                } catch (const std::exception& e) {
                    reply(res, 500, json{{"error", e.what()}});
                }
            });
    srv.Post(R"(/api/commands/([a-z_]+))",
             [this](const httplib::Request& req, httplib::Response& res) {
                 json args;
                 try {
                     args = req.body.empty() ? json::object() : json::parse(req.body);
                 } catch (const std::exception&) {
                     reply(res, 400, json{{"exit_code", 2},
                                          {"message", "bad JSON body: expected a JSON object of "
                                                      "the command's fields"}});
                     return;
                 }
                 // Parsed here, at the boundary: a bad field is a 400 naming it, and the
                 // engine only ever sees well-formed commands.
                 Command cmd;
                 try {
                     cmd = parse_command(std::string(req.matches[1]), args);
                 } catch (const InputError& e) {
                     reply(res, 400, json{{"exit_code", 2}, {"message", e.what()}});
                     return;
                 }
                 const CommandOutcome o = queue_.submit(to_string(cmd.kind), cmd.to_json());
                 reply(res, http_status_of(o),
                       json{{"exit_code", o.exit_code}, {"message", o.message}, {"data", o.data}});
             });
    srv.Post("/api/shutdown", [this](const httplib::Request&, httplib::Response& res) {
        stop_flag_.store(true);
        queue_.notify();
        reply(res, 200, json{{"exit_code", 0}, {"message", "daemon stopping"}});
    });
    try {
        return srv.bind_and_serve("127.0.0.1", port);
    } catch (const SystemError&) {
        throw SystemError("control API: cannot bind 127.0.0.1:" + std::to_string(port));
    }
}

void ControlApiServer::stop() {
    if (server_) server_->shutdown();
}

int ControlApiServer::open_connections() const { return server_ ? server_->open_connections() : 0; }

} // namespace aurum
