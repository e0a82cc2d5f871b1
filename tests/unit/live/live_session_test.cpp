// The live engine: replay sessions, crash recovery equivalence, commands, approval queue.
#include <cmath>
#include <future>
#include <random>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "live/daemon.hpp"
#include "live/live_session.hpp"
#include "live/scheduler.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using nlohmann::json;

namespace {

// The synthetic market of these tests (seed 7) and its replay options.
void seed_market(MarketStore& store, int days) { test::seed_market(store, days, 7); }
using test::replay_options;

/// Steps `bars` bars, then closes `symbol` by hand and steps once: a flat start for a manual order.
void step_then_close(LiveSession& s, const std::string& symbol, int bars) {
    for (int i = 0; i < bars; ++i) s.step(0);
    s.execute("trade", {{"symbol", symbol}, {"side", "close"}, {"reason", "flat first"}}, 0);
    s.step(0);
}

/// An approval-mode replay stepped until its first signal waits for a human.
struct ApprovalReplay {
    explicit ApprovalReplay(TimeMs expiry) {
        seed_market(*store, 60);
        auto opt = replay_options(15, 60);
        opt.approval = true;
        opt.approval_expiry = expiry;
        session = std::make_unique<LiveSession>(store->database(), *store, opt, RiskLimits{},
                                                InstrumentRegistry(), std::filesystem::path{});
        session->open(0, false, "");
        while (st.signals("pending", 10).empty() &&
               session->step(0) == LiveSession::StepResult::Stepped) {
        }
        pending = st.signals("pending", 10);
    }
    test::TempDir dir;
    std::unique_ptr<MarketStore> store = open_market_store((dir / "s.db").string());
    StateStore st{store->database()};
    std::unique_ptr<LiveSession> session;
    std::vector<SignalRecord> pending;
};

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

// The daemon's gap check polls the store between steps in every mode: a replay must still end
// at its --replay-to, however many later bars the store holds.
TEST(LiveSession, polling_the_store_never_extends_a_replay_past_its_end) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    seed_market(*store, 120);
    LiveSession s(store->database(), *store, replay_options(20, 60), RiskLimits{},
                  InstrumentRegistry(), {});
    s.open(1000, false, "");
    int n = 0;
    while (true) {
        EXPECT_EQ(s.poll_store(), 0u) << "after step " << n;
        if (s.step(1000) == LiveSession::StepResult::Finished) break;
        ++n;
    }
    EXPECT_EQ(n, 6 * 40 + 60); // the 40 replay days plus 60 warm-up bars, not the 120 stored
    EXPECT_LT(s.last_bar(), test::kLiveStart + 60 * kMsPerDay);
}

namespace {

/// Replays `opt` to its end in a fresh store at `db`; returns the session id.
std::string run_to_end(const std::filesystem::path& db, const LiveOptions& opt) {
    auto store = open_market_store(db.string());
    seed_market(*store, 120);
    LiveSession s(store->database(), *store, opt, RiskLimits{}, InstrumentRegistry(), {});
    s.open(0, false, "");
    while (s.step(0) != LiveSession::StepResult::Finished) {
    }
    return s.session_id();
}

/// Replays `opt` in a fresh store at `db`, dropping the session without a checkpoint (a crash:
/// whatever was not committed is lost) after a random number of steps, until a run finishes.
/// Returns how many crashes it took.
int run_with_crashes(const std::filesystem::path& db, const LiveOptions& opt, std::mt19937& rng) {
    auto store = open_market_store(db.string());
    seed_market(*store, 120);
    for (int crashes = 0;; ++crashes) {
        LiveSession s(store->database(), *store, opt, RiskLimits{}, InstrumentRegistry(), {});
        s.open(0, false, "");
        const int budget = std::uniform_int_distribution<int>(1, 250)(rng);
        LiveSession::StepResult r = LiveSession::StepResult::Stepped;
        for (int k = 0; k < budget && (r = s.step(0)) != LiveSession::StepResult::Finished; ++k) {
        }
        if (r == LiveSession::StepResult::Finished) return crashes;
    }
}

} // namespace

TEST(LiveSession, crash_at_any_step_recovers_to_the_uninterrupted_result) {
    test::TempDir dir;
    const LiveOptions opt = replay_options(15, 120);
    const std::string sid = run_to_end(dir / "ref.db", opt);
    const test::Final ref = test::final_state((dir / "ref.db").string(), sid);
    ASSERT_GT(ref.orders.size(), 6u);
    std::mt19937 rng(11);
    for (int trial = 0; trial < 6; ++trial) {
        const auto path = dir / ("crash" + std::to_string(trial) + ".db");
        EXPECT_GT(run_with_crashes(path, opt, rng), 2);
        const test::Final got = test::final_state(path.string(), sid);
        test::expect_same_final(got, ref, "trial " + std::to_string(trial));
        test::expect_unique_ids(got);
    }
}

TEST(LiveSession, batched_commits_with_crashes_end_exactly_like_committing_every_step) {
    // A full-speed paper replay commits every commit_every steps (LiveOptions::batch_commits);
    // crashes between commits lose only steps that the restart re-runs. With protective stops,
    // so the stop orders placed on fills are part of what must come out the same.
    test::TempDir dir;
    LiveOptions opt = replay_options(15, 120);
    opt.strategy.params["stop-loss"] = 0.02;
    const std::string sid = run_to_end(dir / "ref.db", opt);
    const test::Final ref = test::final_state((dir / "ref.db").string(), sid);
    ASSERT_GT(ref.orders.size(), 6u);
    opt.batch_commits = true;
    opt.commit_every = 40;
    EXPECT_EQ(run_to_end(dir / "batched.db", opt), sid);
    test::expect_same_final(test::final_state((dir / "batched.db").string(), sid), ref, "batched");
    std::mt19937 rng(12);
    for (int trial = 1; trial < 4; ++trial) {
        const auto path = dir / ("batched" + std::to_string(trial) + ".db");
        EXPECT_GT(run_with_crashes(path, opt, rng), 2);
        const test::Final got = test::final_state(path.string(), sid);
        test::expect_same_final(got, ref, "batched trial " + std::to_string(trial));
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
    ApprovalReplay r(12 * kMsPerHour);
    LiveSession& s = *r.session;
    StateStore& st = r.st;
    const auto& pending = r.pending;
    ASSERT_FALSE(pending.empty());
    EXPECT_EQ(s.portfolio().gross_exposure(), 0.0); // nothing traded without approval
    const auto out = s.execute("signal_approve", {{"id", pending[0].id}, {"reason", "looks right"}}, 0);
    EXPECT_EQ(out.exit_code, 0) << out.message;
    s.step(0);
    EXPECT_GT(s.portfolio().gross_exposure(), 0.0);
    EXPECT_THROW(s.execute("signal_approve", {{"id", pending[0].id}, {"reason", "again"}}, 0), InputError);
    // Unapproved signals expire.
    for (int i = 0; i < 200; ++i) s.step(0);
    for (const auto& sig : st.signals("all", 100))
        if (sig.expires_at <= s.step_close_time()) {
            EXPECT_NE(sig.status, "pending") << sig.id;
        }
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

namespace {

/// A replay of synthetic XAUUSD 4h bars (sma-cross 3/8), `capital` in USD.
LiveOptions gold_options(MarketStore& store, double capital) {
    InstrumentRegistry reg;
    auto cfg = SynthConfig::defaults(reg, {"XAUUSD"}, Timeframe(4 * kMsPerHour), test::kLiveStart,
                                     60, 7, false);
    for (const auto& s : generate_synthetic_market(cfg).series) store.upsert_bars(s);
    LiveOptions o = replay_options(15, 60);
    o.symbols = {"XAUUSD"};
    o.capital = capital;
    return o;
}

std::size_t order_count(StateStore& st, const std::string& sid) { return st.orders(sid).size(); }

} // namespace

TEST(LiveSession, a_reduced_manual_order_is_placed_at_the_reduced_size_and_says_so) {
    test::TempDir dir;
    auto store = open_market_store((dir / "r.db").string());
    seed_market(*store, 60);
    LiveSession s(store->database(), *store, replay_options(15, 60), RiskLimits{},
                  InstrumentRegistry(), {});
    s.open(0, false, "");
    step_then_close(s, "BTC/USDT", 100);
    StateStore st(store->database());
    const auto before = order_count(st, s.session_id());
    // 100 BTC is far above 25% of equity: reduced, then placed at that size.
    const auto out = s.execute(
        "trade", {{"symbol", "BTC/USDT"}, {"side", "long"}, {"amount", 100.0}, {"reason", "x"}}, 0);
    ASSERT_EQ(out.exit_code, 0) << out.message;
    EXPECT_NE(out.message.find("placed at the reduced size; requested 100 BTC"), std::string::npos)
        << out.message;
    EXPECT_EQ(out.message.find("refused"), std::string::npos) << out.message;
    EXPECT_TRUE(out.data["reduced"].get<bool>());
    const auto orders = st.orders(s.session_id());
    ASSERT_EQ(orders.size(), before + 1);
    EXPECT_NEAR(orders.back().qty, out.data["placed_qty"].get<double>(), 1e-9);
    EXPECT_LT(orders.back().qty, 100.0);
}

TEST(LiveSession, a_manual_order_reduced_below_the_minimum_is_refused_and_says_so) {
    test::TempDir dir;
    auto store = open_market_store((dir / "g.db").string());
    // $1,000: 25% is far less than gold's 0.01-lot (1 oz) minimum order.
    LiveSession s(store->database(), *store, gold_options(*store, 1000), RiskLimits{},
                  InstrumentRegistry(), {});
    s.open(0, false, "");
    step_then_close(s, "XAUUSD", 100);
    StateStore st(store->database());
    const auto before = order_count(st, s.session_id());
    const auto out = s.execute(
        "trade", {{"symbol", "XAUUSD"}, {"side", "long"}, {"amount", 100.0}, {"reason", "x"}}, 0);
    EXPECT_EQ(out.exit_code, 1) << out.message;
    EXPECT_NE(out.message.find("Order refused (nothing placed)"), std::string::npos) << out.message;
    EXPECT_NE(out.message.find("lots XAUUSD (lots of 100 oz)"), std::string::npos) << out.message;
    EXPECT_EQ(out.message.find(" sent"), std::string::npos) << out.message;
    EXPECT_EQ(order_count(st, s.session_id()), before);
}

TEST(LiveSession, the_strategy_leaves_a_manual_position_alone_until_it_is_closed) {
    test::TempDir dir;
    auto store = open_market_store((dir / "m.db").string());
    seed_market(*store, 200);
    LiveSession s(store->database(), *store, replay_options(15, 200), RiskLimits{},
                  InstrumentRegistry(), {});
    s.open(0, false, "");
    step_then_close(s, "BTC/USDT", 100);
    const auto out = s.execute(
        "trade", {{"symbol", "BTC/USDT"}, {"side", "long"}, {"amount", 0.01}, {"reason", "mine"}}, 0);
    ASSERT_EQ(out.exit_code, 0) << out.message;
    EXPECT_NE(out.message.find("leaves BTC/USDT alone"), std::string::npos) << out.message;
    StateStore st(store->database());
    const auto after_manual = st.orders(s.session_id()).size();
    for (int i = 0; i < 300; ++i) s.step(0); // many sma crosses: the strategy would trade
    const auto orders = st.orders(s.session_id());
    for (std::size_t k = after_manual; k < orders.size(); ++k)
        if (orders[k].symbol == "BTC/USDT") ADD_FAILURE() << "strategy order on the manual position";
    EXPECT_NEAR(s.portfolio().position(0).qty, 0.01, 1e-9);
    bool eth = false; // the other symbol keeps trading
    for (std::size_t k = after_manual; k < orders.size(); ++k) eth = eth || orders[k].symbol == "ETH/USDT";
    EXPECT_TRUE(eth);
    // Closed by hand: the strategy takes the symbol back.
    s.execute("trade", {{"symbol", "BTC/USDT"}, {"side", "close"}, {"reason", "done"}}, 0);
    const auto closed_at = st.orders(s.session_id()).size();
    while (s.step(0) != LiveSession::StepResult::Finished) {
    }
    bool strategy_again = false;
    const auto end = st.orders(s.session_id());
    for (std::size_t k = closed_at; k < end.size(); ++k)
        strategy_again = strategy_again || (end[k].symbol == "BTC/USDT" && end[k].source == "strategy");
    EXPECT_TRUE(strategy_again);
}

TEST(LiveSession, approval_signals_wait_at_least_six_bars_of_session_time) {
    ApprovalReplay r(kMsPerMinute /* shorter than a bar */);
    LiveSession& s = *r.session;
    StateStore& st = r.st;
    const auto& pending = r.pending;
    ASSERT_FALSE(pending.empty());
    EXPECT_EQ(pending[0].expires_at - pending[0].time, 6 * 4 * kMsPerHour);
    s.step(0); // one bar later it still waits
    EXPECT_EQ(st.signal(pending[0].id)->status, "pending");
    for (int i = 0; i < 6; ++i) s.step(0);
    const auto sig = st.signal(pending[0].id);
    ASSERT_NE(sig->status, "pending");
    // Approving it now lost the race: the error says so.
    try {
        s.execute("signal_approve", {{"id", pending[0].id}, {"reason", "late"}}, 0);
        FAIL() << "an expired signal was approved";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("expired"), std::string::npos) << e.what();
    }
}

TEST(LiveSession, a_refused_approval_is_listed_as_refused_not_approved) {
    ApprovalReplay r(48 * kMsPerHour);
    LiveSession& s = *r.session;
    StateStore& st = r.st;
    const auto& pending = r.pending;
    ASSERT_FALSE(pending.empty());
    // Paused: the risk manager refuses entries, so the approved signal cannot trade.
    s.execute("pause", {{"duration_ms", 24 * kMsPerHour}, {"reason", "fed"}, {"close", false}}, 0);
    const auto out = s.execute("signal_approve", {{"id", pending[0].id}, {"reason", "go"}}, 0);
    EXPECT_EQ(out.exit_code, 1) << out.message;
    EXPECT_NE(out.message.find("refused"), std::string::npos) << out.message;
    const auto sig = st.signal(pending[0].id);
    EXPECT_EQ(sig->status, "refused");
    EXPECT_FALSE(sig->decision_reason.empty());
    for (const auto& x : st.signals("approved", 100)) EXPECT_NE(x.id, pending[0].id);
}

TEST(LiveSession, bad_command_fields_are_input_errors_naming_them_and_write_nothing) {
    test::TempDir dir;
    auto store = open_market_store((dir / "c.db").string());
    seed_market(*store, 60);
    LiveSession s(store->database(), *store, replay_options(15, 60), RiskLimits{},
                  InstrumentRegistry(), {});
    s.open(0, false, "");
    for (int i = 0; i < 100; ++i) s.step(0);
    StateStore st(store->database());
    const auto cmds = st.commands(s.session_id()).size();
    const auto audit = st.audit_log(1000).size();
    for (const auto& [kind, args, field] :
         std::vector<std::tuple<std::string, json, std::string>>{
             {"trade", json{{"side", "long"}, {"amount", 1}}, "'symbol'"},
             {"trade", json{{"symbol", "BTC/USDT"}, {"side", "long"}, {"amount", "x"}}, "'amount'"},
             {"pause", json{{"reason", "x"}}, "'duration_ms'"},
             {"signal_approve", json{{"id", "3"}}, "'id'"},
             {"risk_set", json{{"reason", "x"}}, "'changes'"},
             {"risk_set", json{{"changes", {{"max_position", "1.5"}}}, {"confirm", true}},
              "max_portfolio_heat"},
             {"risk_set", json{{"changes", {{"max_drawdown", "0.4"}}}}, "--confirm"},
             {"pauze", json::object(), "'pauze'"}}) {
        try {
            s.execute(kind, args, 0);
            ADD_FAILURE() << kind << " " << args.dump() << " was accepted";
        } catch (const InputError& e) {
            EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(st.commands(s.session_id()).size(), cmds);
    EXPECT_EQ(st.audit_log(1000).size(), audit);
    EXPECT_EQ(s.risk().limits().max_position, RiskLimits{}.max_position);
}

namespace {

/// Buy-hold from day 15: a position is open at every bar after the first trading one.
LiveOptions holding_options() {
    LiveOptions o = replay_options(15, 120);
    o.strategy.name = "buy-hold";
    o.strategy.params.clear();
    return o;
}

/// Steps `bars` bars of a fresh holding session and checkpoints: the "daemon" then stops.
std::string run_then_stop(MarketStore& store, int bars) {
    LiveSession s(store.database(), store, holding_options(), RiskLimits{}, InstrumentRegistry(), {});
    s.open(0, false, "");
    for (int i = 0; i < bars; ++i) s.step(0);
    EXPECT_NE(s.portfolio().gross_exposure(), 0.0) << "buy-hold holds by now";
    s.checkpoint(0);
    return s.session_id();
}

} // namespace

// Issue 19.1 ("recovery diverged"): a restarted session is recovered from its journal up to the
// last committed bar. Its journal used to stay in recovery until the next bar, so an emergency
// stop given in between (the whole wait for a real-time bar; for ever after a replay's end) had
// its closing orders refused as "not in the journal". The stop lands exactly as it would have
// without the restart.
TEST(LiveSession, an_emergency_stop_right_after_a_restart_lands_as_in_an_uninterrupted_run) {
    test::TempDir dir;
    auto ref_store = open_market_store((dir / "ref.db").string());
    seed_market(*ref_store, 120);
    std::string sid;
    {
        LiveSession s(ref_store->database(), *ref_store, holding_options(), RiskLimits{},
                      InstrumentRegistry(), {});
        s.open(0, false, "");
        for (int i = 0; i < 150; ++i) s.step(0);
        s.execute("emergency_stop", {{"reason", "crash"}}, 0);
        while (!s.stopped() && s.step(0) == LiveSession::StepResult::Stepped) s.settle(0);
        ASSERT_TRUE(s.stopped());
        s.checkpoint(0);
        sid = s.session_id();
    }
    auto store = open_market_store((dir / "restarted.db").string());
    seed_market(*store, 120);
    ASSERT_EQ(run_then_stop(*store, 150), sid);
    LiveSession s(store->database(), *store, holding_options(), RiskLimits{}, InstrumentRegistry(), {});
    s.open(0, false, "");
    EXPECT_GT(s.recovered_steps(), 0);
    const CommandOutcome o = s.execute("emergency_stop", {{"reason", "crash"}}, 0);
    EXPECT_EQ(o.exit_code, 0) << o.message;
    EXPECT_GT(o.data.value("closing_orders", 0), 0) << o.message;
    while (!s.stopped() && s.step(0) == LiveSession::StepResult::Stepped) s.settle(0);
    EXPECT_TRUE(s.stopped());
    EXPECT_EQ(s.portfolio().gross_exposure(), 0.0);
    s.checkpoint(0);
    const test::Final ref = test::final_state((dir / "ref.db").string(), sid);
    test::expect_same_final(test::final_state((dir / "restarted.db").string(), sid), ref,
                            "restarted");
    test::expect_unique_ids(ref);
}

// An emergency stop in a paced replay does not wait for the pace: its closing orders fill at the
// next bar's open, and that bar comes at once even at --speed 1 (one 4h bar per 4 wall hours).
TEST(LiveDaemonLoop, an_emergency_stop_completes_without_waiting_for_the_replay_pace) {
    test::TempDir dir;
    auto store = open_market_store((dir / "p.db").string());
    seed_market(*store, 120);
    LiveSession s(store->database(), *store, holding_options(), RiskLimits{}, InstrumentRegistry(), {});
    s.open(0, false, "");
    for (int i = 0; i < 150; ++i) s.step(0); // warm-up and first trading bars, unpaced
    ASSERT_NE(s.portfolio().gross_exposure(), 0.0);
    CommandQueue queue;
    Scheduler sched;
    DaemonOptions o;
    o.speed = 1;
    SystemClock wall;
    std::atomic<bool> stop{false};
    auto done = std::async(std::launch::async,
                           [&] { return run_daemon(s, queue, sched, o, wall, stop); });
    const CommandOutcome c = queue.submit("emergency_stop", {{"reason", "crash"}});
    EXPECT_EQ(c.exit_code, 0) << c.message;
    // A state, with a generous bound: the unfixed loop would wait four hours for the next bar.
    if (done.wait_for(std::chrono::seconds(60)) != std::future_status::ready) stop.store(true);
    const std::string why = done.get();
    EXPECT_NE(why.find("emergency stop complete"), std::string::npos) << why;
    EXPECT_TRUE(s.stopped());
    EXPECT_EQ(s.portfolio().gross_exposure(), 0.0);
}

// A notify() made before the engine thread waits (a streamed candle arriving while a step runs)
// is not lost: the next wait returns at once instead of sleeping its full timeout.
TEST(CommandQueue, ANotifyBeforeTheWaitIsNotLost) {
    CommandQueue q;
    q.notify();
    const auto t0 = std::chrono::steady_clock::now();
    q.wait(30000);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20))
        << "the wake-up was lost: the wait ran its full timeout";
    // Consumed: a second wait without a notify sleeps (briefly here) until its timeout.
    const auto t1 = std::chrono::steady_clock::now();
    q.wait(50);
    EXPECT_GE(std::chrono::steady_clock::now() - t1, std::chrono::milliseconds(40));
}
