#pragma once
// Turns what a live session did in a step (a bar, fills, risk decisions, a state change) into
// events on an EventBus for live pages. Runs on the engine thread; builds nothing while nobody
// listens.
#include <cstdint>
#include <string>
#include <vector>

#include "live/event_bus.hpp"
#include "live/live_session.hpp"

namespace aurum {

/// Publishes a session's events: call after_step() after each processed step and
/// after_commands() after commands were applied.
class SessionEventPublisher {
  public:
    explicit SessionEventPublisher(EventBus& bus) : bus_(bus) {}
    /// `bar`, `fill` (a position changed), `risk` (each stored decision), `signal`, `state`.
    void after_step(LiveSession& session);
    /// `state` (and `signal`) when the trading state changed.
    void after_commands(const LiveSession& session);

  private:
    EventBus& bus_;
    std::vector<double> last_qty_;    ///< per instrument, for fill events
    std::uint64_t state_version_ = 0; ///< risk state last published
    std::vector<std::string> symbols_; ///< the session's, in instrument order
};

} // namespace aurum
