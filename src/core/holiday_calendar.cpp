#include "core/holiday_calendar.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "core/error.hpp"

namespace aurum {

TimeMs easter_sunday(int year) {
    const int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
    const int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
    const int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
    const int m = (a + 11 * h + 22 * l) / 451;
    const int month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
    return make_time(year, month, day);
}

namespace {

int days_in_month(int year, int month) {
    const int next_y = month == 12 ? year + 1 : year, next_m = month == 12 ? 1 : month + 1;
    return static_cast<int>(days_from_civil(next_y, next_m, 1) - days_from_civil(year, month, 1));
}

const char* const kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                               "jul", "aug", "sep", "oct", "nov", "dec"};
const char* const kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

int index_of(const char* const* names, int n, const std::string& s) {
    for (int i = 0; i < n; ++i)
        if (s == names[i]) return i;
    return -1;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// "HH:MM" (24:00 allowed) as minutes, or -1.
int parse_hhmm(const std::string& s) {
    int h = -1, m = -1;
    char colon = 0;
    std::istringstream in(s);
    if (!(in >> h >> colon >> m) || colon != ':' || !in.eof()) return -1;
    if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0)) return -1;
    return h * 60 + m;
}

} // namespace

std::optional<TimeMs> HolidayRule::day_in(int y) const {
    if (since_year && y < since_year) return std::nullopt;
    TimeMs d = 0;
    switch (base) {
    case Base::OneOff:
        if (y != year) return std::nullopt;
        d = make_time(year, month, day);
        break;
    case Base::Easter: d = easter_sunday(y); break;
    case Base::Fixed: {
        d = make_time(y, month, day);
        const int wd = aurum::weekday(d);
        if (observed == "nearest" && wd == 5) d -= kMsPerDay;
        else if ((observed == "nearest" || observed == "monday") && wd == 6) d += kMsPerDay;
        break;
    }
    case Base::NthWeekday: {
        const int first_wd = aurum::weekday(make_time(y, month, 1));
        int dom = 1 + (weekday - first_wd + 7) % 7;
        const int dim = days_in_month(y, month);
        if (nth < 0) {
            while (dom + 7 <= dim) dom += 7;
        } else {
            dom += 7 * (nth - 1);
            if (dom > dim) return std::nullopt;
        }
        d = make_time(y, month, dom);
        break;
    }
    }
    return d + offset_days * kMsPerDay;
}

HolidayRule HolidayRule::parse(const std::string& name, const std::string& date_text,
                               const std::string& closed, const std::string& observed,
                               int since_year, const std::string& where) {
    HolidayRule r;
    r.name = name;
    r.date = date_text;
    r.since_year = since_year;
    // Messages start with the field at fault, so a config reader can point at its line.
    auto bad = [&](const std::string& field, const std::string& what) -> InputError {
        return InputError((where.empty() ? "" : where + ": ") + field + ": " + what);
    };
    if (observed != "none" && observed != "monday" && observed != "nearest")
        throw bad("observed", "must be none, monday or nearest, got '" + observed + "'");
    r.observed = observed;

    std::string s = lower(date_text);
    // Offsets: "easter-2", "4th thu nov+1".
    int offset = 0;
    if (const auto pos = s.find_last_of("+-"); pos != std::string::npos && pos > 0 &&
                                               std::isalpha(static_cast<unsigned char>(s[pos - 1]))) {
        const std::string tail = s.substr(pos + 1);
        if (tail.empty() || tail.size() > 3 ||
            !std::all_of(tail.begin(), tail.end(),
                         [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
            throw bad("date", "bad day offset in date '" + date_text + "' (e.g. easter-2)");
        offset = std::stoi(tail) * (s[pos] == '-' ? -1 : 1);
        s.resize(pos);
    }
    r.offset_days = offset;
    int y = 0, m = 0, d = 0;
    char c1 = 0, c2 = 0;
    std::istringstream in(s);
    std::string w1, w2, w3, extra;
    if (s == "easter") {
        r.base = Base::Easter;
    } else if (std::istringstream one(s); (one >> y >> c1 >> m >> c2 >> d) && c1 == '-' &&
                                          c2 == '-' && one.eof() && y > 1900) {
        r.base = Base::OneOff;
        r.year = y;
        r.month = m;
        r.day = d;
    } else if (std::istringstream two(s); (two >> m >> c1 >> d) && c1 == '-' && two.eof()) {
        r.base = Base::Fixed;
        r.month = m;
        r.day = d;
    } else if ((in >> w1 >> w2 >> w3) && !(in >> extra)) {
        static const char* const nths[] = {"1st", "2nd", "3rd", "4th", "5th"};
        r.base = Base::NthWeekday;
        r.nth = w1 == "last" ? -1 : index_of(nths, 5, w1) + 1;
        r.weekday = index_of(kDays, 7, w2);
        r.month = index_of(kMonths, 12, w3) + 1;
        if (r.nth == 0 || r.weekday < 0 || r.month == 0)
            throw bad("date", "expected '<1st..5th|last> <mon..sun> <jan..dec>', got '" + date_text + "'");
        r.day = 1;
    } else {
        throw bad("date", "expected a date like 12-25, 2025-07-03, easter-2 or '3rd mon jan', got '" +
                  date_text + "'");
    }
    if (r.month < 1 || r.month > 12 || r.day < 1 ||
        r.day > days_in_month(r.base == Base::OneOff ? r.year : 2024, r.month))
        throw bad("date", "no such day in date '" + date_text + "'");

    const std::string cl = lower(closed);
    int from = -1, to = -1;
    if (cl == "all day") {
        from = -60; // the trading day opens at 23:00 UTC the evening before
        to = 1440;
    } else if (cl.rfind("from ", 0) == 0) {
        from = parse_hhmm(cl.substr(5));
        to = 1440;
    } else if (cl.rfind("until ", 0) == 0) {
        from = 0;
        to = parse_hhmm(cl.substr(6));
    } else if (const auto dash = cl.find('-'); dash != std::string::npos) {
        from = parse_hhmm(cl.substr(0, dash));
        to = parse_hhmm(cl.substr(dash + 1));
    }
    if ((from < 0 && from != -60) || to < 0 || to <= from)
        throw bad("closed", "must be 'all day', 'from HH:MM', 'until HH:MM' or 'HH:MM-HH:MM' (UTC, "
                            "start before end), got '" + closed + "'");
    r.closed_from = from;
    r.closed_to = to;
    return r;
}

HolidayCalendar::HolidayCalendar(std::vector<HolidayRule> rules) : rules_(std::move(rules)) {
    for (std::size_t k = 0; k < rules_.size(); ++k)
        for (int y = 1970; y < 2200; ++y)
            if (const auto d = rules_[k].day_in(y))
                spans_.push_back({*d + rules_[k].closed_from * kMsPerMinute,
                                  *d + rules_[k].closed_to * kMsPerMinute, k});
    std::sort(spans_.begin(), spans_.end(),
              [](const Span& a, const Span& b) { return a.from < b.from; });
    // Spans may overlap (Christmas Eve's early close runs into Christmas): a running maximum of
    // their ends tells a lookup how far back an overlapping span can start.
    max_to_.reserve(spans_.size());
    TimeMs m = INT64_MIN;
    for (const Span& s : spans_) max_to_.push_back(m = std::max(m, s.to));
}

const HolidayRule* HolidayCalendar::rule_at(TimeMs t) const {
    auto it = std::upper_bound(spans_.begin(), spans_.end(), t,
                               [](TimeMs v, const Span& s) { return v < s.from; });
    for (auto i = it - spans_.begin() - 1; i >= 0 && max_to_[static_cast<std::size_t>(i)] > t; --i)
        if (t < spans_[static_cast<std::size_t>(i)].to)
            return &rules_[spans_[static_cast<std::size_t>(i)].rule];
    return nullptr;
}

bool HolidayCalendar::closed(TimeMs t) const { return rule_at(t) != nullptr; }

std::vector<HolidayRule> HolidayCalendar::gold_rules() {
    const std::string where = "built-in gold calendar";
    auto rule = [&](const char* name, const char* date, const char* closed,
                    const char* observed = "none", int since = 0) {
        return HolidayRule::parse(name, date, closed, observed, since, where);
    };
    const char* early = "18:00-21:00"; // CME metals close 13:30 ET on US holidays
    return {
        rule("New Year's Day", "01-01", "all day", "monday"),
        rule("Good Friday", "easter-2", "all day"),
        rule("Christmas Day", "12-25", "all day", "nearest"),
        rule("Christmas Eve early close", "12-24", "from 19:00"),
        rule("New Year's Eve early close", "12-31", "from 19:00"),
        rule("Boxing Day late open", "12-26", "until 04:00"),
        rule("2 January late open", "01-02", "until 04:00"),
        rule("Martin Luther King Day early close", "3rd mon jan", early),
        rule("Presidents' Day early close", "3rd mon feb", early),
        rule("Memorial Day early close", "last mon may", early),
        rule("Juneteenth early close", "06-19", early, "nearest", 2022),
        rule("Independence Day early close", "07-04", early, "nearest"),
        rule("Labor Day early close", "1st mon sep", early),
        rule("Thanksgiving early close", "4th thu nov", early),
        rule("Day after Thanksgiving early close", "4th thu nov+1", early),
    };
}

} // namespace aurum
