#pragma once
// The alert channels: Telegram Bot API (sendMessage, HTML, inline Approve/Reject buttons),
// Discord webhook, Slack incoming webhook and email over SMTP, each with its documented pace and
// its own reading of the answers (429 retry_after, 5xx, a webhook that no longer exists).
#include <memory>
#include <string>

#include "core/html.hpp"
#include <vector>

#include "core/time.hpp"
#include "live/alert_outbox.hpp"

namespace aurum {

/// What one send carries: an alert, a repeat of an unacknowledged critical one, or a digest of
/// info alerts.
struct AlertMessage {
    std::vector<AlertRecord> alerts; ///< one, or several for a digest
    bool digest = false;
    int repeat = 0; ///< > 0: the n-th reminder of an unacknowledged critical alert
    const AlertRecord& first() const { return alerts.front(); }
};

/// How a send went.
struct SendResult {
    enum class Kind {
        Sent,
        RetryAfter, ///< 429: wait retry_after_ms, then send the same message again
        Transient,  ///< 5xx, timeout, connection refused: retry with backoff
        Rejected,   ///< 4xx about this message (bad payload): give it up, channel fine
        Dead        ///< the channel is gone (webhook deleted, bot blocked, bad token)
    };
    Kind kind = Kind::Sent;
    TimeMs retry_after_ms = 0;
    std::string error;
};

/// A channel's documented pace: at most `count` messages per `per_ms`.
struct ChannelPace {
    int count = 1;
    TimeMs per_ms = 1000;
};

/// One destination.
class AlertChannel {
public:
    virtual ~AlertChannel() = default;
    /// "telegram:<chat>", "discord", "slack", "email".
    virtual const std::string& name() const = 0;
    virtual ChannelPace pace() const = 0;
    virtual SendResult send(const AlertMessage& message) = 0;
};

/// Telegram: POST <base_url>/bot<token>/sendMessage to one chat (1 message/s per chat).
std::unique_ptr<AlertChannel> make_telegram_channel(std::string base_url, std::string token,
                                                    std::string chat_id, long timeout_ms);
/// Discord: POST <webhook_url>?wait=true (5 requests per 2 s per webhook).
std::unique_ptr<AlertChannel> make_discord_channel(std::string webhook_url, long timeout_ms);
/// Slack: POST <webhook_url> (1 message/s per webhook).
std::unique_ptr<AlertChannel> make_slack_channel(std::string webhook_url, long timeout_ms);

/// Email settings.
struct EmailSettings {
    std::string url;          ///< smtp://host:587 or smtps://host:465
    std::string security = "starttls"; ///< "starttls" | "tls" | "none"
    std::string ca_file;
    std::string username, password;
    std::string from;
    std::vector<std::string> to;
    ChannelPace pace{1, 1000};
    long timeout_ms = 30000;
};
/// Email over SMTP: multipart/alternative text + HTML.
std::unique_ptr<AlertChannel> make_email_channel(EmailSettings settings);

/// Words of a message for chat channels (plain text) and its Telegram HTML.
std::string alert_plain_text(const AlertMessage& m);
std::string alert_telegram_html(const AlertMessage& m);


} // namespace aurum
