// CoinMetrics community API and alternative.me Fear & Greed clients against fake servers on
// 127.0.0.1 that return the documented JSON shapes.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "core/error.hpp"
#include "features/external_data.hpp"
#include "support/fake_http_server.hpp"

using namespace aurum;

TEST(CoinMetricsClient, follows_pages_parses_string_values_and_derives_netflow) {
    test::FakeHttpServer fake;
    std::mutex mu;
    std::vector<std::string> seen_tokens, seen_metrics, seen_frequency, seen_start;
    fake.server().Get("/v4/timeseries/asset-metrics", [&](const httplib::Request& req,
                                                          httplib::Response& res) {
        std::lock_guard lock(mu);
        seen_tokens.push_back(req.get_param_value("next_page_token"));
        seen_metrics.push_back(req.get_param_value("metrics"));
        seen_frequency.push_back(req.get_param_value("frequency"));
        seen_start.push_back(req.get_param_value("start_time"));
        if (req.get_param_value("assets") != "btc") {
            res.status = 400;
            res.set_content(R"({"error":{"type":"bad_parameter","message":"bad asset"}})",
                            "application/json");
            return;
        }
        if (!req.has_param("next_page_token")) {
            res.set_content(
                R"({"data":[{"asset":"btc","time":"2024-01-01T00:00:00.000000000Z","CapMVRVCur":"1.23","FlowInExNtv":"100.5","FlowOutExNtv":"90.5"},
                            {"asset":"btc","time":"2024-01-02T00:00:00.000000000Z","CapMVRVCur":"1.30","FlowInExNtv":"80","FlowOutExNtv":"95"}],
                   "next_page_token":"tok2",
                   "next_page_url":"http://127.0.0.1:9/v4/timeseries/asset-metrics?next_page_token=tok2"})",
                "application/json");
        } else {
            res.set_content(
                R"({"data":[{"asset":"btc","time":"2024-01-03T00:00:00.000000000Z","CapMVRVCur":"1.41","FlowInExNtv":"70"}]})",
                "application/json");
        }
    });
    fake.start();
    CoinMetricsClient client(fake.url());
    const auto series = client.fetch_asset_metrics(
        "btc", {"CapMVRVCur", "FlowInExNtv", "FlowOutExNtv"}, make_time(2024, 1, 1),
        make_time(2024, 1, 3), 2);
    ASSERT_EQ(series.size(), 4u);
    EXPECT_EQ(series[0].name, "coinmetrics:btc:CapMVRVCur");
    EXPECT_EQ(series[0].time,
              (std::vector<TimeMs>{make_time(2024, 1, 1), make_time(2024, 1, 2), make_time(2024, 1, 3)}));
    EXPECT_EQ(series[0].value, (std::vector<double>{1.23, 1.30, 1.41}));
    EXPECT_EQ(series[2].size(), 2u); // outflow missing on the 3rd
    EXPECT_EQ(series[3].name, "coinmetrics:btc:NetFlowExNtv");
    EXPECT_EQ(series[3].value, (std::vector<double>{10.0, -15.0}));
    ASSERT_EQ(seen_tokens.size(), 2u);
    EXPECT_EQ(seen_tokens[0], "");
    EXPECT_EQ(seen_tokens[1], "tok2");
    EXPECT_EQ(seen_metrics[0], "CapMVRVCur,FlowInExNtv,FlowOutExNtv");
    EXPECT_EQ(seen_frequency[0], "1d");
    EXPECT_EQ(seen_start[0], "2024-01-01");

    try {
        client.fetch_asset_metrics("eth", {"CapMVRVCur"}, 0, kMsPerDay);
        FAIL();
    } catch (const SystemError& e) {
        EXPECT_NE(std::string(e.what()).find("HTTP 400"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("bad asset"), std::string::npos) << e.what();
    }
}

TEST(CoinMetricsClient, malformed_payloads_are_input_errors) {
    test::FakeHttpServer fake;
    std::atomic<int> mode{0};
    fake.server().Get("/v4/timeseries/asset-metrics",
                      [&](const httplib::Request&, httplib::Response& res) {
                          const char* bodies[] = {
                              "not json",
                              R"({"nodata":[]})",
                              R"({"data":[{"time":"yesterday","CapMVRVCur":"1"}]})",
                              R"({"data":[{"time":"2024-01-01T00:00:00.000000000Z","CapMVRVCur":"1.2x"}]})",
                          };
                          res.set_content(bodies[mode.load()], "application/json");
                      });
    fake.start();
    CoinMetricsClient client(fake.url());
    for (int m = 0; m < 4; ++m) {
        mode = m;
        EXPECT_THROW(client.fetch_asset_metrics("btc", {"CapMVRVCur"}, 0, kMsPerDay), InputError)
            << m;
    }
    EXPECT_THROW(client.fetch_asset_metrics("btc", {}, 0, kMsPerDay), InputError);
}

TEST(CoinMetricsClient, unreachable_server_is_a_system_error) {
    // Port 1 on loopback: nothing listens there.
    CoinMetricsClient client("http://127.0.0.1:1");
    EXPECT_THROW(client.fetch_asset_metrics("btc", {"CapMVRVCur"}, 0, kMsPerDay), SystemError);
    EXPECT_THROW(CoinMetricsClient("not a url").fetch_asset_metrics("btc", {"X"}, 0, 1),
                 InputError);
}

TEST(FearGreedClient, parses_documented_payload_newest_first) {
    test::FakeHttpServer fake;
    std::string limit, format;
    fake.server().Get("/fng/", [&](const httplib::Request& req, httplib::Response& res) {
        limit = req.get_param_value("limit");
        format = req.get_param_value("format");
        res.set_content(R"({"name":"Fear and Greed Index",
            "data":[{"value":"40","value_classification":"Fear","timestamp":"1551225600","time_until_update":"68499"},
                    {"value":"47","value_classification":"Neutral","timestamp":"1551139200"}],
            "metadata":{"error":null}})",
                        "application/json");
    });
    fake.start();
    const ExternalSeries s = FearGreedClient(fake.url()).fetch(2);
    EXPECT_EQ(limit, "2");
    EXPECT_EQ(format, "json");
    EXPECT_EQ(s.name, "fng:value");
    EXPECT_EQ(s.time, (std::vector<TimeMs>{1551139200000LL, 1551225600000LL}));
    EXPECT_EQ(s.value, (std::vector<double>{47, 40}));
    EXPECT_THROW(FearGreedClient(fake.url()).fetch(-1), InputError);
}

TEST(FearGreedClient, bad_values_and_http_errors) {
    test::FakeHttpServer fake;
    std::atomic<int> mode{0};
    fake.server().Get("/fng/", [&](const httplib::Request&, httplib::Response& res) {
        if (mode == 0) {
            res.set_content(R"({"data":[{"value":"140","timestamp":"1551225600"}]})",
                            "application/json");
        } else if (mode == 1) {
            res.set_content(R"({"data":[{"value":"40"}]})", "application/json");
        } else {
            res.status = 503;
            res.set_content("maintenance", "text/plain");
        }
    });
    fake.start();
    FearGreedClient c(fake.url());
    EXPECT_THROW(c.fetch(1), InputError);
    mode = 1;
    EXPECT_THROW(c.fetch(1), InputError);
    mode = 2;
    try {
        c.fetch(1);
        FAIL();
    } catch (const SystemError& e) {
        EXPECT_NE(std::string(e.what()).find("HTTP 503"), std::string::npos);
    }
}
