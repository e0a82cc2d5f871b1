#include "core/timeframe.hpp"

#include <cctype>
#include <charconv>

#include "core/error.hpp"

namespace aurum {

std::optional<Timeframe> Timeframe::parse(std::string_view s) {
    if (s.size() < 2) return std::nullopt;
    char unit = 0;
    std::string_view digits;
    if (std::isdigit(static_cast<unsigned char>(s.front()))) {
        unit = s.back();
        digits = s.substr(0, s.size() - 1);
    } else {
        // MetaTrader style: M1, M5, H1, H4, D1, W1.
        switch (s.front()) {
        case 'M': unit = 'm'; break;
        case 'H': unit = 'h'; break;
        case 'D': unit = 'd'; break;
        case 'W': unit = 'w'; break;
        default: return std::nullopt;
        }
        digits = s.substr(1);
    }
    int n = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || p != digits.data() + digits.size() || n <= 0 || n > 100000)
        return std::nullopt;
    switch (unit) {
    case 'm': return Timeframe(n * kMsPerMinute);
    case 'h': return Timeframe(n * kMsPerHour);
    case 'd': return Timeframe(n * kMsPerDay);
    case 'w': return Timeframe(n * kMsPerWeek);
    default: return std::nullopt;
    }
}

Timeframe Timeframe::parse_or_throw(std::string_view s) {
    auto tf = parse(s);
    if (!tf)
        throw InputError("unknown timeframe '" + std::string(s) +
                         "' (expected e.g. 1m, 5m, 15m, 1h, 4h, 1d, 1w or H1, H4, D1)");
    return *tf;
}

std::string Timeframe::name() const {
    if (ms_ % kMsPerWeek == 0) return std::to_string(ms_ / kMsPerWeek) + "w";
    if (ms_ % kMsPerDay == 0) return std::to_string(ms_ / kMsPerDay) + "d";
    if (ms_ % kMsPerHour == 0) return std::to_string(ms_ / kMsPerHour) + "h";
    if (ms_ % kMsPerMinute == 0) return std::to_string(ms_ / kMsPerMinute) + "m";
    return std::to_string(ms_ / kMsPerSecond) + "s";
}

} // namespace aurum
