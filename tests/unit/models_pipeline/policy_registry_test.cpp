#include <filesystem>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "data/database.hpp"
#include "models/decision_policy.hpp"
#include "models/registry.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {
DecisionPolicy policy(double avg_up = 0.02, double avg_down = -0.02, int max_hold = 0) {
    PolicyConfig p;
    p.threshold = 0.70;
    p.exit_threshold = 0.50;
    p.max_hold_bars = max_hold;
    CostConfig c; // 0.1% fee per side, 2 bps spread, 2 bps slippage per side
    return DecisionPolicy(p, c, EdgeEstimate{avg_up, avg_down}, 6);
}
} // namespace

TEST(DecisionPolicy, enters_only_above_threshold_with_positive_expected_value) {
    auto pol = policy();
    EXPECT_EQ(pol.step(0.69).target, 0.0);
    const auto d = pol.step(0.72);
    EXPECT_EQ(d.target, 1.0);
    // EV = 0.72 * 2% - 0.28 * 2% - (0.2% + 0.02% + 0.04%) = 0.62%
    EXPECT_NEAR(d.expected_value, 0.0088 - 0.0026, 1e-12);
    EXPECT_NE(d.reason.find("enter long"), std::string::npos);
}

TEST(DecisionPolicy, costs_can_veto_an_entry) {
    auto pol = policy(0.002, -0.002); // tiny moves: costs exceed the edge
    const auto d = pol.step(0.90);
    EXPECT_EQ(d.target, 0.0);
    EXPECT_LT(d.expected_value, 0.0);
    EXPECT_NE(d.reason.find("EV after costs"), std::string::npos);
}

TEST(DecisionPolicy, exits_below_exit_threshold_or_after_max_hold) {
    auto pol = policy();
    ASSERT_EQ(pol.step(0.8).target, 1.0);
    EXPECT_EQ(pol.step(0.6).target, 1.0); // still above exit threshold: hold
    const auto e = pol.step(0.4);
    EXPECT_EQ(e.target, 0.0);
    EXPECT_NE(e.reason.find("exit"), std::string::npos);
    auto timed = policy(0.02, -0.02, 3);
    ASSERT_EQ(timed.step(0.8).target, 1.0);
    EXPECT_EQ(timed.step(0.8).target, 1.0);
    EXPECT_EQ(timed.step(0.8).target, 1.0);
    EXPECT_EQ(timed.step(0.8).target, 0.0); // held 3 bars
}

TEST(DecisionPolicy, shorts_only_when_allowed) {
    PolicyConfig p;
    p.allow_short = true;
    DecisionPolicy pol(p, CostConfig{}, EdgeEstimate{0.02, -0.02}, 6);
    EXPECT_EQ(pol.step(0.2).target, -1.0);
    auto long_only = policy();
    EXPECT_EQ(long_only.step(0.2).target, 0.0);
}

TEST(Registry, register_promote_rollback_archive_with_database_mirror) {
    test::TempDir dir;
    auto db = open_database((dir.path() / "a.db").string());
    ModelRegistry reg(dir.path() / "registry", db.get());
    ModelRecord rec;
    rec.name = "gbdt-BTCUSDT-4h";
    rec.kind = "gbdt";
    rec.feature_set_id = "abc";
    rec.gating = {{"passed", true}, {"rules", nlohmann::json::array()}};
    auto write = [](const std::filesystem::path& d) { test::write_text(d / "model.bin", "x"); };
    const auto v1 = reg.register_model(rec, write);
    const auto v2 = reg.register_model(rec, write);
    EXPECT_EQ(v1.version, 1);
    EXPECT_EQ(v2.version, 2);
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "registry/gbdt-BTCUSDT-4h/v2/model/model.bin"));
    reg.promote(rec.name, 1, false, 1000);
    reg.promote(rec.name, 2, false, 2000);
    EXPECT_EQ(reg.production(rec.name)->version, 2);
    EXPECT_EQ(reg.get(rec.name, 1).status, ModelStatus::Archived);
    auto rows = db->query("SELECT version, status FROM model_registry ORDER BY version");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].as_string(1), "archived");
    EXPECT_EQ(rows[1].as_string(1), "production");
    reg.rollback(rec.name, 3000);
    EXPECT_EQ(reg.production(rec.name)->version, 1);
    rows = db->query("SELECT version, status FROM model_registry ORDER BY version");
    EXPECT_EQ(rows[0].as_string(1), "production");
    EXPECT_EQ(rows[1].as_string(1), "archived");
    EXPECT_THROW(reg.rollback(rec.name, 4000), InputError); // nothing earlier
    EXPECT_THROW(reg.archive(rec.name, 1, 5000), InputError); // production cannot be archived
    reg.archive(rec.name, 2, 5000);
    const auto ev = reg.events(rec.name);
    ASSERT_GE(ev.size(), 5u);
    EXPECT_EQ(ev[4].action, "rollback");
    EXPECT_EQ(db->query("SELECT action FROM model_events").size(), ev.size());
}

TEST(Registry, demote_leaves_no_production_and_a_rollback_never_brings_it_back) {
    test::TempDir dir;
    auto db = open_database((dir.path() / "a.db").string());
    ModelRegistry reg(dir.path() / "registry", db.get());
    ModelRecord rec;
    rec.name = "m";
    rec.kind = "gbdt";
    rec.gating = {{"passed", true}, {"rules", nlohmann::json::array()}};
    auto write = [](const std::filesystem::path&) {};
    reg.register_model(rec, write);
    reg.register_model(rec, write);
    reg.promote("m", 1, false, 1000);
    // The seed's "Model Producing Nonsense" with no earlier version: rollback cannot help.
    try {
        reg.rollback("m", 1500);
        FAIL() << "rollback without an earlier production model";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("registry demote m"), std::string::npos) << e.what();
    }
    reg.promote("m", 2, false, 2000);
    const auto d = reg.demote("m", 3000, "producing nonsense");
    EXPECT_EQ(d.version, 2);
    EXPECT_FALSE(reg.production("m"));
    EXPECT_EQ(reg.get("m", 2).status, ModelStatus::Archived);
    EXPECT_EQ(reg.events("m").back().action, "demote");
    EXPECT_EQ(reg.events("m").back().note, "producing nonsense");
    EXPECT_EQ(db->query("SELECT version FROM model_registry WHERE status = 'production'").size(), 0u);
    EXPECT_THROW(reg.demote("m", 4000), InputError); // nothing left to demote
    // v1 (production before v2) may come back by hand; v2 is never rolled back to.
    reg.promote("m", 1, false, 5000);
    EXPECT_THROW(reg.rollback("m", 6000), InputError);
    EXPECT_EQ(reg.production("m")->version, 1);
}

TEST(Registry, failed_gating_blocks_promotion_unless_forced) {
    test::TempDir dir;
    ModelRegistry reg(dir.path() / "registry", nullptr);
    ModelRecord rec;
    rec.name = "m";
    rec.kind = "gbdt";
    rec.gating = {{"passed", false},
                  {"rules", nlohmann::json::array({nlohmann::json{
                                {"name", "sharpe"}, {"passed", false}, {"actual", 0.4}, {"threshold", 1.0},
                                {"detail", "walk-forward Sharpe 0.40 <= 1.00 (short by 0.60)"}}})}};
    reg.register_model(rec, [](const std::filesystem::path&) {});
    try {
        reg.promote("m", 1, false, 1);
        FAIL();
    } catch (const CheckFailed& e) {
        EXPECT_NE(std::string(e.what()).find("short by 0.60"), std::string::npos);
    }
    EXPECT_FALSE(reg.production("m"));
    reg.promote("m", 1, true, 2);
    EXPECT_EQ(reg.production("m")->version, 1);
    EXPECT_EQ(reg.events("m").back().action, "promote-forced");
    EXPECT_THROW(reg.get("bad name!"), InputError);
}

TEST(Registry, model_labels_parse_back_into_name_and_version) {
    const auto id = parse_model_label("gbdt-BTCUSDT-4h v12");
    ASSERT_TRUE(id);
    EXPECT_EQ(id->first, "gbdt-BTCUSDT-4h");
    EXPECT_EQ(id->second, 12);
    for (const char* bad : {"", "gbdt-BTCUSDT-4h", "gbdt v", " v3", "gbdt vx", "gbdt v1.2"})
        EXPECT_FALSE(parse_model_label(bad)) << bad;
}
