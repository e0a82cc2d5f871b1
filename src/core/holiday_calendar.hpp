#pragma once
// Exchange holidays and early closes of an instrument, computed per year from rules (fixed dates
// with weekend observance, Easter-relative days, n-th weekdays of a month, one-off dates), so a
// closure is never mistaken for a data gap. Gold's default calendar and the instruments.yaml
// syntax are documented in docs/data-quality.md.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace aurum {

/// Easter Sunday of a Gregorian year (anonymous Gregorian algorithm), as 00:00 UTC of that day.
TimeMs easter_sunday(int year);

/// One recurring (or one-off) closure: which day, and which UTC hours of it are closed.
struct HolidayRule {
    std::string name;  ///< "Good Friday"
    std::string date;  ///< as written: "12-25", "easter-2", "3rd mon jan", "last mon may+1", "2025-07-03"
    enum class Base { Fixed, Easter, NthWeekday, OneOff } base = Base::Fixed;
    int month = 1, day = 1;  ///< Fixed (and OneOff, with `year`)
    int year = 0;            ///< OneOff
    int weekday = 0;         ///< NthWeekday: 0 = Monday
    int nth = 1;             ///< NthWeekday: 1..5, -1 = last
    int offset_days = 0;     ///< added to the base day ("easter-2": -2)
    /// Fixed dates on a weekend: "none", "monday" (Sunday -> Monday), "nearest" (Saturday ->
    /// Friday, Sunday -> Monday).
    std::string observed = "none";
    int since_year = 0;     ///< first year the rule applies (0: always)
    /// Minutes of the UTC day closed, [from, to). "all day" is -60..1440: a trading day of gold
    /// opens at 23:00 UTC the evening before.
    int closed_from = -60, closed_to = 1440;

    /// The UTC day (00:00) the rule falls on in `year` (observance applied); nullopt when the
    /// rule does not occur that year (a one-off of another year, a 5th weekday that does not exist).
    std::optional<TimeMs> day_in(int year) const;
    /// Parses the `date` text into the fields above; throws InputError "<where>: ..." naming it.
    /// `closed`: "all day", "from HH:MM", "until HH:MM" or "HH:MM-HH:MM" (UTC).
    static HolidayRule parse(const std::string& name, const std::string& date,
                             const std::string& closed, const std::string& observed,
                             int since_year, const std::string& where);
};

/// The closed intervals of a set of rules, precomputed for 1970-2199 for an O(log n) lookup.
class HolidayCalendar {
public:
    explicit HolidayCalendar(std::vector<HolidayRule> rules);
    /// True when t falls in a holiday closure or early close.
    bool closed(TimeMs t) const;
    /// The rule closing t, or nullptr.
    const HolidayRule* rule_at(TimeMs t) const;
    const std::vector<HolidayRule>& rules() const { return rules_; }

    /// Gold (XAUUSD, CME metals via an MT5 broker) in UTC: New Year, Good Friday, Christmas
    /// closed all day (weekend observance), early closes on Christmas Eve, New Year's Eve and
    /// US holidays, late opens on 26 December and 2 January.
    static std::vector<HolidayRule> gold_rules();

private:
    struct Span {
        TimeMs from, to;
        std::size_t rule;
    };
    std::vector<HolidayRule> rules_;
    std::vector<Span> spans_;    ///< sorted by `from`
    std::vector<TimeMs> max_to_; ///< max of spans_[0..i].to
};

} // namespace aurum
