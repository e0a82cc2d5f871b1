#pragma once
// The CLI's side of the control API.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/workspace.hpp"
#include "live/command.hpp"
#include "live/live_session.hpp"

namespace aurum {

/// Talks to a daemon at `base_url` ("http://127.0.0.1:PORT") with a token.
class ControlApiClient {
public:
    ControlApiClient(std::string base_url, std::string token);
    /// GET; throws SystemError when the daemon cannot be reached or answers non-200.
    nlohmann::json get(const std::string& path) const;
    /// POST; returns the body and sets `http_status`. Throws SystemError when unreachable.
    nlohmann::json post(const std::string& path, const nlohmann::json& body,
                        int* http_status) const;
    /// POSTs `c` to /api/commands/<kind> and returns the daemon's outcome (exit_code 2 when it
    /// sent none). Throws SystemError when unreachable or when the token is refused.
    CommandOutcome send(const Command& c) const;

private:
    std::string base_, token_;
};

/// A client for the workspace's running daemon, or nullopt when none answers
/// (no daemon.json, the daemon lock not held, or no token).
std::optional<ControlApiClient> connect_daemon(const Workspace& ws);

} // namespace aurum
