// The accuracy monitor's verdict as alerts: a model/symbol pair that becomes degraded raises one
// model_degraded warning saying what, why and what to do; it is not raised again while the pair
// stays degraded, and again after it recovered and degraded anew.
#include <gtest/gtest.h>

#include "live/divergence.hpp"
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

TEST(ModelDriftedAlert, raised_once_per_pair_whose_inputs_drifted) {
    // session_drift's verdict: rows with model, symbol, degraded and reason.
    auto drift = [](bool btc, bool eth) {
        json models = json::array();
        models.push_back({{"model", "gbdt-BTCUSDT-4h v3"}, {"symbol", "BTC/USDT"}, {"degraded", btc},
                          {"reason", btc ? "7 of 20 features drifted (PSI > 0.25)" : ""}});
        models.push_back({{"model", "gbdt-ETHUSDT-4h v2"}, {"symbol", "ETH/USDT"}, {"degraded", eth},
                          {"reason", eth ? "9 of 20 features drifted (PSI > 0.25)" : ""}});
        return json{{"models", models}, {"degraded", json::array()}};
    };
    const auto first = model_drifted_alerts(5, drift(true, false), nullptr);
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].kind, "model_drifted");
    EXPECT_EQ(first[0].severity, AlertSeverity::Warning);
    EXPECT_EQ(first[0].title, "Model inputs drifted: gbdt-BTCUSDT-4h v3 on BTC/USDT");
    EXPECT_NE(first[0].text.find("7 of 20 features drifted"), std::string::npos) << first[0].text;
    EXPECT_NE(first[0].text.find("aurum retrain --model gbdt --symbols BTC/USDT"), std::string::npos);
    EXPECT_NE(first[0].text.find("aurum registry rollback gbdt-BTCUSDT-4h`"), std::string::npos);
    EXPECT_EQ(first[0].dedup_key, "model_drifted:gbdt-BTCUSDT-4h v3:BTC/USDT");
    // A week later BTC still drifts (said already) and ETH starts to.
    const auto next = model_drifted_alerts(6, drift(true, true), drift(true, false));
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].data["symbol"], "ETH/USDT");
    EXPECT_TRUE(model_drifted_alerts(7, drift(false, false), drift(true, true)).empty());
    EXPECT_TRUE(model_drifted_alerts(7, json(), nullptr).empty()) << "no drift computed: nothing";
}

} // namespace

/// A divergence report (DivergenceReport::to_json()'s shape) with the given reasons.
json divergence(const std::vector<std::string>& reasons) {
    json d = json::array();
    TimeMs t = 1'680'000'000'000;
    for (const auto& r : reasons)
        d.push_back({{"symbol", "BTC/USDT"}, {"entry_time", t += kMsPerHour * 4},
                     {"session", "LONG 0.1 ..."}, {"replay", nullptr}, {"reason", r}});
    return {{"session", "paper-x"}, {"session_trades", 12}, {"replay_trades", 12},
            {"differences", d}};
}

TEST(PaperDivergenceAlert, only_differences_nothing_explains_alert_and_only_new_ones) {
    const std::string unexplained = std::string(kUnexplainedDifference) + ": the session ran with other settings";
    // The user's own trade and what followed from it: no alert.
    EXPECT_FALSE(paper_divergence_alert(1, divergence({"manual order buy 0.1 at ...",
                                                       "equity diverged at ..., so sizes differ"}), 0));
    const json two = divergence({"manual order buy", unexplained, unexplained});
    EXPECT_EQ(unexplained_differences(two), 2u);
    const auto a = paper_divergence_alert(1000, two, 0);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->kind, "paper_divergence");
    EXPECT_EQ(a->severity, AlertSeverity::Warning);
    EXPECT_NE(a->text.find("2 of 12 trades differ"), std::string::npos) << a->text;
    EXPECT_NE(a->text.find("aurum monitor divergence"), std::string::npos) << a->text;
    EXPECT_EQ(a->dedup_key, "paper_divergence:paper-x");
    // Already alerted on two: nothing new; a third one alerts again.
    EXPECT_FALSE(paper_divergence_alert(2000, two, 2));
    EXPECT_TRUE(paper_divergence_alert(3000, divergence({unexplained, unexplained, unexplained}), 2));
}

} // namespace aurum
