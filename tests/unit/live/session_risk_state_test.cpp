// Issue 19 item 3: a session's risk state (peak, daily-loss base, cooldowns, the breaker) is its
// own; only a stop the user set deliberately stays account-wide until acknowledged.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "live/live_session.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

/// What an earlier $100k session left in the account: a tripped breaker, its peak, its day
/// base and a cooldown far beyond the new replay's start.
RiskRuntime earlier_session_state() {
    RiskRuntime rt;
    rt.state.mode = TradingMode::Halted;
    rt.state.cause = HaltCause::DrawdownBreaker;
    rt.state.reason = "drawdown circuit breaker: equity 85000.00 is 15.0% below the peak 100000.00";
    rt.peak_equity = 100000;
    rt.day_start_equity = 100000;
    rt.day = 20000;
    rt.symbols["BTC/USDT"].cooldown_until = make_time(2032, 6, 1);
    return rt;
}

LiveOptions small_session() {
    LiveOptions o = test::replay_options(20, 80);
    o.capital = 10000;
    return o;
}

} // namespace

TEST(SessionRiskState, new_session_starts_from_its_own_capital_not_an_earlier_sessions_peak) {
    test::TempDir dir;
    auto store = open_market_store((dir / "r.db").string());
    test::seed_market(*store, 100, 7);
    StateStore(store->database()).put_kv("risk_runtime", earlier_session_state().to_json());

    LiveSession s(store->database(), *store, small_session(), RiskLimits{}, InstrumentRegistry(), {});
    s.open(0, false, "");
    EXPECT_EQ(s.risk().state().mode, TradingMode::Active) << s.risk().state().describe();
    EXPECT_EQ(s.risk().runtime().peak_equity, 0) << "the peak comes from this session's equity";
    EXPECT_EQ(s.risk().runtime().day_start_equity, 0);
    EXPECT_TRUE(s.risk().runtime().symbols.empty()) << "no cooldown earned by another session";
    for (int n = 0; s.step(n) != LiveSession::StepResult::Finished; ++n) {}
    EXPECT_LE(s.risk().runtime().peak_equity, 10000 * 1.5);
    EXPECT_GT(s.risk().runtime().peak_equity, 0);
    // Entries were taken: neither the breaker nor BTC's old cooldown blocked them.
    StateStore st(store->database());
    int btc_entries = 0;
    for (const auto& d : st.decisions(s.session_id(), 100000)) {
        // Cooldowns this session earns are its own; the earlier session's (2032) is not.
        EXPECT_EQ(d.reason.find("until 2032"), std::string::npos) << d.reason;
        EXPECT_NE(d.rule, "kill_switch") << d.reason;
        btc_entries += d.symbol == "BTC/USDT" && d.verdict != "deny";
    }
    EXPECT_GT(btc_entries, 0);
}

TEST(SessionRiskState, resumed_session_keeps_its_own_state) {
    test::TempDir dir;
    auto store = open_market_store((dir / "k.db").string());
    test::seed_market(*store, 100, 7);
    RiskRuntime first;
    {
        LiveSession s(store->database(), *store, small_session(), RiskLimits{},
                      InstrumentRegistry(), {});
        s.open(0, false, "");
        for (int n = 0; n < 200; ++n) s.step(n);
        s.checkpoint(300);
        first = s.risk().runtime();
        ASSERT_GT(first.peak_equity, 0);
    }
    // Another session's state in the account must not replace the resumed one's.
    StateStore(store->database()).put_kv("risk_runtime", earlier_session_state().to_json());
    LiveSession again(store->database(), *store, small_session(), RiskLimits{},
                      InstrumentRegistry(), {});
    again.open(400, false, "");
    EXPECT_EQ(again.risk().runtime().peak_equity, first.peak_equity);
    EXPECT_EQ(again.risk().state().mode, first.state.mode);
}

TEST(SessionRiskState, a_deliberate_emergency_stop_stays_account_wide_until_acknowledged) {
    test::TempDir dir;
    auto store = open_market_store((dir / "e.db").string());
    test::seed_market(*store, 100, 7);
    RiskRuntime stopped = earlier_session_state();
    stopped.state.cause = HaltCause::EmergencyStop;
    stopped.state.reason = "user stop";
    StateStore(store->database()).put_kv("risk_runtime", stopped.to_json());
    LiveSession s(store->database(), *store, small_session(), RiskLimits{}, InstrumentRegistry(), {});
    EXPECT_THROW(s.open(0, false, ""), InputError);
    LiveSession ack(store->database(), *store, small_session(), RiskLimits{}, InstrumentRegistry(), {});
    ack.open(0, true, "reviewed");
    EXPECT_EQ(ack.risk().state().mode, TradingMode::Active) << ack.risk().state().describe();
    EXPECT_EQ(ack.risk().runtime().peak_equity, 0);
}
