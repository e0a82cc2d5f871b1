// The holiday calendar: Easter, observance, n-th weekdays, early closes, instruments.yaml entries.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/holiday_calendar.hpp"
#include "core/instrument.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

TEST(HolidayCalendar, easter_sunday_matches_known_dates) {
    EXPECT_EQ(easter_sunday(2000), make_time(2000, 4, 23));
    EXPECT_EQ(easter_sunday(2019), make_time(2019, 4, 21));
    EXPECT_EQ(easter_sunday(2024), make_time(2024, 3, 31));
    EXPECT_EQ(easter_sunday(2025), make_time(2025, 4, 20));
    EXPECT_EQ(easter_sunday(2038), make_time(2038, 4, 25)); // latest possible
    EXPECT_EQ(easter_sunday(2285), make_time(2285, 3, 22)); // earliest possible
    for (int y = 1990; y < 2100; ++y) EXPECT_EQ(weekday(easter_sunday(y)), 6) << y;
}

TEST(HolidayCalendar, gold_closes_on_good_friday_christmas_and_new_year_every_year) {
    const TradingSessions g = InstrumentRegistry().get("XAUUSD").sessions;
    ASSERT_TRUE(g.holidays);
    for (int y = 2010; y < 2040; ++y) {
        const TimeMs good_friday = easter_sunday(y) - 2 * kMsPerDay;
        EXPECT_FALSE(g.is_open(good_friday + 12 * kMsPerHour)) << y;
        EXPECT_EQ(g.holidays->rule_at(good_friday + 12 * kMsPerHour)->name, "Good Friday");
        EXPECT_TRUE(g.is_open(good_friday - 2 * kMsPerDay + 12 * kMsPerHour)) << y; // Wednesday
        EXPECT_FALSE(g.is_open(make_time(y, 12, 25, 12))) << y;
        EXPECT_FALSE(g.is_open(make_time(y, 1, 1, 12))) << y;
    }
    // The Friday session starts the evening before: Thursday 23:00 of Good Friday 2025.
    EXPECT_FALSE(g.is_open(make_time(2025, 4, 17, 23)));
    EXPECT_TRUE(g.is_open(make_time(2025, 4, 17, 20)));
}

TEST(HolidayCalendar, weekend_holidays_are_observed_and_early_closes_keep_the_morning) {
    const TradingSessions g = InstrumentRegistry().get("XAUUSD").sessions;
    EXPECT_FALSE(g.is_open(make_time(2022, 12, 26, 12))); // Christmas on Sunday -> Monday
    EXPECT_FALSE(g.is_open(make_time(2021, 12, 24, 12))); // Christmas on Saturday -> Friday
    EXPECT_FALSE(g.is_open(make_time(2023, 1, 2, 12)));   // New Year on Sunday -> Monday
    EXPECT_TRUE(g.is_open(make_time(2021, 12, 31, 12)));  // New Year on Saturday: Friday trades
    // Martin Luther King Day 2024 (third Monday of January): morning open, early close.
    EXPECT_TRUE(g.is_open(make_time(2024, 1, 15, 12)));
    EXPECT_FALSE(g.is_open(make_time(2024, 1, 15, 19)));
    EXPECT_TRUE(g.is_open(make_time(2024, 1, 22, 19)));   // an ordinary Monday evening
    // Thanksgiving 2024 is 28 November (fourth Thursday) and the Friday after closes early.
    EXPECT_FALSE(g.is_open(make_time(2024, 11, 28, 19)));
    EXPECT_FALSE(g.is_open(make_time(2024, 11, 29, 19)));
    EXPECT_FALSE(g.is_open(make_time(2024, 5, 27, 19)));  // Memorial Day: last Monday of May
    // Juneteenth only since 2022.
    EXPECT_TRUE(g.is_open(make_time(2021, 6, 18, 19)) && g.is_open(make_time(2021, 6, 21, 19)));
    EXPECT_FALSE(g.is_open(make_time(2024, 6, 19, 19)));
    // Crypto has no calendar.
    EXPECT_FALSE(InstrumentRegistry().get("BTC/USDT").sessions.holidays);
}

TEST(HolidayCalendar, rule_syntax_and_errors) {
    const auto r = HolidayRule::parse("x", "4th thu nov+1", "from 18:00", "none", 0, "");
    EXPECT_EQ(*r.day_in(2024), make_time(2024, 11, 29));
    EXPECT_EQ(r.closed_from, 18 * 60);
    const auto once = HolidayRule::parse("outage", "2025-07-03", "02:00-10:00", "none", 0, "");
    EXPECT_EQ(*once.day_in(2025), make_time(2025, 7, 3));
    EXPECT_FALSE(once.day_in(2024));
    EXPECT_EQ(*HolidayRule::parse("x", "last mon may", "all day", "none", 0, "").day_in(2024),
              make_time(2024, 5, 27));
    EXPECT_FALSE(HolidayRule::parse("x", "5th fri feb", "all day", "none", 0, "").day_in(2023));
    for (const char* bad : {"13-01", "02-30", "easter-x", "6th mon jan", "first mon jan", "soon"})
        EXPECT_THROW(HolidayRule::parse("x", bad, "all day", "none", 0, ""), InputError) << bad;
    for (const char* bad : {"from 25:00", "18:00-17:00", "sometimes", "until 7"})
        EXPECT_THROW(HolidayRule::parse("x", "12-24", bad, "none", 0, ""), InputError) << bad;
    EXPECT_THROW(HolidayRule::parse("x", "12-24", "all day", "friday", 0, ""), InputError);
}

TEST(HolidayCalendar, instruments_yaml_adds_and_replaces_entries) {
    test::TempDir tmp;
    const auto path = tmp / "instruments.yaml";
    test::write_text(path, "instruments:\n"
                           "  - symbol: XAUUSD\n"
                           "    add_holidays:\n"
                           "      - {name: broker outage, date: 2025-07-03, closed: 02:00-10:00}\n");
    auto g = InstrumentRegistry::load(path.string()).get("XAUUSD").sessions;
    EXPECT_FALSE(g.is_open(make_time(2025, 7, 3, 5)));
    EXPECT_EQ(g.holidays->rule_at(make_time(2025, 7, 3, 5))->name, "broker outage");
    EXPECT_FALSE(g.is_open(make_time(2025, 12, 25, 12))); // the built-ins stay

    test::write_text(path, "instruments:\n"
                           "  - symbol: XAUUSD\n"
                           "    holidays:\n"
                           "      - {date: easter-2}\n");
    g = InstrumentRegistry::load(path.string()).get("XAUUSD").sessions;
    EXPECT_TRUE(g.is_open(make_time(2024, 12, 25, 12))); // replaced: Christmas is gone
    EXPECT_FALSE(g.is_open(make_time(2024, 3, 29, 12)));

    test::write_text(path, "instruments:\n"
                           "  - symbol: XAUUSD\n"
                           "    holidays:\n"
                           "      - {name: Christmas, date: 12-25}\n"
                           "      - {name: typo, date: 12-32}\n");
    try {
        InstrumentRegistry::load(path.string());
        FAIL() << "a bad date was accepted";
    } catch (const InputError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("instruments.yaml:5"), std::string::npos) << m;
        EXPECT_NE(m.find("holidays[1].date"), std::string::npos) << m;
        EXPECT_NE(m.find("12-32"), std::string::npos) << m;
    }
}

} // namespace
} // namespace aurum
