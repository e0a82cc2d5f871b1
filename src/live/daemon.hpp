#pragma once
// The daemon's loop: steps the session on its clock (replay at a speed, or real time on bar
// close), applies control commands between steps, runs the scheduled jobs, stops on request.
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "live/control.hpp"
#include "live/live_session.hpp"
#include "live/scheduler.hpp"

namespace aurum {

struct DaemonOptions {
    double speed = 0;          ///< replay: market time per wall time (0 = as fast as possible)
    bool serve_after_end = false; ///< replay: keep answering the control API after the end
    int poll_ms = 5000;        ///< real time: how often the store is polled for new bars
    /// Engine thread, between steps and while idle (e.g. re-reading config files); throttles itself.
    std::function<void()> between_steps;
    /// Engine thread, right after each processed step (live events: bar, fills, risk).
    std::function<void()> after_step;
};

/// Runs until the replay ends, an emergency stop completes, or `stop` is set. Returns the
/// reason it ended, in words.
std::string run_daemon(LiveSession& session, CommandQueue& queue, Scheduler& scheduler,
                       const DaemonOptions& options, const Clock& wall, std::atomic<bool>& stop);

} // namespace aurum
