// End to end through the `aurum` binary: import the real BTC/USDT 4h and XAUUSD H1 data, build
// features, labels and regimes, export, fetch external signals from fake loopback servers, and
// check that bad input exits 2 and writes nothing.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "support/fake_http_server.hpp"
#include "support/test_support.hpp"

using aurum::test::run_aurum;
using aurum::test::parse_json;
using nlohmann::json;

namespace {

std::vector<std::string> with_home(const std::filesystem::path& home, std::vector<std::string> a) {
    a.insert(a.begin(), {"--home", home.string()});
    return a;
}

std::size_t count_lines(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::size_t n = 0;
    std::string line;
    while (std::getline(in, line)) ++n;
    return n;
}

} // namespace

TEST(FeaturesCli, btc_4h_features_labels_regimes_and_export_on_real_data) {
    AURUM_REQUIRE_SHARED_DATA(csv, "crypto/binance/BTCUSDT_4h.csv");
    aurum::test::TempDir home;
    auto r = run_aurum(with_home(home.path(), {"data", "import", "--symbol", "BTC/USDT",
                                               "--timeframe", "4h", csv.string()}));
    ASSERT_EQ(r.exit_code, 0) << r.err;

    r = run_aurum(with_home(home.path(), {"--json", "features", "build", "--symbol", "BTC/USDT",
                                          "--timeframe", "4h"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json j = parse_json(r);
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0]["set"], "default");
    EXPECT_EQ(j[0]["columns"], 39);
    EXPECT_GT(j[0]["rows"].get<int>(), 17500); // 18,371 bars less warm-ups after gaps
    EXPECT_EQ(j[0]["feature_set_id"].get<std::string>().size(), 64u);
    EXPECT_TRUE(std::filesystem::exists(j[0]["file"].get<std::string>()));
    const std::string id = j[0]["feature_set_id"];

    r = run_aurum(with_home(home.path(), {"features", "show", "--symbol", "BTC/USDT",
                                          "--timeframe", "4h", "-n", "3"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("rsi_14"), std::string::npos);
    EXPECT_NE(r.out.find(id.substr(0, 16)), std::string::npos);

    r = run_aurum(with_home(home.path(), {"--json", "labels", "build", "--symbol", "BTC/USDT",
                                          "--timeframe", "4h", "--method", "triple-barrier"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    j = parse_json(r);
    EXPECT_GT(j[0]["positive"].get<int>(), 1000);
    EXPECT_GT(j[0]["negative"].get<int>(), 1000);
    for (const char* m : {"fixed", "meta"}) {
        r = run_aurum(with_home(home.path(), {"labels", "build", "--symbol", "BTC/USDT",
                                              "--timeframe", "4h", "--method", m}));
        EXPECT_EQ(r.exit_code, 0) << m << r.err;
    }

    const auto out = home / "btc.csv";
    r = run_aurum(with_home(home.path(), {"features", "export", "--symbol", "BTC/USDT",
                                          "--timeframe", "4h", "--out", out.string(), "--labels",
                                          "triple-barrier"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::ifstream in(out);
    std::string header;
    std::getline(in, header);
    EXPECT_EQ(header.rfind("timestamp,log_return_1,", 0), 0u) << header;
    EXPECT_NE(header.find(",label,label_t1,label_return"), std::string::npos);
    EXPECT_GT(count_lines(out), 17000u);

    for (const char* m : {"percentile", "hmm"}) {
        r = run_aurum(with_home(home.path(), {"--json", "regimes", "build", "--symbol", "BTC/USDT",
                                              "--timeframe", "4h", "--method", m}));
        ASSERT_EQ(r.exit_code, 0) << m << r.err;
        j = parse_json(r);
        for (const char* reg : {"bull", "bear", "high_vol"})
            EXPECT_GT(j[0]["counts"][reg].get<int>(), 100) << m << " " << reg;
    }
    r = run_aurum(with_home(home.path(), {"regimes", "show", "--symbol", "BTC/USDT",
                                          "--timeframe", "4h", "-n", "2"}));
    EXPECT_EQ(r.exit_code, 0) << r.err;

    r = run_aurum(with_home(home.path(), {"--json", "features", "show"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    j = parse_json(r);
    EXPECT_EQ(j["matrices"].size(), 1u);
    EXPECT_EQ(j["labels"].size(), 3u);
}

TEST(FeaturesCli, xauusd_h1_gold_set_labels_and_regimes_on_real_data) {
    AURUM_REQUIRE_SHARED_DATA(mt5, "mt5/XAUUSD_H1_201501020900_202512221100.csv");
    aurum::test::TempDir home;
    auto r = run_aurum(with_home(home.path(), {"data", "import", "--symbol", "XAUUSD", "--timeframe",
                                               "1h", "--format", "mt5", mt5.string()}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_aurum(with_home(home.path(), {"--json", "features", "build", "--all", "--set", "gold"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json j = parse_json(r);
    EXPECT_EQ(j[0]["symbol"], "XAUUSD");
    EXPECT_EQ(j[0]["columns"], 41);
    EXPECT_GT(j[0]["rows"].get<int>(), 55000); // 64,642 bars less warm-ups after holidays
    r = run_aurum(with_home(home.path(), {"labels", "build", "--all"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_aurum(with_home(home.path(), {"--json", "regimes", "build", "--all"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    j = parse_json(r);
    EXPECT_GT(j[0]["counts"]["ranging"].get<int>(), 1000);
}

TEST(FeaturesCli, bad_input_exits_2_names_the_problem_and_writes_nothing) {
    aurum::test::TempDir home;
    auto r = run_aurum(with_home(home.path(), {"features", "build", "--symbol", "BTC/USDT",
                                               "--timeframe", "4h"}));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("no 4h bars of BTC/USDT"), std::string::npos) << r.err;

    aurum::test::write_text(home / "config" / "features.yaml",
                            "sets:\n  default:\n    features:\n      - {indicator: rsi, period: -3}\n");
    r = run_aurum(with_home(home.path(), {"features", "build", "--all"}));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("features.yaml:4"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("period"), std::string::npos) << r.err;
    std::filesystem::remove(home / "config" / "features.yaml");

    r = run_aurum(with_home(home.path(), {"features", "build", "--symbol", "BTC/USDT",
                                          "--timeframe", "4h", "--set", "nope"}));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("unknown feature set 'nope'"), std::string::npos) << r.err;

    r = run_aurum(with_home(home.path(), {"labels", "build", "--all", "--method", "magic"}));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--method"), std::string::npos) << r.err;
    r = run_aurum(with_home(home.path(), {"labels", "build", "--all", "--pt", "0"}));
    EXPECT_EQ(r.exit_code, 2);
    r = run_aurum(with_home(home.path(), {"regimes", "build", "--all", "--method", "x"}));
    EXPECT_EQ(r.exit_code, 2);
    r = run_aurum(with_home(home.path(), {"features", "show", "--symbol", "BTC/USDT",
                                          "--timeframe", "4h"}));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("aurum features build"), std::string::npos) << r.err;

    aurum::test::write_text(home / "ext.csv", "date,value\n2024-01-01,1\n2024-01-02,oops\n");
    r = run_aurum(with_home(home.path(), {"features", "external", "import",
                                          (home / "ext.csv").string(), "--series", "x"}));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("ext.csv:3"), std::string::npos) << r.err;
    r = run_aurum(with_home(home.path(), {"--json", "features", "external", "list"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(parse_json(r).empty()); // the failed import stored nothing

    // Nothing was built along the way.
    EXPECT_FALSE(std::filesystem::exists(home / "data" / "features") &&
                 !std::filesystem::is_empty(home / "data" / "features"));
}

TEST(FeaturesCli, onchain_set_uses_signals_fetched_from_fake_servers) {
    AURUM_REQUIRE_SHARED_DATA(csv, "crypto/binance/BTCUSDT_4h.csv");
    const aurum::TimeMs first_day = aurum::make_time(2022, 1, 1);
    const int days = 1500;
    aurum::test::FakeHttpServer fake;
    fake.server().Get("/v4/timeseries/asset-metrics", [&](const httplib::Request& req,
                                                          httplib::Response& res) {
        // Two pages: the first half of the days, then the rest.
        const bool second = req.has_param("next_page_token");
        json j = {{"data", json::array()}};
        for (int d = second ? days / 2 : 0; d < (second ? days : days / 2); ++d) {
            const auto t = first_day + d * aurum::kMsPerDay;
            j["data"].push_back({{"asset", "btc"},
                                 {"time", aurum::format_date(t) + "T00:00:00.000000000Z"},
                                 {"CapMVRVCur", std::to_string(1.5 + 0.5 * std::sin(d / 40.0))},
                                 {"FlowInExNtv", std::to_string(1000 + d % 17)},
                                 {"FlowOutExNtv", std::to_string(1000 + d % 13)}});
        }
        if (!second) j["next_page_token"] = "p2";
        res.set_content(j.dump(), "application/json");
    });
    fake.server().Get("/fng/", [&](const httplib::Request&, httplib::Response& res) {
        json j = {{"data", json::array()}};
        for (int d = days - 1; d >= 0; --d)
            j["data"].push_back({{"value", std::to_string(20 + d % 60)},
                                 {"value_classification", "Fear"},
                                 {"timestamp", std::to_string((first_day + d * aurum::kMsPerDay) / 1000)}});
        res.set_content(j.dump(), "application/json");
    });
    fake.start();

    aurum::test::TempDir home;
    auto r = run_aurum(with_home(home.path(), {"data", "import", "--symbol", "BTC/USDT",
                                               "--timeframe", "4h", csv.string()}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_aurum(with_home(home.path(), {"features", "external", "coinmetrics", "--base-url",
                                          fake.url(), "--from", "2022-01-01", "--to", "2026-02-01"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("coinmetrics:btc:NetFlowExNtv: 1500 values"), std::string::npos) << r.out;
    r = run_aurum(with_home(home.path(), {"features", "external", "fear-greed", "--base-url",
                                          fake.url()}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = run_aurum(with_home(home.path(), {"--json", "features", "build", "--symbol", "BTC/USDT",
                                          "--timeframe", "4h", "--set", "onchain"}));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = parse_json(r);
    EXPECT_EQ(j[0]["columns"], 42);
    // Rows start once 365 days of MVRV are available: the value of 2022-12-31 is published when
    // that day closes, which is the decision time (close) of the 4h bar opening 2022-12-31 20:00.
    EXPECT_EQ(j[0]["first"], "2022-12-31T20:00:00Z");
    EXPECT_GT(j[0]["rows"].get<int>(), 6 * 365 * 2);
}
