#include "surfaces/control_api_client.hpp"

#include <httplib.h>

#include "core/error.hpp"
#include "live/control.hpp"

namespace aurum {

ControlApiClient::ControlApiClient(std::string base_url, std::string token)
    : base_(std::move(base_url)), token_(std::move(token)) {}

nlohmann::json ControlApiClient::get(const std::string& path) const {
    httplib::Client cli(base_);
    cli.set_connection_timeout(2);
    cli.set_read_timeout(30);
    auto res = cli.Get(path, {{"Authorization", "Bearer " + token_}});
    if (!res) throw SystemError("control API " + base_ + ": unreachable (" + httplib::to_string(res.error()) + ")");
    if (res->status != 200) {
        std::string msg = res->body;
        try {
            msg = nlohmann::json::parse(res->body).value("error", res->body);
        } catch (...) {
        }
        throw SystemError("control API " + base_ + path + ": HTTP " + std::to_string(res->status) +
                          ": " + msg);
    }
    return nlohmann::json::parse(res->body);
}

nlohmann::json ControlApiClient::post(const std::string& path, const nlohmann::json& body,
                                      int* http_status) const {
    httplib::Client cli(base_);
    cli.set_connection_timeout(2);
    cli.set_read_timeout(120);
    auto res = cli.Post(path, {{"Authorization", "Bearer " + token_}}, body.dump(),
                        "application/json");
    if (!res) throw SystemError("control API " + base_ + ": unreachable (" + httplib::to_string(res.error()) + ")");
    if (http_status) *http_status = res->status;
    try {
        return nlohmann::json::parse(res->body);
    } catch (...) {
        return nlohmann::json{{"exit_code", 2}, {"message", res->body}};
    }
}

CommandOutcome ControlApiClient::send(const Command& c) const {
    int status = 0;
    const nlohmann::json r = post("/api/commands/" + to_string(c.kind), c.to_json(), &status);
    CommandOutcome o;
    o.exit_code = r.value("exit_code", status == 200 ? 0 : 2);
    o.message = r.value("message", "");
    o.data = r.value("data", nlohmann::json::object());
    if (status == 401) throw SystemError("control API refused the token: " + o.message);
    return o;
}

std::optional<ControlApiClient> connect_daemon(const Workspace& ws) {
    const auto info = read_daemon_info(ws);
    // Only the lock holder is the daemon: a stale daemon.json's pid may be any other process.
    if (!info || !daemon_running(ws)) return std::nullopt;
    const auto token = read_token(ws);
    if (!token) return std::nullopt;
    return ControlApiClient("http://127.0.0.1:" + std::to_string(info->port), *token);
}

} // namespace aurum
