// Stop + target as one exchange-side OCO list in a live session (issue 17 item 3) against the fake
// Binance spot exchange on 127.0.0.1: a strategy with stop-loss and take-profit keeps exactly one
// list (STOP_LOSS_LIMIT below, LIMIT_MAKER above) for the whole position through partial fills;
// the target's fill expires the stop; a manual close cancels the list before it sells; a restart
// finds the list by its legs' client ids (never a second list), and a target hit while the daemon
// is down leaves the restart flat with the P&L the exchange's trades say.
#include <cmath>

#include <gtest/gtest.h>

#include "live/live_session.hpp"
#include "live/state_store.hpp"
#include "integration/live_exchange/exchange_rig.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using nlohmann::json;
using test::Exchange;
using test::FakeOrder;
using test::command;
using test::run_until_waiting;

namespace {

const TimeMs kT0 = test::kLiveT0;
constexpr double kStep = 0.00001; // FakeSymbol's LOT_SIZE step

/// buy-hold with a 2 % stop (limit 0.5 % beyond) and a 3 % target: one OCO list.
LiveOptions oco_options(Exchange& x) {
    LiveOptions o = test::live_options_on(x);
    o.strategy.name = "buy-hold";
    o.strategy.params = {{"stop-loss", 0.02}, {"take-profit", 0.03}};
    o.strategy.sizing.fraction = 0.2;
    o.fill.stop_limit_offset = 0.005;
    return o;
}

/// The lists the exchange is executing.
std::vector<test::FakeOrderList> executing(const Exchange& x) {
    std::vector<test::FakeOrderList> out;
    for (const auto& l : x.ex.order_lists())
        if (l.status == "EXECUTING") out.push_back(l);
    return out;
}

/// Exactly one OCO list guards the position: its stop 2 % below and its target 3 % above the
/// average entry, both for the whole position (to the lot step). Returns the list.
test::FakeOrderList expect_one_list_for_the_position(const Exchange& x, const LiveSession& s) {
    const double pos = s.portfolio().position(0).qty;
    EXPECT_GT(pos, 0);
    EXPECT_NEAR(pos, x.btc(), 1e-9) << "the engine's position is the exchange's BTC";
    const auto lists = executing(x);
    EXPECT_EQ(lists.size(), 1u) << "exactly one OCO list";
    EXPECT_EQ(x.ex.open_orders("BTCUSDT").size(), 2u) << "its two legs and nothing else";
    if (lists.size() != 1) return {};
    const double avg = s.portfolio().position(0).avg_price;
    const auto stop = x.ex.order(lists[0].order_client_ids.at(0));
    const auto target = x.ex.order(lists[0].order_client_ids.at(1));
    EXPECT_EQ(stop->type, "STOP_LOSS_LIMIT");
    EXPECT_EQ(target->type, "LIMIT_MAKER");
    const double lots = std::floor(pos / kStep + 1e-9) * kStep;
    EXPECT_NEAR(stop->qty, lots, 1e-9);
    EXPECT_NEAR(target->qty, lots, 1e-9);
    EXPECT_NEAR(stop->stop_price, avg * 0.98, 0.011);
    EXPECT_NEAR(target->price, avg * 1.03, 0.011);
    EXPECT_NEAR(x.ex.locked("BTC"), lots, 1e-9) << "one lock for both legs";
    return lists[0];
}

/// Every order and list reached the exchange once.
void expect_nothing_sent_twice(const Exchange& x) {
    for (const auto& o : x.ex.orders())
        EXPECT_LE(x.ex.posts_with_client_id(o.client_id), 1) << o.client_id << " sent twice";
    for (const auto& l : x.ex.order_lists())
        EXPECT_EQ(x.ex.list_posts_with_client_id(l.client_id), 1) << l.client_id;
}

} // namespace

TEST(LiveOco, one_list_follows_partial_fills_and_the_target_fill_ends_it) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    Exchange x;
    x.ex.set_market_fill_parts(3); // the entry fills in three trades
    LiveSession s(store->database(), *store, oco_options(x), RiskLimits{}, InstrumentRegistry(),
                  {});
    s.open(x.clock.now(), false, "");
    TimeMs wall = kT0 + kMsPerHour + kMsPerMinute;
    x.at(wall);
    run_until_waiting(s, wall);
    test::FakeOrderList list;
    for (int bar = 0; bar < 3; ++bar) {
        wall += kMsPerHour;
        x.at(wall);
        run_until_waiting(s, wall);
        list = expect_one_list_for_the_position(x, s);
    }
    // Adding by hand: the list is replaced by one for the whole position.
    command(s, wall, "trade", {{"symbol", "BTC/USDT"}, {"side", "long"}, {"amount", 0.004}});
    wall += kMsPerHour;
    x.at(wall);
    run_until_waiting(s, wall);
    list = expect_one_list_for_the_position(x, s);
    command(s, wall, "pause", {{"duration_ms", 30 * kMsPerDay}, {"close", false}});

    // The market reaches the target: it fills, the exchange expires the stop.
    const double target = x.ex.order(list.order_client_ids.at(1))->price;
    x.ex.set_price("BTCUSDT", target * 1.002);
    wall += kMsPerHour;
    x.clock.set(wall);
    run_until_waiting(s, wall);
    EXPECT_EQ(x.ex.order(list.order_client_ids.at(1))->status, "FILLED");
    EXPECT_EQ(x.ex.order(list.order_client_ids.at(0))->status, "EXPIRED");
    test::expect_flat_like_the_exchange(x, s, store->database(), kStep);
    expect_nothing_sent_twice(x);
}

TEST(LiveOco, the_stop_fill_expires_the_target) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    Exchange x;
    LiveSession s(store->database(), *store, oco_options(x), RiskLimits{}, InstrumentRegistry(),
                  {});
    s.open(x.clock.now(), false, "");
    TimeMs wall = kT0 + kMsPerHour + kMsPerMinute;
    for (int bar = 0; bar < 2; ++bar, wall += kMsPerHour) {
        x.at(wall);
        run_until_waiting(s, wall);
    }
    const auto list = expect_one_list_for_the_position(x, s);
    command(s, wall, "pause", {{"duration_ms", 30 * kMsPerDay}, {"close", false}});
    const double stop = x.ex.order(list.order_client_ids.at(0))->stop_price;
    x.clock.set(wall);
    x.ex.set_price("BTCUSDT", stop * 0.999); // trades down through the stop
    run_until_waiting(s, wall);
    EXPECT_EQ(x.ex.order(list.order_client_ids.at(0))->status, "FILLED");
    EXPECT_EQ(x.ex.order(list.order_client_ids.at(1))->status, "EXPIRED");
    EXPECT_TRUE(x.ex.open_orders("BTCUSDT").empty());
    EXPECT_NEAR(s.portfolio().position(0).qty, x.btc(), 1e-9);
    EXPECT_LT(x.btc(), kStep);
    EXPECT_NEAR(s.portfolio().cash(), x.ex.balance("USDT"), 1e-6);
    const auto trades = x.ex.trades();
    ASSERT_FALSE(trades.empty());
    EXPECT_DOUBLE_EQ(trades.back().price, stop) << "the stop filled at its trigger";
    expect_nothing_sent_twice(x);
}

TEST(LiveOco, a_manual_close_cancels_the_list_before_it_sells) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    Exchange x;
    LiveSession s(store->database(), *store, oco_options(x), RiskLimits{}, InstrumentRegistry(),
                  {});
    s.open(x.clock.now(), false, "");
    TimeMs wall = kT0 + kMsPerHour + kMsPerMinute;
    for (int bar = 0; bar < 2; ++bar, wall += kMsPerHour) {
        x.at(wall);
        run_until_waiting(s, wall);
    }
    wall -= kMsPerHour;
    const auto list = expect_one_list_for_the_position(x, s);
    command(s, wall, "pause", {{"duration_ms", 30 * kMsPerDay}, {"close", false}});
    command(s, wall, "trade", {{"symbol", "BTC/USDT"}, {"side", "close"}});
    EXPECT_TRUE(executing(x).empty()) << "cancelled at once, before the sell";
    EXPECT_EQ(x.ex.order(list.order_client_ids.at(0))->status, "CANCELED");
    EXPECT_EQ(x.ex.order(list.order_client_ids.at(1))->status, "CANCELED");
    wall += kMsPerHour;
    x.at(wall);
    run_until_waiting(s, wall);
    EXPECT_TRUE(x.ex.open_orders("BTCUSDT").empty());
    EXPECT_LT(x.btc(), kStep);
    EXPECT_NEAR(s.portfolio().cash(), x.ex.balance("USDT"), 1e-6);
    expect_nothing_sent_twice(x);
}

TEST(LiveOco, restarts_find_the_list_by_ids_and_a_target_hit_while_down_leaves_it_flat) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    Exchange x;
    TimeMs wall = kT0 + kMsPerHour + kMsPerMinute;
    test::FakeOrderList list;
    {
        LiveSession s(store->database(), *store, oco_options(x), RiskLimits{},
                      InstrumentRegistry(), {});
        s.open(x.clock.now(), false, "");
        for (int bar = 0; bar < 2; ++bar, wall += kMsPerHour) {
            x.at(wall);
            run_until_waiting(s, wall);
        }
        list = expect_one_list_for_the_position(x, s);
        command(s, wall, "pause", {{"duration_ms", 30 * kMsPerDay}, {"close", false}});
    } // killed
    {
        // A restart with the list resting: its legs are adopted by id, nothing is sent.
        x.clock.set(wall);
        LiveSession s(store->database(), *store, oco_options(x), RiskLimits{},
                      InstrumentRegistry(), {});
        s.open(wall, false, "");
        EXPECT_TRUE(s.recovered());
        run_until_waiting(s, wall);
        EXPECT_EQ(x.ex.order_lists().size(), 1u) << "never a second list";
        expect_one_list_for_the_position(x, s);
        wall += kMsPerHour;
    } // killed again
    // The market reaches the target while nobody watches: the exchange fills it.
    const double target = x.ex.order(list.order_client_ids.at(1))->price;
    x.clock.set(wall);
    x.ex.set_price("BTCUSDT", target * 1.01);
    ASSERT_LT(x.btc(), kStep);

    wall += kMsPerHour;
    x.clock.set(wall);
    LiveSession s(store->database(), *store, oco_options(x), RiskLimits{}, InstrumentRegistry(),
                  {});
    s.open(wall, false, "");
    EXPECT_TRUE(s.recovered());
    run_until_waiting(s, wall);
    EXPECT_NEAR(s.portfolio().position(0).qty, x.btc(), 1e-9) << "flat, like the exchange";
    EXPECT_NEAR(s.portfolio().cash(), x.ex.balance("USDT"), 1e-6);
    EXPECT_TRUE(x.ex.open_orders("BTCUSDT").empty()) << "no new list placed";
    EXPECT_EQ(x.ex.order_lists().size(), 1u);
    // The P&L with fees, by hand from the exchange's trades: the target sold at its price.
    double cash = 10000, fees = 0;
    int sells = 0;
    for (const auto& t : x.ex.trades()) {
        if (t.buyer) {
            cash -= t.qty * t.price;
            fees += t.commission * t.price;
        } else {
            ++sells;
            EXPECT_DOUBLE_EQ(t.price, target) << "the target filled at its limit";
            EXPECT_TRUE(t.maker);
            cash += t.qty * t.price - t.commission;
            fees += t.commission;
        }
    }
    EXPECT_EQ(sells, 1);
    EXPECT_NEAR(s.portfolio().cash(), cash, 1e-6);
    EXPECT_NEAR(s.portfolio().fees_paid(), fees, 1e-6);
    expect_nothing_sent_twice(x);
}
