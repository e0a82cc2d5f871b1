#pragma once
// `aurum watchdog`: run from cron or a systemd timer, outside the daemon. Reads the daemon's
// heartbeat from the database and the workspace lock; when the daemon died (lock released
// while the heartbeat still says running) or hangs (heartbeat older than stale_after), raises
// one critical alert per incident and delivers it (with anything the daemon left undelivered).
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/workspace.hpp"
#include "data/database.hpp"
#include "surfaces/alerts/alerts_config.hpp"

namespace aurum {

struct WatchdogResult {
    bool alive = true;    ///< false: the daemon is down or hung
    std::string text;     ///< in words
    std::int64_t alert_id = 0; ///< the alert raised now (0: none, or reported before)
};

/// One watchdog check; delivers pending alerts for up to `deliver_ms`.
WatchdogResult run_watchdog(const Workspace& ws, Database& db, const AlertsConfig& config,
                            const Clock& clock, TimeMs deliver_ms);

/// Runs `dispatcher` until nothing is queued or `budget_ms` has passed (sleeping in between).
void deliver_pending(AlertDispatcher& dispatcher, const Clock& clock, TimeMs budget_ms);

/// config/alerts.yaml of a workspace with its credentials (process environment).
AlertsConfig load_workspace_alerts(const Workspace& ws);

} // namespace aurum
