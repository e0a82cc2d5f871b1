#pragma once
// The daemon's alert service (injected through DaemonEnvironment::make_alerts): the delivery
// worker on its own database connection and, when configured, the Telegram bot on another.
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "live/daemon_app.hpp"
#include "surfaces/alerts/alerts_config.hpp"

namespace aurum {

/// Starts delivery (and the bot) now; DaemonService::stop() drains briefly and joins.
std::unique_ptr<DaemonService> make_alert_service(const AlertsConfig& config,
                                                  const std::string& db_spec, CommandQueue& queue,
                                                  QueryFn query, const Clock& clock);

/// The factory the daemon gets: empty when alerts are disabled or no channel is enabled.
DaemonServiceFactory alert_service_factory(const AlertsConfig& config, const std::string& db_spec);

/// Acknowledges an alert (`aurum alerts ack`, /ack): the repeats stop; audited.
bool acknowledge_alert(Database& db, std::int64_t id, const std::string& by, TimeMs wall_now);

} // namespace aurum
