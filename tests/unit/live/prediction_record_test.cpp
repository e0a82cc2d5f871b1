// A prediction from the model strategy, as stored by the session and shown by /api/predictions:
// an ensemble's members' P(up), votes and weights and the agreement survive the round trip; a
// single model shows no members.
#include <gtest/gtest.h>

#include "live/dashboard_queries.hpp"
#include "live/session_strategy.hpp"
#include "models/ensemble.hpp"

using namespace aurum;
using nlohmann::json;

namespace {

PredictionRecord stored(const PredictionEvent& e) {
    PredictionBuffer buf;
    buf.on_prediction(e);
    const auto items = buf.take();
    EXPECT_EQ(items.size(), 1u);
    return {items.at(0).time, items.at(0).symbol, items.at(0).p, items.at(0).detail};
}

PredictionEvent event_of(const LiveModel& m, const std::string& symbol, const std::string& reason) {
    PredictionEvent e;
    e.time = 1'700'000'000'000;
    e.symbol = &symbol;
    e.model = &m;
    e.p_up = 0.61;
    e.target = 1;
    e.reason = &reason;
    return e;
}

} // namespace

TEST(PredictionRecord, an_ensembles_member_votes_and_agreement_reach_the_dashboard) {
    EnsembleModel ens({{"gbdt", json::object()}, {"gbdt", json::object()}});
    ens.set_weights({3, 1}); // normalised to 0.75 / 0.25
    LiveModel m;
    m.record.name = "ensemble-BTCUSDT-4h";
    m.record.version = 2;
    m.ensemble = &ens;
    const std::string symbol = "BTC/USDT", reason = "P(up) 0.61 >= 0.55";
    EnsembleVote v;
    v.members = {"gbdt", "lstm"};
    v.member_p = {0.7, 0.4};
    v.p = 0.75 * 0.7 + 0.25 * 0.4;
    v.agreement = 0.75; // only the gbdt member is on the ensemble's side of 0.5
    PredictionEvent e = event_of(m, symbol, reason);
    e.vote = &v;

    const json p = prediction_json(stored(e));
    EXPECT_EQ(p["symbol"], "BTC/USDT");
    EXPECT_DOUBLE_EQ(p["probability"].get<double>(), 0.61);
    EXPECT_EQ(p["direction"], "up");
    ASSERT_EQ(p["members"].size(), 2u);
    EXPECT_EQ(p["members"][0]["model"], "gbdt");
    EXPECT_DOUBLE_EQ(p["members"][0]["probability"].get<double>(), 0.7);
    EXPECT_EQ(p["members"][0]["vote"], "up");
    EXPECT_DOUBLE_EQ(p["members"][0]["weight"].get<double>(), 0.75);
    EXPECT_EQ(p["members"][1]["model"], "lstm");
    EXPECT_EQ(p["members"][1]["vote"], "down");
    EXPECT_DOUBLE_EQ(p["members"][1]["weight"].get<double>(), 0.25);
    EXPECT_DOUBLE_EQ(p["agreement"].get<double>(), 0.75);
}

TEST(PredictionRecord, a_single_model_shows_no_members_and_no_agreement) {
    LiveModel m;
    m.record.name = "gbdt-BTCUSDT-4h";
    m.record.version = 1;
    const std::string symbol = "BTC/USDT", reason = "flat";
    const json p = prediction_json(stored(event_of(m, symbol, reason)));
    EXPECT_TRUE(p["members"].empty());
    EXPECT_TRUE(p["agreement"].is_null());
    EXPECT_EQ(p["model"], "gbdt-BTCUSDT-4h v1");
}
