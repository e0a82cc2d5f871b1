// `aurum monitor drift`: a synthetic feed whose volatility and volume triple after the training
// window is flagged (exit 1, the volatility features named, `aurum health` and the weekly report
// show it), the same feed without the change passes, and bad input exits 2 writing nothing.
#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "live/feature_drift.hpp"
#include "models/registry.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using nlohmann::json;

namespace {

constexpr TimeMs kTf = 4 * kMsPerHour;
constexpr std::size_t kBars = 2600, kTrain = 1800;
const TimeMs kStart = make_time(2022, 1, 1);

/// i.i.d. 4h bars; from bar `kTrain` on, `after` times the volatility and the volume.
BarSeries feed(const std::string& symbol, double after, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> z(0.0, 1.0);
    std::lognormal_distribution<double> vol(0.0, 0.3);
    BarSeries b;
    b.symbol = symbol;
    b.timeframe = Timeframe(kTf);
    double price = 1000;
    for (std::size_t i = 0; i < kBars; ++i) {
        const double k = i < kTrain ? 1.0 : after;
        const double open = price;
        price *= std::exp(0.01 * k * z(rng));
        const double wick = 0.004 * k * std::fabs(z(rng));
        b.push_back({kStart + static_cast<TimeMs>(i) * kTf, open, std::max(open, price) * (1 + wick),
                     std::min(open, price) * (1 - wick), price, 100.0 * k * vol(rng)});
    }
    return b;
}

class DriftWorkspace : public ::testing::Test {
protected:
    void SetUp() override {
        Workspace(home_.path()).ensure_dirs();
        auto store = open_market_store(test::home_db(home_.path()));
        store->upsert_bars(feed("BTC/USDT", 1.0, 1)); // stationary
        store->upsert_bars(feed("ETH/USDT", 3.0, 2)); // 3x volatility and volume after training
        ModelRegistry reg(Workspace(home_.path()).models_dir() / "registry", nullptr);
        for (const char* sym : {"BTC", "ETH"}) {
            ModelRecord rec;
            rec.name = std::string("gbdt-") + sym + "USDT-4h";
            rec.kind = "gbdt";
            rec.symbols = {std::string(sym) + "/USDT"};
            rec.timeframe = "4h";
            rec.feature_set_name = "default";
            rec.data_from = kStart;
            rec.data_to = kStart + static_cast<TimeMs>(kTrain) * kTf;
            reg.register_model(rec, [](const std::filesystem::path&) {});
        }
    }

    test::CliResult aurum(std::vector<std::string> args) {
        args.insert(args.begin(), {"--home", home_.path().string()});
        return test::run_aurum(args);
    }

    json drift_of(const std::string& sym, int expect_exit) {
        const auto r = aurum({"--json", "monitor", "drift", "--model", "gbdt-" + sym + "USDT-4h",
                              "--symbol", sym + "/USDT", "--from", live_from(), "--to", "2030-01-01"});
        EXPECT_EQ(r.exit_code, expect_exit) << r.err << r.out;
        return json::parse(r.out, nullptr, false);
    }

    static std::string live_from() {
        return format_date(kStart + static_cast<TimeMs>(kTrain) * kTf);
    }

    /// A finished replay session whose ETH predictions came from the ETH model.
    void session_with_predictions() {
        auto store = open_market_store(test::home_db(home_.path()));
        StateStore st(store->database());
        const TimeMs from = kStart + static_cast<TimeMs>(kTrain) * kTf;
        const TimeMs to = kStart + static_cast<TimeMs>(kBars) * kTf;
        test::store_finished_model_session(st, "paper-drift", "ETH/USDT", from, to);
        for (TimeMs t = from; t < to; t += kTf)
            st.insert_prediction("paper-drift", t, "ETH/USDT", 0.6,
                                 json{{"model", "gbdt-ETHUSDT-4h v1"}, {"top", json::array()}}.dump());
    }

    test::TempDir home_;
};

double psi_of(const json& row, const std::string& feature) {
    for (const auto& f : row["features"])
        if (f["name"] == feature) return f["psi"].get<double>();
    ADD_FAILURE() << "no feature " << feature;
    return 0;
}

} // namespace

TEST_F(DriftWorkspace, a_feed_whose_volatility_triples_is_flagged_and_a_stationary_one_is_not) {
    const json eth = drift_of("ETH", 1);
    ASSERT_EQ(eth["models"].size(), 1u);
    const json& row = eth["models"][0];
    EXPECT_TRUE(row["degraded"].get<bool>());
    EXPECT_EQ(row["training"]["to"].get<TimeMs>(), kStart + static_cast<TimeMs>(kTrain) * kTf);
    EXPECT_EQ(row["live"]["rows"].get<std::size_t>(), kBars - kTrain); // warm-up loaded before it
    // The volatility and volume features moved; the scale-free ones (RSI) much less.
    for (const char* f : {"atr_14_pct", "rv_cc_20"}) EXPECT_GT(psi_of(row, f), 0.25) << f;
    ASSERT_EQ(eth["degraded"].size(), 1u);
    EXPECT_NE(eth["degraded"][0].get<std::string>().find("gbdt-ETHUSDT-4h v1 on ETH/USDT"), std::string::npos);
    // Features come sorted, most drifted first, each with its KS statistic in [0, 1].
    for (std::size_t k = 1; k < row["features"].size(); ++k)
        EXPECT_GE(row["features"][k - 1]["psi"].get<double>(), row["features"][k]["psi"].get<double>());
    for (const auto& f : row["features"]) {
        EXPECT_GE(f["ks"].get<double>(), 0.0);
        EXPECT_LE(f["ks"].get<double>(), 1.0);
    }

    const json btc = drift_of("BTC", 0);
    const json& b = btc["models"][0];
    EXPECT_FALSE(b["degraded"].get<bool>()) << b["reason"];
    EXPECT_LE(b["drifted_share"].get<double>(), 0.10);
    EXPECT_LT(psi_of(b, "atr_14_pct"), 0.25);
}

TEST_F(DriftWorkspace, a_sessions_models_are_checked_and_health_and_the_weekly_report_show_it) {
    session_with_predictions();
    const auto r = aurum({"--json", "monitor", "drift"});
    ASSERT_EQ(r.exit_code, 1) << r.err << r.out;
    const json v = json::parse(r.out);
    EXPECT_EQ(v["session"], "paper-drift");
    ASSERT_EQ(v["models"].size(), 1u);
    EXPECT_EQ(v["models"][0]["model"], "gbdt-ETHUSDT-4h v1");
    // The live window is the session's latest drift_window (500) bars.
    EXPECT_EQ(v["models"][0]["live"]["rows"].get<std::size_t>(), 500u);
    const auto text = aurum({"monitor", "drift"});
    EXPECT_NE(text.out.find("-> DRIFTED"), std::string::npos) << text.out;
    const auto health = aurum({"health"});
    EXPECT_NE(health.out.find("⚠ Model drifted: gbdt-ETHUSDT-4h v1 on ETH/USDT"), std::string::npos)
        << health.out;
    const auto weekly = aurum({"report", "weekly"});
    ASSERT_EQ(weekly.exit_code, 0) << weekly.err;
    EXPECT_NE(weekly.out.find("Feature drift (live inputs vs training window, PSI):"), std::string::npos)
        << weekly.out;
    EXPECT_NE(weekly.out.find("gbdt-ETHUSDT-4h v1 ETH/USDT:"), std::string::npos) << weekly.out;
}

TEST_F(DriftWorkspace, bad_input_exits_2_and_stores_nothing) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"monitor", "drift", "--model", "gbdt-ETHUSDT-4h"},
          {"monitor", "drift", "--model", "gbdt-ETHUSDT-4h", "--symbol", "NOPE/USDT", "--from",
           "2022-10-01", "--to", "2023-01-01"},
          {"monitor", "drift", "--model", "gbdt-ETHUSDT-4h", "--symbol", "ETH/USDT", "--from",
           "yesterday", "--to", "2023-01-01"},
          {"monitor", "drift", "--model", "no-such-model", "--symbol", "ETH/USDT", "--from",
           "2022-10-01", "--to", "2023-01-01"},
          {"monitor", "drift", "--session", "no-such-session"}}) {
        const auto r = aurum(args);
        EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.err << r.out;
        EXPECT_FALSE(r.err.empty());
    }
    test::write_text(home_.path() / "config" / "monitor.yaml", "monitor:\n  drift_psi: -1\n");
    session_with_predictions();
    const auto r = aurum({"monitor", "drift"});
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.err.find("monitor.yaml:2"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("drift_psi"), std::string::npos) << r.err;
    auto store = open_market_store(test::home_db(home_.path()));
    EXPECT_FALSE(StateStore(store->database()).get_kv(kModelDriftKey)) << "nothing stored";
}
