// The holiday calendar and the gap listing on the real MT5 gold export (issue 12): closures of
// Christmas, New Year and Good Friday are not gaps, a 5-hour hole on a Wednesday of 2024 is
// listed with its date and length and FAILs, `data validate --since` checks only the new bars.
#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/market_store.hpp"
#include "data/validation.hpp"
#include "support/data/shared_bars.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

constexpr const char* kGold = "mt5/XAUUSD_H1_201501020900_202512221100.csv";

/// The gold export in UTC (the broker's server time is UTC+2).
BarSeries gold_bars() { return test::load_shared_bars(kGold, 2 * kMsPerHour); }

/// `s` without the bars opening in [from, to).
BarSeries without(const BarSeries& s, TimeMs from, TimeMs to) {
    BarSeries out;
    out.symbol = s.symbol;
    out.timeframe = s.timeframe;
    out.has_spread_column = s.has_spread_column;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i)
        if (s.time[i] < from || s.time[i] >= to) out.push_back(s.at(i));
    return out;
}


TEST(GoldCalendar, christmas_new_year_and_good_friday_closures_are_not_gaps) {
    AURUM_REQUIRE_SHARED_DATA(file, kGold);
    const BarSeries s = gold_bars();
    ASSERT_EQ(s.size(), 64642u);
    const Instrument gold = InstrumentRegistry().get("XAUUSD");
    const ValidationReport r = validate_series(s, gold, ValidationConfig{});
    ASSERT_FALSE(r.gaps.empty());
    int closures_checked = 0;
    for (int y = 2015; y <= 2025; ++y) {
        std::vector<TimeMs> days = {make_time(y, 12, 25), easter_sunday(y) - 2 * kMsPerDay};
        if (y > 2015) days.push_back(make_time(y, 1, 1));
        for (TimeMs day : days) {
            if (weekday(day) >= 5) continue; // a weekend holiday closes nothing extra
            ++closures_checked;
            // No bar of the closure is expected, so none can be counted missing ...
            for (TimeMs h = day; h < day + kMsPerDay; h += kMsPerHour)
                EXPECT_FALSE(session_expects_bar(gold.sessions, h, s.timeframe)) << format_time(h);
            // ... and no gap starts in it (the trading day opens at 23:00 the evening before).
            for (const GapInfo& g : r.gaps)
                EXPECT_FALSE(g.from >= day - kMsPerHour && g.from < day + kMsPerDay)
                    << "a gap on the closure of " << format_date(day) << ": "
                    << format_time(g.from) << " (" << g.missing << " bars)";
        }
    }
    EXPECT_GE(closures_checked, 25); // the loop really looked at the holidays
    // Every gap left is a weekday hole, and the text lists each one with its date.
    const std::string text = format_report(r);
    for (const GapInfo& g : r.gaps) {
        EXPECT_LT(weekday(g.from), 5) << format_time(g.from);
        EXPECT_NE(text.find(format_time(g.from)), std::string::npos) << format_time(g.from);
    }
    // Of 119 "gaps" before the calendar, the holiday closures and early closes are gone.
    EXPECT_LT(r.gaps.size(), 30u) << text;
    EXPECT_EQ(static_cast<std::int64_t>(r.gaps.size()), r.check("gaps")->count);
}

TEST(GoldCalendar, the_real_holes_of_the_export_are_listed_and_fail) {
    AURUM_REQUIRE_SHARED_DATA(file, kGold);
    const ValidationReport r =
        validate_series(gold_bars(), InstrumentRegistry().get("XAUUSD"), ValidationConfig{});
    // The broker's export misses most of Tuesday 20 January 2015 and the early hours of 3 July
    // 2025: data holes, not closures.
    auto find = [&](TimeMs from) {
        return std::find_if(r.gaps.begin(), r.gaps.end(),
                            [&](const GapInfo& g) { return g.from == from; });
    };
    const auto a = find(make_time(2025, 7, 3, 2));
    ASSERT_NE(a, r.gaps.end()) << format_report(r);
    EXPECT_EQ(a->missing, 8);
    EXPECT_EQ(a->severity, Severity::Fail);
    EXPECT_EQ(r.check("gaps")->status, Severity::Fail);
    for (const GapInfo& g : r.gaps)
        EXPECT_EQ(g.severity == Severity::Fail, g.open_market >= 4 * kMsPerHour)
            << format_time(g.from);
}

TEST(GoldCalendar, a_five_hour_hole_on_a_wednesday_of_2024_is_listed_and_fails) {
    AURUM_REQUIRE_SHARED_DATA(file, kGold);
    const TimeMs hole = make_time(2024, 3, 13, 10); // Wednesday 10:00 UTC
    ASSERT_EQ(weekday(hole), 2);
    const BarSeries s = without(gold_bars(), hole, hole + 5 * kMsPerHour);
    ASSERT_EQ(s.size(), 64642u - 5u);
    const ValidationReport r =
        validate_series(s, InstrumentRegistry().get("XAUUSD"), ValidationConfig{});
    const auto g = std::find_if(r.gaps.begin(), r.gaps.end(),
                                [&](const GapInfo& x) { return x.from == hole; });
    ASSERT_NE(g, r.gaps.end());
    EXPECT_EQ(g->missing, 5);
    EXPECT_EQ(g->until, hole + 5 * kMsPerHour);
    EXPECT_EQ(g->open_market, 5 * kMsPerHour);
    EXPECT_EQ(g->severity, Severity::Fail);
    EXPECT_EQ(r.status(), Severity::Fail);
    const std::string text = format_report(r);
    EXPECT_NE(text.find("FAIL 2024-03-13 10:00:00  5 expected bars missing (5h 0m of open market)"),
              std::string::npos)
        << text;
    // In --json too, with every gap (not five examples).
    const nlohmann::json j = report_to_json(r);
    ASSERT_EQ(j["gaps"].size(), r.gaps.size());
    bool listed = false;
    for (const auto& x : j["gaps"])
        listed = listed || (x["from"] == "2024-03-13T10:00:00Z" && x["missing_bars"] == 5 &&
                            x["severity"] == "FAIL");
    EXPECT_TRUE(listed) << j["gaps"].dump();
    EXPECT_GT(j["checks"][4]["examples"].size(), 5u);
}

TEST(GoldCalendar, a_shorter_hole_warns_per_the_configured_rule) {
    AURUM_REQUIRE_SHARED_DATA(file, kGold);
    const TimeMs hole = make_time(2024, 3, 13, 10);
    const BarSeries s = without(gold_bars(), hole, hole + 5 * kMsPerHour);
    ValidationConfig cfg;
    cfg.gaps_fail_session_gap = 6 * kMsPerHour;
    const ValidationReport r = validate_series(s, InstrumentRegistry().get("XAUUSD"), cfg,
                                               make_time(2024, 1, 1));
    const auto g = std::find_if(r.gaps.begin(), r.gaps.end(),
                                [&](const GapInfo& x) { return x.from == hole; });
    ASSERT_NE(g, r.gaps.end());
    EXPECT_EQ(g->severity, Severity::Warn);
}

// ----- the CLI ---------------------------------------------------------------------------------

struct GoldWorkspace {
    test::TempDir dir;
    std::string home() const { return dir.path().string(); }
    test::CliResult run(std::vector<std::string> args) const {
        args.insert(args.begin(), {"--home", home()});
        return test::run_aurum(args);
    }
    void store(const BarSeries& s) const {
        std::filesystem::create_directories(dir.path() / "data");
        open_market_store((dir.path() / "data" / "aurum.db").string())->upsert_bars(s);
    }
};

TEST(GoldCalendarCli, validate_lists_the_hole_with_date_and_length_and_exits_1) {
    AURUM_REQUIRE_SHARED_DATA(file, kGold);
    GoldWorkspace ws;
    const TimeMs hole = make_time(2024, 3, 13, 10);
    ws.store(without(gold_bars(), hole, hole + 5 * kMsPerHour));
    auto r = ws.run({"data", "validate", "--symbol", "XAUUSD"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("FAIL 2024-03-13 10:00:00  5 expected bars missing (5h 0m of open market)"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("Validation FAILED"), std::string::npos);
    const auto gaps_at = r.out.find("  gaps "), sessions_at = r.out.find("  sessions ");
    ASSERT_LT(gaps_at, sessions_at);
    EXPECT_EQ(r.out.substr(gaps_at, sessions_at - gaps_at).find(" more\n"), std::string::npos)
        << "a gap hidden behind '... N more'";
    r = ws.run({"--json", "data", "validate", "--symbol", "XAUUSD"});
    EXPECT_EQ(r.exit_code, 1);
    const auto j = nlohmann::json::parse(r.out);
    const auto& gaps = j["series"][0]["gaps"];
    EXPECT_TRUE(std::any_of(gaps.begin(), gaps.end(), [](const nlohmann::json& g) {
        return g["from"] == "2024-03-13T10:00:00Z" && g["open_market"] == "5h 0m";
    })) << gaps.dump();
}

TEST(GoldCalendarCli, since_checks_only_the_new_bars_and_their_join) {
    AURUM_REQUIRE_SHARED_DATA(file, kGold);
    GoldWorkspace ws;
    const TimeMs old_hole = make_time(2024, 3, 13, 10);
    const TimeMs join_hole = make_time(2025, 12, 10, 9); // Wednesday; --since inside it
    BarSeries s = without(gold_bars(), old_hole, old_hole + 5 * kMsPerHour);
    s = without(s, join_hole, join_hole + 5 * kMsPerHour);
    ws.store(s);
    const TimeMs since = make_time(2025, 12, 10, 12);
    auto r = ws.run({"--json", "data", "validate", "--symbol", "XAUUSD", "--since",
                     "2025-12-10T12:00"});
    ASSERT_EQ(r.exit_code, 1) << r.out << r.err; // the join hole is 5h: FAIL
    const auto j = nlohmann::json::parse(r.out);
    const auto& series = j["series"][0];
    const auto new_bars = std::count_if(s.time.begin(), s.time.end(),
                                        [&](TimeMs t) { return t >= since; });
    EXPECT_EQ(series["bars"], new_bars);
    EXPECT_EQ(series["first"], "2025-12-10T14:00:00Z");
    ASSERT_EQ(series["gaps"].size(), 1u) << series["gaps"].dump();
    EXPECT_EQ(series["gaps"][0]["from"], "2025-12-10T09:00:00Z");
    EXPECT_EQ(series["gaps"][0]["missing_bars"], 5);

    // After the join, the new bars are clean: no old hole (2024, 2025-07) is reported.
    r = ws.run({"data", "validate", "--symbol", "XAUUSD", "--since", "2025-12-11"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.find("2024-03-13"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("2025-07-03"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("since 2025-12-11 00:00:00"), std::string::npos) << r.out;

    // Nothing new: WARN, not a silent pass.
    r = ws.run({"data", "validate", "--symbol", "XAUUSD", "--since", "2026-01-01"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("no bars since 2026-01-01"), std::string::npos) << r.out;
}

TEST(GoldCalendarCli, bad_since_and_unknown_symbol_exit_2_naming_the_value) {
    GoldWorkspace ws;
    BarSeries s;
    s.symbol = "XAUUSD";
    s.timeframe = Timeframe(kMsPerHour);
    s.push_back(Bar{make_time(2024, 3, 13, 10), 2000, 2001, 1999, 2000.5, 10});
    ws.store(s);
    auto r = ws.run({"data", "validate", "--since", "2024-13-45"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("--since"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("2024-13-45"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    r = ws.run({"data", "validate", "--symbol", "NOPEUSD"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("NOPEUSD"), std::string::npos) << r.err;
}

} // namespace
} // namespace aurum
