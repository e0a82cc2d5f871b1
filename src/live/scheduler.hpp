#pragma once
// Cron-like jobs of the daemon (config/live.yaml `jobs:`): "daily 08:00", "weekly sun 02:00",
// "monthly first sun 04:00", "every 1h". Jobs run on the session's clock, so a replay runs them in market time.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/time.hpp"

namespace aurum {

/// One scheduled job.
struct JobSpec {
    std::string name;           ///< "daily_summary", "gap_repair", ...
    enum class Kind { Daily, Weekly, Every, Monthly } kind = Kind::Daily;
    int minute_of_day = 0;      ///< Daily/Weekly/Monthly
    int weekday = 6;            ///< Weekly, Monthly (its first such day): 0 = Monday ... 6 = Sunday
    TimeMs every = kMsPerHour;  ///< Every
    /// The first run time strictly after `t`.
    TimeMs next_after(TimeMs t) const;
};

/// Parses "daily 08:00", "weekly sun 02:00", "monthly first sun 04:00" or "every 1h"; throws
/// InputError naming `where`.
JobSpec parse_schedule(const std::string& name, const std::string& text, const std::string& where);

/// Runs due jobs. Each job runs at most once per due time, even after a long gap.
class Scheduler {
public:
    using Action = std::function<void(TimeMs due)>;
    Scheduler() = default;
    void add(JobSpec spec, Action action);
    /// Runs every job whose next due time is <= now (once), then schedules the next.
    int tick(TimeMs now);
    const std::vector<JobSpec>& jobs() const { return specs_; }
    /// Next due time of each job (after the last tick).
    std::vector<TimeMs> next_due() const { return next_; }

private:
    std::vector<JobSpec> specs_;
    std::vector<Action> actions_;
    std::vector<TimeMs> next_;
    bool started_ = false;
};

} // namespace aurum
