// Resampling: hand-checked aggregation, and properties against a naive direct aggregation.
#include <cmath>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "data/resample.hpp"
#include "data/validation.hpp"

namespace aurum {
namespace {

const Timeframe k1m(kMsPerMinute), k5m(5 * kMsPerMinute), k15m(15 * kMsPerMinute), k1h(kMsPerHour),
    k4h(4 * kMsPerHour), k1d(kMsPerDay), k1w(kMsPerWeek);

/// Random 1m bars from `start` for `minutes`, dropping each with probability `drop`.
BarSeries random_minutes(TimeMs start, int minutes, double drop, unsigned seed,
                         bool spread = true) {
    std::mt19937_64 gen(seed);
    auto u = [&] { return static_cast<double>(gen() >> 11) * 0x1.0p-53; };
    BarSeries s;
    s.symbol = "BTC/USDT";
    s.timeframe = k1m;
    s.has_spread_column = spread;
    double p = 100;
    for (int i = 0; i < minutes; ++i) {
        const double o = p, c = p * (1 + (u() - 0.5) * 0.004);
        p = c;
        if (u() < drop)
            continue;
        Bar b;
        b.time = start + i * kMsPerMinute;
        b.open = o;
        b.close = c;
        b.high = std::max(o, c) * (1 + u() * 0.001);
        b.low = std::min(o, c) * (1 - u() * 0.001);
        b.volume = std::floor(u() * 1000);
        b.spread = 0.01 + std::floor(u() * 10) * 0.01;
        s.push_back(b);
    }
    return s;
}

/// The obvious aggregation: group by bucket, in a map.
std::map<TimeMs, Bar> naive(const BarSeries& in, Timeframe to) {
    std::map<TimeMs, Bar> out;
    std::map<TimeMs, int> n;
    for (std::size_t i = 0; i < in.size(); ++i) {
        const TimeMs b = floor_to(in.time[i], to.ms());
        auto [it, fresh] = out.try_emplace(b);
        Bar& a = it->second;
        if (fresh) {
            a = in.at(i);
            a.time = b;
            a.spread = 0;
        }
        a.high = std::max(a.high, in.high[i]);
        a.low = std::min(a.low, in.low[i]);
        a.close = in.close[i];
        if (!fresh)
            a.volume += in.volume[i];
        a.spread += in.spread[i];
        ++n[b];
    }
    for (auto& [b, bar] : out)
        bar.spread /= n[b];
    return out;
}

void expect_same(const BarSeries& a, const BarSeries& b, bool spread) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a.time[i], b.time[i]);
        EXPECT_EQ(a.open[i], b.open[i]);
        EXPECT_EQ(a.high[i], b.high[i]);
        EXPECT_EQ(a.low[i], b.low[i]);
        EXPECT_EQ(a.close[i], b.close[i]);
        EXPECT_NEAR(a.volume[i], b.volume[i], 1e-9 * std::max(1.0, a.volume[i]));
        if (spread) {
            EXPECT_NEAR(a.spread[i], b.spread[i], 1e-12);
        }
    }
}

TEST(Resample, five_minutes_by_hand) {
    BarSeries s;
    s.timeframe = k1m;
    s.has_spread_column = true;
    const TimeMs t0 = make_time(2024, 1, 1, 10, 0);
    // o h l c v spread
    const double rows[10][6] = {{10, 12, 9, 11, 1, 1},  {11, 13, 10, 12, 2, 3},
                                {12, 12, 8, 9, 3, 2},   {9, 10, 9, 10, 4, 2},
                                {10, 11, 10, 11, 5, 2}, {11, 15, 11, 14, 6, 4},
                                {14, 14, 13, 13, 7, 4}, {13, 13, 5, 6, 8, 4},
                                {6, 7, 6, 7, 9, 4},     {7, 8, 7, 8, 10, 4}};
    for (int i = 0; i < 10; ++i)
        s.push_back(Bar{t0 + i * kMsPerMinute, rows[i][0], rows[i][1], rows[i][2], rows[i][3],
                        rows[i][4], rows[i][5]});
    const auto r = resample(s, k5m);
    ASSERT_EQ(r.bars.size(), 2u);
    const Bar a = r.bars.at(0), b = r.bars.at(1);
    EXPECT_EQ(a.time, t0);
    EXPECT_EQ(a.open, 10);
    EXPECT_EQ(a.high, 13);
    EXPECT_EQ(a.low, 8);
    EXPECT_EQ(a.close, 11);
    EXPECT_EQ(a.volume, 15);
    EXPECT_DOUBLE_EQ(a.spread, 2);
    EXPECT_EQ(b.time, t0 + 5 * kMsPerMinute);
    EXPECT_EQ(b.open, 11);
    EXPECT_EQ(b.high, 15);
    EXPECT_EQ(b.low, 5);
    EXPECT_EQ(b.close, 8);
    EXPECT_EQ(b.volume, 40);
    EXPECT_DOUBLE_EQ(b.spread, 4);
    EXPECT_EQ(r.bars.timeframe, k5m);
    EXPECT_TRUE(r.incomplete.empty());
    EXPECT_EQ(r.dropped_partial_last, 0);
    EXPECT_EQ(r.sub_bars, 10);
}

TEST(Resample, matches_direct_aggregation_with_gaps_for_every_target) {
    const TimeMs start = make_time(2024, 2, 1, 0, 0);
    for (unsigned seed = 1; seed <= 3; ++seed) {
        const BarSeries in = random_minutes(start, 3 * 1440, 0.05 * seed, seed);
        for (const Timeframe to : {k5m, k15m, k1h, k4h, k1d}) {
            const auto r = resample(in, to);
            const auto expect = naive(in, to);
            // The data ends exactly on a day boundary: every bucket is complete, none dropped.
            ASSERT_EQ(r.bars.size(), expect.size()) << to.name();
            std::size_t i = 0;
            for (const auto& [t, bar] : expect) {
                EXPECT_EQ(r.bars.time[i], t);
                EXPECT_EQ(r.bars.open[i], bar.open);
                EXPECT_EQ(r.bars.high[i], bar.high);
                EXPECT_EQ(r.bars.low[i], bar.low);
                EXPECT_EQ(r.bars.close[i], bar.close);
                EXPECT_NEAR(r.bars.volume[i], bar.volume, 1e-6);
                EXPECT_NEAR(r.bars.spread[i], bar.spread, 1e-12);
                ++i;
            }
            // Output is valid OHLC on the UTC grid.
            const auto rep =
                validate_series(r.bars, InstrumentRegistry().get("BTC/USDT"), ValidationConfig{});
            EXPECT_EQ(rep.check("ohlc")->status, Severity::Pass);
            EXPECT_EQ(rep.check("alignment")->status, Severity::Pass);
        }
    }
}

TEST(Resample, is_associative_through_intermediate_timeframes) {
    const TimeMs start = make_time(2024, 2, 5);
    // Complete data: OHLCV and the mean spread compose exactly.
    const BarSeries full = random_minutes(start, 2 * 1440 + 123, 0.0, 7);
    expect_same(resample(resample(full, k5m).bars, k1h).bars, resample(full, k1h).bars, true);
    expect_same(resample(resample(full, k15m).bars, k4h).bars, resample(full, k4h).bars, true);
    expect_same(resample(resample(resample(full, k5m).bars, k1h).bars, k1d).bars,
                resample(full, k1d).bars, true);
    // With gaps, OHLCV still compose (a mean of unequal groups is not the overall mean).
    const BarSeries holey = random_minutes(start, 2 * 1440 + 123, 0.3, 8);
    expect_same(resample(resample(holey, k5m).bars, k1h).bars, resample(holey, k1h).bars, false);
}

TEST(Resample, drops_the_still_forming_last_bucket_only) {
    const TimeMs start = make_time(2024, 3, 1, 0, 0);
    const BarSeries in = random_minutes(start, 150, 0.0, 3); // 00:00 .. 02:29
    auto r = resample(in, k1h);
    ASSERT_EQ(r.bars.size(), 2u);
    EXPECT_EQ(r.bars.time.back(), start + kMsPerHour);
    EXPECT_EQ(r.dropped_partial_last, 30);
    EXPECT_EQ(r.sub_bars, 120);
    // Ending exactly on the boundary keeps the last bucket.
    r = resample(random_minutes(start, 180, 0.0, 3), k1h);
    EXPECT_EQ(r.bars.size(), 3u);
    EXPECT_EQ(r.dropped_partial_last, 0);
}

TEST(Resample, buckets_with_missing_sub_bars_are_kept_and_reported) {
    const TimeMs start = make_time(2024, 3, 1, 0, 0);
    BarSeries in = random_minutes(start, 180, 0.0, 4);
    BarSeries cut;
    cut.symbol = in.symbol;
    cut.timeframe = in.timeframe;
    cut.has_spread_column = true;
    for (std::size_t i = 0; i < in.size(); ++i)
        if (i < 70 || i >= 80)
            cut.push_back(in.at(i)); // 10 minutes missing in hour 1
    const auto r = resample(cut, k1h);
    ASSERT_EQ(r.bars.size(), 3u);
    ASSERT_EQ(r.incomplete.size(), 1u);
    EXPECT_EQ(r.incomplete[0].time, start + kMsPerHour);
    EXPECT_EQ(r.incomplete[0].present, 50);
    EXPECT_EQ(r.incomplete[0].expected, 60);
    EXPECT_EQ(r.bars.volume[1], [&] {
        double v = 0;
        for (std::size_t i = 60; i < 120; ++i)
            if (i < 70 || i >= 80)
                v += in.volume[i];
        return v;
    }());
}

TEST(Resample, gold_sessions_decide_what_is_incomplete) {
    const Instrument gold = InstrumentRegistry().get("XAUUSD");
    // Hourly gold for two weeks, only when the sessions are open.
    BarSeries h;
    h.symbol = "XAUUSD";
    h.timeframe = k1h;
    const TimeMs start = make_time(2024, 3, 4);
    for (TimeMs t = start; t < start + 14 * kMsPerDay; t += kMsPerHour)
        if (session_expects_bar(gold.sessions, t, k1h))
            h.push_back(Bar{t, 2000, 2001, 1999, 2000.5, 10, 0});
    const auto with = resample(h, k1d, &gold.sessions);
    EXPECT_TRUE(with.incomplete.empty()) << "daily break and weekends are not missing bars";
    EXPECT_EQ(with.dropped_partial_last, 0) << "Friday's day is complete at the close";
    EXPECT_EQ(with.bars.size(), 10u);
    const auto without = resample(h, k1d);
    // As a 24/7 market every day would miss hours, and Friday would still be forming.
    EXPECT_EQ(without.bars.size(), 9u);
    EXPECT_EQ(without.incomplete.size(), 9u);
    EXPECT_GT(without.dropped_partial_last, 0);
}

TEST(Resample, weekly_buckets_open_on_monday) {
    const TimeMs wed = make_time(2024, 3, 6, 12);
    EXPECT_EQ(bucket_start(wed, k1w), make_time(2024, 3, 4));
    EXPECT_EQ(weekday(bucket_start(wed, k1w)), 0);
    EXPECT_EQ(bucket_start(wed, k4h), make_time(2024, 3, 6, 12));
    EXPECT_EQ(bucket_start(make_time(2024, 3, 6, 15, 59), k4h), make_time(2024, 3, 6, 12));
}

TEST(Resample, rejects_bad_targets_and_unsorted_input) {
    const BarSeries in = random_minutes(make_time(2024, 1, 1), 100, 0.0, 5);
    EXPECT_THROW(resample(in, k1m), InputError);
    EXPECT_THROW(resample(in, Timeframe(7 * kMsPerMinute / 2)), InputError);
    BarSeries h = resample(in, k5m).bars;
    EXPECT_THROW(resample(h, Timeframe(7 * kMsPerMinute)), InputError);
    BarSeries bad = in;
    std::swap(bad.time[3], bad.time[4]);
    EXPECT_THROW(resample(bad, k5m), InputError);
    BarSeries empty;
    empty.timeframe = k1m;
    EXPECT_TRUE(resample(empty, k5m).bars.empty());
}

} // namespace
} // namespace aurum
