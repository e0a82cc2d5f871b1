#pragma once
// Access to the dashboard, like Jupyter: a one-time login token in a URL printed to the user
// (who can read the workspace's files), exchanged for an HttpOnly session cookie, plus a CSRF
// token that every POST must echo in a header.
#include <cstddef>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/time.hpp"
#include "core/workspace.hpp"

namespace aurum {

/// How long a login token printed in a URL stays valid when unused.
inline constexpr TimeMs kLoginTokenLifetime = 24 * kMsPerHour;

/// <home>/data/dashboard.tokens: unused login tokens with their expiry (mode 0600).
std::filesystem::path login_tokens_path(const Workspace& ws);
/// Adds a fresh random login token (valid kLoginTokenLifetime) and returns it.
std::string mint_login_token(const Workspace& ws, TimeMs now);
/// True when `token` is listed and unexpired; it is removed either way (one use only).
bool consume_login_token(const Workspace& ws, const std::string& token, TimeMs now);

/// Where a dashboard is served, published in <home>/data/dashboard.json while it runs.
struct DashboardInfo {
    int pid = 0;
    std::string bind = "127.0.0.1";
    int port = 0;
    std::string mode; ///< "paper" | "live" | "offline"
};
std::filesystem::path dashboard_info_path(const Workspace& ws);
void write_dashboard_info(const Workspace& ws, const DashboardInfo& info);
/// The published info; nullopt when absent, unreadable, or its process is gone.
std::optional<DashboardInfo> read_dashboard_info(const Workspace& ws);
/// Removes the file when it names this process.
void remove_dashboard_info(const Workspace& ws);
/// "http://127.0.0.1:8501/login?token=..." (a wildcard bind is shown as 127.0.0.1).
std::string dashboard_login_url(const DashboardInfo& info, const std::string& token);

/// Random hex (`bytes` random bytes) from the system's entropy source.
std::string random_hex(std::size_t bytes);

/// The browser sessions of one server: session cookie -> CSRF token. Thread-safe.
class DashboardSessions {
  public:
    struct Session {
        std::string cookie, csrf;
    };
    Session create();
    /// The CSRF token of a live session; nullopt for an unknown cookie.
    std::optional<std::string> csrf_for(const std::string& cookie) const;
    void remove(const std::string& cookie);

  private:
    static constexpr std::size_t kMaxSessions = 1000;
    mutable std::mutex m_;
    std::map<std::string, std::string> sessions_;
};

/// The value of cookie `name` in a Cookie header ("a=1; aurum_session=x"), or "".
std::string cookie_value(const std::string& header, const std::string& name);

} // namespace aurum
