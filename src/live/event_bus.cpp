#include "live/event_bus.hpp"

#include <algorithm>
#include <chrono>

namespace aurum {

std::optional<BusEvent> EventBus::Subscription::next(int ms) {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return !q_.empty() || dropped_; });
    if (dropped_ || q_.empty()) return std::nullopt;
    BusEvent e = std::move(q_.front());
    q_.pop_front();
    return e;
}

bool EventBus::Subscription::dropped() const {
    std::lock_guard<std::mutex> lock(m_);
    return dropped_;
}

std::shared_ptr<EventBus::Subscription> EventBus::subscribe() {
    auto s = std::make_shared<Subscription>();
    std::lock_guard<std::mutex> lock(m_);
    subs_.push_back(s);
    count_.store(subs_.size());
    return s;
}

void EventBus::unsubscribe(const std::shared_ptr<Subscription>& s) {
    std::lock_guard<std::mutex> lock(m_);
    subs_.erase(std::remove(subs_.begin(), subs_.end(), s), subs_.end());
    count_.store(subs_.size());
}

void EventBus::publish(const std::string& name, const std::string& data) {
    std::lock_guard<std::mutex> lock(m_);
    for (auto it = subs_.begin(); it != subs_.end();) {
        Subscription& s = **it;
        bool drop = false;
        {
            // Held only to append: a reader never holds it while writing to its socket.
            std::lock_guard<std::mutex> sl(s.m_);
            if (s.q_.size() >= kBuffer) {
                s.dropped_ = true;
                s.q_.clear();
                drop = true;
            } else {
                s.q_.push_back(BusEvent{name, data});
            }
        }
        s.cv_.notify_one();
        it = drop ? subs_.erase(it) : it + 1;
    }
    count_.store(subs_.size());
}

void EventBus::close() {
    std::lock_guard<std::mutex> lock(m_);
    for (auto& s : subs_) {
        {
            std::lock_guard<std::mutex> sl(s->m_);
            s->dropped_ = true;
        }
        s->cv_.notify_all();
    }
    subs_.clear();
    count_.store(0);
}

std::size_t EventBus::subscribers() const {
    std::lock_guard<std::mutex> lock(m_);
    return subs_.size();
}

} // namespace aurum
