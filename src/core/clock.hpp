#pragma once
// The only place that reads the wall clock. Backtests and replays inject a SimulatedClock.
#include <atomic>

#include "core/time.hpp"

namespace aurum {

/// Source of "now" for everything that needs it.
class Clock {
public:
    virtual ~Clock() = default;
    virtual TimeMs now() const = 0;
};

/// Wall-clock UTC time.
class SystemClock final : public Clock {
public:
    TimeMs now() const override;
};

/// A clock that only moves when told to (backtests, replays, tests).
class SimulatedClock final : public Clock {
public:
    explicit SimulatedClock(TimeMs start = 0) : now_(start) {}
    TimeMs now() const override { return now_.load(); }
    void set(TimeMs t) { now_.store(t); }
    void advance(TimeMs d) { now_.fetch_add(d); }

private:
    std::atomic<TimeMs> now_;
};

} // namespace aurum
