// Each validation check on hand-built series: it FAILs or WARNs exactly when it should.
#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "data/validation.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

Instrument btc() {
    return InstrumentRegistry().get("BTC/USDT");
}
Instrument gold() {
    return InstrumentRegistry().get("XAUUSD");
}

/// A clean hourly series: a gentle deterministic zig-zag walk with varying volume.
BarSeries clean_series(const Instrument& inst, TimeMs start, int hours, bool spread = false) {
    BarSeries s;
    s.symbol = inst.symbol;
    s.timeframe = Timeframe(kMsPerHour);
    s.has_spread_column = spread;
    double price = 100.0;
    for (int i = 0; i < hours; ++i) {
        const TimeMs t = start + static_cast<TimeMs>(i) * kMsPerHour;
        if (!session_expects_bar(inst.sessions, t, s.timeframe))
            continue;
        // pseudo-random but fixed returns of about 0.3%
        const double r = 0.003 * std::sin(i * 1.7) + 0.002 * std::cos(i * 0.37);
        Bar b;
        b.time = t;
        b.open = price;
        b.close = price * std::exp(r);
        b.high = std::max(b.open, b.close) * 1.001;
        b.low = std::min(b.open, b.close) * 0.999;
        b.volume = 100.0 + 50.0 * std::fabs(std::sin(i * 0.9));
        b.spread = 0.2 + 0.02 * std::sin(i * 1.3);
        s.push_back(b);
        price = b.close;
    }
    return s;
}

const TimeMs kMonday = make_time(2024, 3, 4); // a Monday with no holiday

Severity status_of(const ValidationReport& r, const std::string& name) {
    const CheckResult* c = r.check(name);
    EXPECT_NE(c, nullptr) << name;
    return c ? c->status : Severity::Fail;
}

void expect_only(const ValidationReport& r, const std::string& name, Severity s) {
    for (const auto& c : r.checks) {
        if (c.name == name)
            EXPECT_EQ(c.status, s) << name << ": " << c.summary;
        else
            EXPECT_EQ(c.status, Severity::Pass) << c.name << ": " << c.summary;
    }
}

TEST(Validation, clean_crypto_and_gold_series_pass_every_check) {
    const ValidationConfig cfg;
    const auto r1 = validate_series(clean_series(btc(), kMonday, 24 * 28), btc(), cfg);
    EXPECT_EQ(r1.status(), Severity::Pass) << format_report(r1);
    EXPECT_EQ(r1.checks.size(), 10u);
    const auto r2 = validate_series(clean_series(gold(), kMonday, 24 * 28, true), gold(), cfg);
    EXPECT_EQ(r2.status(), Severity::Pass) << format_report(r2);
    EXPECT_TRUE(r2.failure_reasons().empty());
}

TEST(Validation, ohlc_fails_on_each_impossible_bar) {
    const ValidationConfig cfg;
    auto base = clean_series(btc(), kMonday, 200);
    struct Case {
        const char* what;
        std::function<void(BarSeries&)> corrupt;
    };
    const std::vector<Case> cases = {
        {"high < low", [](BarSeries& s) { std::swap(s.high[50], s.low[50]); }},
        {"non-positive", [](BarSeries& s) { s.low[50] = 0.0; }},
        {"non-finite", [](BarSeries& s) { s.close[50] = std::nan(""); }},
        {"high below",
         [](BarSeries& s) { s.high[50] = std::max(s.open[50], s.close[50]) * 0.9999; }},
        {"low above", [](BarSeries& s) { s.low[50] = std::min(s.open[50], s.close[50]) * 1.0001; }},
        {"volume", [](BarSeries& s) { s.volume[50] = -1.0; }},
    };
    for (const auto& c : cases) {
        BarSeries s = base;
        c.corrupt(s);
        const auto r = validate_series(s, btc(), cfg);
        const CheckResult* ohlc = r.check("ohlc");
        ASSERT_NE(ohlc, nullptr);
        EXPECT_EQ(ohlc->status, Severity::Fail) << c.what;
        EXPECT_EQ(ohlc->count, 1) << c.what;
        ASSERT_EQ(ohlc->examples.size(), 1u);
        EXPECT_EQ(ohlc->examples[0].time, s.time[50]);
        EXPECT_EQ(r.status(), Severity::Fail);
        ASSERT_FALSE(r.failure_reasons().empty());
        EXPECT_NE(r.failure_reasons().front().find("ohlc"), std::string::npos);
    }
}

TEST(Validation, duplicates_fail_and_name_identical_or_conflicting) {
    BarSeries s = clean_series(btc(), kMonday, 100);
    Bar dup = s.at(10);
    s.push_back(dup); // identical, out of order too
    dup = s.at(20);
    dup.close *= 1.001;
    dup.high = std::max(dup.high, dup.close);
    s.push_back(dup); // conflicting
    const auto r = validate_series(s, btc(), ValidationConfig{});
    const CheckResult* d = r.check("duplicates");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->status, Severity::Fail);
    EXPECT_EQ(d->count, 2);
    ASSERT_EQ(d->examples.size(), 2u);
    EXPECT_NE(d->examples[0].message.find("identical"), std::string::npos);
    EXPECT_NE(d->examples[1].message.find("conflicting"), std::string::npos);
    // The appended bars also break the ordering.
    EXPECT_EQ(status_of(r, "ordering"), Severity::Fail);
    // Later checks run on the de-duplicated, sorted series: no spurious gaps or stale runs.
    EXPECT_EQ(status_of(r, "gaps"), Severity::Pass);
    EXPECT_EQ(status_of(r, "stale"), Severity::Pass);
}

TEST(Validation, ordering_fails_on_swapped_bars_only) {
    BarSeries s = clean_series(btc(), kMonday, 100);
    std::swap(s.time[30], s.time[31]);
    const auto r = validate_series(s, btc(), ValidationConfig{});
    const CheckResult* o = r.check("ordering");
    EXPECT_EQ(o->status, Severity::Fail);
    EXPECT_EQ(o->count, 1);
    EXPECT_EQ(status_of(r, "duplicates"), Severity::Pass);
}

TEST(Validation, alignment_fails_on_mixed_phase_and_warns_on_consistent_offset) {
    BarSeries s = clean_series(btc(), kMonday, 100);
    s.time[40] += 30 * kMsPerMinute;
    auto r = validate_series(s, btc(), ValidationConfig{});
    EXPECT_EQ(status_of(r, "alignment"), Severity::Fail);

    BarSeries shifted = clean_series(btc(), kMonday + 30 * kMsPerMinute, 100);
    r = validate_series(shifted, btc(), ValidationConfig{});
    expect_only(r, "alignment", Severity::Warn);
}

TEST(Validation, gap_on_a_crypto_weekday_warns_with_its_time) {
    BarSeries s = clean_series(btc(), kMonday, 24 * 14);
    const TimeMs missing = s.time[30];
    BarSeries cut;
    cut.symbol = s.symbol;
    cut.timeframe = s.timeframe;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (i != 30)
            cut.push_back(s.at(i));
    const auto r = validate_series(cut, btc(), ValidationConfig{});
    const CheckResult* g = r.check("gaps");
    EXPECT_EQ(g->status, Severity::Warn) << g->summary;
    EXPECT_EQ(g->count, 1);
    ASSERT_EQ(g->examples.size(), 1u);
    EXPECT_EQ(g->examples[0].time, missing);
    EXPECT_NE(g->examples[0].message.find("1 expected bar missing"), std::string::npos);
    EXPECT_EQ(r.status(), Severity::Warn);
}

TEST(Validation, gold_weekend_and_daily_break_are_not_gaps_but_a_tuesday_hour_is) {
    const BarSeries s = clean_series(gold(), kMonday, 24 * 21, true);
    // The series skips weekends and daily breaks by construction: nothing to report.
    auto r = validate_series(s, gold(), ValidationConfig{});
    EXPECT_EQ(status_of(r, "gaps"), Severity::Pass);
    EXPECT_EQ(status_of(r, "sessions"), Severity::Pass);

    const TimeMs tuesday_10 = make_time(2024, 3, 5, 10);
    BarSeries cut;
    cut.symbol = s.symbol;
    cut.timeframe = s.timeframe;
    cut.has_spread_column = true;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (s.time[i] != tuesday_10)
            cut.push_back(s.at(i));
    r = validate_series(cut, gold(), ValidationConfig{});
    const CheckResult* g = r.check("gaps");
    EXPECT_EQ(g->status, Severity::Warn);
    EXPECT_EQ(g->count, 1);
    EXPECT_EQ(g->examples.at(0).time, tuesday_10);
}

TEST(Validation, gaps_fail_beyond_missing_fraction_or_max_gap) {
    BarSeries s = clean_series(btc(), kMonday, 24 * 30);
    // Drop every 10th bar: 10% missing > 5% default.
    BarSeries holey;
    holey.symbol = s.symbol;
    holey.timeframe = s.timeframe;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (i % 10 != 5)
            holey.push_back(s.at(i));
    auto r = validate_series(holey, btc(), ValidationConfig{});
    EXPECT_EQ(status_of(r, "gaps"), Severity::Fail);
    ValidationConfig lenient;
    lenient.gaps_fail_missing_fraction = 0.2;
    r = validate_series(holey, btc(), lenient);
    EXPECT_EQ(status_of(r, "gaps"), Severity::Warn);

    // One 3-day hole in a long series: below the missing fraction but longer than fail_max_gap.
    BarSeries year = clean_series(btc(), kMonday, 24 * 200);
    BarSeries hole;
    hole.symbol = year.symbol;
    hole.timeframe = year.timeframe;
    for (std::size_t i = 0; i < year.size(); ++i)
        if (i < 1000 || i >= 1000 + 72)
            hole.push_back(year.at(i));
    ValidationConfig cfg;
    cfg.gaps_fail_max_gap = 3 * kMsPerDay;
    r = validate_series(hole, btc(), cfg);
    EXPECT_EQ(status_of(r, "gaps"), Severity::Fail) << r.check("gaps")->summary;
    cfg.gaps_fail_max_gap = 4 * kMsPerDay;
    r = validate_series(hole, btc(), cfg);
    EXPECT_EQ(status_of(r, "gaps"), Severity::Warn);
}

TEST(Validation, gold_bars_on_saturday_warn_and_many_fail) {
    BarSeries s = clean_series(gold(), kMonday, 24 * 14, true);
    BarSeries with_sat;
    with_sat.symbol = s.symbol;
    with_sat.timeframe = s.timeframe;
    with_sat.has_spread_column = true;
    const TimeMs saturday_noon = make_time(2024, 3, 9, 12);
    bool inserted = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (!inserted && s.time[i] > saturday_noon) {
            Bar b = s.at(i - 1);
            b.time = saturday_noon;
            with_sat.push_back(b);
            inserted = true;
        }
        with_sat.push_back(s.at(i));
    }
    auto r = validate_series(with_sat, gold(), ValidationConfig{});
    const CheckResult* off = r.check("sessions");
    EXPECT_EQ(off->status, Severity::Warn) << off->summary;
    EXPECT_EQ(off->count, 1);
    EXPECT_EQ(off->examples.at(0).time, saturday_noon);
    EXPECT_NE(off->examples.at(0).message.find("weekend"), std::string::npos);

    // The same bars shifted by 12 hours (a wrong time zone): many off-session bars: FAIL.
    BarSeries shifted = s;
    for (auto& t : shifted.time)
        t += 12 * kMsPerHour;
    r = validate_series(shifted, gold(), ValidationConfig{});
    EXPECT_EQ(status_of(r, "sessions"), Severity::Fail) << r.check("sessions")->summary;
}

TEST(Validation, outliers_warn_on_big_moves_and_fail_on_bad_ticks) {
    BarSeries s = clean_series(btc(), kMonday, 24 * 20);
    // A 5% close-to-close move (the walk's scale is ~0.3%): a real crash, WARN.
    BarSeries crash = s;
    for (std::size_t i = 200; i < crash.size(); ++i) {
        crash.open[i] *= (i == 200 ? 1.0 : 0.95);
        crash.high[i] *= (i == 200 ? 1.0 : 0.95);
        crash.low[i] *= 0.95;
        crash.close[i] *= 0.95;
    }
    auto r = validate_series(crash, btc(), ValidationConfig{});
    const CheckResult* o = r.check("outliers");
    EXPECT_EQ(o->status, Severity::Warn) << o->summary;
    EXPECT_EQ(o->examples.at(0).time, crash.time[200]);
    EXPECT_EQ(status_of(r, "ohlc"), Severity::Pass);

    // A tenfold print that reverts: corruption, FAIL.
    BarSeries tick = s;
    tick.close[300] *= 10;
    tick.high[300] = tick.close[300];
    tick.open[301] = tick.close[300];
    tick.high[301] = tick.close[300];
    r = validate_series(tick, btc(), ValidationConfig{});
    EXPECT_EQ(status_of(r, "outliers"), Severity::Fail);

    // A wick to 10x with a sane close: FAIL too.
    BarSeries wick = s;
    wick.high[400] *= 10;
    r = validate_series(wick, btc(), ValidationConfig{});
    o = r.check("outliers");
    EXPECT_EQ(o->status, Severity::Fail);
    EXPECT_NE(o->examples.at(0).message.find("upper wick"), std::string::npos);

    // Thresholds come from the config.
    ValidationConfig strict;
    strict.outliers_warn_z = 1.5;
    strict.outliers_fail_z = 1000;
    r = validate_series(s, btc(), strict);
    EXPECT_EQ(status_of(r, "outliers"), Severity::Warn);
}

TEST(Validation, outliers_skip_short_series) {
    const auto r = validate_series(clean_series(btc(), kMonday, 10), btc(), ValidationConfig{});
    EXPECT_EQ(status_of(r, "outliers"), Severity::Pass);
    EXPECT_NE(r.check("outliers")->summary.find("skipped"), std::string::npos);
}

TEST(Validation, zero_volume_runs_warn_at_3_and_fail_at_48) {
    const BarSeries s = clean_series(btc(), kMonday, 24 * 10);
    auto with_zeros = [&](std::size_t from, std::size_t n) {
        BarSeries z = s;
        for (std::size_t i = from; i < from + n; ++i)
            z.volume[i] = 0;
        return validate_series(z, btc(), ValidationConfig{});
    };
    EXPECT_EQ(status_of(with_zeros(50, 2), "zero_volume"), Severity::Pass);
    auto r = with_zeros(50, 3);
    expect_only(r, "zero_volume", Severity::Warn);
    EXPECT_EQ(r.check("zero_volume")->examples.at(0).time, s.time[50]);
    EXPECT_EQ(status_of(with_zeros(50, 47), "zero_volume"), Severity::Warn);
    EXPECT_EQ(status_of(with_zeros(50, 48), "zero_volume"), Severity::Fail);

    BarSeries none = s;
    for (auto& v : none.volume)
        v = 0;
    r = validate_series(none, btc(), ValidationConfig{});
    EXPECT_EQ(status_of(r, "zero_volume"), Severity::Warn);
    EXPECT_NE(r.check("zero_volume")->summary.find("no volume"), std::string::npos);
}

TEST(Validation, stale_repeated_bars_warn_at_3_and_fail_at_10) {
    const BarSeries s = clean_series(btc(), kMonday, 24 * 10);
    auto with_repeats = [&](std::size_t from, std::size_t n) {
        BarSeries z = s;
        for (std::size_t i = from + 1; i < from + n; ++i) {
            z.open[i] = z.open[from];
            z.high[i] = z.high[from];
            z.low[i] = z.low[from];
            z.close[i] = z.close[from];
        }
        return validate_series(z, btc(), ValidationConfig{});
    };
    EXPECT_EQ(status_of(with_repeats(60, 2), "stale"), Severity::Pass);
    auto r = with_repeats(60, 3);
    EXPECT_EQ(status_of(r, "stale"), Severity::Warn);
    EXPECT_EQ(r.check("stale")->examples.at(0).time, s.time[60]);
    EXPECT_NE(r.check("stale")->examples.at(0).message.find("3 consecutive"), std::string::npos);
    EXPECT_EQ(status_of(with_repeats(60, 9), "stale"), Severity::Warn);
    EXPECT_EQ(status_of(with_repeats(60, 10), "stale"), Severity::Fail);
}

TEST(Validation, spread_negative_fails_zero_warns_spikes_warn) {
    const BarSeries s = clean_series(gold(), kMonday, 24 * 14, true);
    BarSeries neg = s;
    neg.spread[5] = -0.1;
    EXPECT_EQ(status_of(validate_series(neg, gold(), ValidationConfig{}), "spread"),
              Severity::Fail);

    BarSeries zero = s;
    zero.spread[5] = 0.0;
    auto r = validate_series(zero, gold(), ValidationConfig{});
    expect_only(r, "spread", Severity::Warn);

    BarSeries mostly_zero = s;
    for (std::size_t i = 0; i < s.size() * 3 / 4; ++i)
        mostly_zero.spread[i] = 0.0;
    EXPECT_EQ(status_of(validate_series(mostly_zero, gold(), ValidationConfig{}), "spread"),
              Severity::Fail);

    BarSeries spike = s;
    spike.spread[40] = 25.0; // the spreads are 0.18..0.22
    r = validate_series(spike, gold(), ValidationConfig{});
    EXPECT_EQ(status_of(r, "spread"), Severity::Warn);
    EXPECT_EQ(r.check("spread")->examples.at(0).time, s.time[40]);

    // Crypto series have no spread column: nothing to check.
    EXPECT_EQ(
        status_of(validate_series(clean_series(btc(), kMonday, 100), btc(), ValidationConfig{}),
                  "spread"),
        Severity::Pass);
}

TEST(Validation, examples_are_capped_and_prefer_failures) {
    BarSeries s = clean_series(btc(), kMonday, 24 * 30);
    ValidationConfig cfg;
    cfg.max_examples = 3;
    // Ten zero-volume WARN runs first, then one FAIL run.
    for (int k = 0; k < 10; ++k)
        for (int i = 0; i < 3; ++i)
            s.volume[static_cast<std::size_t>(10 + k * 10 + i)] = 0;
    for (int i = 0; i < 60; ++i)
        s.volume[static_cast<std::size_t>(400 + i)] = 0;
    const auto r = validate_series(s, btc(), cfg);
    const CheckResult* z = r.check("zero_volume");
    EXPECT_EQ(z->count, 11);
    ASSERT_EQ(z->examples.size(), 3u);
    EXPECT_EQ(z->status, Severity::Fail);
    EXPECT_EQ(z->examples.back().severity, Severity::Fail);
    EXPECT_EQ(z->examples.back().time, s.time[400]);
    const std::string text = format_report(r);
    EXPECT_NE(text.find("... 8 more"), std::string::npos) << text;
}

TEST(Validation, json_has_the_documented_shape) {
    BarSeries s = clean_series(btc(), kMonday, 100);
    s.low[3] = -1;
    const auto j = report_to_json(validate_series(s, btc(), ValidationConfig{}));
    EXPECT_EQ(j["symbol"], "BTC/USDT");
    EXPECT_EQ(j["timeframe"], "1h");
    EXPECT_EQ(j["bars"], 100);
    EXPECT_EQ(j["status"], "FAIL");
    EXPECT_EQ(j["first"], format_iso(kMonday));
    ASSERT_TRUE(j["checks"].is_array());
    EXPECT_EQ(j["checks"].size(), 10u);
    const auto& ohlc = j["checks"][0];
    EXPECT_EQ(ohlc["name"], "ohlc");
    EXPECT_EQ(ohlc["status"], "FAIL");
    EXPECT_EQ(ohlc["count"], 1);
    EXPECT_EQ(ohlc["examples"][0]["time"], format_iso(s.time[3]));
    EXPECT_EQ(ohlc["examples"][0]["severity"], "FAIL");
}

TEST(Validation, empty_series_passes_with_zero_bars) {
    BarSeries s;
    s.symbol = "BTC/USDT";
    const auto r = validate_series(s, btc(), ValidationConfig{});
    EXPECT_EQ(r.bars, 0);
    EXPECT_EQ(r.status(), Severity::Pass);
}

TEST(Validation, session_expects_bar_uses_the_whole_bar) {
    const auto g = gold().sessions;
    // A gold daily bar opening Sunday 22:00 UTC (broker midnight) covers Monday: expected.
    EXPECT_TRUE(session_expects_bar(g, make_time(2024, 3, 3, 22), Timeframe(kMsPerDay)));
    EXPECT_FALSE(session_expects_bar(g, make_time(2024, 3, 3, 22), Timeframe(kMsPerHour)));
    EXPECT_FALSE(
        session_expects_bar(g, make_time(2024, 3, 9, 0), Timeframe(kMsPerDay))); // Saturday
    EXPECT_TRUE(
        session_expects_bar(btc().sessions, make_time(2024, 3, 9, 0), Timeframe(kMsPerHour)));
}

// ----- config --------------------------------------------------------------------------------

TEST(ValidationConfig, reads_every_key) {
    const auto cfg = ValidationConfig::from_node(ConfigNode::parse(R"(
max_examples: 7
gaps: {fail_missing_fraction: 0.1, fail_max_gap: 3d}
sessions: {tolerance: 90m, fail_fraction: 0.2}
outliers: {warn_z: 8, fail_z: 40, min_bars: 50}
zero_volume: {warn_run: 4, fail_run: 20}
stale: {warn_run: 5, fail_run: 6}
spread: {spike_z: 15, fail_zero_fraction: 0.3}
)",
                                                                   "validation.yaml"));
    EXPECT_EQ(cfg.max_examples, 7);
    EXPECT_DOUBLE_EQ(cfg.gaps_fail_missing_fraction, 0.1);
    EXPECT_EQ(cfg.gaps_fail_max_gap, 3 * kMsPerDay);
    EXPECT_EQ(cfg.sessions_tolerance, 90 * kMsPerMinute);
    EXPECT_DOUBLE_EQ(cfg.sessions_fail_fraction, 0.2);
    EXPECT_DOUBLE_EQ(cfg.outliers_warn_z, 8);
    EXPECT_DOUBLE_EQ(cfg.outliers_fail_z, 40);
    EXPECT_EQ(cfg.outliers_min_bars, 50);
    EXPECT_EQ(cfg.zero_volume_warn_run, 4);
    EXPECT_EQ(cfg.zero_volume_fail_run, 20);
    EXPECT_EQ(cfg.stale_warn_run, 5);
    EXPECT_EQ(cfg.stale_fail_run, 6);
    EXPECT_DOUBLE_EQ(cfg.spread_spike_z, 15);
    EXPECT_DOUBLE_EQ(cfg.spread_fail_zero_fraction, 0.3);
}

void expect_config_error(const std::string& yaml, const std::string& needle) {
    try {
        ValidationConfig::from_node(ConfigNode::parse(yaml, "validation.yaml"));
        ADD_FAILURE() << "no error for: " << yaml;
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

TEST(ValidationConfig, bad_keys_and_values_are_named) {
    expect_config_error("gapz: {}\n", "gapz");
    expect_config_error("gaps: {fail_missing_fractoin: 0.1}\n", "fail_missing_fractoin");
    expect_config_error("gaps: {fail_missing_fraction: 1.5}\n", "fail_missing_fraction");
    expect_config_error("gaps: {fail_max_gap: soon}\n", "fail_max_gap");
    expect_config_error("outliers: {warn_z: 10, fail_z: 5}\n", "fail_z");
    expect_config_error("outliers: {warn_z: -1}\n", "warn_z");
    expect_config_error("stale: {warn_run: 1}\n", "warn_run");
    expect_config_error("zero_volume: {warn_run: 10, fail_run: 5}\n", "fail_run");
    expect_config_error("max_examples: lots\n", "max_examples");
}

TEST(ValidationConfig, shipped_file_matches_builtin_defaults) {
    const auto path = std::filesystem::path(AURUM_TEST_DATA).parent_path().parent_path() /
                      "config" / "validation.yaml";
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    const auto f = ValidationConfig::load(path.string());
    const ValidationConfig d;
    EXPECT_EQ(f.max_examples, d.max_examples);
    EXPECT_EQ(f.gaps_fail_missing_fraction, d.gaps_fail_missing_fraction);
    EXPECT_EQ(f.gaps_fail_max_gap, d.gaps_fail_max_gap);
    EXPECT_EQ(f.sessions_tolerance, d.sessions_tolerance);
    EXPECT_EQ(f.sessions_fail_fraction, d.sessions_fail_fraction);
    EXPECT_EQ(f.outliers_warn_z, d.outliers_warn_z);
    EXPECT_EQ(f.outliers_fail_z, d.outliers_fail_z);
    EXPECT_EQ(f.outliers_min_bars, d.outliers_min_bars);
    EXPECT_EQ(f.zero_volume_warn_run, d.zero_volume_warn_run);
    EXPECT_EQ(f.zero_volume_fail_run, d.zero_volume_fail_run);
    EXPECT_EQ(f.stale_warn_run, d.stale_warn_run);
    EXPECT_EQ(f.stale_fail_run, d.stale_fail_run);
    EXPECT_EQ(f.spread_spike_z, d.spread_spike_z);
    EXPECT_EQ(f.spread_fail_zero_fraction, d.spread_fail_zero_fraction);
    // A missing file means the defaults.
    EXPECT_EQ(ValidationConfig::load("/nonexistent/validation.yaml").max_examples, d.max_examples);
}

} // namespace
} // namespace aurum
