#include "live/scheduler.hpp"

#include <sstream>

#include "core/error.hpp"

namespace aurum {

TimeMs JobSpec::next_after(TimeMs t) const {
    switch (kind) {
    case Kind::Every: return floor_to(t, every) + every;
    case Kind::Daily: {
        TimeMs d = floor_to(t, kMsPerDay) + minute_of_day * kMsPerMinute;
        return d > t ? d : d + kMsPerDay;
    }
    case Kind::Weekly: {
        TimeMs d = floor_to(t, kMsPerDay) + minute_of_day * kMsPerMinute;
        for (int i = 0; i < 8; ++i, d += kMsPerDay)
            if (d > t && aurum::weekday(d) == weekday) return d;
        return d;
    }
    case Kind::Monthly: { // the first <weekday> of a month: day of month 1..7
        TimeMs d = floor_to(t, kMsPerDay) + minute_of_day * kMsPerMinute;
        for (int i = 0; i < 40; ++i, d += kMsPerDay)
            if (d > t && aurum::weekday(d) == weekday && civil_from_time(d).day <= 7) return d;
        return d;
    }
    }
    return t + kMsPerDay;
}

namespace {
int parse_hhmm(const std::string& s, const std::string& where) {
    int h = -1, m = -1;
    char colon = 0;
    std::istringstream in(s);
    if (!(in >> h >> colon >> m) || colon != ':' || h < 0 || h > 23 || m < 0 || m > 59)
        throw InputError(where + ": expected a UTC time HH:MM, got '" + s + "'");
    return h * 60 + m;
}
} // namespace

JobSpec parse_schedule(const std::string& name, const std::string& text, const std::string& where) {
    JobSpec j;
    j.name = name;
    std::istringstream in(text);
    std::string kind, a, b, c;
    in >> kind >> a >> b >> c;
    static const char* days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    if (kind == "monthly" && a == "first" && !c.empty()) {
        j.kind = JobSpec::Kind::Monthly;
        j.weekday = -1;
        for (int i = 0; i < 7; ++i)
            if (b == days[i]) j.weekday = i;
        if (j.weekday < 0) throw InputError(where + ": unknown weekday '" + b + "' (mon..sun)");
        j.minute_of_day = parse_hhmm(c, where);
    } else if (kind == "daily" && !a.empty() && b.empty()) {
        j.kind = JobSpec::Kind::Daily;
        j.minute_of_day = parse_hhmm(a, where);
    } else if (kind == "weekly" && !b.empty() && c.empty()) {
        j.kind = JobSpec::Kind::Weekly;
        j.weekday = -1;
        for (int i = 0; i < 7; ++i)
            if (a == days[i]) j.weekday = i;
        if (j.weekday < 0) throw InputError(where + ": unknown weekday '" + a + "' (mon..sun)");
        j.minute_of_day = parse_hhmm(b, where);
    } else if (kind == "every" && !a.empty() && b.empty()) {
        j.kind = JobSpec::Kind::Every;
        const auto d = parse_duration(a);
        if (!d || *d < kMsPerMinute)
            throw InputError(where + ": expected a duration of at least 1m, got '" + a + "'");
        j.every = *d;
    } else {
        throw InputError(where + ": expected 'daily HH:MM', 'weekly <day> HH:MM', 'monthly first "
                                 "<day> HH:MM' or 'every <duration>', got '" + text + "'");
    }
    return j;
}

void Scheduler::add(JobSpec spec, Action action) {
    specs_.push_back(std::move(spec));
    actions_.push_back(std::move(action));
    next_.push_back(0);
    started_ = false;
}

int Scheduler::tick(TimeMs now) {
    int ran = 0;
    if (!started_) {
        // Jobs first run at their next due time after the daemon starts (no catch-up burst).
        for (std::size_t i = 0; i < specs_.size(); ++i) next_[i] = specs_[i].next_after(now);
        started_ = true;
        return 0;
    }
    for (std::size_t i = 0; i < specs_.size(); ++i) {
        if (now < next_[i]) continue;
        actions_[i](next_[i]);
        ++ran;
        next_[i] = specs_[i].next_after(now);
    }
    return ran;
}

} // namespace aurum
