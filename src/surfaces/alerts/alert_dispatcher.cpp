#include "surfaces/alerts/alert_dispatcher.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

namespace aurum {

namespace {
constexpr TimeMs kIdlePollMs = 1000;
constexpr int kDigestMax = 50; ///< alerts per digest message
} // namespace

bool DispatchPolicy::quiet_at(TimeMs t) const {
    if (quiet_start_min < 0 || quiet_end_min < 0 || quiet_start_min == quiet_end_min) return false;
    const int m = static_cast<int>((t % kMsPerDay) / kMsPerMinute);
    return quiet_start_min < quiet_end_min ? m >= quiet_start_min && m < quiet_end_min
                                           : m >= quiet_start_min || m < quiet_end_min;
}

TimeMs DispatchPolicy::quiet_end_after(TimeMs t) const {
    const TimeMs day = t - t % kMsPerDay;
    TimeMs end = day + quiet_end_min * kMsPerMinute;
    if (end <= t) end += kMsPerDay;
    return end;
}

AlertDispatcher::AlertDispatcher(Database& db, std::vector<ChannelRoute> routes,
                                 DispatchPolicy policy)
    : store_(db), routes_(std::move(routes)), pacers_(routes_.size()), policy_(policy) {}

TimeMs AlertDispatcher::backoff(int attempts) const {
    TimeMs b = policy_.initial_backoff_ms;
    for (int i = 1; i < attempts && b < policy_.max_backoff_ms; ++i) b *= 2;
    return std::min(b, policy_.max_backoff_ms);
}

TimeMs AlertDispatcher::next_digest(TimeMs now) const {
    const TimeMs iv = std::max<TimeMs>(policy_.digest_interval_ms, 1);
    return now - now % iv + iv;
}

void AlertDispatcher::route(TimeMs now) {
    const auto fresh = store_.alerts_after(store_.routed_until(), 200);
    if (fresh.empty()) return;
    Transaction tx(store_.db());
    for (const auto& a : fresh) {
        const bool dup = !a.dedup_key.empty() &&
                         store_.previous_with_key(a.dedup_key, a.time - policy_.dedup_window_ms,
                                                  a.id)
                             .has_value();
        for (const auto& r : routes_) {
            // A report is what the channel is for, whatever severity it filters alerts by.
            if (a.severity < r.min_severity && !is_report_alert(a.kind)) continue;
            DeliveryRecord d;
            d.alert_id = a.id;
            d.channel = r.channel->name();
            d.next_at = now;
            if (dup) {
                d.status = "suppressed";
            } else if (a.severity == AlertSeverity::Info && r.digest_info &&
                       !is_report_alert(a.kind)) { // a report is a digest already
                d.status = "digest";
                d.next_at = next_digest(now);
            } else if (a.severity != AlertSeverity::Critical && policy_.quiet_at(now)) {
                d.status = "held";
                d.next_at = policy_.quiet_end_after(now);
            } else {
                d.status = "queued";
            }
            store_.add_delivery(d);
        }
    }
    store_.set_routed_until(fresh.back().id);
    tx.commit();
}

bool AlertDispatcher::pace_allows(std::size_t k, TimeMs now, TimeMs* next) {
    Pacer& p = pacers_[k];
    if (p.blocked_until > now) {
        *next = std::min(*next, p.blocked_until);
        return false;
    }
    const ChannelPace pace = routes_[k].channel->pace();
    while (!p.sent.empty() && p.sent.front() <= now - pace.per_ms) p.sent.pop_front();
    if (static_cast<int>(p.sent.size()) < pace.count) return true;
    *next = std::min(*next, p.sent.front() + pace.per_ms);
    return false;
}

bool AlertDispatcher::deliver(std::size_t k, const AlertMessage& m,
                              std::vector<DeliveryRecord> rows, TimeMs now) {
    AlertChannel& ch = *routes_[k].channel;
    Pacer& p = pacers_[k];
    const SendResult r = ch.send(m);
    p.sent.push_back(now); // every request counts against the pace, answered or not
    ChannelState state{ch.name(), "ok", "", now};
    bool go_on = true;
    for (auto& d : rows) {
        switch (r.kind) {
        case SendResult::Kind::Sent: {
            const bool repeat = !m.digest && m.first().severity == AlertSeverity::Critical &&
                                m.first().acked_at == 0 && m.repeat < policy_.max_repeats;
            d.status = repeat ? "repeating" : "sent";
            d.sent_at = now;
            d.repeats = m.repeat;
            d.next_at = repeat ? now + policy_.critical_repeat_ms : 0;
            d.last_error.clear();
            break;
        }
        case SendResult::Kind::RetryAfter:
            p.blocked_until = now + r.retry_after_ms;
            d.next_at = p.blocked_until;
            d.last_error = r.error;
            state.last_error = r.error;
            go_on = false;
            break;
        case SendResult::Kind::Transient:
            if (m.repeat > 0) {
                d.next_at = now + backoff(1);
            } else if (++d.attempts >= policy_.max_attempts) {
                d.status = "dead";
            } else {
                d.next_at = now + backoff(d.attempts);
            }
            d.last_error = r.error;
            state = {ch.name(), "failing", r.error, now};
            go_on = false;
            break;
        case SendResult::Kind::Rejected:
            d.status = m.repeat > 0 ? "sent" : "dead";
            d.last_error = r.error;
            state.last_error = r.error;
            break;
        case SendResult::Kind::Dead:
            // Left queued: nothing is lost; the channel is skipped until the daemon restarts
            // (after the webhook or token is fixed).
            d.last_error = r.error;
            state = {ch.name(), "dead", r.error, now};
            p.dead = true;
            go_on = false;
            break;
        }
        store_.update_delivery(d);
    }
    if (r.kind != SendResult::Kind::Sent)
        spdlog::warn("alerts: {} alert #{}: {}", ch.name(), m.first().id, r.error);
    store_.set_channel_state(state);
    return go_on;
}

TimeMs AlertDispatcher::serve(std::size_t k, TimeMs now) {
    TimeMs next = now + kIdlePollMs;
    if (pacers_[k].dead) return next;
    const std::string& name = routes_[k].channel->name();
    for (auto d : store_.deliveries(name, "held", 100)) {
        if (d.next_at > now) {
            next = std::min(next, d.next_at);
            continue;
        }
        d.status = "queued";
        store_.update_delivery(d);
    }
    // In alert order: the oldest queued one goes first, even when it waits for a retry.
    for (;;) {
        const auto q = store_.deliveries(name, "queued", 1);
        if (q.empty()) break;
        if (q[0].next_at > now) {
            next = std::min(next, q[0].next_at);
            break;
        }
        if (!pace_allows(k, now, &next)) return next;
        const auto a = store_.alert(q[0].alert_id);
        if (!a) break;
        if (!deliver(k, AlertMessage{{*a}, false, 0}, q, now)) return std::min(next, now + 100);
    }
    const auto dg = store_.deliveries(name, "digest", kDigestMax);
    if (!dg.empty()) {
        if (dg[0].next_at > now) {
            next = std::min(next, dg[0].next_at);
        } else if (pace_allows(k, now, &next)) {
            AlertMessage m{{}, true, 0};
            for (const auto& d : dg)
                if (auto a = store_.alert(d.alert_id)) m.alerts.push_back(*a);
            if (!m.alerts.empty() && !deliver(k, m, dg, now)) return next;
        }
    }
    for (auto d : store_.deliveries(name, "repeating", 100)) {
        const auto a = store_.alert(d.alert_id);
        if (!a || a->acked_at != 0) {
            d.status = "sent";
            d.next_at = 0;
            store_.update_delivery(d);
            continue;
        }
        if (d.next_at > now) {
            next = std::min(next, d.next_at);
            continue;
        }
        if (!pace_allows(k, now, &next)) break;
        if (!deliver(k, AlertMessage{{*a}, false, d.repeats + 1}, {d}, now)) break;
    }
    return next;
}

TimeMs AlertDispatcher::run_once(TimeMs now) {
    route(now);
    TimeMs next = now + kIdlePollMs;
    for (std::size_t k = 0; k < routes_.size(); ++k) next = std::min(next, serve(k, now));
    return next;
}

bool AlertDispatcher::idle() {
    for (std::size_t k = 0; k < routes_.size(); ++k)
        if (!pacers_[k].dead && !store_.deliveries(routes_[k].channel->name(), "queued", 1).empty())
            return false;
    return store_.alerts_after(store_.routed_until(), 1).empty();
}

AlertWorker::AlertWorker(std::unique_ptr<Database> db, std::vector<ChannelRoute> routes,
                         DispatchPolicy policy, const Clock& clock)
    : db_(std::move(db)), dispatcher_(*db_, std::move(routes), policy), clock_(clock) {}

AlertWorker::~AlertWorker() { stop(0); }

void AlertWorker::start() { thread_ = std::thread([this] { loop(); }); }

void AlertWorker::wake() {
    {
        std::lock_guard<std::mutex> lock(m_);
        woken_ = true;
    }
    cv_.notify_all();
}

void AlertWorker::stop(TimeMs drain_ms) {
    {
        std::lock_guard<std::mutex> lock(m_);
        if (!stop_) drain_until_ = clock_.now() + drain_ms;
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void AlertWorker::loop() {
    for (;;) {
        const TimeMs now = clock_.now();
        bool stopping = false;
        {
            std::lock_guard<std::mutex> lock(m_);
            stopping = stop_;
            if (stop_ && now >= drain_until_) return;
        }
        TimeMs next = now + kIdlePollMs;
        try {
            next = dispatcher_.run_once(now);
            if (stopping && dispatcher_.idle()) return;
        } catch (const std::exception& e) {
            spdlog::error("alerts: delivery worker: {}", e.what());
            next = now + 5000;
        }
        const TimeMs wait = std::clamp<TimeMs>(next - clock_.now(), 10, kIdlePollMs);
        std::unique_lock<std::mutex> lock(m_);
        if (stopping) {
            lock.unlock();
            std::this_thread::sleep_for(std::chrono::milliseconds(std::min<TimeMs>(wait, 100)));
            continue;
        }
        cv_.wait_for(lock, std::chrono::milliseconds(wait), [this] { return woken_ || stop_; });
        woken_ = false;
    }
}

} // namespace aurum
