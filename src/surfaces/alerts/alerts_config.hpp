#pragma once
// config/alerts.yaml and the alert credentials (secrets/alerts.json with mode 0600, or
// environment variables, never logged): which channels, their routing, pacing, quiet hours and
// the Telegram bot's allowlist. Every error names file:line and key (exit 2, nothing sent).
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "live/alert_outbox.hpp"
#include "surfaces/alerts/alert_channels.hpp"
#include "surfaces/alerts/alert_dispatcher.hpp"

namespace aurum {

/// A Telegram user's rights: a viewer reads, an operator also commands.
enum class TelegramRole { Viewer, Operator };

/// The two-way Telegram bot's settings.
struct TelegramCommandsConfig {
    bool enabled = false;
    std::map<std::string, TelegramRole> users; ///< user id -> role (the allowlist)
    std::vector<std::string> chats;            ///< chats commands are taken from (default: chat_ids)
    bool allow_groups = false;                 ///< private chats only unless true
    int rate_limit_per_minute = 20;            ///< per user; more is refused, not queued
    TimeMs confirm_ttl_ms = 2 * kMsPerMinute;  ///< /stop confirmation button lifetime
    TimeMs poll_timeout_s = 25;                ///< getUpdates long-poll timeout
};

struct ChannelConfig {
    bool enabled = false;
    AlertSeverity min_severity = AlertSeverity::Info;
    bool digest_info = true;
};

/// Everything in config/alerts.yaml, credentials resolved.
struct AlertsConfig {
    bool enabled = false;
    DispatchPolicy policy;
    long timeout_ms = 10000;
    TimeMs watchdog_stale_ms = 2 * kMsPerMinute;

    ChannelConfig telegram;
    std::string telegram_base_url = "https://api.telegram.org";
    std::vector<std::string> telegram_chats;
    std::string telegram_token;
    TelegramCommandsConfig commands;

    ChannelConfig discord;
    std::string discord_webhook_url;

    ChannelConfig slack;
    std::string slack_webhook_url;

    ChannelConfig email;
    EmailSettings smtp;

    /// True when any channel is enabled.
    bool any_channel() const;
};

/// Where the credentials come from: `<home>/secrets/alerts.json` and the environment
/// (AURUM_TELEGRAM_BOT_TOKEN, AURUM_DISCORD_WEBHOOK_URL, AURUM_SLACK_WEBHOOK_URL,
/// AURUM_SMTP_USERNAME, AURUM_SMTP_PASSWORD; the environment wins).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_env();

/// Reads config/alerts.yaml (alerts disabled when missing) and the credentials. InputError
/// naming file:line and key for an unknown key or channel, a missing token, a credentials file
/// readable by others.
AlertsConfig load_alerts_config(const std::filesystem::path& yaml,
                                const std::filesystem::path& home, const EnvLookup& env);

/// The channels of a config, in a fixed order (telegram chats, discord, slack, email).
std::vector<ChannelRoute> make_channel_routes(const AlertsConfig& c);

} // namespace aurum
