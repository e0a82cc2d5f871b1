#include <gtest/gtest.h>

#include <random>

#include "core/time.hpp"
#include "core/timeframe.hpp"

using namespace aurum;

TEST(Time, civil_round_trip_over_four_centuries) {
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<TimeMs> dist(make_time(1900, 1, 1), make_time(2300, 1, 1));
    for (int i = 0; i < 20000; ++i) {
        const TimeMs t = dist(rng);
        EXPECT_EQ(time_from_civil(civil_from_time(t)), t);
    }
}

TEST(Time, known_epochs_and_weekdays) {
    EXPECT_EQ(make_time(1970, 1, 1), 0);
    EXPECT_EQ(make_time(2018, 1, 10, 7, 0), 1515567600000);
    EXPECT_EQ(weekday(make_time(2024, 12, 3)), 1); // Tuesday
    EXPECT_EQ(weekday(make_time(1969, 12, 31)), 2); // Wednesday, before the epoch
    EXPECT_EQ(minute_of_day(make_time(2024, 1, 1, 13, 37)), 13 * 60 + 37);
}

TEST(Time, parse_accepts_common_forms_and_offsets) {
    EXPECT_EQ(parse_time("2017-08-17"), make_time(2017, 8, 17));
    EXPECT_EQ(parse_time("2017-08-17 04:00:00"), make_time(2017, 8, 17, 4));
    EXPECT_EQ(parse_time("2017-08-17T04:00:00Z"), make_time(2017, 8, 17, 4));
    EXPECT_EQ(parse_time("2017-08-17T04:00"), make_time(2017, 8, 17, 4));
    EXPECT_EQ(parse_time("2015.01.02"), make_time(2015, 1, 2));
    EXPECT_EQ(parse_time("2017-08-17 04:00:00+02:00"), make_time(2017, 8, 17, 2));
    EXPECT_EQ(parse_time("2017-08-17 04:00:00.250"), make_time(2017, 8, 17, 4) + 250);
}

TEST(Time, parse_rejects_malformed_text) {
    for (const char* bad : {"", "2017", "2017-13-01", "2017-02-30", "2017-08-17 25:00",
                            "2017-08-17x", "17-08-2017", "2017-08-17 04:00:00+99:00"})
        EXPECT_FALSE(parse_time(bad).has_value()) << bad;
}

TEST(Time, durations_and_offsets) {
    EXPECT_EQ(parse_duration("24h"), 24 * kMsPerHour);
    EXPECT_EQ(parse_duration("15m"), 15 * kMsPerMinute);
    EXPECT_EQ(parse_duration("2w"), 2 * kMsPerWeek);
    EXPECT_FALSE(parse_duration("h").has_value());
    EXPECT_FALSE(parse_duration("-3h").has_value());
    EXPECT_FALSE(parse_duration("3x").has_value());
    EXPECT_EQ(parse_utc_offset("+02:00"), 2 * kMsPerHour);
    EXPECT_EQ(parse_utc_offset("-0530"), -(5 * kMsPerHour + 30 * kMsPerMinute));
    EXPECT_FALSE(parse_utc_offset("02:00").has_value());
    EXPECT_EQ(format_duration(kMsPerDay + 2 * kMsPerHour + 3 * kMsPerMinute), "1d 2h 3m");
}

TEST(Time, floor_is_correct_before_the_epoch) {
    EXPECT_EQ(floor_to(-1, kMsPerHour), -kMsPerHour);
    EXPECT_EQ(floor_to(kMsPerHour + 5, kMsPerHour), kMsPerHour);
}

TEST(Timeframe, parses_our_and_metatrader_names) {
    EXPECT_EQ(Timeframe::parse("4h")->ms(), 4 * kMsPerHour);
    EXPECT_EQ(Timeframe::parse("H1")->ms(), kMsPerHour);
    EXPECT_EQ(Timeframe::parse("M15")->name(), "15m");
    EXPECT_EQ(Timeframe::parse("D1")->name(), "1d");
    EXPECT_EQ(Timeframe::parse("1w")->name(), "1w");
    EXPECT_FALSE(Timeframe::parse("4x").has_value());
    EXPECT_FALSE(Timeframe::parse("0h").has_value());
    EXPECT_FALSE(Timeframe::parse("h").has_value());
}
