#include "surfaces/alerts/watchdog.hpp"

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "live/control.hpp"
#include "live/daemon_app.hpp"
#include "live/session_alerts.hpp"
#include "live/state_store.hpp"

namespace aurum {

AlertsConfig load_workspace_alerts(const Workspace& ws) {
    return load_alerts_config(ws.config_file("alerts.yaml"), ws.home(), process_env());
}

void deliver_pending(AlertDispatcher& d, const Clock& clock, TimeMs budget_ms) {
    const TimeMs until = clock.now() + budget_ms;
    for (;;) {
        const TimeMs next = d.run_once(clock.now());
        if (d.idle() || clock.now() >= until) return;
        const TimeMs wait = std::clamp<TimeMs>(next - clock.now(), 10, until - clock.now());
        std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    }
}

WatchdogResult run_watchdog(const Workspace& ws, Database& db, const AlertsConfig& cfg,
                            const Clock& clock, TimeMs deliver_ms) {
    StateStore st(db);
    AlertStore alerts(db);
    WatchdogResult r;
    const TimeMs now = clock.now();
    const auto hb = read_heartbeat(st);
    if (!hb) {
        r.text = "no daemon has run in this workspace yet";
    } else if (hb->state == "stopped") {
        r.text = fmt::format("the daemon stopped cleanly at {} ({})", format_time(hb->wall),
                             hb->reason);
    } else {
        const bool up = daemon_running(ws);
        const TimeMs age = now - hb->wall;
        if (up && age <= cfg.watchdog_stale_ms) {
            r.text = fmt::format("daemon alive: pid {}, session {}, heartbeat {} ago", hb->pid,
                                 hb->session, format_duration(age));
        } else {
            r.alive = false;
            r.text = up ? fmt::format("daemon not responding: pid {} holds the lock but its last "
                                      "heartbeat was {} ago (stale after {})",
                                      hb->pid, format_duration(age),
                                      format_duration(cfg.watchdog_stale_ms))
                        : fmt::format("daemon down: pid {} (session {}) is gone without a clean "
                                      "stop; last heartbeat {} ago at {}. Restart it with `aurum "
                                      "restart`",
                                      hb->pid, hb->session, format_duration(age),
                                      format_time(hb->wall));
            // One alert per incident (the heartbeat it stopped at), however often cron runs us.
            const std::string incident = std::to_string(hb->pid) + ":" + std::to_string(hb->wall);
            if (st.get_kv("watchdog_reported") != incident) {
                Transaction tx(db);
                r.alert_id = alerts.insert(make_alert(now, up ? "daemon_hung" : "daemon_down",
                                                      AlertSeverity::Critical,
                                                      up ? "Daemon not responding" : "Daemon down",
                                                      r.text));
                st.put_kv("watchdog_reported", incident);
                tx.commit();
            }
        }
    }
    if (cfg.enabled && cfg.any_channel()) {
        AlertDispatcher d(db, make_channel_routes(cfg), cfg.policy);
        deliver_pending(d, clock, deliver_ms);
    }
    return r;
}

} // namespace aurum
