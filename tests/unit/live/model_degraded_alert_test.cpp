// The accuracy monitor's verdict as alerts: a model/symbol pair that becomes degraded raises one
// model_degraded warning saying what, why and what to do; it is not raised again while the pair
// stays degraded, and again after it recovered and degraded anew.
#include <gtest/gtest.h>

#include "live/model_monitor.hpp"
#include "live/session_alerts.hpp"

namespace aurum {
namespace {

using nlohmann::json;

/// `n` predictions of gbdt v3 on BTC/USDT, `hits` of them right.
json verdict(int n, int hits) {
    std::vector<PredictionOutcome> out;
    for (int i = 0; i < n; ++i) {
        PredictionOutcome o;
        o.session_id = "s";
        o.time = i * kMsPerHour * 4;
        o.symbol = "BTC/USDT";
        o.model = "gbdt-BTCUSDT-4h v3";
        o.p_up = 0.8;
        o.up = i < hits;
        out.push_back(o);
    }
    const ExpectationLookup lookup = [](const std::string&) {
        ModelExpectation e;
        e.wf_accuracy = 0.60;
        return std::optional<ModelExpectation>(e);
    };
    return accuracy_monitor(out, lookup, MonitorConfig{});
}

TEST(ModelDegradedAlert, raised_once_when_a_model_becomes_degraded_with_what_to_do) {
    const json bad = verdict(40, 16), good = verdict(40, 26); // 40 % and 65 % vs 60 %
    ASSERT_EQ(bad["degraded"].size(), 1u);
    ASSERT_TRUE(good["degraded"].empty());

    const auto first = model_degraded_alerts(1000, bad, nullptr);
    ASSERT_EQ(first.size(), 1u);
    const AlertEvent& a = first[0];
    EXPECT_EQ(a.kind, "model_degraded");
    EXPECT_EQ(a.severity, AlertSeverity::Warning);
    EXPECT_EQ(a.time, 1000);
    EXPECT_EQ(a.title, "Model degraded: gbdt-BTCUSDT-4h v3 on BTC/USDT");
    EXPECT_NE(a.text.find("hit rate 40.0% is 20.0 points below the walk-forward 60.0%"), std::string::npos) << a.text;
    EXPECT_NE(a.text.find("aurum retrain --model gbdt --symbols BTC/USDT"), std::string::npos) << a.text;
    EXPECT_NE(a.text.find("aurum registry rollback gbdt-BTCUSDT-4h`"), std::string::npos) << a.text;
    EXPECT_EQ(a.dedup_key, "model_degraded:gbdt-BTCUSDT-4h v3:BTC/USDT");
    EXPECT_EQ(a.data["symbol"], "BTC/USDT");

    EXPECT_TRUE(model_degraded_alerts(2000, bad, bad).empty()) << "still degraded: said already";
    EXPECT_TRUE(model_degraded_alerts(2000, good, bad).empty()) << "recovered: nothing to say";
    EXPECT_EQ(model_degraded_alerts(3000, bad, good).size(), 1u) << "degraded again";
    EXPECT_TRUE(model_degraded_alerts(3000, verdict(10, 0), nullptr).empty())
        << "too few predictions to judge";
}

} // namespace
} // namespace aurum
