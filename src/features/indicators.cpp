#include "features/indicators.hpp"

#include <numbers>

namespace aurum {

void TimeEncoding::update(TimeMs t) {
    constexpr double two_pi = 2.0 * std::numbers::pi;
    // Fraction of the day from the open time (minutes are enough: bars are >= 1 minute).
    const double day = static_cast<double>(minute_of_day(t)) / 1440.0;
    const double week = (static_cast<double>(weekday(t)) + day) / 7.0;
    tod_sin = std::sin(two_pi * day);
    tod_cos = std::cos(two_pi * day);
    dow_sin = std::sin(two_pi * week);
    dow_cos = std::cos(two_pi * week);
}

} // namespace aurum
