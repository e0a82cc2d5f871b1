// Validation of the real files in ../shared/data, stored and loaded through the SQLite store:
// genuine exchange outages WARN, weekends and holidays in gold are not gaps, the gold export's own
// holes of 4h or more FAIL; a corrupted copy FAILs.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/market_store.hpp"
#include "data/resample.hpp"
#include "data/validation.hpp"
#include "support/data/shared_bars.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

constexpr const char* kGold = "mt5/XAUUSD_H1_201501020900_202512221100.csv";

/// Stores the series in a fresh SQLite store and loads it back, as `aurum data validate` sees it.
BarSeries round_trip(const BarSeries& s, const std::filesystem::path& db) {
    auto store = open_market_store(db.string());
    store->upsert_bars(s);
    return store->load_bars(s.symbol, s.timeframe);
}

bool has_finding(const CheckResult& c, TimeMs t, const std::string& text) {
    for (const auto& f : c.examples)
        if (f.time == t && f.message.find(text) != std::string::npos)
            return true;
    return false;
}

ValidationConfig all_examples() {
    ValidationConfig cfg;
    cfg.max_examples = 100000;
    return cfg;
}

TEST(RealData, binance_btc_4h_warns_for_its_real_outages_and_passes) {
    AURUM_REQUIRE_SHARED_DATA(csv, "crypto/binance/BTCUSDT_4h.csv");
    test::TempDir tmp;
    const BarSeries s =
        round_trip(test::load_shared_bars("crypto/binance/BTCUSDT_4h.csv"), tmp / "a.db");
    ASSERT_EQ(s.size(), 18371u);
    const auto r = validate_series(s, InstrumentRegistry().get("BTC/USDT"), all_examples());
    EXPECT_EQ(r.status(), Severity::Warn) << format_report(r);
    EXPECT_EQ(r.first, make_time(2017, 8, 17, 4));
    EXPECT_EQ(r.last, make_time(2026, 1, 6, 12));
    for (const char* name : {"ohlc", "duplicates", "ordering", "alignment", "sessions",
                             "zero_volume", "stale", "spread"})
        EXPECT_EQ(r.check(name)->status, Severity::Pass) << name << ": " << r.check(name)->summary;
    const CheckResult& gaps = *r.check("gaps");
    EXPECT_EQ(gaps.status, Severity::Warn);
    EXPECT_EQ(gaps.count, 8);
    EXPECT_NE(gaps.summary.find("16 missing bars"), std::string::npos) << gaps.summary;
    // The Binance outage of 8-9 February 2018 (about 32 hours).
    EXPECT_TRUE(has_finding(gaps, make_time(2018, 2, 8, 4), "7 expected bars missing"))
        << format_report(r);
    // The 15 May 2019 maintenance.
    EXPECT_TRUE(has_finding(gaps, make_time(2019, 5, 15, 4), "2 expected bars missing"));
    // The March 2020 crash is a real move: WARN, not FAIL.
    const CheckResult& out = *r.check("outliers");
    EXPECT_EQ(out.status, Severity::Warn);
    EXPECT_TRUE(has_finding(out, make_time(2020, 3, 12, 20), "log return"));
    EXPECT_NE(r.check("zero_volume")->summary.find("1 isolated"), std::string::npos);
}

TEST(RealData, a_corrupted_copy_of_btc_fails) {
    AURUM_REQUIRE_SHARED_DATA(csv, "crypto/binance/BTCUSDT_4h.csv");
    BarSeries s = test::load_shared_bars("crypto/binance/BTCUSDT_4h.csv");
    s.close[5000] *= 10; // a misplaced decimal point
    s.high[5000] = s.close[5000];
    s.low[6000] = s.high[6000] * 1.01; // low above high
    const auto r = validate_series(s, InstrumentRegistry().get("BTC/USDT"), ValidationConfig{});
    EXPECT_EQ(r.status(), Severity::Fail);
    EXPECT_EQ(r.check("outliers")->status, Severity::Fail);
    EXPECT_EQ(r.check("ohlc")->status, Severity::Fail);
    EXPECT_EQ(r.check("ohlc")->count, 1);
    EXPECT_EQ(r.failure_reasons().size(), 2u);
}

TEST(RealData, mt5_gold_h1_weekends_and_holidays_are_not_gaps_the_real_holes_fail) {
    AURUM_REQUIRE_SHARED_DATA(file, "mt5/XAUUSD_H1_201501020900_202512221100.csv");
    test::TempDir tmp;
    const BarSeries s = round_trip(test::load_shared_bars(kGold, 2 * kMsPerHour), tmp / "g.db");
    ASSERT_EQ(s.size(), 64642u);
    ASSERT_TRUE(s.has_spread());
    const auto r = validate_series(s, InstrumentRegistry().get("XAUUSD"), all_examples());
    EXPECT_EQ(r.status(), Severity::Fail) << format_report(r);
    ASSERT_EQ(r.failure_reasons().size(), 1u);
    EXPECT_NE(r.failure_reasons()[0].find("gaps"), std::string::npos);
    EXPECT_EQ(r.check("ohlc")->status, Severity::Pass);
    EXPECT_EQ(r.check("alignment")->status, Severity::Pass);
    // A few bars where the broker did trade in a holiday window (Good Friday 2015's short
    // session, the 2023 Boxing Day open): WARN, far below the wrong-time-zone threshold.
    EXPECT_EQ(r.check("sessions")->status, Severity::Warn) << r.check("sessions")->summary;
    EXPECT_LT(r.check("sessions")->count, 30);

    const CheckResult& gaps = *r.check("gaps");
    EXPECT_EQ(gaps.status, Severity::Fail);
    // ~570 weekends, ~2,800 daily breaks and ~170 holidays and early closes in 11 years; what is
    // left is the export's own holes (119 gaps / 634 bars before the holiday calendar).
    EXPECT_EQ(gaps.count, 17) << gaps.summary;
    EXPECT_NE(gaps.summary.find("61 missing bars"), std::string::npos) << gaps.summary;
    EXPECT_EQ(r.gaps.size(), 17u);
    for (const auto& f : gaps.examples)
        EXPECT_LT(weekday(f.time), 5) << "a gap reported on a weekend: " << format_time(f.time);
    // The holes of 4h or more FAIL: 19-20 January 2015, 9 March 2015, 3 and 4 July 2025.
    std::vector<TimeMs> failing;
    for (const GapInfo& g : r.gaps)
        if (g.severity == Severity::Fail) failing.push_back(g.from);
    EXPECT_EQ(failing, (std::vector<TimeMs>{make_time(2015, 1, 19, 23), make_time(2015, 3, 9, 23),
                                            make_time(2025, 7, 3, 2), make_time(2025, 7, 4, 3)}));
    EXPECT_TRUE(has_finding(gaps, make_time(2025, 7, 3, 2), "8 expected bars missing"))
        << format_report(r);

    // MT5's per-bar spread is the bar's minimum, often 0 on raw-spread months: WARN, not FAIL.
    EXPECT_EQ(r.check("spread")->status, Severity::Warn);
    EXPECT_NE(r.check("spread")->summary.find("2,974 zero"), std::string::npos)
        << r.check("spread")->summary;
    EXPECT_EQ(r.check("outliers")->status, Severity::Warn);
}

TEST(RealData, gold_imported_with_a_wrong_time_zone_fails_the_session_check) {
    AURUM_REQUIRE_SHARED_DATA(file, "mt5/XAUUSD_H1_201501020900_202512221100.csv");
    // Eleven hours off: a large share of the bars now fall on Saturdays and in the night.
    const BarSeries s = test::load_shared_bars(kGold, -9 * kMsPerHour);
    const auto r = validate_series(s, InstrumentRegistry().get("XAUUSD"), ValidationConfig{});
    EXPECT_EQ(r.check("sessions")->status, Severity::Fail) << r.check("sessions")->summary;
    EXPECT_EQ(r.status(), Severity::Fail);
}

TEST(RealData, gold_h1_resamples_to_h4_and_d1_consistently) {
    AURUM_REQUIRE_SHARED_DATA(file, "mt5/XAUUSD_H1_201501020900_202512221100.csv");
    const BarSeries h1 = test::load_shared_bars(kGold, 2 * kMsPerHour);
    const Instrument gold = InstrumentRegistry().get("XAUUSD");
    const auto d1 = resample(h1, Timeframe(kMsPerDay), &gold.sessions);
    const auto d1_via_h4 = resample(resample(h1, Timeframe(4 * kMsPerHour), &gold.sessions).bars,
                                    Timeframe(kMsPerDay), &gold.sessions);
    ASSERT_EQ(d1.bars.size(), d1_via_h4.bars.size());
    EXPECT_EQ(d1.bars.close, d1_via_h4.bars.close);
    EXPECT_EQ(d1.bars.high, d1_via_h4.bars.high);
    EXPECT_EQ(d1.bars.volume, d1_via_h4.bars.volume);
    // Sunday-evening bars form their own small daily bucket; weekdays are ~22 hours each.
    EXPECT_GT(d1.bars.size(), 2800u);
    const auto rep = validate_series(d1.bars, gold, ValidationConfig{});
    EXPECT_EQ(rep.check("ohlc")->status, Severity::Pass);
    EXPECT_NE(rep.status(), Severity::Fail) << format_report(rep);
}

} // namespace
} // namespace aurum
