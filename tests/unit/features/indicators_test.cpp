// Hand-checked values for every indicator, plus comparisons with naive full-window reference
// implementations written straight from the formulas in docs/indicators.md.
#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <random>
#include <vector>

#include "feature_test_helpers.hpp"
#include "features/indicators.hpp"

using namespace aurum;

namespace {

Bar bar(double o, double h, double l, double c, double v = 0, TimeMs t = 0) {
    Bar b;
    b.time = t;
    b.open = o;
    b.high = h;
    b.low = l;
    b.close = c;
    b.volume = v;
    return b;
}

/// Naive helpers over a whole vector, window ending at i (inclusive).
double mean_at(const std::vector<double>& x, std::size_t i, int n) {
    double s = 0;
    for (int k = 0; k < n; ++k) s += x[i - static_cast<std::size_t>(k)];
    return s / n;
}
double pstd_at(const std::vector<double>& x, std::size_t i, int n) {
    const double m = mean_at(x, i, n);
    double s = 0;
    for (int k = 0; k < n; ++k) s += std::pow(x[i - static_cast<std::size_t>(k)] - m, 2);
    return std::sqrt(s / n);
}

} // namespace

TEST(Indicators, sma_ema_wma_hand_values) {
    Sma sma(3);
    Ema ema(3);
    Wma wma(3);
    const double xs[] = {1, 2, 3, 4, 5};
    std::vector<double> s, e, w;
    for (double x : xs) {
        sma.update(x);
        ema.update(x);
        wma.update(x);
        if (sma.ready()) s.push_back(sma.value());
        if (ema.ready()) e.push_back(ema.value());
        if (wma.ready()) w.push_back(wma.value());
    }
    EXPECT_EQ(s, (std::vector<double>{2, 3, 4}));
    // EMA seeded with SMA(1,2,3) = 2, then alpha = 0.5.
    EXPECT_EQ(e, (std::vector<double>{2, 3, 4}));
    ASSERT_EQ(w.size(), 3u);
    EXPECT_NEAR(w[0], 14.0 / 6, 1e-12);
    EXPECT_NEAR(w[1], 20.0 / 6, 1e-12);
    EXPECT_NEAR(w[2], 26.0 / 6, 1e-12);
}

TEST(Indicators, rsi_wilder_hand_values) {
    Rsi rsi(2);
    rsi.update(1);
    rsi.update(2);
    EXPECT_FALSE(rsi.ready());
    rsi.update(1); // changes +1, -1: G = L = 0.5
    ASSERT_TRUE(rsi.ready());
    EXPECT_DOUBLE_EQ(rsi.value(), 50.0);
    rsi.update(3); // G = (0.5 + 2) / 2 = 1.25, L = 0.25
    EXPECT_NEAR(rsi.value(), 100.0 * 1.25 / 1.5, 1e-12);
    Rsi flat(3);
    for (int i = 0; i < 10; ++i) flat.update(7);
    EXPECT_DOUBLE_EQ(flat.value(), 50.0);
}

TEST(Indicators, macd_matches_ema_difference_and_warms_up_at_slow_plus_signal_minus_one) {
    Macd m(3, 5, 2);
    Ema f(3), s(5), sig(2);
    std::mt19937_64 rng(3);
    std::normal_distribution<double> z;
    double x = 100;
    int first_ready = -1;
    for (int i = 0; i < 200; ++i) {
        x += z(rng);
        m.update(x);
        f.update(x);
        s.update(x);
        if (s.ready()) sig.update(f.value() - s.value());
        if (m.ready() && first_ready < 0) first_ready = i + 1;
        if (m.ready()) {
            EXPECT_NEAR(m.line(), f.value() - s.value(), 1e-9);
            EXPECT_NEAR(m.signal(), sig.value(), 1e-9);
            EXPECT_NEAR(m.histogram(), m.line() - m.signal(), 1e-12);
        }
    }
    EXPECT_EQ(first_ready, 5 + 2 - 1);
}

TEST(Indicators, bollinger_hand_values) {
    Bollinger b(3, 2.0);
    b.update(1);
    b.update(2);
    b.update(3);
    ASSERT_TRUE(b.ready());
    const double sd = std::sqrt(2.0 / 3.0);
    EXPECT_NEAR(b.middle(), 2.0, 1e-12);
    EXPECT_NEAR(b.upper(), 2.0 + 2 * sd, 1e-12);
    EXPECT_NEAR(b.lower(), 2.0 - 2 * sd, 1e-12);
    EXPECT_NEAR(b.percent_b(), (3.0 - (2.0 - 2 * sd)) / (4 * sd), 1e-12);
    EXPECT_NEAR(b.bandwidth(), 4 * sd / 2.0, 1e-12);
    Bollinger flat(3, 2.0);
    for (int i = 0; i < 5; ++i) flat.update(10);
    EXPECT_DOUBLE_EQ(flat.percent_b(), 0.5);
}

TEST(Indicators, atr_wilder_hand_values) {
    Atr atr(2);
    atr.update(bar(9, 10, 8, 9));
    atr.update(bar(9, 11, 9, 10)); // TR 2
    EXPECT_FALSE(atr.ready());
    atr.update(bar(10, 12, 9, 11)); // TR 3 -> ATR 2.5
    ASSERT_TRUE(atr.ready());
    EXPECT_DOUBLE_EQ(atr.value(), 2.5);
    EXPECT_NEAR(atr.normalized(), 100 * 2.5 / 11, 1e-12);
    atr.update(bar(11, 11, 10, 10.5)); // TR 1 -> (2.5 + 1) / 2
    EXPECT_DOUBLE_EQ(atr.value(), 1.75);
}

TEST(Indicators, adx_matches_naive_wilder_reference) {
    const BarSeries s = test::synthetic_bars(300, 5);
    const int n = 14;
    // Naive reference, straight from Wilder's definitions.
    std::vector<double> tr, pdm, mdm;
    for (std::size_t i = 1; i < s.size(); ++i) {
        const double up = s.high[i] - s.high[i - 1], dn = s.low[i - 1] - s.low[i];
        pdm.push_back(up > dn && up > 0 ? up : 0);
        mdm.push_back(dn > up && dn > 0 ? dn : 0);
        tr.push_back(std::max({s.high[i] - s.low[i], std::fabs(s.high[i] - s.close[i - 1]),
                               std::fabs(s.low[i] - s.close[i - 1])}));
    }
    double str = 0, sp = 0, sm = 0;
    std::vector<double> dx, pdi_v, mdi_v;
    for (std::size_t k = 0; k < tr.size(); ++k) {
        if (k < static_cast<std::size_t>(n)) {
            str += tr[k];
            sp += pdm[k];
            sm += mdm[k];
            if (k + 1 < static_cast<std::size_t>(n)) continue;
        } else {
            str = str - str / n + tr[k];
            sp = sp - sp / n + pdm[k];
            sm = sm - sm / n + mdm[k];
        }
        const double pdi = 100 * sp / str, mdi = 100 * sm / str;
        pdi_v.push_back(pdi);
        mdi_v.push_back(mdi);
        dx.push_back(100 * std::fabs(pdi - mdi) / (pdi + mdi));
    }
    std::vector<double> adx;
    double a = 0;
    for (std::size_t k = 0; k < dx.size(); ++k) {
        if (k < static_cast<std::size_t>(n)) {
            a += dx[k];
            if (k + 1 == static_cast<std::size_t>(n)) adx.push_back(a /= n);
        } else {
            a = (a * (n - 1) + dx[k]) / n;
            adx.push_back(a);
        }
    }
    Adx ind(n);
    std::size_t j = 0;
    int first = -1;
    for (std::size_t i = 0; i < s.size(); ++i) {
        ind.update(s.at(i));
        if (!ind.ready()) continue;
        if (first < 0) first = static_cast<int>(i) + 1;
        ASSERT_LT(j, adx.size());
        EXPECT_NEAR(ind.adx(), adx[j], 1e-9);
        EXPECT_NEAR(ind.plus_di(), pdi_v[j + n - 1], 1e-9);
        EXPECT_NEAR(ind.minus_di(), mdi_v[j + n - 1], 1e-9);
        ++j;
    }
    EXPECT_EQ(first, 2 * n);
}

TEST(Indicators, stochastic_williams_cci_hand_values) {
    // Highs 10, 12, 11; lows 8, 9, 7; closes 9, 11, 10.
    const Bar b1 = bar(9, 10, 8, 9), b2 = bar(9, 12, 9, 11), b3 = bar(11, 11, 7, 10);
    WilliamsR wr(3);
    Cci cci(3);
    Stochastic st(3, 1, 1);
    for (const Bar& b : {b1, b2, b3}) {
        wr.update(b);
        cci.update(b);
        st.update(b);
    }
    ASSERT_TRUE(wr.ready());
    EXPECT_NEAR(wr.value(), -100.0 * (12 - 10) / (12 - 7), 1e-12);
    ASSERT_TRUE(st.ready());
    EXPECT_NEAR(st.k(), 100.0 * (10 - 7) / (12 - 7), 1e-12);
    EXPECT_NEAR(st.d(), st.k(), 1e-12);
    const double tp[] = {9, 32.0 / 3, 28.0 / 3};
    const double m = (tp[0] + tp[1] + tp[2]) / 3;
    const double md = (std::fabs(tp[0] - m) + std::fabs(tp[1] - m) + std::fabs(tp[2] - m)) / 3;
    ASSERT_TRUE(cci.ready());
    EXPECT_NEAR(cci.value(), (tp[2] - m) / (0.015 * md), 1e-9);
}

TEST(Indicators, slow_stochastic_smooths_fast_k_twice) {
    const BarSeries s = test::synthetic_bars(200, 9);
    Stochastic st(14, 3, 3);
    std::vector<double> fast;
    std::vector<double> slow;
    int first = -1;
    for (std::size_t i = 0; i < s.size(); ++i) {
        st.update(s.at(i));
        if (i + 1 >= 14) {
            double hh = -1e300, ll = 1e300;
            for (std::size_t k = i + 1 - 14; k <= i; ++k) {
                hh = std::max(hh, s.high[k]);
                ll = std::min(ll, s.low[k]);
            }
            fast.push_back(100 * (s.close[i] - ll) / (hh - ll));
            if (fast.size() >= 3) slow.push_back(mean_at(fast, fast.size() - 1, 3));
        }
        if (st.ready()) {
            if (first < 0) first = static_cast<int>(i) + 1;
            EXPECT_NEAR(st.k(), slow.back(), 1e-9);
            EXPECT_NEAR(st.d(), mean_at(slow, slow.size() - 1, 3), 1e-9);
        }
    }
    EXPECT_EQ(first, 14 + 3 + 3 - 2);
}

TEST(Indicators, obv_mfi_hand_values) {
    Obv obv(2);
    obv.update(bar(10, 10, 10, 10, 100));
    EXPECT_DOUBLE_EQ(obv.obv(), 100);
    obv.update(bar(10, 11, 10, 11, 200));
    EXPECT_DOUBLE_EQ(obv.obv(), 300);
    obv.update(bar(11, 11, 10, 10, 300));
    EXPECT_DOUBLE_EQ(obv.obv(), 0);
    ASSERT_TRUE(obv.ready());
    EXPECT_NEAR(obv.normalized(), (200.0 - 300.0) / 500.0, 1e-12);
    obv.update(bar(10, 10, 10, 10, 400)); // unchanged close: no flow
    EXPECT_DOUBLE_EQ(obv.obv(), 0);
    EXPECT_NEAR(obv.normalized(), -300.0 / 700.0, 1e-12);

    Mfi mfi(2);
    mfi.update(bar(10, 10, 10, 10, 1)); // TP 10
    mfi.update(bar(12, 12, 12, 12, 2)); // TP up: +24
    EXPECT_FALSE(mfi.ready());
    mfi.update(bar(11, 11, 11, 11, 3)); // TP down: -33
    ASSERT_TRUE(mfi.ready());
    EXPECT_NEAR(mfi.value(), 100.0 * 24 / (24 + 33), 1e-12);
}

TEST(Indicators, roc_momentum_log_return_vwap_hand_values) {
    Roc roc(2);
    Momentum mom(2);
    LogReturn lr(2);
    for (double x : {100.0, 105.0, 110.0}) {
        roc.update(x);
        mom.update(x);
        lr.update(x);
    }
    EXPECT_NEAR(roc.value(), 10.0, 1e-12);
    EXPECT_DOUBLE_EQ(mom.value(), 10.0);
    EXPECT_NEAR(lr.value(), std::log(1.1), 1e-15);

    RollingVwap vw(2);
    vw.update(bar(0, 12, 6, 9, 10));  // TP 9
    vw.update(bar(0, 15, 9, 12, 30)); // TP 12
    ASSERT_TRUE(vw.ready());
    EXPECT_NEAR(vw.value(), (9.0 * 10 + 12.0 * 30) / 40, 1e-12);
    EXPECT_NEAR(vw.distance(), 12.0 / vw.value() - 1, 1e-12);
}

TEST(Indicators, realized_volatility_estimators_hand_values) {
    ParkinsonVol pk(2);
    GarmanKlassVol gk(2);
    RealizedVolCC cc(2);
    const Bar b1 = bar(100, 110, 95, 105), b2 = bar(105, 108, 100, 102);
    for (const Bar& b : {b1, b2}) {
        pk.update(b);
        gk.update(b);
    }
    const double h1 = std::log(110.0 / 95), h2 = std::log(108.0 / 100);
    EXPECT_NEAR(pk.value(), std::sqrt((h1 * h1 + h2 * h2) / (4 * 2 * std::log(2.0))), 1e-12);
    const double c1 = std::log(105.0 / 100), c2 = std::log(102.0 / 105);
    const double k = 2 * std::log(2.0) - 1;
    EXPECT_NEAR(gk.value(),
                std::sqrt((0.5 * h1 * h1 - k * c1 * c1 + 0.5 * h2 * h2 - k * c2 * c2) / 2), 1e-12);
    for (double x : {100.0, 110.0, 99.0}) cc.update(x);
    ASSERT_TRUE(cc.ready());
    const double r1 = std::log(1.1), r2 = std::log(99.0 / 110);
    EXPECT_NEAR(cc.value(), std::fabs(r1 - r2) / 2, 1e-12); // population std of two values
}

TEST(Indicators, rolling_extremes_match_brute_force) {
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> u(0, 1);
    for (int n : {1, 2, 5, 17}) {
        RollingMax mx(n);
        RollingMin mn(n);
        std::vector<double> xs;
        for (int i = 0; i < 2000; ++i) {
            // Repeated values exercise the tie handling.
            const double x = std::floor(u(rng) * 10);
            xs.push_back(x);
            mx.update(x);
            mn.update(x);
            ASSERT_EQ(mx.ready(), i + 1 >= n);
            if (!mx.ready()) continue;
            double hi = -1e300, lo = 1e300;
            for (int k = 0; k < n; ++k) {
                hi = std::max(hi, xs[xs.size() - 1 - static_cast<std::size_t>(k)]);
                lo = std::min(lo, xs[xs.size() - 1 - static_cast<std::size_t>(k)]);
            }
            ASSERT_EQ(mx.value(), hi) << "n=" << n << " i=" << i;
            ASSERT_EQ(mn.value(), lo) << "n=" << n << " i=" << i;
        }
    }
}

TEST(Indicators, rolling_stats_match_two_pass_reference) {
    std::mt19937_64 rng(2);
    std::normal_distribution<double> z;
    RollingStats st(20, true);
    std::vector<double> xs;
    for (int i = 0; i < 500; ++i) {
        xs.push_back(50 + 3 * z(rng) + 0.01 * i);
        st.update(xs.back());
        if (!st.ready()) continue;
        const std::size_t e = xs.size() - 1;
        const double m = mean_at(xs, e, 20), sd = pstd_at(xs, e, 20);
        double m3 = 0, m4 = 0;
        for (int k = 0; k < 20; ++k) {
            const double d = xs[e - static_cast<std::size_t>(k)] - m;
            m3 += d * d * d / 20;
            m4 += d * d * d * d / 20;
        }
        ASSERT_NEAR(st.mean(), m, 1e-10);
        ASSERT_NEAR(st.stddev(), sd, 1e-10);
        ASSERT_NEAR(st.zscore(), (xs[e] - m) / sd, 1e-9);
        ASSERT_NEAR(st.skewness(), m3 / std::pow(sd, 3), 1e-8);
        ASSERT_NEAR(st.kurtosis(), m4 / std::pow(sd, 4) - 3, 1e-8);
    }
}

// Catastrophic cancellation check: a naive sum-of-squares on 1e6 + noise of 1e-3 loses every
// significant digit of the variance; the shifted, periodically re-centred sums must not.
TEST(Indicators, rolling_moments_stay_accurate_on_long_series_with_large_offset) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> z;
    const int n = 50;
    RollingStats st(n, true);
    RingBuffer<double> window(n);
    for (int i = 0; i < 1'000'000; ++i) {
        const double x = 1e6 + 1e-3 * z(rng) + 1e-3 * (i % 7 == 0 ? 1.0 : 0.0);
        st.update(x);
        window.push(x);
    }
    long double m = 0;
    for (std::size_t i = 0; i < window.size(); ++i) m += window[i];
    m /= n;
    long double v = 0, m3 = 0, m4 = 0;
    for (std::size_t i = 0; i < window.size(); ++i) {
        const long double d = window[i] - m;
        v += d * d / n;
        m3 += d * d * d / n;
        m4 += d * d * d * d / n;
    }
    const double sd = std::sqrt(static_cast<double>(v));
    EXPECT_NEAR(st.stddev(), sd, 1e-6 * sd);
    EXPECT_NEAR(st.skewness(), static_cast<double>(m3 / (v * std::sqrt(v))), 1e-4);
    EXPECT_NEAR(st.kurtosis(), static_cast<double>(m4 / (v * v)) - 3, 1e-3);
    // And the mean itself to the last few ulps of 1e6.
    EXPECT_NEAR(st.mean(), static_cast<double>(m), 1e-8);
}

TEST(Indicators, time_encoding_is_cyclical) {
    TimeEncoding e;
    e.update(make_time(2024, 1, 1, 0, 0)); // a Monday, midnight
    EXPECT_NEAR(e.tod_sin, 0, 1e-12);
    EXPECT_NEAR(e.tod_cos, 1, 1e-12);
    EXPECT_NEAR(e.dow_sin, 0, 1e-12);
    EXPECT_NEAR(e.dow_cos, 1, 1e-12);
    e.update(make_time(2024, 1, 1, 6, 0));
    EXPECT_NEAR(e.tod_sin, 1, 1e-12);
    e.update(make_time(2024, 1, 4, 12, 0)); // Thursday noon: half a week
    EXPECT_NEAR(e.dow_cos, -1, 1e-12);
}

TEST(Indicators, reset_restarts_warm_up) {
    Rsi rsi(3);
    for (double x : {1.0, 2.0, 3.0, 4.0}) rsi.update(x);
    EXPECT_TRUE(rsi.ready());
    rsi.reset();
    EXPECT_FALSE(rsi.ready());
    for (double x : {4.0, 3.0, 2.0, 1.0}) rsi.update(x);
    EXPECT_DOUBLE_EQ(rsi.value(), 0.0); // only losses since the reset
}
