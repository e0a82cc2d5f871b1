#pragma once
// Readable text for the status queries, shaped like the seed's examples (quick_status,
// daily_summary, health_check).
#include <string>

#include <nlohmann/json.hpp>

#include "core/time.hpp"

namespace aurum {

std::string format_status(const nlohmann::json& status, bool daemon_up);
std::string format_summary(const nlohmann::json& summary);
std::string format_health(const nlohmann::json& health, TimeMs wall_now);
std::string format_risk(const nlohmann::json& risk);
std::string format_signals(const nlohmann::json& signals);
/// `aurum tickets list`: the gold desk's tickets as a table.
std::string format_tickets(const nlohmann::json& tickets);
/// "$10,382.15"
std::string format_money(double v, bool sign = false);

} // namespace aurum
