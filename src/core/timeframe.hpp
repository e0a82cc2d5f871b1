#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/time.hpp"

namespace aurum {

/// A bar duration: 1m, 5m, 15m, 30m, 1h, 4h, 1d, 1w, or any whole number of minutes/hours/days.
class Timeframe {
public:
    constexpr Timeframe() = default;
    constexpr explicit Timeframe(TimeMs duration_ms) : ms_(duration_ms) {}

    /// Accepts "5m", "1h", "4h", "1d", "1w" and MetaTrader names "M5", "H1", "H4", "D1", "W1".
    static std::optional<Timeframe> parse(std::string_view text);
    /// Like parse, but throws InputError naming the value.
    static Timeframe parse_or_throw(std::string_view text);

    constexpr TimeMs ms() const { return ms_; }
    /// Canonical name: "1m", "15m", "1h", "4h", "1d", "1w".
    std::string name() const;
    /// Bars per year for a market open 24/7 (used to annualise crypto metrics).
    double bars_per_year() const { return 365.0 * kMsPerDay / static_cast<double>(ms_); }

    constexpr bool operator==(const Timeframe&) const = default;
    constexpr auto operator<=>(const Timeframe&) const = default;

private:
    TimeMs ms_ = kMsPerHour;
};

} // namespace aurum
