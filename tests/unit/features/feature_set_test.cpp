// Feature sets: YAML validation, IDs, warm-ups, gaps, NaN handling, batch = streaming and
// no look-ahead (randomised perturbation of the future).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include <openssl/evp.h>
#include <random>
#include <set>

#include "core/error.hpp"
#include "feature_test_helpers.hpp"
#include "features/feature_set.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

FeatureSetDef parse_set(const std::string& features_yaml, const std::string& extra = "") {
    const std::string yaml = extra + "sets:\n  s:\n    features:\n" + features_yaml;
    return FeatureConfig::parse(yaml, "test.yaml").get("s");
}

std::string error_of(const std::string& yaml) {
    try {
        FeatureConfig::parse(yaml, "config/features.yaml");
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

/// One feature per indicator of the catalogue that needs no outside data (every output).
std::string all_price_indicators_yaml(bool with_spread) {
    std::string y;
    for (const auto& info : indicator_catalogue()) {
        if (info.name == "cross_asset" || info.name == "external") continue;
        if (info.name == "spread" && !with_spread) continue;
        if (info.name == "regime") {
            y += "      - {indicator: regime, lookback: 60}\n";
            continue;
        }
        y += "      - {indicator: " + info.name + "}\n";
    }
    y += "      - {indicator: skew, input: return}\n";
    y += "      - {indicator: ema, period: 10, input: typical}\n";
    return y;
}

FeatureContext context_for(const BarSeries& bars) {
    FeatureContext ctx;
    ctx.symbol = bars.symbol;
    ctx.timeframe = bars.timeframe;
    ctx.has_spread = bars.has_spread();
    return ctx;
}

bool has_row(const FeatureMatrix& m, TimeMs t) {
    return std::binary_search(m.time.begin(), m.time.end(), t);
}

std::string sha256(const std::string& text) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
    char hex[3];
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        std::snprintf(hex, sizeof hex, "%02x", md[i]);
        out += hex;
    }
    return out;
}

/// Rows of `a` at times <= cutoff equal those of `b`, bit for bit.
void expect_same_rows_until(const FeatureMatrix& a, const FeatureMatrix& b, TimeMs cutoff) {
    ASSERT_EQ(a.names, b.names);
    std::size_t i = 0;
    for (; i < a.rows() && a.time[i] <= cutoff; ++i) {
        ASSERT_LT(i, b.rows());
        ASSERT_EQ(a.time[i], b.time[i]);
        for (std::size_t c = 0; c < a.cols(); ++c)
            ASSERT_EQ(a.at(i, c), b.at(i, c))
                << a.names[c] << " at " << format_time(a.time[i]) << " changed";
    }
}

} // namespace

TEST(FeatureConfig, shipped_yaml_equals_built_in_default_and_parses) {
    const auto path = test::source_file("config/features.yaml");
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, FeatureConfig::default_yaml());
    const FeatureConfig cfg = FeatureConfig::parse(text, "config/features.yaml");
    const FeatureSetDef& def = cfg.get("");
    EXPECT_EQ(def.name, "default");
    EXPECT_GE(def.column_names().size(), 35u);
    EXPECT_LE(def.column_names().size(), 45u);
    // Extending sets put the base columns first.
    const auto gold = cfg.get("gold").column_names();
    EXPECT_EQ(std::vector<std::string>(gold.begin(), gold.begin() + 39), def.column_names());
    EXPECT_EQ(gold.back(), "spread_50_z");
    EXPECT_EQ(cfg.get("onchain").external_series().size(), 3u);
    EXPECT_EQ(cfg.get("cross_btc").reference_symbols(), std::vector<std::string>{"BTC/USDT"});
}

TEST(FeatureConfig, id_is_sha256_of_canonical_text_and_tracks_every_parameter) {
    const FeatureSetDef a = parse_set("      - {indicator: rsi, period: 14}\n");
    const FeatureSetDef a2 = parse_set("      - {indicator: rsi}\n"); // default made explicit
    const FeatureSetDef b = parse_set("      - {indicator: rsi, period: 15}\n");
    const FeatureSetDef c = parse_set("      - {indicator: rsi, period: 14}\n", "max_gap_bars: 5\n");
    EXPECT_EQ(a.id().size(), 64u);
    EXPECT_EQ(a.id().find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(a.id(), a2.id());
    EXPECT_NE(a.id(), b.id());
    EXPECT_NE(a.id(), c.id());
    EXPECT_NE(a.canonical_text().find("indicator=rsi input=close period=14"), std::string::npos)
        << a.canonical_text();
    EXPECT_EQ(a.id(), sha256(a.canonical_text()));
    FeatureSetDef renamed = a;
    renamed.name = "other";
    EXPECT_EQ(renamed.id(), a.id());
}

TEST(FeatureConfig, errors_name_file_line_and_key) {
    std::string e = error_of("sets:\n  s:\n    features:\n      - {indicator: rsii, period: 14}\n");
    EXPECT_NE(e.find("config/features.yaml:4"), std::string::npos) << e;
    EXPECT_NE(e.find("indicator"), std::string::npos) << e;
    EXPECT_NE(e.find("did you mean 'rsi'"), std::string::npos) << e;

    e = error_of("sets:\n  s:\n    features:\n      - {indicator: rsi, perod: 14}\n");
    EXPECT_NE(e.find("perod"), std::string::npos) << e;
    EXPECT_NE(e.find("unknown parameter"), std::string::npos) << e;

    e = error_of("sets:\n  s:\n    features:\n      - {indicator: rsi, period: 0}\n");
    EXPECT_NE(e.find("period"), std::string::npos) << e;
    EXPECT_NE(e.find("got 0"), std::string::npos) << e;

    e = error_of("sets:\n  s:\n    features:\n      - {indicator: rsi, period: abc}\n");
    EXPECT_NE(e.find("period"), std::string::npos) << e;

    e = error_of("sets:\n  s:\n    features:\n      - {indicator: sma, input: closing}\n");
    EXPECT_NE(e.find("input"), std::string::npos) << e;

    e = error_of("sets:\n  s:\n    features:\n      - {indicator: atr, outputs: [pctt]}\n");
    EXPECT_NE(e.find("outputs"), std::string::npos) << e;

    e = error_of("sets:\n  s:\n    features:\n      - {indicator: rsi}\n      - {indicator: rsi}\n");
    EXPECT_NE(e.find("duplicate column 'rsi_14'"), std::string::npos) << e;

    e = error_of("sets:\n  s:\n    extends: nope\n    features:\n      - {indicator: rsi}\n");
    EXPECT_NE(e.find("extends"), std::string::npos) << e;

    e = error_of("sets:\n  s:\n    features:\n      - {indicator: external}\n");
    EXPECT_NE(e.find("series"), std::string::npos) << e;

    e = error_of("bogus: 1\nsets:\n  s:\n    features:\n      - {indicator: rsi}\n");
    EXPECT_NE(e.find("bogus"), std::string::npos) << e;

    e = error_of("default_set: x\nsets:\n  s:\n    features:\n      - {indicator: rsi}\n");
    EXPECT_NE(e.find("default_set"), std::string::npos) << e;

    const FeatureConfig cfg = FeatureConfig::parse(FeatureConfig::default_yaml(), "d.yaml");
    try {
        cfg.get("nope");
        FAIL();
    } catch (const InputError& ex) {
        EXPECT_NE(std::string(ex.what()).find("unknown feature set 'nope'"), std::string::npos);
    }
}

TEST(FeaturePipeline, warm_up_lengths_match_the_documentation) {
    const BarSeries bars = test::synthetic_bars(400, 3);
    const std::map<std::string, int> expected = {
        {"{indicator: sma, period: 10}", 10},
        {"{indicator: ema, period: 10}", 10},
        {"{indicator: wma, period: 10}", 10},
        {"{indicator: rsi, period: 14}", 15},
        {"{indicator: macd, fast: 12, slow: 26, signal: 9}", 34},
        {"{indicator: bollinger, period: 20}", 20},
        {"{indicator: atr, period: 14}", 15},
        {"{indicator: adx, period: 14}", 28},
        {"{indicator: stoch, k: 14, slow_k: 3, d: 3}", 18},
        {"{indicator: williams_r, period: 14}", 14},
        {"{indicator: cci, period: 20}", 20},
        {"{indicator: obv, period: 20}", 21},
        {"{indicator: mfi, period: 14}", 15},
        {"{indicator: roc, period: 10}", 11},
        {"{indicator: momentum, period: 10}", 11},
        {"{indicator: log_return, period: 4}", 5},
        {"{indicator: vwap, period: 20}", 20},
        {"{indicator: rolling_min, period: 20}", 20},
        {"{indicator: rolling_max, period: 20}", 20},
        {"{indicator: rolling_std, period: 20}", 20},
        {"{indicator: zscore, period: 20}", 20},
        {"{indicator: skew, period: 30}", 30},
        {"{indicator: skew, period: 30, input: return}", 31},
        {"{indicator: kurtosis, period: 30}", 30},
        {"{indicator: rv_cc, period: 20}", 21},
        {"{indicator: rv_parkinson, period: 20}", 20},
        {"{indicator: rv_gk, period: 20}", 20},
        {"{indicator: volume_zscore, period: 20}", 20},
        {"{indicator: ma_distance, period: 50}", 50},
        {"{indicator: time_encoding}", 1},
        {"{indicator: regime, trend_window: 50, vol_window: 20, lookback: 200}", 50 + 199},
    };
    std::set<std::string> covered;
    for (const auto& [yaml, bars_needed] : expected) {
        const FeatureSetDef def = parse_set("      - " + yaml + "\n");
        covered.insert(def.features[0].indicator);
        FeaturePipeline p(def, context_for(bars));
        int first = -1;
        for (std::size_t i = 0; i < bars.size() && first < 0; ++i)
            if (p.update(bars.at(i))) first = static_cast<int>(i) + 1;
        EXPECT_EQ(first, bars_needed) << yaml;
    }
    // Every price indicator of the catalogue has its warm-up checked here.
    for (const auto& info : indicator_catalogue()) {
        if (info.name != "cross_asset" && info.name != "external" && info.name != "spread") {
            EXPECT_TRUE(covered.count(info.name)) << info.name;
        }
    }
}

TEST(FeaturePipeline, gap_longer_than_limit_resets_indicators_and_is_reported) {
    BarSeries bars = test::synthetic_bars(300, 4);
    // Remove 5 bars (a gap of 5 missing bars) after bar 150, and 2 bars after bar 250.
    BarSeries gappy;
    gappy.symbol = bars.symbol;
    gappy.timeframe = bars.timeframe;
    for (std::size_t i = 0; i < bars.size(); ++i)
        if (!(i > 150 && i <= 155) && !(i > 250 && i <= 252)) gappy.push_back(bars.at(i));
    const FeatureSetDef def = parse_set("      - {indicator: rsi, period: 14}\n");
    BuildReport report;
    const FeatureMatrix m = build_feature_matrix(gappy, def, context_for(gappy), &report);
    ASSERT_EQ(report.resets.size(), 1u);
    EXPECT_EQ(report.resets[0], bars.time[156]);
    // No row for the 14 bars after the reset (warm-up again); the 2-bar gap is bridged.
    for (std::size_t k = 0; k < 14; ++k) EXPECT_FALSE(has_row(m, bars.time[156 + k]));
    EXPECT_TRUE(has_row(m, bars.time[156 + 14]));
    EXPECT_TRUE(has_row(m, bars.time[253]));
    EXPECT_EQ(report.rows + report.warmup_rows, gappy.size());
}

TEST(FeaturePipeline, forex_weekend_is_not_a_gap_but_a_missing_session_day_is) {
    // H1 gold-like bars: Monday..Friday 00:00-21:00 UTC, for two weeks.
    BarSeries bars;
    bars.symbol = "XAUUSD";
    bars.timeframe = Timeframe(kMsPerHour);
    const TimeMs monday = make_time(2024, 3, 4);
    for (int d = 0; d < 12; ++d) {
        if (d % 7 >= 5) continue; // weekend
        if (d == 8) continue;     // a whole session day missing (Tuesday of week 2)
        for (int h = 0; h < 21; ++h)
            bars.push_back(Bar{monday + d * kMsPerDay + h * kMsPerHour, 1, 1.1, 0.9, 1, 1, 0});
    }
    FeatureContext ctx = context_for(bars);
    ctx.sessions = TradingSessions::forex_metal();
    BuildReport report;
    build_feature_matrix(bars, parse_set("      - {indicator: sma, period: 3}\n"), ctx, &report);
    ASSERT_EQ(report.resets.size(), 1u);
    EXPECT_EQ(report.resets[0], monday + 9 * kMsPerDay);
}

TEST(FeaturePipeline, nan_or_infinite_value_fails_naming_symbol_time_and_feature) {
    BarSeries bars = test::synthetic_bars(100, 4);
    bars.close[60] = 0.0; // log return becomes -inf
    const FeatureSetDef def = parse_set("      - {indicator: log_return, period: 1}\n");
    try {
        build_feature_matrix(bars, def, context_for(bars));
        FAIL() << "expected InputError";
    } catch (const InputError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("TEST/USDT"), std::string::npos) << msg;
        EXPECT_NE(msg.find("log_return_1"), std::string::npos) << msg;
        EXPECT_NE(msg.find(format_time(bars.time[60])), std::string::npos) << msg;
    }
}

TEST(FeaturePipeline, empty_or_too_short_history_is_a_clear_error) {
    const FeatureSetDef def = parse_set("      - {indicator: sma, period: 50}\n");
    BarSeries empty;
    empty.symbol = "X/USDT";
    EXPECT_THROW(build_feature_matrix(empty, def, context_for(empty)), InputError);
    const BarSeries few = test::synthetic_bars(20, 1);
    try {
        build_feature_matrix(few, def, context_for(few));
        FAIL();
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("no complete row"), std::string::npos) << e.what();
    }
}

TEST(FeaturePipeline, unordered_bars_are_rejected) {
    BarSeries bars = test::synthetic_bars(30, 4);
    std::swap(bars.time[10], bars.time[11]);
    const FeatureSetDef def = parse_set("      - {indicator: sma, period: 3}\n");
    EXPECT_THROW(build_feature_matrix(bars, def, context_for(bars)), InputError);
}

TEST(FeaturePipeline, spread_feature_requires_a_spread_column) {
    const BarSeries bars = test::synthetic_bars(100, 4);
    const FeatureSetDef def = parse_set("      - {indicator: spread}\n");
    EXPECT_THROW(build_feature_matrix(bars, def, context_for(bars)), InputError);
    const BarSeries with = test::synthetic_bars(100, 4, 100, Timeframe(kMsPerHour), true);
    const FeatureMatrix m = build_feature_matrix(with, def, context_for(with));
    EXPECT_NEAR(m.at(0, 0), 1e4 * with.spread[19] / with.close[19], 1e-9);
}

// Batch = streaming: the matrix equals what a live process computes when it receives the bars
// one at a time, each pipeline update seeing only bars that have closed.
TEST(FeaturePipeline, batch_equals_bar_by_bar_streaming_for_every_indicator) {
    const BarSeries bars = test::synthetic_bars(1500, 21, 100, Timeframe(kMsPerHour), true);
    const FeatureSetDef def = parse_set(all_price_indicators_yaml(true));
    const FeatureMatrix batch = build_feature_matrix(bars, def, context_for(bars));
    FeaturePipeline live(def, context_for(bars));
    std::size_t r = 0;
    for (std::size_t i = 0; i < bars.size(); ++i) {
        if (!live.update(bars.at(i))) continue;
        ASSERT_LT(r, batch.rows());
        ASSERT_EQ(batch.time[r], bars.time[i]);
        for (std::size_t c = 0; c < batch.cols(); ++c)
            ASSERT_EQ(batch.at(r, c), live.row()[c]) << batch.names[c];
        ++r;
    }
    EXPECT_EQ(r, batch.rows());
}

TEST(FeaturePipeline, no_look_ahead_perturbing_bars_after_t_never_changes_features_at_t) {
    const BarSeries bars = test::synthetic_bars(800, 8, 100, Timeframe(kMsPerHour), true);
    const FeatureSetDef def = parse_set(all_price_indicators_yaml(true));
    const FeatureMatrix base = build_feature_matrix(bars, def, context_for(bars));
    std::mt19937_64 rng(99);
    std::uniform_int_distribution<std::size_t> pick(300, bars.size() - 2);
    std::uniform_real_distribution<double> u(0.5, 1.5);
    for (int trial = 0; trial < 25; ++trial) {
        const std::size_t t = pick(rng);
        BarSeries p = bars;
        for (std::size_t i = t + 1; i < p.size(); ++i) {
            const double k = u(rng);
            p.open[i] *= k;
            p.close[i] *= u(rng);
            p.high[i] = std::max({p.high[i] * k, p.open[i], p.close[i]}) * 1.01;
            p.low[i] = std::min({p.low[i] * k, p.open[i], p.close[i]}) * 0.99;
            p.volume[i] *= u(rng);
            p.spread[i] *= u(rng);
        }
        const FeatureMatrix m = build_feature_matrix(p, def, context_for(p));
        expect_same_rows_until(base, m, bars.time[t]);
    }
}
