#pragma once
// Delivery of the outbox: routes each new alert to the channels that take its severity (dedup,
// quiet hours, info digest), sends in alert order per channel at the channel's documented pace,
// honours 429 retry_after, retries 5xx and timeouts with backoff, repeats unacknowledged
// critical alerts, and marks each channel's delivery in the database as soon as it is sent.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "live/alert_outbox.hpp"
#include "surfaces/alerts/alert_channels.hpp"

namespace aurum {

/// Routing and retry rules of all channels (config/alerts.yaml).
struct DispatchPolicy {
    TimeMs dedup_window_ms = 10 * kMsPerMinute; ///< same dedup key inside it: one message
    TimeMs digest_interval_ms = kMsPerHour;     ///< info alerts go out together this often
    TimeMs critical_repeat_ms = 15 * kMsPerMinute; ///< until acknowledged
    int max_repeats = 96;                       ///< then it stays in `aurum health` only
    int quiet_start_min = -1, quiet_end_min = -1; ///< UTC minutes of day; -1: no quiet hours
    int max_attempts = 10;                      ///< transient failures before giving up
    TimeMs initial_backoff_ms = 2000;
    TimeMs max_backoff_ms = 5 * kMsPerMinute;

    bool quiet_at(TimeMs t) const;
    /// The end of the quiet hours containing `t`.
    TimeMs quiet_end_after(TimeMs t) const;
};

/// A channel and the alerts it takes.
struct ChannelRoute {
    std::unique_ptr<AlertChannel> channel;
    AlertSeverity min_severity = AlertSeverity::Info;
    bool digest_info = true; ///< info alerts batched into a digest (false: one by one)
};

/// Sends the outbox. Not thread-safe: one thread (the AlertWorker's, or a test's) calls it.
class AlertDispatcher {
public:
    AlertDispatcher(Database& db, std::vector<ChannelRoute> routes, DispatchPolicy policy);

    /// Routes new alerts and sends whatever is due at `now`. Returns when something is next due
    /// (now + 1 s at most when idle, so new alerts are seen).
    TimeMs run_once(TimeMs now);
    /// True when nothing is queued on any live channel (digests and repeats not counted).
    bool idle();
    const std::vector<ChannelRoute>& routes() const { return routes_; }

private:
    struct Pacer {
        std::deque<TimeMs> sent;  ///< send times inside the pace window
        TimeMs blocked_until = 0; ///< 429
        bool dead = false;
    };
    void route(TimeMs now);
    TimeMs serve(std::size_t k, TimeMs now);
    /// True when the pace lets a message go at `now`; else sets `*next` to when it will.
    bool pace_allows(std::size_t k, TimeMs now, TimeMs* next);
    /// Sends and records the outcome; false when the channel must not send more this pass.
    bool deliver(std::size_t k, const AlertMessage& m, std::vector<DeliveryRecord> rows,
                 TimeMs now);
    TimeMs backoff(int attempts) const;
    TimeMs next_digest(TimeMs now) const;

    AlertStore store_;
    std::vector<ChannelRoute> routes_;
    std::vector<Pacer> pacers_;
    DispatchPolicy policy_;
};

/// The delivery thread beside the daemon: runs a dispatcher on its own database connection on
/// the wall clock; stop() gives it a few seconds to send what is queued (the daemon's last
/// alerts), then returns.
class AlertWorker {
public:
    AlertWorker(std::unique_ptr<Database> db, std::vector<ChannelRoute> routes,
                DispatchPolicy policy, const Clock& clock);
    ~AlertWorker();
    void start();
    /// New alerts were committed: look now rather than at the next poll.
    void wake();
    void stop(TimeMs drain_ms = 5000);

private:
    void loop();
    std::unique_ptr<Database> db_;
    AlertDispatcher dispatcher_;
    const Clock& clock_;
    std::thread thread_;
    std::mutex m_;
    std::condition_variable cv_;
    bool stop_ = false, woken_ = false;
    TimeMs drain_until_ = 0;
};

} // namespace aurum
