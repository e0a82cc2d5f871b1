#pragma once
// Engine-to-surface events (bar, fill, risk, state, signal) for live pages (the dashboard's
// Server-Sent Events). The engine thread publishes without ever waiting on a reader: each
// subscriber has a bounded buffer, and a subscriber that falls behind is dropped, never the engine.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace aurum {

/// One published event: its name and its JSON text.
struct BusEvent {
    std::string name;
    std::string data;
};

/// Fan-out of engine events to any number of readers on other threads.
class EventBus {
  public:
    /// Events a reader may have waiting before it is dropped.
    static constexpr std::size_t kBuffer = 256;

    /// A reader's end: its buffer, and whether it was dropped for falling behind.
    class Subscription {
      public:
        /// Waits up to `ms` for the next event; nullopt on timeout or once dropped/closed.
        std::optional<BusEvent> next(int ms);
        /// True once the bus dropped this reader (it fell `kBuffer` events behind) or closed.
        bool dropped() const;

      private:
        friend class EventBus;
        mutable std::mutex m_;
        std::condition_variable cv_;
        std::deque<BusEvent> q_;
        bool dropped_ = false;
    };

    /// A new reader; it receives events published from now on until it is released.
    std::shared_ptr<Subscription> subscribe();
    void unsubscribe(const std::shared_ptr<Subscription>& s);
    /// True when someone listens: publishers skip building events otherwise.
    bool has_subscribers() const { return count_.load(std::memory_order_relaxed) > 0; }
    /// Hands `data` (JSON text) to every reader; never blocks on a slow one (it is dropped).
    void publish(const std::string& name, const std::string& data);
    /// Drops every reader (server shutting down).
    void close();
    std::size_t subscribers() const;

  private:
    mutable std::mutex m_;
    std::vector<std::shared_ptr<Subscription>> subs_;
    std::atomic<std::size_t> count_{0};
};

} // namespace aurum
