// The daemon's jobs. Gap check: closures are not gaps, each real gap is reported once, the advice
// fits the source. Daily reports: one file per day and session.
#include <algorithm>

#include <gtest/gtest.h>

#include "core/instrument.hpp"
#include "data/validation.hpp"
#include "live/daemon_app.hpp"

using namespace aurum;

namespace {

// XAUUSD H1 bars at every hour its sessions expect one in [from, to), except at `holes`.
BarSeries gold_bars(TimeMs from, TimeMs to, const std::vector<TimeMs>& holes = {}) {
    BarSeries b;
    b.symbol = "XAUUSD";
    b.timeframe = Timeframe(kMsPerHour);
    const TradingSessions s = InstrumentRegistry().get("XAUUSD").sessions;
    for (TimeMs t = from; t < to; t += kMsPerHour)
        if (session_expects_bar(s, t, b.timeframe) &&
            std::find(holes.begin(), holes.end(), t) == holes.end())
            b.push_back(Bar{t, 2000, 2001, 1999, 2000, 10, 0});
    return b;
}

} // namespace

TEST(GapCheck, gold_weekends_and_daily_breaks_are_not_gaps) {
    // Two full weeks (Mon 4 to Mon 18 March 2024): two weekends and ten daily breaks.
    const BarSeries b = gold_bars(make_time(2024, 3, 4), make_time(2024, 3, 18));
    ASSERT_GT(b.size(), 200u);
    GapChecker checker{InstrumentRegistry()};
    EXPECT_TRUE(checker.check("XAUUSD", b).empty());
}

TEST(GapCheck, a_gap_in_open_market_is_reported_once) {
    const TimeMs hole = make_time(2024, 3, 13, 10); // a Wednesday morning: market open
    const BarSeries b =
        gold_bars(make_time(2024, 3, 4), make_time(2024, 3, 18), {hole, hole + kMsPerHour});
    GapChecker checker{InstrumentRegistry()};
    const auto gaps = checker.check("XAUUSD", b);
    ASSERT_EQ(gaps.size(), 1u);
    EXPECT_EQ(gaps[0].after, hole - kMsPerHour);
    EXPECT_EQ(gaps[0].until, hole + 2 * kMsPerHour);
    EXPECT_EQ(gaps[0].missing, 2);
    // The next run sees the same week again: nothing new to say.
    EXPECT_TRUE(checker.check("XAUUSD", b).empty());
    // A later gap is still reported.
    const TimeMs later = make_time(2024, 3, 14, 10);
    const BarSeries b2 = gold_bars(make_time(2024, 3, 4), make_time(2024, 3, 18),
                                   {hole, hole + kMsPerHour, later});
    const auto more = checker.check("XAUUSD", b2);
    ASSERT_EQ(more.size(), 1u);
    EXPECT_EQ(more[0].after, later - kMsPerHour);
}

TEST(GapCheck, advice_fits_the_source) {
    const InstrumentRegistry r;
    const std::string gold = gap_repair_advice(r.get("XAUUSD"), "1h");
    EXPECT_NE(gold.find("MetaTrader 5"), std::string::npos) << gold;
    EXPECT_NE(gold.find("aurum data import"), std::string::npos) << gold;
    EXPECT_EQ(gold.find("backfill"), std::string::npos) << gold;
    const std::string btc = gap_repair_advice(r.get("BTC/USDT"), "4h");
    EXPECT_NE(btc.find("aurum data backfill --symbol BTC/USDT"), std::string::npos) << btc;
}

TEST(DailyReport, each_session_keeps_its_own_file) {
    const TimeMs day = make_time(2024, 3, 13, 8);
    const auto a = daily_report_path("reports", day, "paper-1a2b");
    const auto b = daily_report_path("reports", day, "paper-3c4d");
    EXPECT_EQ(a, std::filesystem::path("reports/daily/2024-03-13_paper-1a2b.txt"));
    EXPECT_NE(a, b); // a new session on the same day does not overwrite the first one's report
    EXPECT_EQ(daily_report_path("reports", day, "x/../y").filename(), "2024-03-13_x____y.txt");
}
