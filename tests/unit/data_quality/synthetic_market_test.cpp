// The synthetic market: deterministic, valid bars, and the statistical properties it promises.
#include <cmath>
#include <numeric>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "data/synthetic_market.hpp"
#include "data/validation.hpp"

namespace aurum {
namespace {

const InstrumentRegistry& registry() {
    static const InstrumentRegistry r;
    return r;
}

SynthConfig config(std::uint64_t seed, int days = 365, bool noise = false,
                   Timeframe tf = Timeframe(kMsPerHour)) {
    return SynthConfig::defaults(registry(), {}, tf, make_time(2024, 1, 1), days, seed, noise);
}

/// Log returns of one series aligned on the common clock (only steps where every listed series
/// has a bar and its previous bar is the previous step).
std::vector<double> log_returns(const BarSeries& s) {
    std::vector<double> r;
    for (std::size_t i = 1; i < s.size(); ++i)
        r.push_back(std::log(s.close[i] / s.close[i - 1]));
    return r;
}

double corr(const std::vector<double>& a, const std::vector<double>& b) {
    const std::size_t n = std::min(a.size(), b.size());
    double ma = 0, mb = 0;
    for (std::size_t i = 0; i < n; ++i)
        ma += a[i], mb += b[i];
    ma /= n;
    mb /= n;
    double sab = 0, saa = 0, sbb = 0;
    for (std::size_t i = 0; i < n; ++i) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / std::sqrt(saa * sbb);
}

double stdev(const std::vector<double>& v) {
    const double m = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
    double s = 0;
    for (double x : v)
        s += (x - m) * (x - m);
    return std::sqrt(s / (v.size() - 1));
}

TEST(SynthRng, mt19937_64_bits_and_own_distributions) {
    // The standard fixes mt19937_64's output; our uniform maps it the same way everywhere.
    SynthRng rng(5489);
    const double first = rng.uniform();
    EXPECT_EQ(first, (static_cast<double>(14514284786278117030ULL >> 11) + 0.5) * 0x1.0p-53);
    SynthRng g(7);
    double sum = 0, sq = 0, q4 = 0;
    const int n = 200000;
    for (int i = 0; i < n; ++i) {
        const double z = g.normal();
        sum += z;
        sq += z * z;
        q4 += z * z * z * z;
    }
    EXPECT_NEAR(sum / n, 0.0, 0.01);
    EXPECT_NEAR(sq / n, 1.0, 0.015);
    EXPECT_NEAR(q4 / n, 3.0, 0.1); // Gaussian kurtosis
}

TEST(Cholesky, factors_and_rejects_non_positive_definite) {
    const std::vector<std::vector<double>> m = {{4, 2, 0.4}, {2, 5, 1}, {0.4, 1, 3}};
    const auto l = cholesky(m);
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            double s = 0;
            for (int k = 0; k < 3; ++k)
                s += l[i][k] * l[j][k];
            EXPECT_NEAR(s, m[i][j], 1e-12);
            if (j > i) {
                EXPECT_EQ(l[i][j], 0.0);
            }
        }
    EXPECT_THROW(cholesky({{1, 0.9, 0.9}, {0.9, 1, -0.9}, {0.9, -0.9, 1}}), InputError);
    EXPECT_THROW(cholesky({{1, 0.5}, {0.4, 1}}), InputError);
}

TEST(SynthMarket, same_seed_same_market_different_seed_different_market) {
    const auto a = generate_synthetic_market(config(42, 60));
    const auto b = generate_synthetic_market(config(42, 60));
    const auto c = generate_synthetic_market(config(43, 60));
    ASSERT_EQ(a.series.size(), 4u);
    for (std::size_t k = 0; k < 4; ++k) {
        EXPECT_EQ(a.series[k].time, b.series[k].time);
        EXPECT_EQ(a.series[k].open, b.series[k].open);
        EXPECT_EQ(a.series[k].high, b.series[k].high);
        EXPECT_EQ(a.series[k].low, b.series[k].low);
        EXPECT_EQ(a.series[k].close, b.series[k].close);
        EXPECT_EQ(a.series[k].volume, b.series[k].volume);
        EXPECT_EQ(a.series[k].spread, b.series[k].spread);
        EXPECT_NE(a.series[k].close, c.series[k].close);
    }
    EXPECT_EQ(a.regimes, b.regimes);
    // Pinned values: a change to the generator shows up here (update them deliberately).
    EXPECT_EQ(a.series[0].symbol, "BTC/USDT");
    EXPECT_EQ(a.series[0].open[0], 42000.0);
}

TEST(SynthMarket, bars_satisfy_ohlc_invariants_and_validate_without_failures) {
    for (std::uint64_t seed : {1ULL, 2ULL, 3ULL}) {
        for (bool noise : {false, true}) {
            const auto m = generate_synthetic_market(config(seed, 120, noise));
            for (const BarSeries& s : m.series) {
                ASSERT_FALSE(s.empty());
                for (std::size_t i = 0; i < s.size(); ++i) {
                    ASSERT_GT(s.low[i], 0);
                    ASSERT_LE(s.low[i], std::min(s.open[i], s.close[i]));
                    ASSERT_GE(s.high[i], std::max(s.open[i], s.close[i]));
                    ASSERT_GE(s.volume[i], 0);
                    if (s.has_spread()) {
                        ASSERT_GT(s.spread[i], 0);
                    }
                    if (i > 0) {
                        ASSERT_GT(s.time[i], s.time[i - 1]);
                    }
                }
                const auto rep = validate_series(s, registry().get(s.symbol), ValidationConfig{});
                EXPECT_NE(rep.status(), Severity::Fail) << format_report(rep);
                EXPECT_EQ(rep.check("gaps")->status, Severity::Pass) << format_report(rep);
                EXPECT_EQ(rep.check("sessions")->status, Severity::Pass);
                EXPECT_EQ(rep.check("stale")->status, Severity::Pass);
            }
        }
    }
}

TEST(SynthMarket, crypto_trades_every_step_gold_only_in_its_sessions_with_a_spread) {
    const auto m = generate_synthetic_market(config(5, 28));
    ASSERT_EQ(m.steps.size(), 28u * 24u);
    EXPECT_EQ(m.series[0].size(), m.steps.size());
    EXPECT_FALSE(m.series[0].has_spread());
    const BarSeries& gold = m.series[3];
    ASSERT_EQ(gold.symbol, "XAUUSD");
    EXPECT_TRUE(gold.has_spread());
    const Instrument xau = registry().get("XAUUSD");
    std::size_t open_steps = 0;
    for (TimeMs t : m.steps)
        open_steps += session_expects_bar(xau.sessions, t, Timeframe(kMsPerHour)) ? 1 : 0;
    EXPECT_EQ(gold.size(), open_steps);
    EXPECT_LT(gold.size(), m.steps.size() * 3 / 4);
    for (TimeMs t : gold.time)
        EXPECT_TRUE(xau.sessions.is_open(t));
    // Continuity: each crypto bar opens at the previous close.
    for (std::size_t i = 1; i < m.series[0].size(); ++i)
        ASSERT_EQ(m.series[0].open[i], m.series[0].close[i - 1]);
}

TEST(SynthMarket, return_correlation_follows_the_configured_matrix) {
    const auto cfg = config(11, 730);
    const auto m = generate_synthetic_market(cfg);
    std::vector<std::vector<double>> r;
    for (int k = 0; k < 3; ++k)
        r.push_back(log_returns(m.series[static_cast<std::size_t>(k)]));
    for (int i = 0; i < 3; ++i)
        for (int j = i + 1; j < 3; ++j)
            EXPECT_NEAR(corr(r[static_cast<std::size_t>(i)], r[static_cast<std::size_t>(j)]),
                        cfg.correlation[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)],
                        0.06)
                << m.series[static_cast<std::size_t>(i)].symbol << " vs "
                << m.series[static_cast<std::size_t>(j)].symbol;
    // Noise mode: independent assets.
    const auto noise = generate_synthetic_market(config(11, 730, true));
    EXPECT_NEAR(corr(log_returns(noise.series[0]), log_returns(noise.series[1])), 0.0, 0.04);
}

TEST(SynthMarket, regimes_switch_and_change_volatility_as_configured) {
    const auto cfg = config(21, 3 * 365);
    const auto m = generate_synthetic_market(cfg);
    ASSERT_EQ(m.regimes.size(), m.steps.size());
    std::array<std::vector<double>, kSynthRegimeCount> by_regime;
    const BarSeries& btc = m.series[0];
    for (std::size_t i = 1; i < btc.size(); ++i)
        by_regime[static_cast<int>(m.regimes[i])].push_back(
            std::log(btc.close[i] / btc.close[i - 1]));
    int switches = 0;
    for (std::size_t i = 1; i < m.regimes.size(); ++i)
        switches += m.regimes[i] != m.regimes[i - 1];
    // Mean regime duration 5-30 days: about 3 years * 365 / 20 switches.
    EXPECT_GT(switches, 20);
    EXPECT_LT(switches, 150);
    for (int k = 0; k < kSynthRegimeCount; ++k)
        ASSERT_GT(by_regime[k].size(), 200u) << to_string(static_cast<SynthRegime>(k));
    const double hv = stdev(by_regime[static_cast<int>(SynthRegime::HighVol)]);
    const double rng = stdev(by_regime[static_cast<int>(SynthRegime::Ranging)]);
    const double bull = stdev(by_regime[static_cast<int>(SynthRegime::Bull)]);
    const double bear = stdev(by_regime[static_cast<int>(SynthRegime::Bear)]);
    const double configured = cfg.regimes[3].vol_mult / cfg.regimes[2].vol_mult; // 4.2
    EXPECT_GT(hv / rng, configured * 0.8);
    EXPECT_LT(hv / rng, configured * 1.5);
    EXPECT_GT(bear, bull);
    EXPECT_GT(bull, rng);
}

TEST(SynthMarket, volatility_clusters_and_volume_follows_moves_but_noise_has_neither) {
    auto sq_autocorr = [](const BarSeries& s) {
        auto r = log_returns(s);
        std::vector<double> a, b;
        for (std::size_t i = 1; i < r.size(); ++i) {
            a.push_back(r[i - 1] * r[i - 1]);
            b.push_back(r[i] * r[i]);
        }
        return corr(a, b);
    };
    auto ret_autocorr = [](const BarSeries& s) {
        auto r = log_returns(s);
        std::vector<double> a(r.begin(), r.end() - 1), b(r.begin() + 1, r.end());
        return corr(a, b);
    };
    auto volume_vs_move = [](const BarSeries& s) {
        auto r = log_returns(s);
        std::vector<double> absr, vol;
        for (std::size_t i = 0; i < r.size(); ++i) {
            absr.push_back(std::fabs(r[i]));
            vol.push_back(s.volume[i + 1]);
        }
        return corr(absr, vol);
    };
    const auto m = generate_synthetic_market(config(31, 730));
    const auto n = generate_synthetic_market(config(31, 730, true));
    EXPECT_GT(sq_autocorr(m.series[0]), 0.1);
    EXPECT_NEAR(sq_autocorr(n.series[0]), 0.0, 0.04);
    EXPECT_GT(volume_vs_move(m.series[1]), 0.3);
    EXPECT_NEAR(volume_vs_move(n.series[1]), 0.0, 0.04);
    // No edge: returns of the noise market do not predict the next one.
    EXPECT_NEAR(ret_autocorr(n.series[0]), 0.0, 0.04);
    for (SynthRegime r : n.regimes)
        ASSERT_EQ(r, SynthRegime::Ranging);
}

TEST(SynthMarket, any_timeframe_and_symbol_list) {
    auto cfg = SynthConfig::defaults(registry(), {"xrpusdt", "BTC-USDT"}, Timeframe(4 * kMsPerHour),
                                     make_time(2024, 1, 1), 30, 1, false);
    ASSERT_EQ(cfg.assets.size(), 2u);
    EXPECT_EQ(cfg.assets[0].instrument.symbol, "XRP/USDT");
    const auto m = generate_synthetic_market(cfg);
    EXPECT_EQ(m.series[1].size(), 30u * 6u);
    EXPECT_EQ(m.series[1].timeframe, Timeframe(4 * kMsPerHour));
}

TEST(SynthMarket, bad_configs_are_rejected) {
    EXPECT_THROW(
        SynthConfig::defaults(registry(), {"NOPE"}, Timeframe(kMsPerHour), 0, 10, 1, false),
        InputError);
    EXPECT_THROW(SynthConfig::defaults(registry(), {"BTC/USDT", "btcusdt"}, Timeframe(kMsPerHour),
                                       0, 10, 1, false),
                 InputError);
    EXPECT_THROW(config(1, 0), InputError);
    auto cfg = config(1, 10);
    cfg.start += 7 * kMsPerMinute; // off the 1h grid
    EXPECT_THROW(generate_synthetic_market(cfg), InputError);
    cfg = config(1, 10);
    cfg.correlation[0][1] = cfg.correlation[1][0] = 1.5;
    EXPECT_THROW(generate_synthetic_market(cfg), InputError);
    cfg = config(1, 10);
    cfg.garch_alpha = 0.5;
    cfg.garch_beta = 0.6;
    EXPECT_THROW(generate_synthetic_market(cfg), InputError);
    cfg = config(1, 10);
    cfg.end = cfg.start;
    EXPECT_THROW(generate_synthetic_market(cfg), InputError);
    cfg = SynthConfig::defaults(registry(), {}, Timeframe(kMsPerMinute), 0, 36500, 1, false);
    EXPECT_THROW(generate_synthetic_market(cfg), InputError); // too many bars
}

} // namespace
} // namespace aurum
