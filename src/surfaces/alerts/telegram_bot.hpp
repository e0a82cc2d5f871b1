#pragma once
// The two-way Telegram bot: long-polls getUpdates, admits only allowlisted users in allowed
// chats, and turns each command into the one typed Command (handed to the daemon's command
// queue) or a query (route_query). No trading logic here: the bot checks who may ask, asks,
// and answers in words.
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "live/command.hpp"
#include "live/live_session.hpp"
#include "surfaces/alerts/alerts_config.hpp"

namespace aurum {

/// What the bot needs from the daemon: the command queue, the query router, the audit log and
/// the alert acknowledgement (all injected, so tests and the daemon give the same bot).
struct TelegramBotHooks {
    std::function<CommandOutcome(const Command&)> submit;
    std::function<nlohmann::json(const std::string&, const nlohmann::json&)> query;
    /// action, reason, details (who/where JSON), result
    std::function<void(const std::string&, const std::string&, const std::string&,
                       const std::string&)>
        audit;
    /// Acknowledges alert `id` by `who`; false when there is no such alert.
    std::function<bool(std::int64_t, const std::string&)> ack;
};

class TelegramBot {
public:
    TelegramBot(std::string base_url, std::string token, TelegramCommandsConfig config,
                TelegramBotHooks hooks, const Clock& clock, long timeout_ms = 10000);

    /// At start: confirms every update already waiting (getUpdates offset -1), so commands
    /// sent while the daemon was down are never executed late.
    void drop_stale_updates();
    /// One getUpdates long poll and the handling of what it returns. False when the poll
    /// failed (the caller waits before the next).
    bool poll_once(const std::atomic<bool>* abort = nullptr);
    /// Polls until `stop` is set.
    void run(const std::atomic<bool>& stop);
    /// Handles one update object (message or callback_query).
    void handle_update(const nlohmann::json& update);

    /// Replies sent (for the service's health line).
    std::int64_t offset() const { return offset_; }

private:
    struct Who {
        std::string user, username, chat, chat_type;
        std::string describe() const;
        nlohmann::json to_json() const;
    };
    struct PendingStop {
        std::string user, chat, reason;
        TimeMs expires = 0;
    };
    /// The allowlist: nullopt (nothing done, nothing said) for an unknown user or chat.
    std::optional<TelegramRole> admit(const Who& who) const;
    bool rate_limited(const std::string& user);
    void on_message(const nlohmann::json& msg);
    void on_callback(const nlohmann::json& cb);
    /// Runs one command line ("/pause 24h reason") for an admitted user; returns the reply.
    std::string run_command(const Who& who, TelegramRole role, const std::string& text,
                            nlohmann::json* keyboard);
    std::string submit(const Who& who, Command c, const std::string& action);
    std::string query_text(const std::string& name);
    std::string ack(const Who& who, std::int64_t id);
    std::string confirm_stop(const Who& who, const std::string& nonce);
    std::string new_nonce();
    void reply(const std::string& chat, const std::string& text,
               const nlohmann::json& keyboard = nullptr);
    nlohmann::json call(const std::string& method, const nlohmann::json& body,
                        long timeout_ms, const std::atomic<bool>* abort = nullptr);

    std::string base_;
    TelegramCommandsConfig cfg_;
    TelegramBotHooks hooks_;
    const Clock& clock_;
    long timeout_ms_;
    std::int64_t offset_ = 0;
    std::map<std::string, PendingStop> stops_;  ///< nonce -> pending /stop
    std::map<std::string, std::deque<TimeMs>> requests_; ///< user -> recent command times
    std::map<std::string, TimeMs> warned_;      ///< user -> when told about the rate limit
};

} // namespace aurum
