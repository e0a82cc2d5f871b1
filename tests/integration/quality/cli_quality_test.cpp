// `aurum data synth|validate|resample` end to end: exit codes 0/1/2, output, --json, bad input.
#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/workspace.hpp"
#include "data/market_store.hpp"
#include "data/resample.hpp"
#include "data/synthetic_market.hpp"
#include "data/validation.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

using test::run_aurum;

struct Workspace {
    test::TempDir dir;
    std::string home() const { return dir.path().string(); }
    std::string db() const { return (dir.path() / "data" / "aurum.db").string(); }
    test::CliResult run(std::vector<std::string> args) const {
        args.insert(args.begin(), {"--home", home()});
        return run_aurum(args);
    }
};

bool contains(const std::string& s, const std::string& what) {
    return s.find(what) != std::string::npos;
}

TEST(CliQuality, synth_then_validate_passes_and_lists_every_series) {
    Workspace ws;
    auto r = ws.run({"data", "synth", "--days", "60", "--seed", "7"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "BTC/USDT")) << r.out;
    EXPECT_TRUE(contains(r.out, "XAUUSD"));
    EXPECT_TRUE(contains(r.out, "hidden regimes"));
    auto store = open_market_store(ws.db());
    const auto series = store->list_series();
    ASSERT_EQ(series.size(), 4u);
    EXPECT_EQ(series[0].rows, 60 * 24);

    r = ws.run({"data", "validate"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "Validation PASSED")) << r.out;
    EXPECT_TRUE(contains(r.out, "4 series checked"));
    EXPECT_TRUE(contains(r.out, "PASS  gaps")) << r.out;
    EXPECT_TRUE(contains(r.out, "XAUUSD 1h"));

    // The same seed in another workspace gives the same bars; the CLI output is deterministic.
    Workspace other;
    ASSERT_EQ(other.run({"data", "synth", "--days", "60", "--seed", "7"}).exit_code, 0);
    auto a = store->load_bars("SOL/USDT", Timeframe(kMsPerHour));
    auto b = open_market_store(other.db())->load_bars("SOL/USDT", Timeframe(kMsPerHour));
    EXPECT_EQ(a.close, b.close);
    EXPECT_EQ(a.volume, b.volume);
}

TEST(CliQuality, validate_json_shape) {
    Workspace ws;
    ASSERT_EQ(ws.run({"data", "synth", "--days", "20", "--symbols", "BTC/USDT,XAUUSD"}).exit_code,
              0);
    const auto r = ws.run({"--json", "data", "validate", "--symbol", "xauusd"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_TRUE(j["passed"].get<bool>());
    EXPECT_TRUE(j["status"] == "PASS" || j["status"] == "WARN");
    ASSERT_EQ(j["series"].size(), 1u);
    const auto& s = j["series"][0];
    EXPECT_EQ(s["symbol"], "XAUUSD");
    EXPECT_EQ(s["timeframe"], "1h");
    EXPECT_GT(s["bars"].get<int>(), 0);
    EXPECT_EQ(s["checks"].size(), 10u);
    for (const auto& c : s["checks"]) {
        EXPECT_TRUE(c.contains("name"));
        EXPECT_TRUE(c.contains("status"));
        EXPECT_TRUE(c.contains("count"));
        EXPECT_TRUE(c.contains("summary"));
        EXPECT_TRUE(c["examples"].is_array());
    }
    EXPECT_TRUE(j["reasons"].empty());
}

TEST(CliQuality, corrupted_store_fails_with_exit_1_and_reasons) {
    Workspace ws;
    ASSERT_EQ(ws.run({"data", "synth", "--days", "30", "--symbols", "ETH/USDT"}).exit_code, 0);
    {
        auto store = open_market_store(ws.db());
        BarSeries s = store->load_bars("ETH/USDT", Timeframe(kMsPerHour));
        BarSeries bad;
        bad.symbol = s.symbol;
        bad.timeframe = s.timeframe;
        Bar b = s.at(100);
        b.close *= 20; // a bad print
        b.high = b.close;
        bad.push_back(b);
        for (std::size_t i = 200; i < 215; ++i) { // a frozen feed
            Bar f = s.at(199);
            f.time = s.time[i];
            bad.push_back(f);
        }
        store->upsert_bars(bad);
    }
    auto r = ws.run({"data", "validate", "--symbol", "ETH/USDT", "--timeframe", "1h"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "Validation FAILED")) << r.out;
    EXPECT_TRUE(contains(r.out, "ETH/USDT 1h: outliers:"));
    EXPECT_TRUE(contains(r.out, "ETH/USDT 1h: stale:"));
    EXPECT_TRUE(contains(r.out, "FAIL  stale"));

    r = ws.run({"--json", "data", "validate"});
    EXPECT_EQ(r.exit_code, 1);
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_FALSE(j["passed"].get<bool>());
    EXPECT_EQ(j["status"], "FAIL");
    EXPECT_EQ(j["reasons"].size(), 2u);

    // Thresholds from <home>/config/validation.yaml: a lenient file turns the stale FAIL to WARN.
    test::write_text(ws.dir / "config" / "validation.yaml",
                     "stale: {warn_run: 3, fail_run: 100}\noutliers: {fail_z: 100000}\n");
    r = ws.run({"data", "validate"});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_TRUE(contains(r.out, "WARN  stale"));
}

TEST(CliQuality, validate_bad_input_exits_2) {
    Workspace ws;
    auto r = ws.run({"data", "validate"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "holds no bars")) << r.err;

    ASSERT_EQ(ws.run({"data", "synth", "--days", "5", "--symbols", "BTC/USDT"}).exit_code, 0);
    r = ws.run({"data", "validate", "--symbol", "DOGE/USDT"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "stored: BTC/USDT 1h")) << r.err;
    r = ws.run({"data", "validate", "--timeframe", "7q"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "7q")) << r.err;
    r = ws.run({"data", "validate", "--config", (ws.dir / "missing.yaml").string()});
    EXPECT_EQ(r.exit_code, 2);
    test::write_text(ws.dir / "bad.yaml", "outliers:\n  warn_zz: 3\n");
    r = ws.run({"data", "validate", "--config", (ws.dir / "bad.yaml").string()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_TRUE(contains(r.err, "warn_zz")) << r.err;
    EXPECT_TRUE(contains(r.err, "bad.yaml")) << r.err;
    r = ws.run({"data", "validate", "--no-such-flag"});
    EXPECT_EQ(r.exit_code, 2);
}

TEST(CliQuality, synth_bad_input_exits_2_and_writes_nothing) {
    Workspace ws;
    const std::vector<std::vector<std::string>> bad = {
        {"--symbols", "NOPE"},
        {"--symbols", "BTC/USDT,btcusdt"},
        {"--timeframe", "7x"},
        {"--days", "0"},
        {"--start", "yesterday-ish"},
        {"--start", "2024-01-01 00:30", "--timeframe", "1h"},
        {"--days", "36500", "--timeframe", "1m"},
        {"--seed", "-3x"}};
    for (const auto& extra : bad) {
        std::vector<std::string> args = {"data", "synth"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = ws.run(args);
        EXPECT_EQ(r.exit_code, 2) << extra[0] << " " << extra[1] << "\n" << r.out << r.err;
        EXPECT_FALSE(r.err.empty());
    }
    if (std::filesystem::exists(ws.db())) {
        EXPECT_TRUE(open_market_store(ws.db())->list_series().empty());
    }
}

TEST(CliQuality, synth_noise_and_regime_labels) {
    Workspace ws;
    const auto labels = (ws.dir / "regimes.csv").string();
    auto r =
        ws.run({"data", "synth", "--days", "3", "--symbols", "BTC/USDT", "--regimes-out", labels});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string csv = read_file(labels);
    EXPECT_EQ(csv.rfind("time,regime\n", 0), 0u);
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3 * 24 + 1);
    r = ws.run({"--json", "data", "synth", "--days", "3", "--symbols", "SOL/USDT", "--noise",
                "--seed", "9"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_TRUE(j["noise"].get<bool>());
    EXPECT_EQ(j["regime_steps"]["ranging"], 72);
    EXPECT_EQ(j["series"][0]["bars"], 72);
    EXPECT_EQ(j["inserted"], 72);
}

TEST(CliQuality, synth_over_a_longer_earlier_run_says_what_it_kept) {
    Workspace ws;
    ASSERT_EQ(ws.run({"data", "synth", "--days", "4", "--symbols", "BTC/USDT"}).exit_code, 0);
    const auto r = ws.run({"data", "synth", "--days", "2", "--symbols", "BTC/USDT", "--seed", "5"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "48 replaced")) << r.out;
    EXPECT_TRUE(contains(r.out, "note: the store already held BTC/USDT 1h")) << r.out;
    EXPECT_EQ(open_market_store(ws.db())->list_series().at(0).rows, 96);
}

TEST(CliQuality, resample_stores_every_target_and_matches_the_library) {
    Workspace ws;
    ASSERT_EQ(ws.run({"data", "synth", "--days", "3", "--timeframe", "1m", "--symbols",
                      "BTC/USDT,XAUUSD", "--start", "2024-03-04"})
                  .exit_code,
              0);
    auto r = ws.run({"data", "resample", "--symbol", "btcusdt", "--from-timeframe", "1m", "--all"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "->   1d: 3 bars")) << r.out;
    auto store = open_market_store(ws.db());
    const BarSeries m1 = store->load_bars("BTC/USDT", Timeframe(kMsPerMinute));
    for (const TimeMs tf :
         {5 * kMsPerMinute, 15 * kMsPerMinute, kMsPerHour, 4 * kMsPerHour, kMsPerDay}) {
        const BarSeries stored = store->load_bars("BTC/USDT", Timeframe(tf));
        const BarSeries direct = resample(m1, Timeframe(tf)).bars;
        ASSERT_EQ(stored.size(), direct.size()) << tf;
        EXPECT_EQ(stored.close, direct.close);
        EXPECT_EQ(stored.high, direct.high);
        EXPECT_EQ(stored.time, direct.time);
    }
    // Gold: the daily break is not a missing sub-bar; the JSON tells what was produced.
    r = ws.run({"--json", "data", "resample", "--symbol", "XAUUSD", "--from-timeframe", "1m",
                "--to", "1h,1d"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j["targets"].size(), 2u);
    EXPECT_EQ(j["targets"][0]["timeframe"], "1h");
    EXPECT_TRUE(j["targets"][0]["incomplete"].empty());
    EXPECT_TRUE(j["targets"][1]["incomplete"].empty());
    EXPECT_EQ(j["targets"][1]["bars"], 3);
    // The resampled series validate.
    r = ws.run({"data", "validate", "--symbol", "XAUUSD"});
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_TRUE(contains(r.out, "XAUUSD 1d")) << r.out;
}

TEST(CliQuality, resample_bad_input_exits_2_and_writes_nothing) {
    Workspace ws;
    ASSERT_EQ(ws.run({"data", "synth", "--days", "1", "--timeframe", "1m", "--symbols", "BTC/USDT"})
                  .exit_code,
              0);
    const std::vector<std::vector<std::string>> bad = {
        {"--symbol", "BTC/USDT", "--from-timeframe", "1m"}, // neither --to nor --all
        {"--symbol", "BTC/USDT", "--from-timeframe", "1m", "--to", "1h", "--all"}, // both
        {"--symbol", "BTC/USDT", "--from-timeframe", "1m", "--to", "1h,7q"},       // bad name
        {"--symbol", "BTC/USDT", "--from-timeframe", "1h", "--to", "90m"},         // not a multiple
        {"--symbol", "ETH/USDT", "--from-timeframe", "1m", "--to", "1h"},          // nothing stored
        {"--from-timeframe", "1m", "--to", "1h"},                                  // no symbol
    };
    for (const auto& extra : bad) {
        std::vector<std::string> args = {"data", "resample"};
        args.insert(args.end(), extra.begin(), extra.end());
        const auto r = ws.run(args);
        EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    }
    EXPECT_EQ(open_market_store(ws.db())->list_series().size(), 1u);
}

TEST(CliQuality, help_on_every_command) {
    for (const char* cmd : {"synth", "validate", "resample"}) {
        const auto r = run_aurum({"data", cmd, "--help"});
        EXPECT_EQ(r.exit_code, 0) << cmd;
        EXPECT_TRUE(contains(r.out, "--")) << r.out;
    }
}

} // namespace
} // namespace aurum
