// Cron-like daemon jobs: due times, once per due time, and clear errors for bad schedules.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "live/daemon_app.hpp"
#include "live/scheduler.hpp"
#include "support/test_support.hpp"

using namespace aurum;

TEST(Scheduler, daily_weekly_and_every_compute_the_next_due_time) {
    const TimeMs t = make_time(2024, 12, 3, 9, 30); // a Tuesday
    EXPECT_EQ(parse_schedule("d", "daily 08:00", "x").next_after(t), make_time(2024, 12, 4, 8, 0));
    EXPECT_EQ(parse_schedule("d", "daily 10:00", "x").next_after(t), make_time(2024, 12, 3, 10, 0));
    EXPECT_EQ(parse_schedule("w", "weekly sun 02:00", "x").next_after(t), make_time(2024, 12, 8, 2, 0));
    EXPECT_EQ(parse_schedule("e", "every 4h", "x").next_after(t), make_time(2024, 12, 3, 12, 0));
}

TEST(Scheduler, runs_each_job_once_per_due_time) {
    Scheduler s;
    std::vector<TimeMs> runs;
    s.add(parse_schedule("daily_summary", "daily 08:00", "x"), [&](TimeMs due) { runs.push_back(due); });
    const TimeMs d0 = make_time(2024, 1, 1);
    s.tick(d0);                             // start: nothing runs
    s.tick(d0 + 7 * kMsPerHour);            // 07:00
    EXPECT_TRUE(runs.empty());
    s.tick(d0 + 8 * kMsPerHour + 1);        // 08:00 passed
    s.tick(d0 + 9 * kMsPerHour);            // same day again: no second run
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0], d0 + 8 * kMsPerHour);
    s.tick(d0 + 3 * kMsPerDay);             // a long gap runs it once, not three times
    EXPECT_EQ(runs.size(), 2u);
}

TEST(Scheduler, bad_schedules_are_named) {
    EXPECT_THROW(parse_schedule("j", "daily 25:00", "config/live.yaml: live.jobs.j"), InputError);
    EXPECT_THROW(parse_schedule("j", "weekly funday 02:00", "w"), InputError);
    EXPECT_THROW(parse_schedule("j", "every 10s", "w"), InputError);
    try {
        parse_schedule("j", "hourly", "config/live.yaml: live.jobs.j");
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("config/live.yaml: live.jobs.j"), std::string::npos);
    }
}

TEST(Scheduler, monthly_runs_on_the_first_given_weekday_of_each_month) {
    const JobSpec m = parse_schedule("db_maintenance", "monthly first sun 04:00", "w");
    // 1 Dec 2024 is a Sunday; the next first Sunday is 5 January 2025, then 2 February.
    EXPECT_EQ(m.next_after(make_time(2024, 11, 20)), make_time(2024, 12, 1, 4));
    EXPECT_EQ(m.next_after(make_time(2024, 12, 1, 4)), make_time(2025, 1, 5, 4));
    EXPECT_EQ(m.next_after(make_time(2025, 1, 5, 5)), make_time(2025, 2, 2, 4));
    TimeMs t = make_time(2020, 1, 1);
    for (int i = 0; i < 60; ++i) { // five years: always a Sunday in days 1..7, one per month
        const TimeMs next = m.next_after(t);
        EXPECT_EQ(weekday(next), 6);
        EXPECT_LE(civil_from_time(next).day, 7);
        if (i > 0) {
            EXPECT_NE(civil_from_time(next).month, civil_from_time(t).month);
        }
        t = next;
    }
    EXPECT_THROW(parse_schedule("j", "monthly first funday 04:00", "w"), InputError);
    EXPECT_THROW(parse_schedule("j", "monthly second sun 04:00", "w"), InputError);
}

TEST(Scheduler, shipped_live_yaml_schedules_the_data_quality_and_db_maintenance_jobs) {
    const LiveFileConfig c = load_live_config(std::filesystem::path(AURUM_SOURCE_DIR) / "config" /
                                              "live.yaml");
    bool quality = false, maintenance = false;
    for (const JobSpec& j : c.jobs) {
        quality = quality || (j.name == "data_quality" && j.kind == JobSpec::Kind::Weekly);
        maintenance =
            maintenance || (j.name == "db_maintenance" && j.kind == JobSpec::Kind::Monthly &&
                            j.weekday == 6);
    }
    EXPECT_TRUE(quality);
    EXPECT_TRUE(maintenance);
}

TEST(LiveConfig, the_exchange_profile_picks_mainnet_or_testnet_and_base_url_overrides_it) {
    test::TempDir dir;
    const auto file = dir / "live.yaml";
    EXPECT_EQ(load_live_config(std::filesystem::path(AURUM_SOURCE_DIR) / "config" / "live.yaml")
                  .exchange_url,
              kBinanceSpotBaseUrl);
    test::write_text(file, "live:\n  exchange:\n    profile: testnet\n");
    EXPECT_EQ(load_live_config(file).exchange_url, kBinanceSpotTestnetUrl);
    test::write_text(file, "live:\n  exchange:\n    profile: testnet\n    base_url: http://127.0.0.1:9\n");
    EXPECT_EQ(load_live_config(file).exchange_url, "http://127.0.0.1:9");
    test::write_text(file, "live:\n  exchange:\n    profile: prod\n");
    try {
        load_live_config(file);
        FAIL() << "accepted";
    } catch (const InputError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("live.yaml:3"), std::string::npos) << m;
        EXPECT_NE(m.find("profile"), std::string::npos) << m;
        EXPECT_NE(m.find("mainnet or testnet"), std::string::npos) << m;
    }
}

TEST(LiveConfig, the_streams_follow_the_profile_and_a_bad_stream_url_names_its_line) {
    test::TempDir dir;
    const auto file = dir / "live.yaml";
    test::write_text(file, "live:\n  exchange:\n    profile: testnet\n");
    LiveFileConfig c = load_live_config(file);
    EXPECT_EQ(c.stream_url, kBinanceTestnetStreamUrl);
    EXPECT_EQ(c.ws_api_url, kBinanceTestnetWsApiUrl);
    // A REST URL of one's own without stream URLs: no streams (never the real ones with a fake).
    test::write_text(file, "live:\n  exchange:\n    base_url: http://127.0.0.1:9\n");
    c = load_live_config(file);
    EXPECT_TRUE(c.stream_url.empty());
    EXPECT_TRUE(configured_venue(c, {}).stream_url.empty());
    test::write_text(file, "live:\n  exchange:\n    streams: true\n    stream_url: http://127.0.0.1:9\n");
    try {
        load_live_config(file);
        FAIL() << "accepted";
    } catch (const InputError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("live.yaml:4"), std::string::npos) << m;
        EXPECT_NE(m.find("stream_url"), std::string::npos) << m;
        EXPECT_NE(m.find("ws:// or wss://"), std::string::npos) << m;
    }
    test::write_text(file, "live:\n  exchange:\n    streams: maybe\n");
    EXPECT_THROW(load_live_config(file), InputError);
}
