#pragma once
// Hot-path scanning helpers shared by the importers: number and timestamp parsing on raw byte
// ranges, without allocation. Correctly rounded: the fast path is Clinger's exact case and
// everything else falls back to std::from_chars.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/time.hpp"

namespace aurum::import_detail {

inline bool is_digit(char c) {
    return static_cast<unsigned>(c - '0') < 10u;
}

/// Parses [b, e) as a decimal number (optional sign, digits, fraction, exponent). Returns false
/// for anything else, including "nan"/"inf" spellings (reported separately as not finite).
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
inline bool
parse_double(const char* b, const char* e, double& out) {
    static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char* p = b;
    bool neg = false;
    if (p != e && (*p == '-' || *p == '+')) {
        neg = *p == '-';
        ++p;
    }
    const char* digits_start = p;
    // Accumulate every digit; past 19 digits m wraps (unsigned, defined) but then the digit count
    // sends us to the library path below anyway.
    std::uint64_t m = 0;
    while (p != e && is_digit(*p)) {
        m = m * 10 + static_cast<unsigned>(*p - '0');
        ++p;
    }
    std::ptrdiff_t ndigits = p - digits_start;
    int exp10 = 0;
    if (p != e && *p == '.') {
        ++p;
        const char* frac = p;
        while (p != e && is_digit(*p)) {
            m = m * 10 + static_cast<unsigned>(*p - '0');
            ++p;
        }
        ndigits += p - frac;
        exp10 = -static_cast<int>(p - frac);
    }
    if (ndigits == 0)
        return false;
    if (p != e) {
        if (*p != 'e' && *p != 'E')
            return false;
        ++p;
        bool eneg = false;
        if (p != e && (*p == '-' || *p == '+')) {
            eneg = *p == '-';
            ++p;
        }
        if (p == e || !is_digit(*p))
            return false;
        int ev = 0;
        while (p != e && is_digit(*p)) {
            if (ev < 100000)
                ev = ev * 10 + (*p - '0');
            ++p;
        }
        if (p != e)
            return false;
        exp10 += eneg ? -ev : ev;
    }
    // Clinger's exact case: at most 15 digits (m < 2^53) and a power of ten that is exact.
    if (ndigits <= 15 && exp10 >= -22 && exp10 <= 22) {
        double v = static_cast<double>(m);
        v = exp10 < 0 ? v / kPow10[-exp10] : v * kPow10[exp10];
        out = neg ? -v : v;
        return true;
    }
    // Long mantissas or large exponents: let the library round correctly.
    double v = 0;
    auto [ptr, ec] = std::from_chars(digits_start, e, v);
    if (ptr != e || ec != std::errc())
        return false; // out of double range counts as invalid
    out = neg ? -v : v;
    return true;
}

/// True when [b, e) spells NaN or infinity (so the message can say "not finite" not "not a
/// number").
inline bool spells_non_finite(const char* b, const char* e) {
    if (b != e && (*b == '-' || *b == '+'))
        ++b;
    const std::size_t n = static_cast<std::size_t>(e - b);
    auto eq = [&](const char* w) {
        const std::size_t k = std::strlen(w);
        if (n != k)
            return false;
        for (std::size_t i = 0; i < k; ++i)
            if ((b[i] | 0x20) != w[i])
                return false;
        return true;
    };
    return eq("nan") || eq("inf") || eq("infinity");
}

/// Parses an unsigned/signed integer of at most 18 digits; false otherwise.
inline bool parse_int(const char* b, const char* e, std::int64_t& out) {
    if (b == e)
        return false;
    bool neg = false;
    if (*b == '-') {
        neg = true;
        ++b;
    }
    if (b == e || e - b > 18)
        return false;
    std::int64_t v = 0;
    for (; b != e; ++b) {
        if (!is_digit(*b))
            return false;
        v = v * 10 + (*b - '0');
    }
    out = neg ? -v : v;
    return true;
}

/// Epoch number -> milliseconds, choosing the unit by magnitude: seconds below 1e11 (until
/// year 5138), milliseconds below 1e14, microseconds below 1e17, else nanoseconds.
inline TimeMs epoch_to_ms(std::int64_t v) {
    const std::int64_t a = v < 0 ? -v : v;
    if (a < 100'000'000'000LL)
        return v * 1000;
    if (a < 100'000'000'000'000LL)
        return v;
    if (a < 100'000'000'000'000'000LL)
        return v / 1000;
    return v / 1'000'000;
}

inline bool read2(const char* p, int& out) {
    if (!is_digit(p[0]) || !is_digit(p[1]))
        return false;
    out = (p[0] - '0') * 10 + (p[1] - '0');
    return true;
}

inline int month_days(int y, int m) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return kDays[m - 1];
}

/// Parses a date "YYYY-MM-DD" (separator '-', '.' or '/') at the start of [b, e); on success
/// sets days since epoch and returns the end of the date, else nullptr.
inline const char* parse_date_prefix(const char* b, const char* e, std::int64_t& days) {
    if (e - b < 10)
        return nullptr;
    int y1 = 0, y2 = 0, mo = 0, d = 0;
    if (!read2(b, y1) || !read2(b + 2, y2))
        return nullptr;
    const char sep = b[4];
    if ((sep != '-' && sep != '.' && sep != '/') || b[7] != sep)
        return nullptr;
    if (!read2(b + 5, mo) || !read2(b + 8, d))
        return nullptr;
    const int y = y1 * 100 + y2;
    if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
        return nullptr;
    days = days_from_civil(y, mo, d);
    return b + 10;
}

/// Parses "HH:MM[:SS[.fff]]" exactly filling [b, e); sets milliseconds of day.
inline bool parse_clock(const char* b, const char* e, TimeMs& ms_of_day) {
    int h = 0, mi = 0, s = 0, ms = 0;
    if (e - b < 5 || !read2(b, h) || b[2] != ':' || !read2(b + 3, mi))
        return false;
    const char* p = b + 5;
    if (p != e) {
        if (e - p < 3 || *p != ':' || !read2(p + 1, s))
            return false;
        p += 3;
        if (p != e) {
            if (*p != '.')
                return false;
            ++p;
            int digits = 0;
            if (p == e)
                return false;
            for (; p != e; ++p) {
                if (!is_digit(*p))
                    return false;
                if (digits < 3) {
                    ms = ms * 10 + (*p - '0');
                    ++digits;
                }
            }
            while (digits < 3) {
                ms *= 10;
                ++digits;
            }
        }
    }
    if (h > 23 || mi > 59 || s > 59)
        return false;
    ms_of_day = h * kMsPerHour + mi * kMsPerMinute + s * kMsPerSecond + ms;
    return true;
}

/// The part of a text timestamp after its 10-character date (`days` since epoch): nothing, or
/// ' '/'T' and a clock, optionally followed by 'Z' or a UTC offset (then `had_zone` is set).
inline bool parse_time_after_date(const char* p, const char* e, std::int64_t days, TimeMs& out,
                                  bool& had_zone) {
    had_zone = false;
    TimeMs t = days * kMsPerDay;
    if (p != e) {
        if (*p != ' ' && *p != 'T')
            return false;
        ++p;
        // The clock ends where a zone designator starts.
        const char* z = p;
        while (z != e && *z != 'Z' && *z != 'z' && *z != '+' && *z != '-')
            ++z;
        TimeMs ms = 0;
        if (!parse_clock(p, z, ms))
            return false;
        t += ms;
        if (z != e) {
            auto off = parse_utc_offset(std::string_view(z, static_cast<std::size_t>(e - z)));
            if (!off)
                return false;
            t -= *off;
            had_zone = true;
        }
    }
    out = t;
    return true;
}

/// Parses a text timestamp: a date, optionally followed by ' ' or 'T' and a clock, optionally
/// followed by 'Z' or a UTC offset (then the result is UTC and `had_zone` is set).
inline bool parse_text_time(const char* b, const char* e, TimeMs& out, bool& had_zone) {
    std::int64_t days = 0;
    const char* p = parse_date_prefix(b, e, days);
    if (!p)
        return false;
    return parse_time_after_date(p, e, days, out, had_zone);
}

} // namespace aurum::import_detail
