// Predictions against outcomes: every stored prediction gets its outcome once its model's label
// horizon has closed, and `aurum monitor accuracy` flags a model whose rolling hit rate falls
// more than config/monitor.yaml's points below its walk-forward accuracy (exit 1, shown by
// `aurum health`), while a model that keeps its accuracy passes.
#include <cmath>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "live/prediction_outcomes.hpp"
#include "models/registry.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using nlohmann::json;

namespace {

const char* kModel = "gbdt-BTCUSDT-4h";

/// A workspace with 60 days of synthetic 4h bars, a registered model (walk-forward accuracy 60%,
/// label horizon 3 bars) and a finished replay session whose predictions are right on the first
/// `right` bars and wrong after.
class PredictionSession : public ::testing::Test {
protected:
    void SetUp() override {
        test::seed_workspace(home_.path(), 60);
        store_ = open_market_store(test::home_db(home_.path()));
        ModelRegistry reg(Workspace(home_.path()).models_dir() / "registry", nullptr);
        ModelRecord rec;
        rec.name = kModel;
        rec.kind = "gbdt";
        rec.symbols = {"BTC/USDT"};
        rec.timeframe = "4h";
        rec.label_spec = "fixed:horizon=3";
        rec.metrics = {{"walkforward", {{"oos_accuracy", 0.60}, {"oos_auc", 0.62}}}};
        rec.extra = {{"models_yaml", "labels:\n  horizon: 3\npolicy:\n  threshold: 0.65\n"}};
        reg.register_model(rec, [](const std::filesystem::path&) {});
    }

    /// Stores the session and its predictions: right for the first `right` bars, then wrong.
    void predict(std::size_t right) {
        StateStore st(store_->database());
        const TimeMs tf = 4 * kMsPerHour;
        const BarSeries b = store_->load_bars("BTC/USDT", Timeframe(tf));
        test::store_finished_model_session(st, "paper-test", "BTC/USDT", b.time.front(), b.time.back() + tf);
        const std::string sid = "paper-test";
        for (std::size_t k = 0; k + 3 < b.size(); ++k) {
            const bool up = b.close[k + 3] > b.close[k];
            const bool correct = k < right;
            const double p = (up == correct) ? 0.72 : 0.28;
            st.insert_prediction(sid, b.time[k], "BTC/USDT", p,
                                 json{{"model", std::string(kModel) + " v1"}, {"top", json::array()}}.dump());
        }
        // The last bar's prediction: its horizon has not closed; it stays unresolved.
        st.insert_prediction(sid, b.time.back(), "BTC/USDT", 0.7,
                             json{{"model", std::string(kModel) + " v1"}, {"top", json::array()}}.dump());
        bars_ = b.size();
    }

    test::CliResult aurum(std::vector<std::string> args) {
        args.insert(args.begin(), {"--home", home_.path().string()});
        return test::run_aurum(args);
    }

    test::TempDir home_;
    std::unique_ptr<MarketStore> store_;
    std::size_t bars_ = 0;
};

} // namespace

TEST_F(PredictionSession, every_prediction_gets_its_outcome_when_its_horizon_closes) {
    predict(1000000);
    const auto r = aurum({"--json", "monitor", "accuracy"});
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    StateStore st(store_->database());
    const auto outcomes = load_outcomes(st, "paper-test");
    // Every bar but the last (its 3-bar horizon is still open) has its outcome.
    ASSERT_EQ(outcomes.size(), bars_ - 3);
    const BarSeries b = store_->load_bars("BTC/USDT", Timeframe(4 * kMsPerHour));
    for (std::size_t k = 0; k < outcomes.size(); ++k) {
        const auto& o = outcomes[k];
        ASSERT_EQ(o.time, b.time[k]);
        EXPECT_EQ(o.horizon, 3);
        EXPECT_EQ(o.resolved_at, b.time[k + 3] + 4 * kMsPerHour);
        EXPECT_DOUBLE_EQ(o.realized_return, b.close[k + 3] / b.close[k] - 1);
        EXPECT_TRUE(o.hit());
    }
    const json v = json::parse(r.out);
    ASSERT_EQ(v["models"].size(), 1u);
    EXPECT_DOUBLE_EQ(v["models"][0]["hit_rate_pct"].get<double>(), 100.0);
    EXPECT_DOUBLE_EQ(v["models"][0]["wf_accuracy_pct"].get<double>(), 60.0);
    EXPECT_FALSE(v["models"][0]["degraded"].get<bool>());
    // A second run finds nothing new to resolve.
    const json again = json::parse(aurum({"--json", "monitor", "accuracy"}).out);
    EXPECT_EQ(again["resolved_now"].get<int>(), 0);
}

TEST_F(PredictionSession, a_model_whose_hit_rate_drops_is_flagged_degraded) {
    // Right for most of the history, wrong over the last 120 bars: the rolling window (200 by
    // default) holds 80 right and 120 wrong: 40%, 20 points below the walk-forward 60%.
    predict(0); // learns how many bars there are
    store_->database().exec("DELETE FROM live_predictions");
    predict(bars_ - 3 - 120);
    const auto r = aurum({"--json", "monitor", "accuracy"});
    EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
    const json v = json::parse(r.out);
    ASSERT_EQ(v["degraded"].size(), 1u);
    EXPECT_NE(v["degraded"][0].get<std::string>().find("below the walk-forward 60.0%"), std::string::npos);
    EXPECT_NEAR(v["models"][0]["hit_rate_pct"].get<double>(), 40.0, 1e-9);
    // `aurum health` shows it; the weekly report carries it and recommends retraining.
    const auto h = aurum({"health"});
    EXPECT_NE(h.out.find("⚠ Model degraded: gbdt-BTCUSDT-4h v1 on BTC/USDT"), std::string::npos) << h.out << h.err;
    const auto w = aurum({"--json", "report", "weekly"});
    ASSERT_EQ(w.exit_code, 0) << w.err;
    const json wr = json::parse(w.out);
    EXPECT_EQ(wr["model_health"]["degraded"].size(), 1u);
    EXPECT_DOUBLE_EQ(wr["entry_threshold"].get<double>(), 0.65);
    bool retrain = false;
    for (const auto& x : wr["recommendations"]) retrain = retrain || x.get<std::string>().find("retrain") != std::string::npos;
    EXPECT_TRUE(retrain) << wr["recommendations"].dump(2);
    // A stricter config judges the same history differently: the threshold comes from the file.
    test::write_text(home_.path() / "config" / "monitor.yaml",
                     "monitor:\n  accuracy_drop_points: 25\n");
    EXPECT_EQ(aurum({"monitor", "accuracy"}).exit_code, 0);
    test::write_text(home_.path() / "config" / "monitor.yaml", "monitor:\n  acuracy_drop_points: 5\n");
    const auto bad = aurum({"monitor", "accuracy"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("monitor.yaml"), std::string::npos) << bad.err;
}
