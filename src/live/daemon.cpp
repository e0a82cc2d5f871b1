#include "live/daemon.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace aurum {

std::string run_daemon(LiveSession& s, CommandQueue& q, Scheduler& sched, const DaemonOptions& o,
                       const Clock& wall, std::atomic<bool>& stop) {
    auto exec = [&](const std::string& kind, const nlohmann::json& args) {
        return s.execute(kind, args, wall.now());
    };
    auto drain = [&] {
        q.drain(exec);
        if (o.between_steps) o.between_steps();
    };
    const TimeMs tf = Timeframe::parse(s.session().timeframe).value_or(Timeframe()).ms();
    const bool replay = s.session().clock == "replay";
    // At full speed the jobs would fire thousands of times a second of wall time: skip them.
    const bool jobs = !replay || o.speed > 0;
    TimeMs last_poll = wall.now();
    if (jobs) sched.tick(replay ? s.step_close_time() : wall.now());
    while (!stop.load()) {
        drain();
        s.settle(wall.now());
        if (s.stopped()) {
            s.checkpoint(wall.now());
            return "emergency stop complete: all positions closed, daemon stopped";
        }
        const auto r = s.step(wall.now());
        if (r == LiveSession::StepResult::Stepped) {
            if (jobs) sched.tick(replay ? s.step_close_time() : wall.now());
            // Warm-up history and recovery run at full speed; only the session paces.
            if (replay && o.speed > 0 && s.step_close_time() - tf >= s.session().trade_from &&
                !s.journal().recovering()) {
                const TimeMs until = wall.now() + static_cast<TimeMs>(tf / o.speed);
                while (!stop.load() && wall.now() < until) {
                    q.wait(static_cast<int>(std::min<TimeMs>(until - wall.now(), 200)));
                    drain();
                }
            }
        } else if (r == LiveSession::StepResult::Finished) {
            if (!o.serve_after_end) return "replay complete";
            spdlog::info("replay complete; serving the control API until `aurum stop`");
            while (!stop.load()) {
                q.wait(200);
                drain();
                s.settle(wall.now());
                if (s.stopped()) return "emergency stop complete: daemon stopped";
            }
            break;
        } else {
            if (wall.now() - last_poll >= o.poll_ms) {
                if (const auto n = s.poll_store()) spdlog::debug("data feed: {} new bars", n);
                last_poll = wall.now();
                s.checkpoint(wall.now());
            }
            if (jobs) sched.tick(wall.now());
            q.wait(250);
        }
    }
    s.checkpoint(wall.now());
    return "stopped on request";
}

} // namespace aurum
