#pragma once
// The durable alert outbox: alerts raised on the trading thread wait in an AlertBuffer (cheap,
// no I/O) and are written by the session's commit in the same transaction as the event that
// caused them; a delivery worker (surfaces/alerts) sends them and marks each channel's delivery,
// so after a crash the undelivered ones go out and none is sent twice.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "data/database.hpp"

namespace aurum {

/// How urgent an alert is: info goes into a digest, warning at once, critical at once and again
/// until acknowledged.
enum class AlertSeverity { Info = 0, Warning = 1, Critical = 2 };
std::string to_string(AlertSeverity s);
/// "info" | "warning" | "critical"; InputError naming the value otherwise.
AlertSeverity parse_alert_severity(std::string_view text);

/// A report written by a scheduled job ("daily_report", "weekly_report"): a digest of its own
/// (never folded into one), emailed as the report files named in its data.
inline bool is_report_alert(std::string_view kind) {
    return kind == "daily_report" || kind == "weekly_report";
}

/// One alert as raised by the code that saw the event (formatting happens at delivery).
struct AlertEvent {
    TimeMs time = 0;       ///< wall clock when raised
    std::string kind;      ///< "trade_opened", "signal_pending", "kill_switch", ...
    AlertSeverity severity = AlertSeverity::Info;
    std::string title;     ///< one line
    std::string text;      ///< details in words
    nlohmann::json data = nlohmann::json::object(); ///< fields (signal_id, decision record, ...)
    std::string dedup_key; ///< alerts with the same key inside the dedup window: one message
};

/// Alerts raised on the trading thread until the next commit writes them. Enqueue takes a lock
/// that only the same thread and the commit ever hold: no I/O, no waiting.
class AlertBuffer {
public:
    void enqueue(AlertEvent event);
    std::vector<AlertEvent> take();
    /// Drops what is buffered (journal recovery re-raises events that were stored before).
    void clear();
    std::size_t size() const;

private:
    mutable std::mutex m_;
    std::vector<AlertEvent> items_;
};

/// A stored alert.
struct AlertRecord {
    std::int64_t id = 0;
    TimeMs time = 0;
    std::string kind;
    AlertSeverity severity = AlertSeverity::Info;
    std::string title, text;
    nlohmann::json data = nlohmann::json::object();
    std::string dedup_key;
    TimeMs acked_at = 0; ///< 0 while unacknowledged
    std::string acked_by;
};

/// One alert's delivery on one channel.
struct DeliveryRecord {
    std::int64_t alert_id = 0;
    std::string channel;   ///< "telegram:123", "discord", "slack", "email"
    /// "queued" | "held" (quiet hours) | "digest" | "sent" | "repeating" (critical, until
    /// acknowledged) | "dead" (given up) | "suppressed" (duplicate)
    std::string status;
    int attempts = 0;      ///< failed attempts so far
    TimeMs next_at = 0;    ///< queued/digest: not before; sent critical: next repeat
    TimeMs sent_at = 0;
    int repeats = 0;       ///< critical: times sent again while unacknowledged
    std::string last_error;
};

/// A channel's health as the worker last saw it.
struct ChannelState {
    std::string channel;
    std::string state = "ok"; ///< "ok" | "failing" | "dead"
    std::string last_error;
    TimeMs updated_at = 0;
};

/// Typed access to the outbox tables (live_alerts, live_alert_deliveries, live_alert_channels).
/// Not thread-safe: one per connection. SQLite and PostgreSQL (one contract test suite).
class AlertStore {
public:
    /// Creates the tables when missing.
    explicit AlertStore(Database& db);
    Database& db() { return db_; }

    /// Stores an alert (in the caller's transaction); returns its id.
    std::int64_t insert(const AlertEvent& e);
    std::optional<AlertRecord> alert(std::int64_t id);
    /// Alerts with id > `after`, oldest first.
    std::vector<AlertRecord> alerts_after(std::int64_t after, int limit);
    /// Most recent alerts first.
    std::vector<AlertRecord> recent(int limit);
    /// The newest alert before `before_id` with this dedup key, raised at or after `since`, that
    /// was not itself suppressed as a duplicate.
    std::optional<std::int64_t> previous_with_key(const std::string& key, TimeMs since,
                                                  std::int64_t before_id);
    /// Marks an alert acknowledged; false when there is no such alert. Acknowledging twice keeps
    /// the first acknowledgement.
    bool acknowledge(std::int64_t id, TimeMs at, const std::string& by);

    /// The last alert id the router handed to the channels (0 at first).
    std::int64_t routed_until();
    void set_routed_until(std::int64_t id);

    void add_delivery(const DeliveryRecord& d); ///< idempotent on (alert, channel)
    void update_delivery(const DeliveryRecord& d);
    std::optional<DeliveryRecord> delivery(std::int64_t alert_id, const std::string& channel);
    /// Deliveries of a channel in `status`, oldest alert first.
    std::vector<DeliveryRecord> deliveries(const std::string& channel, const std::string& status,
                                           int limit);

    void set_channel_state(const ChannelState& s);
    std::vector<ChannelState> channel_states();

    /// For `aurum health`: per channel, deliveries by status, its state and last error.
    nlohmann::json delivery_status();

private:
    Database& db_;
};

} // namespace aurum
