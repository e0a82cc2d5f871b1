// The live engine: replay sessions, crash recovery equivalence, commands, approval queue.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "live/live_session.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using nlohmann::json;

namespace {

// The synthetic market of these tests (seed 7) and its replay options.
void seed_market(MarketStore& store, int days) { test::seed_market(store, days, 7); }
using test::replay_options;

} // namespace

TEST(LiveSession, replay_trades_and_persists_everything) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    seed_market(*store, 200);
    LiveSession s(store->database(), *store, replay_options(20, 200), RiskLimits{},
                  InstrumentRegistry(), {});
    s.open(1000, false, "");
    int n = 0;
    while (s.step(1000 + n) != LiveSession::StepResult::Finished) ++n;
    EXPECT_EQ(n, 6 * 180 + 60); // every 4h step from the replay start, plus 60 warm-up bars
    StateStore st(store->database());
    const auto orders = st.orders(s.session_id());
    ASSERT_GT(orders.size(), 10u);
    const auto decisions = st.decisions(s.session_id(), 100000);
    // fraction 0.4 > max_position 0.25: the risk manager reduced entries.
    bool reduced = false;
    for (const auto& d : decisions) reduced = reduced || d.verdict == "reduce";
    EXPECT_TRUE(reduced);
    for (const auto& o : orders) EXPECT_EQ(o.client_order_id.size(), 18u);
    EXPECT_EQ(st.session(s.session_id())->status, "complete");
    // Positions never exceeded 25% of equity at decision time (risk on the order path).
    for (const auto& d : decisions)
        if (d.verdict != "deny") {
            EXPECT_NE(d.reason.find("Requested"), std::string::npos);
        }
}

TEST(LiveSession, crash_at_any_step_recovers_to_the_uninterrupted_result) {
    test::TempDir dir;
    auto ref_store = open_market_store((dir / "ref.db").string());
    seed_market(*ref_store, 120);
    const LiveOptions opt = replay_options(15, 120);
    std::string sid;
    {
        LiveSession s(ref_store->database(), *ref_store, opt, RiskLimits{}, InstrumentRegistry(), {});
        s.open(0, false, "");
        while (s.step(0) != LiveSession::StepResult::Finished) {
        }
        sid = s.session_id();
    }
    const test::Final ref = test::final_state((dir / "ref.db").string(), sid);
    ASSERT_GT(ref.orders.size(), 6u);

    std::mt19937 rng(11);
    for (int trial = 0; trial < 6; ++trial) {
        const auto path = dir / ("crash" + std::to_string(trial) + ".db");
        auto store = open_market_store(path.string());
        seed_market(*store, 120);
        int crashes = 0;
        for (;;) {
            LiveSession s(store->database(), *store, opt, RiskLimits{}, InstrumentRegistry(), {});
            s.open(0, false, "");
            const int budget = std::uniform_int_distribution<int>(1, 250)(rng);
            int k = 0;
            LiveSession::StepResult r = LiveSession::StepResult::Stepped;
            while (k < budget && (r = s.step(0)) != LiveSession::StepResult::Finished) ++k;
            if (r == LiveSession::StepResult::Finished) break;
            ++crashes; // destroyed without a checkpoint: whatever was not committed is lost
        }
        EXPECT_GT(crashes, 2);
        const test::Final got = test::final_state(path.string(), sid);
        test::expect_same_final(got, ref, "trial " + std::to_string(trial));
        test::expect_unique_ids(got);
    }
}

TEST(LiveSession, commands_are_validated_and_journaled) {
    test::TempDir dir;
    auto store = open_market_store((dir / "c.db").string());
    seed_market(*store, 60);
    LiveSession s(store->database(), *store, replay_options(15, 60), RiskLimits{},
                  InstrumentRegistry(), dir / "risk.yaml");
    s.open(0, false, "");
    for (int i = 0; i < 100; ++i) s.step(0);
    StateStore st(store->database());
    const auto cmds_before = st.commands(s.session_id()).size();
    EXPECT_THROW(s.execute("trade", {{"symbol", "DOGE/USDT"}, {"side", "long"}, {"amount", 1}, {"reason", "x"}}, 0),
                 InputError);
    EXPECT_THROW(s.execute("trade", {{"symbol", "BTC/USDT"}, {"side", "long"}, {"amount", -1}, {"reason", "x"}}, 0),
                 InputError);
    EXPECT_THROW(s.execute("pause", {{"duration_ms", 0}, {"reason", "x"}}, 0), InputError);
    EXPECT_THROW(s.execute("resume", {{"reason", "x"}}, 0), InputError);
    EXPECT_THROW(s.execute("risk_set", {{"changes", {{"max_position", "2000"}}}}, 0), InputError);
    EXPECT_EQ(st.commands(s.session_id()).size(), cmds_before); // nothing written

    auto out = s.execute("risk_set", {{"changes", {{"max_position", "0.15"}}}, {"reason", "vol"}}, 0);
    EXPECT_EQ(out.exit_code, 0);
    EXPECT_EQ(s.risk().limits().max_position, 0.15);
    EXPECT_EQ(load_risk_limits((dir / "risk.yaml").string()).max_position, 0.15);

    s.execute("trade", {{"symbol", "ETH/USDT"}, {"side", "close"}, {"reason", "flat first"}}, 0);
    s.execute("trade", {{"symbol", "BTC/USDT"}, {"side", "close"}, {"reason", "flat first"}}, 0);
    s.step(0); // the closes fill at the next bar's open
    EXPECT_EQ(s.portfolio().position(1).qty, 0.0);
    out = s.execute("trade", {{"symbol", "ETH/USDT"}, {"side", "long"}, {"amount", 100.0}, {"reason", "news"}}, 0);
    EXPECT_EQ(out.exit_code, 0) << out.message;
    EXPECT_NE(out.message.find("reduced"), std::string::npos) << out.message;

    s.execute("emergency_stop", {{"reason", "crash"}}, 0);
    EXPECT_THROW(s.execute("trade", {{"symbol", "BTC/USDT"}, {"side", "long"}, {"amount", 0.01}, {"reason", "x"}}, 0),
                 InputError);
    for (int i = 0; i < 3; ++i) s.step(0);
    EXPECT_TRUE(s.stopped());
    EXPECT_EQ(s.portfolio().gross_exposure(), 0.0);
    EXPECT_FALSE(st.audit_log(10).empty());
}

TEST(LiveSession, emergency_stop_refuses_restart_until_acknowledged) {
    test::TempDir dir;
    auto store = open_market_store((dir / "e.db").string());
    seed_market(*store, 60);
    const auto opt = replay_options(15, 60);
    {
        LiveSession s(store->database(), *store, opt, RiskLimits{}, InstrumentRegistry(), {});
        s.open(0, false, "");
        for (int i = 0; i < 100; ++i) s.step(0);
        s.execute("emergency_stop", {{"reason", "market crash"}}, 0);
        for (int i = 0; i < 3; ++i) s.step(0);
        s.checkpoint(0);
    }
    {
        LiveSession s(store->database(), *store, opt, RiskLimits{}, InstrumentRegistry(), {});
        EXPECT_THROW(s.open(0, false, ""), InputError);
    }
    LiveSession s(store->database(), *store, opt, RiskLimits{}, InstrumentRegistry(), {});
    s.open(0, true, "reviewed");
    EXPECT_EQ(s.risk().state().mode, TradingMode::Active);
}

TEST(LiveSession, approval_mode_queues_entries_and_approved_signals_trade) {
    test::TempDir dir;
    auto store = open_market_store((dir / "s.db").string());
    seed_market(*store, 60);
    auto opt = replay_options(15, 60);
    opt.approval = true;
    opt.approval_expiry = 12 * kMsPerHour;
    LiveSession s(store->database(), *store, opt, RiskLimits{}, InstrumentRegistry(), {});
    s.open(0, false, "");
    StateStore st(store->database());
    while (st.signals("pending", 10).empty() && s.step(0) == LiveSession::StepResult::Stepped) {
    }
    const auto pending = st.signals("pending", 10);
    ASSERT_FALSE(pending.empty());
    EXPECT_EQ(s.portfolio().gross_exposure(), 0.0); // nothing traded without approval
    const auto out = s.execute("signal_approve", {{"id", pending[0].id}, {"reason", "looks right"}}, 0);
    EXPECT_EQ(out.exit_code, 0) << out.message;
    s.step(0);
    EXPECT_GT(s.portfolio().gross_exposure(), 0.0);
    EXPECT_THROW(s.execute("signal_approve", {{"id", pending[0].id}, {"reason", "again"}}, 0), InputError);
    // Unapproved signals expire.
    for (int i = 0; i < 200; ++i) s.step(0);
    for (const auto& sig : st.signals("all", 100)) EXPECT_NE(sig.status, "pending");
}

TEST(LiveSession, signals_that_turned_on_during_the_warm_up_are_taken_at_the_first_tradable_bar) {
    // buy-hold wants to be long from its first bar, which lies in the warm-up history where
    // every order is refused: the session must still buy, at its first tradable bar, and then
    // again after an emergency stop is acknowledged (the stop closed everything).
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    seed_market(*store, 60);
    LiveOptions opt = replay_options(20, 60);
    opt.strategy.name = "buy-hold";
    opt.strategy.params.clear();
    opt.strategy.sizing.fraction = 0.2;
    LiveSession s(store->database(), *store, opt, RiskLimits{}, InstrumentRegistry(), {});
    s.open(0, false, "");
    for (int k = 0; k < 70; ++k) s.step(0); // 60 warm-up bars, then 10 tradable ones
    StateStore st(store->database());
    auto orders = st.orders(s.session_id());
    ASSERT_EQ(orders.size(), 2u); // one buy per symbol, at the first tradable bar
    for (const auto& o : orders) {
        EXPECT_EQ(o.side, "buy");
        EXPECT_EQ(o.bar_time, opt.replay_from);
    }
    EXPECT_GT(s.portfolio().position(0).qty, 0);
    EXPECT_GT(s.portfolio().position(1).qty, 0);

    s.execute("emergency_stop", json{{"reason", "test"}}, 0);
    for (int k = 0; k < 3; ++k) s.step(0);
    ASSERT_TRUE(s.stopped());
    EXPECT_EQ(s.portfolio().position(0).qty, 0);
    s.execute("acknowledge_stop", json{{"reason", "reviewed"}}, 0);
    for (int k = 0; k < 3; ++k) s.step(0);
    EXPECT_GT(s.portfolio().position(0).qty, 0) << "buy-hold takes its position again";
    EXPECT_GT(s.portfolio().position(1).qty, 0);
}
