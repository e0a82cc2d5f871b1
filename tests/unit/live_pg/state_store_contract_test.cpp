// One contract for the live trading state on every backend: each test runs on SQLite and on a
// real PostgreSQL server (tests/support/postgres_server), so the crash-safe journal behaves the
// same whichever database the user chose with --db.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

#include "core/error.hpp"
#include "data/database.hpp"
#include "live/state_store.hpp"
#include "support/postgres_server.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

const TimeMs kT0 = make_time(2024, 3, 1);
constexpr TimeMs kH4 = 4 * kMsPerHour;

class StateStoreContract : public test::BackendTest {
  protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (IsSkipped())
            return;
        db_ = open_database(spec_);
        st_ = std::make_unique<StateStore>(*db_);
    }

    /// A second connection, as a restarted daemon or a status command opens it.
    std::unique_ptr<Database> reopen() const { return open_database(spec_); }

    std::unique_ptr<Database> db_;
    std::unique_ptr<StateStore> st_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StateStoreContract, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

SessionRecord session_record(const std::string& id, TimeMs created) {
    SessionRecord s;
    s.id = id;
    s.mode = "paper";
    s.symbols = "BTC/USDT,ETH/USDT";
    s.timeframe = "4h";
    s.capital = 10000.5;
    s.strategy = "sma-cross fast=3 slow=8 fraction=0.4";
    s.clock = "replay";
    s.trade_from = kT0;
    s.replay_to = kT0 + 100 * kH4;
    s.created_at = created;
    s.status = "running";
    s.initial_risk = R"({"mode":"ACTIVE","note":"it's \"quoted\"\n"})";
    return s;
}

OrderRecord order_record(const std::string& cid, TimeMs bar, double qty) {
    OrderRecord o;
    o.client_order_id = cid;
    o.session_id = "s1";
    o.symbol = "BTC/USDT";
    o.side = qty > 0 ? "buy" : "sell";
    o.type = "market";
    o.qty = std::fabs(qty);
    o.bar_time = bar;
    o.created_at = bar + kH4;
    o.source = "strategy";
    o.status = "new";
    return o;
}

TEST_P(StateStoreContract, schema_creation_is_idempotent_across_connections) {
    st_->put_kv("k", "v");
    auto other = reopen();
    StateStore again(*other); // CREATE ... IF NOT EXISTS on an existing schema
    StateStore twice(*other);
    EXPECT_EQ(again.get_kv("k"), "v");
}

TEST_P(StateStoreContract, sessions_round_trip_and_only_status_changes_on_upsert) {
    EXPECT_FALSE(st_->latest_session().has_value());
    EXPECT_FALSE(st_->session("nope").has_value());
    const SessionRecord a = session_record("paper-a", kT0);
    st_->upsert_session(a);
    const auto got = st_->session("paper-a");
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->mode, a.mode);
    EXPECT_EQ(got->symbols, a.symbols);
    EXPECT_EQ(got->timeframe, a.timeframe);
    EXPECT_EQ(got->capital, a.capital);
    EXPECT_EQ(got->strategy, a.strategy);
    EXPECT_EQ(got->clock, a.clock);
    EXPECT_EQ(got->trade_from, a.trade_from);
    EXPECT_EQ(got->replay_to, a.replay_to);
    EXPECT_EQ(got->created_at, a.created_at);
    EXPECT_EQ(got->initial_risk, a.initial_risk);

    // A resumed session re-upserts its record: only the status may change.
    SessionRecord resumed = a;
    resumed.capital = 1;
    resumed.strategy = "other";
    resumed.status = "stopped";
    st_->upsert_session(resumed);
    EXPECT_EQ(st_->session("paper-a")->capital, a.capital);
    EXPECT_EQ(st_->session("paper-a")->strategy, a.strategy);
    EXPECT_EQ(st_->session("paper-a")->status, "stopped");

    st_->upsert_session(session_record("paper-b", kT0 + 1));
    st_->upsert_session(session_record("paper-0", kT0 - 1));
    EXPECT_EQ(st_->latest_session()->id, "paper-b");
    st_->set_session_status("paper-b", "complete");
    auto other = reopen();
    EXPECT_EQ(StateStore(*other).session("paper-b")->status, "complete");
}

TEST_P(StateStoreContract, order_insert_is_idempotent_on_the_client_order_id) {
    st_->insert_order(order_record("cid-2", kT0 + kH4, 0.5));
    OrderRecord first = order_record("cid-1", kT0, -0.25);
    first.limit_price = 101.25;
    first.stop_price = 99.5;
    st_->insert_order(first);
    // A recovery re-journals the same order: the stored row must not change or duplicate.
    OrderRecord replay = first;
    replay.qty = 9;
    replay.status = "sent";
    st_->insert_order(replay);
    auto orders = st_->orders("s1");
    ASSERT_EQ(orders.size(), 2u);
    EXPECT_EQ(orders[0].client_order_id, "cid-1"); // ordered by bar time
    EXPECT_EQ(orders[0].qty, 0.25);
    EXPECT_EQ(orders[0].side, "sell");
    EXPECT_EQ(orders[0].status, "new");
    EXPECT_EQ(orders[0].limit_price, 101.25);
    EXPECT_EQ(orders[0].stop_price, 99.5);
    EXPECT_EQ(orders[0].created_at, kT0 + kH4);
    EXPECT_EQ(orders[1].client_order_id, "cid-2");

    const double avg = 0.1 + 0.2; // not exactly 0.3: must survive the round trip bit for bit
    st_->update_order("cid-1", "filled", 0.25, avg);
    auto other = reopen();
    orders = StateStore(*other).orders("s1");
    EXPECT_EQ(orders[0].status, "filled");
    EXPECT_EQ(orders[0].filled_qty, 0.25);
    EXPECT_EQ(orders[0].avg_price, avg);
    EXPECT_TRUE(st_->orders("other-session").empty());
}

TEST_P(StateStoreContract, report_insert_is_idempotent_per_step_and_sequence) {
    ExecReport r;
    r.session_id = "s1";
    r.bar_time = kT0;
    r.seq = 0;
    r.kind = "fill";
    r.client_order_id = "cid-1";
    r.symbol = "ETH/USDT";
    r.side = "buy";
    r.qty = 1.0 / 3.0;
    r.price = 2345.678901234567;
    r.fee = 1e-17;
    r.spread_cost = 0.015;
    r.slippage_cost = std::numeric_limits<double>::denorm_min();
    r.role = 2;
    r.maker = 1;
    r.status = 3;
    r.reason = 4;
    r.time = kT0 + kH4;
    st_->insert_report(r);
    ExecReport again = r;
    again.price = 1;
    st_->insert_report(again); // same (session, bar_time, seq): ignored
    ExecReport event = r;
    event.seq = 1;
    event.kind = "event";
    st_->insert_report(event);
    ExecReport earlier = r;
    earlier.bar_time = kT0 - kH4;
    st_->insert_report(earlier);

    const auto got = st_->reports("s1");
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].bar_time, kT0 - kH4);
    const ExecReport& g = got[1];
    EXPECT_EQ(g.seq, 0);
    EXPECT_EQ(g.kind, "fill");
    EXPECT_EQ(g.client_order_id, "cid-1");
    EXPECT_EQ(g.symbol, "ETH/USDT");
    EXPECT_EQ(g.side, "buy");
    EXPECT_EQ(g.qty, r.qty);
    EXPECT_EQ(g.price, r.price);
    EXPECT_EQ(g.fee, r.fee);
    EXPECT_EQ(g.spread_cost, r.spread_cost);
    EXPECT_EQ(g.slippage_cost, r.slippage_cost);
    EXPECT_EQ(g.role, 2);
    EXPECT_EQ(g.maker, 1);
    EXPECT_EQ(g.status, 3);
    EXPECT_EQ(g.reason, 4);
    EXPECT_EQ(g.time, r.time);
    EXPECT_EQ(got[2].kind, "event");
}

TEST_P(StateStoreContract, decisions_come_back_newest_first_and_limited) {
    for (int i = 0; i < 5; ++i) {
        RiskDecisionRecord d{kT0 + i * kH4,
                             "BTC/USDT",
                             "strategy",
                             i % 2 ? "reduce" : "approve",
                             "max_position",
                             "Requested 0.20 BTC; reduced to 0.15 BTC due to existing ETH position",
                             0.2,
                             i % 2 ? 0.15 : 0.2};
        st_->insert_decision("s1", i, d);
        st_->insert_decision("s1", i, d); // recovery: no duplicate
    }
    RiskDecisionRecord same_time{kT0 + 4 * kH4, "ETH/USDT",          "manual", "deny",
                                 "halted",      "trading is halted", 1,        0};
    st_->insert_decision("s1", 5, same_time);
    const auto all = st_->decisions("s1", 100);
    ASSERT_EQ(all.size(), 6u);
    EXPECT_EQ(all[0].symbol, "ETH/USDT"); // same time: higher seq first
    EXPECT_EQ(all[0].verdict, "deny");
    EXPECT_EQ(all[1].time, kT0 + 4 * kH4);
    EXPECT_EQ(all[5].time, kT0);
    EXPECT_EQ(all[2].approved, 0.15);
    EXPECT_EQ(all[2].reason,
              "Requested 0.20 BTC; reduced to 0.15 BTC due to existing ETH position");
    EXPECT_EQ(st_->decisions("s1", 2).size(), 2u);
    EXPECT_TRUE(st_->decisions("s2", 10).empty());
}

TEST_P(StateStoreContract, trades_are_ordered_by_sequence_and_idempotent) {
    const TradeRecord b{"BTC/USDT", -1,  kT0 + kH4, kT0 + 3 * kH4, 40000.5,
                        39000.25,   0.1, 99.5,      1.25};
    const TradeRecord a{"ETH/USDT", 1, kT0, kT0 + 2 * kH4, 2000, 2100, 2, -0.1 - 0.2, 0.5};
    st_->insert_trade("s1", 2, b);
    st_->insert_trade("s1", 1, a);
    st_->insert_trade("s1", 1, b); // seq 1 exists: ignored
    const auto got = st_->trades("s1");
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].symbol, "ETH/USDT");
    EXPECT_EQ(got[0].pnl, -0.1 - 0.2);
    EXPECT_EQ(got[1].direction, -1);
    EXPECT_EQ(got[1].entry_time, b.entry_time);
    EXPECT_EQ(got[1].exit_time, b.exit_time);
    EXPECT_EQ(got[1].entry_price, b.entry_price);
    EXPECT_EQ(got[1].exit_price, b.exit_price);
    EXPECT_EQ(got[1].qty, b.qty);
    EXPECT_EQ(got[1].fees, b.fees);
}

TEST_P(StateStoreContract, positions_are_replaced_as_a_whole_per_session) {
    st_->replace_positions("s1", {{"ETH/USDT", 2, 2000, 2010, 20, kT0},
                                  {"BTC/USDT", -0.1, 40000, 39000, 100, kT0 + kH4}});
    st_->replace_positions("s2", {{"BTC/USDT", 1, 1, 1, 0, kT0}});
    auto got = st_->positions("s1");
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].symbol, "BTC/USDT"); // ordered by symbol
    EXPECT_EQ(got[0].qty, -0.1);
    EXPECT_EQ(got[0].entry_time, kT0 + kH4);
    EXPECT_EQ(got[1].unrealized, 20);

    st_->replace_positions("s1", {{"ETH/USDT", 1, 2005, 2006, 1, kT0 + 2 * kH4}});
    got = st_->positions("s1");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].symbol, "ETH/USDT");
    EXPECT_EQ(got[0].avg_price, 2005);
    st_->replace_positions("s1", {});
    EXPECT_TRUE(st_->positions("s1").empty());
    EXPECT_EQ(st_->positions("s2").size(), 1u); // another session is untouched
}

TEST_P(StateStoreContract, snapshot_is_overwritten_in_place) {
    EXPECT_FALSE(st_->snapshot("s1").has_value());
    st_->write_snapshot("s1", {kT0, 10, 10000, 9000, 0, 0, 111});
    st_->write_snapshot("s1", {kT0 + kH4, 11, 10050.125, 4000.5, 50.25, 3.75, 222});
    auto other = reopen();
    const auto s = StateStore(*other).snapshot("s1");
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->last_bar, kT0 + kH4);
    EXPECT_EQ(s->steps, 11);
    EXPECT_EQ(s->equity, 10050.125);
    EXPECT_EQ(s->cash, 4000.5);
    EXPECT_EQ(s->realized, 50.25);
    EXPECT_EQ(s->fees, 3.75);
    EXPECT_EQ(s->updated_wall, 222);
    EXPECT_EQ(db_->query_one("SELECT COUNT(*) FROM live_balances")->as_int(0), 1);
}

TEST_P(StateStoreContract, equity_range_is_half_open_and_points_are_upserted) {
    for (int i = 0; i < 10; ++i)
        st_->insert_equity("s1", kT0 + i * kH4, 10000 + i, 5000);
    st_->insert_equity("s1", kT0 + 3 * kH4, 12345.5, 1); // a recovery rewrites a point
    st_->insert_equity("s2", kT0 + 3 * kH4, 1, 1);
    const auto got = st_->equity("s1", kT0 + 2 * kH4, kT0 + 5 * kH4);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].first, kT0 + 2 * kH4);
    EXPECT_EQ(got[1].second, 12345.5);
    EXPECT_EQ(got[2].first, kT0 + 4 * kH4);
    EXPECT_EQ(st_->equity("s1", INT64_MIN, INT64_MAX).size(), 10u);
    EXPECT_TRUE(st_->equity("s1", kT0 + 100 * kH4, kT0 + 200 * kH4).empty());
    // Times before 1970 and far in the future survive as 64-bit integers.
    st_->insert_equity("s3", -kMsPerDay * 365 * 30, 1, 1);
    st_->insert_equity("s3", std::int64_t{1} << 60, 2, 2);
    const auto wide = st_->equity("s3", INT64_MIN, INT64_MAX);
    ASSERT_EQ(wide.size(), 2u);
    EXPECT_EQ(wide[0].first, -kMsPerDay * 365 * 30);
    EXPECT_EQ(wide[1].first, std::int64_t{1} << 60);
}

TEST_P(StateStoreContract, predictions_are_written_once_per_bar_and_symbol) {
    st_->insert_prediction("s1", kT0, "BTC/USDT", 0.72, R"([["rsi_14",0.12]])");
    st_->insert_prediction("s1", kT0, "BTC/USDT", 0.10, "[]"); // a recovery: ignored
    st_->insert_prediction("s1", kT0, "ETH/USDT", 0.68, "[]");
    st_->insert_prediction("s1", kT0 + kH4, "BTC/USDT", 0.55, "[]");
    st_->insert_prediction("s2", kT0 + 9 * kH4, "BTC/USDT", 0.99, "[]");
    const auto all = st_->predictions("s1");
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].symbol, "BTC/USDT"); // oldest first, then symbol
    EXPECT_EQ(all[0].value, 0.72);
    EXPECT_EQ(all[0].detail, R"([["rsi_14",0.12]])");
    EXPECT_EQ(all[1].symbol, "ETH/USDT");
    EXPECT_EQ(all[2].time, kT0 + kH4);
    const auto latest = st_->latest_predictions("s1");
    ASSERT_EQ(latest.size(), 2u);
    EXPECT_EQ(latest[0].symbol, "BTC/USDT");
    EXPECT_EQ(latest[0].time, kT0 + kH4);
    EXPECT_EQ(latest[0].value, 0.55);
    EXPECT_EQ(latest[1].symbol, "ETH/USDT");
    EXPECT_EQ(latest[1].time, kT0);
    EXPECT_TRUE(st_->latest_predictions("none").empty());
}

TEST_P(StateStoreContract, order_notes_are_replaced_per_order) {
    EXPECT_FALSE(st_->order_note("cid-1").has_value());
    st_->set_order_note("cid-1", "rejected: -2010 Account has insufficient balance");
    st_->set_order_note("cid-1", "rejected: -1013 Filter failure: LOT_SIZE");
    st_->set_order_note("cid-2", "");
    auto conn = reopen();
    StateStore other(*conn);
    EXPECT_EQ(other.order_note("cid-1"), "rejected: -1013 Filter failure: LOT_SIZE");
    EXPECT_EQ(other.order_note("cid-2"), "");
}

TEST_P(StateStoreContract, kv_survives_reconnects_and_overwrites) {
    EXPECT_FALSE(st_->get_kv("trading_state").has_value());
    st_->put_kv("trading_state", R"({"mode":"HALTED"})");
    st_->put_kv("trading_state", R"({"mode":"ACTIVE","reason":"ünïcode ✓"})");
    st_->put_kv("empty", "");
    auto conn = reopen();
    StateStore other(*conn);
    EXPECT_EQ(other.get_kv("trading_state"), R"({"mode":"ACTIVE","reason":"ünïcode ✓"})");
    EXPECT_EQ(other.get_kv("empty"), "");
}

TEST_P(StateStoreContract, commands_are_numbered_per_session_and_never_overwritten) {
    EXPECT_EQ(st_->next_command_seq("s1"), 1);
    st_->insert_command({"s1", 1, kT0, "pause", R"({"duration_ms":86400000})"});
    st_->insert_command({"s1", 2, kT0 + kH4, "resume", "{}"});
    EXPECT_EQ(st_->next_command_seq("s1"), 3);
    EXPECT_EQ(st_->next_command_seq("s2"), 1);
    // The same sequence twice is a bug in the caller: refused, the first kept.
    EXPECT_THROW(st_->insert_command({"s1", 2, kT0, "trade", "{}"}), SystemError);
    const auto got = st_->commands("s1");
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].kind, "pause");
    EXPECT_EQ(got[0].after_bar, kT0);
    EXPECT_EQ(got[0].payload, R"({"duration_ms":86400000})");
    EXPECT_EQ(got[1].kind, "resume");
}

TEST_P(StateStoreContract, audit_log_is_append_only_newest_first) {
    EXPECT_TRUE(st_->audit_log(10).empty());
    st_->audit(kT0, "pause", "Fed announcement", R"({"duration":"24h"})", "ok");
    st_->audit(kT0, "risk_set", "vol spike", "max_position 0.25 -> 0.15", "ok");
    auto other = reopen();
    StateStore(*other).audit(kT0 + 1, "emergency_stop", "Market crash", "", "refused");
    const auto log = st_->audit_log(10);
    ASSERT_EQ(log.size(), 3u);
    EXPECT_EQ(log[0].action, "emergency_stop");
    EXPECT_EQ(log[0].result, "refused");
    EXPECT_EQ(log[1].action, "risk_set");
    EXPECT_EQ(log[1].details, "max_position 0.25 -> 0.15");
    EXPECT_EQ(log[2].reason, "Fed announcement");
    EXPECT_EQ(st_->audit_log(1).size(), 1u);
}

TEST_P(StateStoreContract, signals_queue_round_trips_and_dedupes_per_bar_and_symbol) {
    SignalRecord s;
    s.session_id = "s1";
    s.time = kT0;
    s.symbol = "BTC/USDT";
    s.quantity = -0.15;
    s.price = 40000.5;
    s.note = "strategy entry";
    s.status = "pending";
    s.expires_at = kT0 + kH4;
    const auto id1 = st_->insert_signal(s);
    EXPECT_EQ(st_->insert_signal(s), id1); // recovery re-queues the same signal
    SignalRecord t = s;
    t.symbol = "ETH/USDT";
    const auto id2 = st_->insert_signal(t);
    EXPECT_NE(id1, id2);
    EXPECT_FALSE(st_->signal(id2 + 100).has_value());

    st_->update_signal(id1, "approved", kT0 + 60000, "looks right");
    const auto got = st_->signal(id1);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->status, "approved");
    EXPECT_EQ(got->decided_at, kT0 + 60000);
    EXPECT_EQ(got->decision_reason, "looks right");
    EXPECT_EQ(got->quantity, -0.15);
    EXPECT_EQ(got->price, 40000.5);
    EXPECT_EQ(got->expires_at, kT0 + kH4);
    EXPECT_EQ(got->note, "strategy entry");

    const auto pending = st_->signals("pending", 10);
    ASSERT_EQ(pending.size(), 1u);
    EXPECT_EQ(pending[0].id, id2);
    const auto all = st_->signals("all", 10);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].id, id2); // newest first
    EXPECT_EQ(st_->signals("", 1).size(), 1u);
    EXPECT_TRUE(st_->signals("rejected", 10).empty());
}

TEST_P(StateStoreContract, an_uncommitted_transaction_leaves_nothing) {
    {
        Transaction tx(*db_);
        st_->insert_order(order_record("cid-lost", kT0, 1));
        st_->write_snapshot("s1", {kT0, 1, 1, 1, 0, 0, 1});
        st_->put_kv("k", "lost");
        // destroyed without commit: a crash between writing and committing
    }
    EXPECT_TRUE(st_->orders("s1").empty());
    EXPECT_FALSE(st_->snapshot("s1").has_value());
    EXPECT_FALSE(st_->get_kv("k").has_value());
    {
        Transaction tx(*db_);
        st_->insert_order(order_record("cid-kept", kT0, 1));
        st_->put_kv("k", "kept");
        tx.commit();
    }
    auto conn = reopen();
    StateStore other(*conn);
    ASSERT_EQ(other.orders("s1").size(), 1u);
    EXPECT_EQ(other.get_kv("k"), "kept");
}

} // namespace
} // namespace aurum
