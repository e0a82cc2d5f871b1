#include "core/time.hpp"

#include <charconv>
#include <cstdio>

namespace aurum {

std::int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned mp = static_cast<unsigned>(m > 2 ? m - 3 : m + 9);
    const unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(d) - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

static void civil_from_days(std::int64_t z, int& y, int& m, int& d) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}

TimeMs floor_to(TimeMs t, TimeMs step) {
    TimeMs r = t % step;
    if (r < 0) r += step;
    return t - r;
}

CivilTime civil_from_time(TimeMs t) {
    CivilTime c;
    const TimeMs day_start = floor_to(t, kMsPerDay);
    civil_from_days(day_start / kMsPerDay, c.year, c.month, c.day);
    TimeMs rem = t - day_start;
    c.hour = static_cast<int>(rem / kMsPerHour);
    rem %= kMsPerHour;
    c.minute = static_cast<int>(rem / kMsPerMinute);
    rem %= kMsPerMinute;
    c.second = static_cast<int>(rem / kMsPerSecond);
    c.millisecond = static_cast<int>(rem % kMsPerSecond);
    return c;
}

TimeMs time_from_civil(const CivilTime& c) {
    return days_from_civil(c.year, c.month, c.day) * kMsPerDay + c.hour * kMsPerHour +
           c.minute * kMsPerMinute + c.second * kMsPerSecond + c.millisecond;
}

TimeMs make_time(int year, int month, int day, int hour, int minute, int second) {
    return time_from_civil(CivilTime{year, month, day, hour, minute, second, 0});
}

int weekday(TimeMs t) {
    // 1970-01-01 was a Thursday (3 when Monday is 0).
    std::int64_t days = floor_to(t, kMsPerDay) / kMsPerDay;
    int w = static_cast<int>((days + 3) % 7);
    return w < 0 ? w + 7 : w;
}

int minute_of_day(TimeMs t) {
    return static_cast<int>((t - floor_to(t, kMsPerDay)) / kMsPerMinute);
}

std::string format_time(TimeMs t) {
    const CivilTime c = civil_from_time(t);
    char buf[40];
    if (c.millisecond != 0) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03d", c.year, c.month, c.day,
                      c.hour, c.minute, c.second, c.millisecond);
    } else {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", c.year, c.month, c.day,
                      c.hour, c.minute, c.second);
    }
    return buf;
}

std::string format_iso(TimeMs t) {
    std::string s = format_time(t);
    s[10] = 'T';
    return s + "Z";
}

std::string format_date(TimeMs t) { return format_time(t).substr(0, 10); }

namespace {

// Reads exactly n digits at pos; advances pos.
bool read_digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        char ch = s[pos + i];
        if (ch < '0' || ch > '9') return false;
        v = v * 10 + (ch - '0');
    }
    out = v;
    pos += n;
    return true;
}

int days_in_month(int y, int m) {
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return kDays[m - 1];
}

} // namespace

std::optional<TimeMs> parse_utc_offset(std::string_view s) {
    if (s.empty()) return std::nullopt;
    if (s == "Z" || s == "z") return 0;
    int sign = 1;
    if (s[0] == '+') {
        s.remove_prefix(1);
    } else if (s[0] == '-') {
        sign = -1;
        s.remove_prefix(1);
    } else {
        return std::nullopt;
    }
    std::size_t pos = 0;
    int h = 0, m = 0;
    if (s.size() == 1 || s.size() == 2) {
        if (!read_digits(s, pos, s.size(), h)) return std::nullopt;
    } else if (s.size() == 4) {
        if (!read_digits(s, pos, 2, h) || !read_digits(s, pos, 2, m)) return std::nullopt;
    } else if (s.size() == 5 && s[2] == ':') {
        if (!read_digits(s, pos, 2, h)) return std::nullopt;
        ++pos;
        if (!read_digits(s, pos, 2, m)) return std::nullopt;
    } else {
        return std::nullopt;
    }
    if (h > 14 || m > 59) return std::nullopt;
    return sign * (h * kMsPerHour + m * kMsPerMinute);
}

std::optional<TimeMs> parse_time(std::string_view s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    std::size_t pos = 0;
    CivilTime c;
    if (!read_digits(s, pos, 4, c.year)) return std::nullopt;
    if (pos >= s.size() || (s[pos] != '-' && s[pos] != '.' && s[pos] != '/')) return std::nullopt;
    const char sep = s[pos++];
    if (!read_digits(s, pos, 2, c.month)) return std::nullopt;
    if (pos >= s.size() || s[pos] != sep) return std::nullopt;
    ++pos;
    if (!read_digits(s, pos, 2, c.day)) return std::nullopt;
    if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > days_in_month(c.year, c.month))
        return std::nullopt;
    TimeMs offset = 0;
    if (pos < s.size()) {
        if (s[pos] != ' ' && s[pos] != 'T') return std::nullopt;
        ++pos;
        if (!read_digits(s, pos, 2, c.hour)) return std::nullopt;
        if (pos >= s.size() || s[pos] != ':') return std::nullopt;
        ++pos;
        if (!read_digits(s, pos, 2, c.minute)) return std::nullopt;
        if (pos < s.size() && s[pos] == ':') {
            ++pos;
            if (!read_digits(s, pos, 2, c.second)) return std::nullopt;
            if (pos < s.size() && s[pos] == '.') {
                ++pos;
                std::size_t start = pos;
                int frac = 0, digits = 0;
                while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                    if (digits < 3) {
                        frac = frac * 10 + (s[pos] - '0');
                        ++digits;
                    }
                    ++pos;
                }
                if (pos == start) return std::nullopt;
                while (digits < 3) {
                    frac *= 10;
                    ++digits;
                }
                c.millisecond = frac;
            }
        }
        if (c.hour > 23 || c.minute > 59 || c.second > 60) return std::nullopt;
        if (pos < s.size()) {
            auto off = parse_utc_offset(s.substr(pos));
            if (!off) return std::nullopt;
            offset = *off;
            pos = s.size();
        }
    }
    if (pos != s.size()) return std::nullopt;
    return time_from_civil(c) - offset;
}

std::optional<TimeMs> parse_duration(std::string_view s) {
    if (s.size() < 2) return std::nullopt;
    const char unit = s.back();
    s.remove_suffix(1);
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || p != s.data() + s.size() || n <= 0) return std::nullopt;
    switch (unit) {
    case 's': return n * kMsPerSecond;
    case 'm': return n * kMsPerMinute;
    case 'h': return n * kMsPerHour;
    case 'd': return n * kMsPerDay;
    case 'w': return n * kMsPerWeek;
    default: return std::nullopt;
    }
}

std::string format_duration(TimeMs d) {
    if (d < 0) return "-" + format_duration(-d);
    const TimeMs days = d / kMsPerDay, hours = (d % kMsPerDay) / kMsPerHour,
                 minutes = (d % kMsPerHour) / kMsPerMinute, seconds = (d % kMsPerMinute) / 1000;
    std::string out;
    if (days) out += std::to_string(days) + "d ";
    if (days || hours) out += std::to_string(hours) + "h ";
    if (days || hours || minutes) out += std::to_string(minutes) + "m";
    if (out.empty()) out = std::to_string(seconds) + "s";
    if (out.back() == ' ') out.pop_back();
    return out;
}

} // namespace aurum
