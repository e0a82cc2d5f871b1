#include "live/daemon.hpp"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace aurum {

namespace {

/// Why an emergency stop after the end of a replay cannot close positions, naming them.
std::string emergency_after_end(const LiveSession& s) {
    std::vector<std::string> names;
    std::stringstream ss(s.session().symbols);
    for (std::string one; std::getline(ss, one, ',');) names.push_back(one);
    std::string open;
    const Portfolio& pf = s.portfolio();
    for (InstrumentId i = 0; i < pf.size(); ++i)
        if (pf.position(i).qty != 0)
            open += fmt::format("{}{} {:.8g}", open.empty() ? "" : ", ",
                                i < names.size() ? names[i] : std::to_string(i),
                                pf.position(i).qty);
    return "emergency stop after the replay ended: paper orders fill at the next bar's open and "
           "the replay has no next bar, so nothing could be closed" +
           (open.empty() ? std::string() : "; still open at their last marks: " + open) +
           "; the emergency stop stays in force (no entries; trading state REDUCING) until "
           "`aurum run --acknowledge-stop`";
}

/// An emergency stop is in force and not yet complete.
bool emergency(const LiveSession& s) {
    return s.risk().state().cause == HaltCause::EmergencyStop;
}

} // namespace

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
            if (o.after_step) o.after_step();
            if (jobs) sched.tick(replay ? s.step_close_time() : wall.now());
            // Warm-up history and recovery run at full speed; only the session paces. An
            // emergency stop is not paced: its closing orders fill at the next bar's open, so
            // that bar comes at once, whatever --speed says.
            if (replay && o.speed > 0 && s.step_close_time() - tf >= s.session().trade_from &&
                !s.journal().recovering()) {
                const TimeMs until = wall.now() + static_cast<TimeMs>(tf / o.speed);
                while (!stop.load() && wall.now() < until && !emergency(s)) {
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
                if (s.risk().state().cause == HaltCause::EmergencyStop) {
                    // Paper fills happen at the next bar's open and the replay has no next bar:
                    // waiting would hang forever. Stop (the emergency stop stays in force) and
                    // say what stays open.
                    s.checkpoint(wall.now());
                    const std::string why = emergency_after_end(s);
                    spdlog::error("{}", why);
                    return why;
                }
            }
            break;
        } else {
            s.book_streamed_fills(wall.now()); // woken by the user data stream
            if (s.feed_ready() || wall.now() - last_poll >= o.poll_ms) {
                const auto n = s.poll_store();
                last_poll = wall.now();
                if (n > 0) {
                    // Act on the new bars at once (a streamed candle within milliseconds of its
                    // close): the step commits its own journal.
                    spdlog::debug("data feed: {} new bars", n);
                    continue;
                }
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
