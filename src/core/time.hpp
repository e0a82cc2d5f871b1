#pragma once
// UTC time as milliseconds since the Unix epoch. Nothing here reads the wall clock (see Clock).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aurum {

/// Milliseconds since 1970-01-01T00:00:00Z.
using TimeMs = std::int64_t;

inline constexpr TimeMs kMsPerSecond = 1000;
inline constexpr TimeMs kMsPerMinute = 60 * kMsPerSecond;
inline constexpr TimeMs kMsPerHour = 60 * kMsPerMinute;
inline constexpr TimeMs kMsPerDay = 24 * kMsPerHour;
inline constexpr TimeMs kMsPerWeek = 7 * kMsPerDay;

/// A half-open time interval [from, to).
struct TimeRange {
    TimeMs from = INT64_MIN;
    TimeMs to = INT64_MAX;
    bool contains(TimeMs t) const { return t >= from && t < to; }
};

struct CivilTime {
    int year = 1970;
    int month = 1; // 1..12
    int day = 1;   // 1..31
    int hour = 0, minute = 0, second = 0, millisecond = 0;
};

/// Days since epoch for a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(int year, int month, int day);
CivilTime civil_from_time(TimeMs t);
TimeMs time_from_civil(const CivilTime& c);
TimeMs make_time(int year, int month, int day, int hour = 0, int minute = 0, int second = 0);

/// 0 = Monday ... 6 = Sunday.
int weekday(TimeMs t);
/// Minutes since midnight UTC.
int minute_of_day(TimeMs t);
/// Rounds down to a multiple of step (step > 0), correct for negative times.
TimeMs floor_to(TimeMs t, TimeMs step);

/// "2024-01-02 03:04:05" (UTC, no suffix); milliseconds appended only when non-zero.
std::string format_time(TimeMs t);
/// "2024-01-02T03:04:05Z".
std::string format_iso(TimeMs t);
/// "2024-01-02".
std::string format_date(TimeMs t);

/// Parses "2024-01-02", "2024-01-02 03:04", "2024-01-02T03:04:05.123Z", "2024-01-02 03:04:05+02:00",
/// and "2015.01.02" dates. Returns nullopt for anything else. Offsets are converted to UTC.
std::optional<TimeMs> parse_time(std::string_view text);

/// Parses a duration such as "90s", "15m", "24h", "7d", "2w". Returns nullopt when malformed.
std::optional<TimeMs> parse_duration(std::string_view text);
/// "1d 2h 3m" style, for uptimes and gaps.
std::string format_duration(TimeMs d);

/// Parses a UTC offset "+02:00", "-0530", "+3" into milliseconds. nullopt when malformed.
std::optional<TimeMs> parse_utc_offset(std::string_view text);

} // namespace aurum
