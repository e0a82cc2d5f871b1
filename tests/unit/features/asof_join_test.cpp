// Cross-asset and external features: as-of joins never use a value stamped after the decision
// time; a daily value is usable only once its day has closed (plus the publication lag).
#include <gtest/gtest.h>

#include <random>

#include "core/error.hpp"
#include "feature_test_helpers.hpp"
#include "features/feature_set.hpp"

using namespace aurum;

namespace {

FeatureSetDef parse_set(const std::string& features_yaml) {
    return FeatureConfig::parse("sets:\n  s:\n    features:\n" + features_yaml, "t.yaml").get("s");
}

FeatureContext ctx_for(const BarSeries& bars) {
    FeatureContext ctx;
    ctx.symbol = bars.symbol;
    ctx.timeframe = bars.timeframe;
    return ctx;
}

/// Index of row at time t (asserts it exists).
std::size_t row_at(const FeatureMatrix& m, TimeMs t) {
    auto it = std::lower_bound(m.time.begin(), m.time.end(), t);
    EXPECT_TRUE(it != m.time.end() && *it == t) << format_time(t);
    return static_cast<std::size_t>(it - m.time.begin());
}

} // namespace

TEST(CrossAsset, correlation_and_beta_match_a_naive_computation) {
    const BarSeries own = test::synthetic_bars(400, 1);
    BarSeries ref = test::synthetic_bars(400, 2, 30000);
    ref.symbol = "BTC/USDT";
    FeatureContext ctx = ctx_for(own);
    ctx.references["BTC/USDT"] = ref;
    const FeatureSetDef def =
        parse_set("      - {indicator: cross_asset, reference: BTC/USDT, period: 30, name: btc}\n");
    EXPECT_EQ(def.column_names(),
              (std::vector<std::string>{"btc_ret", "btc_vol", "btc_trend", "btc_corr", "btc_beta"}));
    const FeatureMatrix m = build_feature_matrix(own, def, ctx);
    ASSERT_GT(m.rows(), 300u);
    const std::size_t i = 350; // bar index
    const std::size_t r = row_at(m, own.time[i]);
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (std::size_t k = i - 29; k <= i; ++k) {
        const double x = std::log(own.close[k] / own.close[k - 1]);
        const double y = std::log(ref.close[k] / ref.close[k - 1]);
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
    }
    const double n = 30, cov = sxy / n - sx * sy / n / n, vx = sxx / n - sx * sx / n / n,
                 vy = syy / n - sy * sy / n / n;
    EXPECT_NEAR(m.at(r, 0), std::log(ref.close[i] / ref.close[i - 1]), 1e-12);
    EXPECT_NEAR(m.at(r, 1), std::sqrt(vy), 1e-10);
    double sma = 0;
    for (std::size_t k = i - 29; k <= i; ++k) sma += ref.close[k] / n;
    EXPECT_NEAR(m.at(r, 2), ref.close[i] / sma - 1, 1e-10);
    EXPECT_NEAR(m.at(r, 3), cov / std::sqrt(vx * vy), 1e-8);
    EXPECT_NEAR(m.at(r, 4), cov / vy, 1e-8);
}

TEST(CrossAsset, coarser_reference_is_joined_only_after_its_bar_closes) {
    // Own: 4h bars. Reference: daily bars whose close jumps every day.
    const BarSeries own = test::synthetic_bars(24 * 6, 3, 100, Timeframe(4 * kMsPerHour));
    BarSeries ref;
    ref.symbol = "REF";
    ref.timeframe = Timeframe(kMsPerDay);
    for (int d = -40; d < 30; ++d) {
        const double c = 1000.0 + 10.0 * (d + 40) + (d % 3);
        ref.push_back(Bar{own.time[0] + d * kMsPerDay, c, c, c, c, 1, 0});
    }
    FeatureContext ctx = ctx_for(own);
    ctx.references["REF"] = ref;
    const FeatureSetDef def = parse_set(
        "      - {indicator: cross_asset, reference: REF, period: 5, max_stale_bars: 6, name: r}\n");
    const FeatureMatrix m = build_feature_matrix(own, def, ctx);
    ASSERT_GT(m.rows(), 50u);
    for (std::size_t r = 0; r < m.rows(); ++r) {
        const TimeMs decision = m.time[r] + own.timeframe.ms();
        // The latest daily bar that has closed by the decision time.
        std::size_t k = 0;
        while (k + 1 < ref.size() && ref.close_time(k + 1) <= decision) ++k;
        ASSERT_LE(ref.close_time(k), decision);
        const double ret = m.at(r, 0);
        // A daily close is seen at exactly one 4h bar boundary; elsewhere the sampled return is 0.
        if (decision == ref.close_time(k)) {
            EXPECT_NEAR(ret, std::log(ref.close[k] / ref.close[k - 1]), 1e-12) << r;
        } else {
            EXPECT_EQ(ret, 0.0) << format_time(m.time[r]);
        }
    }
}

TEST(CrossAsset, perturbing_reference_bars_that_close_after_t_never_changes_row_t) {
    const BarSeries own = test::synthetic_bars(600, 5, 100, Timeframe(kMsPerHour));
    BarSeries ref = test::synthetic_bars(700, 6, 50, Timeframe(kMsPerHour));
    for (auto& t : ref.time) t -= 50 * kMsPerHour; // starts earlier, ends later
    const FeatureSetDef def =
        parse_set("      - {indicator: cross_asset, reference: REF, period: 20}\n");
    FeatureContext ctx = ctx_for(own);
    ctx.references["REF"] = ref;
    const FeatureMatrix base = build_feature_matrix(own, def, ctx);
    std::mt19937_64 rng(4);
    std::uniform_real_distribution<double> u(0.5, 2.0);
    for (std::size_t t : {100u, 333u, 500u}) {
        const TimeMs decision = own.time[t] + own.timeframe.ms();
        FeatureContext c2 = ctx_for(own);
        BarSeries p = ref;
        for (std::size_t k = 0; k < p.size(); ++k)
            if (p.close_time(k) > decision) p.close[k] *= u(rng);
        c2.references["REF"] = p;
        const FeatureMatrix m = build_feature_matrix(own, def, c2);
        for (std::size_t r = 0; r < base.rows() && base.time[r] <= own.time[t]; ++r)
            for (std::size_t c = 0; c < base.cols(); ++c) ASSERT_EQ(base.at(r, c), m.at(r, c));
    }
}

TEST(CrossAsset, stale_or_missing_reference_is_not_bridged) {
    const BarSeries own = test::synthetic_bars(300, 5, 100, Timeframe(kMsPerHour));
    BarSeries ref = own.slice({own.time[0], own.time[150]});
    ref.symbol = "REF";
    FeatureContext ctx = ctx_for(own);
    ctx.references["REF"] = ref;
    const FeatureSetDef def = parse_set(
        "      - {indicator: cross_asset, reference: REF, period: 10, max_stale_bars: 2}\n");
    const FeatureMatrix m = build_feature_matrix(own, def, ctx);
    // Rows stop 2 bars after the reference ends.
    EXPECT_EQ(m.time.back(), own.time[151]);
    FeatureContext none = ctx_for(own);
    EXPECT_THROW(build_feature_matrix(own, def, none), InputError);
}

TEST(External, daily_value_is_used_only_after_its_day_closes_plus_lag) {
    const BarSeries own = test::synthetic_bars(24 * 40, 7, 100, Timeframe(kMsPerHour));
    ExternalSeries s;
    s.name = "fng:value";
    const TimeMs day0 = floor_to(own.time[0], kMsPerDay) - 5 * kMsPerDay;
    for (int d = 0; d < 50; ++d) {
        s.time.push_back(day0 + d * kMsPerDay);
        s.value.push_back(d); // value = day number, so the row tells which day it used
    }
    FeatureContext ctx = ctx_for(own);
    ctx.externals["fng:value"] = s;
    for (double lag_hours : {0.0, 6.0}) {
        const FeatureSetDef def = parse_set(
            "      - {indicator: external, series: \"fng:value\", lag_hours: " +
            std::to_string(lag_hours) + ", name: fg}\n");
        const FeatureMatrix m = build_feature_matrix(own, def, ctx);
        ASSERT_GT(m.rows(), 800u);
        const TimeMs lag = static_cast<TimeMs>(lag_hours * kMsPerHour);
        for (std::size_t r = 0; r < m.rows(); ++r) {
            const TimeMs decision = m.time[r] + kMsPerHour;
            const int d = static_cast<int>(m.at(r, 0));
            // Day d is available at decision; day d + 1 is not.
            ASSERT_LE(s.available_at(static_cast<std::size_t>(d), lag), decision);
            if (d + 1 < 50) {
                ASSERT_GT(s.available_at(static_cast<std::size_t>(d + 1), lag), decision);
            }
        }
    }
}

TEST(External, transforms_run_over_observations_and_stale_series_stop_rows) {
    const BarSeries own = test::synthetic_bars(24 * 60, 7, 100, Timeframe(kMsPerHour));
    ExternalSeries s;
    s.name = "x";
    const TimeMs day0 = floor_to(own.time[0], kMsPerDay) - 10 * kMsPerDay;
    for (int d = 0; d < 40; ++d) {
        s.time.push_back(day0 + d * kMsPerDay);
        s.value.push_back(d * d);
    }
    FeatureContext ctx = ctx_for(own);
    ctx.externals["x"] = s;
    const FeatureMatrix m = build_feature_matrix(
        own,
        parse_set("      - {indicator: external, series: x, transform: diff, window: 1, "
                  "max_age_days: 2}\n"),
        ctx);
    const std::size_t r = 100;
    const int d = static_cast<int>(
        (m.time[r] + kMsPerHour - day0 - kMsPerDay) / kMsPerDay); // last available day
    EXPECT_DOUBLE_EQ(m.at(r, 0), d * d - (d - 1) * (d - 1));
    // The series ends on day 39 (available at day 40 + 0h); rows stop 2 days later.
    EXPECT_LE(m.time.back() + kMsPerHour, day0 + 40 * kMsPerDay + 2 * kMsPerDay);
    EXPECT_LT(m.rows(), own.size() - 24 * 10);

    FeatureContext empty = ctx_for(own);
    EXPECT_THROW(build_feature_matrix(own, parse_set("      - {indicator: external, series: nope}\n"),
                                      empty),
                 InputError);
}
