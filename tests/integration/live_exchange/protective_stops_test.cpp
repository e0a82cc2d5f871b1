// Exchange-side protective stops of a live session (issue 17 item 3) against the fake Binance
// spot exchange on 127.0.0.1, driven bar by bar with explicit wall times: every entry of a
// strategy with `stop-loss` gets one STOP_LOSS_LIMIT at the exchange whose quantity follows the
// fills of the position (partial fills included) and which is cancelled when the position is
// closed otherwise; a stop that triggers while the daemon is down is found on restart (flat, the
// P&L with fees as the exchange's trades say); BNB commissions reach cash and P&L.
#include <cmath>

#include <gtest/gtest.h>

#include "live/alert_outbox.hpp"
#include "live/balance_check.hpp"
#include "live/live_session.hpp"
#include "live/state_store.hpp"
#include "support/fake_binance.hpp"
#include "support/fake_binance_spot.hpp"
#include "integration/live_exchange/exchange_rig.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using nlohmann::json;
using test::FakeBinance;
using test::FakeOrder;
using test::FakeSpotExchange;
using test::FakeSymbol;

namespace {

using test::Exchange;
using test::command;
using test::run_until_waiting;
const TimeMs kT0 = test::kLiveT0;
constexpr double kStep = 0.00001; // FakeSymbol's LOT_SIZE step

/// buy-hold with a 2 % protective stop, its limit 0.5 % beyond the trigger.
LiveOptions stop_options(Exchange& x) {
    LiveOptions o = test::live_options_on(x);
    o.strategy.name = "buy-hold";
    o.strategy.params = {{"stop-loss", 0.02}};
    o.strategy.sizing.fraction = 0.2;
    o.fill.stop_limit_offset = 0.005;
    return o;
}

/// The position has exactly one stop at the exchange, for all of it (to the lot step), at the
/// configured distance below the average entry.
void expect_one_stop_for_the_position(const Exchange& x, const LiveSession& s) {
    const double pos = s.portfolio().position(0).qty;
    ASSERT_GT(pos, 0);
    EXPECT_NEAR(pos, x.btc(), 1e-9) << "the engine's position is the exchange's BTC";
    const auto stops = x.open_stops();
    ASSERT_EQ(stops.size(), 1u) << "exactly one exchange-side stop";
    EXPECT_NEAR(stops[0].qty, std::floor(pos / kStep + 1e-9) * kStep, 1e-9);
    const double avg = s.portfolio().position(0).avg_price;
    EXPECT_NEAR(stops[0].stop_price, avg * 0.98, 0.011);
    EXPECT_NEAR(stops[0].price, stops[0].stop_price * 0.995, 0.011);
}

/// A session trades `bars` bars from the first (its stop goes out with the entry), is paused
/// when `pause` (so it does not buy again), and is killed; then the market falls through the stop
/// 10 minutes later, while it is down. `wall` ends at the last bar's step. Returns the trigger.
double stop_fires_while_down(Exchange& x, MarketStore& store, TimeMs& wall, int bars, bool pause) {
    double stop_price = 0;
    {
        LiveSession s(store.database(), store, stop_options(x), RiskLimits{},
                      InstrumentRegistry(), {});
        s.open(x.clock.now(), false, "");
        for (int bar = 0; bar < bars; ++bar) {
            if (bar > 0) wall += kMsPerHour;
            x.at(wall);
            run_until_waiting(s, wall);
        }
        expect_one_stop_for_the_position(x, s);
        stop_price = x.open_stops().at(0).stop_price;
        if (pause) command(s, wall, "pause", {{"duration_ms", 30 * kMsPerDay}, {"close", false}});
    } // the daemon dies
    x.clock.set(wall + 10 * kMsPerMinute);
    x.ex.set_price("BTCUSDT", stop_price * 0.97);
    EXPECT_TRUE(x.open_stops().empty()) << "the exchange filled it";
    EXPECT_LT(x.btc(), kStep);
    return stop_price;
}

} // namespace

TEST(LiveProtectiveStops, stop_follows_partial_fills_and_is_cancelled_when_the_position_is_closed) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    Exchange x;
    x.ex.set_market_fill_parts(3); // every market order fills in three trades
    LiveSession s(store->database(), *store, stop_options(x), RiskLimits{}, InstrumentRegistry(),
                  {});
    s.open(x.clock.now(), false, "");
    TimeMs wall = kT0 + kMsPerHour + kMsPerMinute;
    x.at(wall);
    run_until_waiting(s, wall); // the entry goes out (and fills in three parts)
    // The fills came with the exchange's answer: booked in the same step, whose stop is out
    // before the step ends (not a bar later), once, for all three parts.
    expect_one_stop_for_the_position(x, s);
    {
        int sent = 0;
        for (const auto& o : x.ex.orders()) sent += o.type == "STOP_LOSS_LIMIT" ? 1 : 0;
        EXPECT_EQ(sent, 1) << "the stops of the first two parts were replaced before the send";
    }
    for (int bar = 0; bar < 4; ++bar) {
        wall += kMsPerHour;
        x.at(wall);
        run_until_waiting(s, wall);
        expect_one_stop_for_the_position(x, s);
    }
    // Partial fills never reached the exchange as stops of their own: the step's stop for the
    // first part was replaced before the journal sent it.
    int stop_orders = 0;
    for (const auto& o : x.ex.orders()) stop_orders += o.type == "STOP_LOSS_LIMIT" ? 1 : 0;
    EXPECT_LE(stop_orders, 5) << "one per step at most";

    // Adding by hand: the stop grows to the whole position.
    command(s, wall, "trade", {{"symbol", "BTC/USDT"}, {"side", "long"}, {"amount", 0.004}});
    wall += kMsPerHour;
    x.at(wall);
    run_until_waiting(s, wall);
    expect_one_stop_for_the_position(x, s);

    // Closed by other means: the stop is cancelled before the sell reaches the exchange (it held
    // the coins), and nothing is left open.
    command(s, wall, "pause", {{"duration_ms", 30 * kMsPerDay}, {"close", false}});
    command(s, wall, "trade", {{"symbol", "BTC/USDT"}, {"side", "close"}});
    EXPECT_TRUE(x.open_stops().empty()) << "cancelled at once";
    wall += kMsPerHour;
    x.at(wall);
    run_until_waiting(s, wall);
    test::expect_flat_like_the_exchange(x, s, store->database(), kStep);
    for (const auto& o : x.ex.orders())
        EXPECT_EQ(x.ex.orders_with_client_id(o.client_id), 1) << o.client_id;
}

TEST(LiveProtectiveStops, a_restart_replays_the_fills_booked_after_the_send_where_they_were_booked) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    Exchange x;
    x.ex.set_market_fill_parts(2);
    TimeMs wall = kT0 + kMsPerHour + kMsPerMinute;
    double qty = 0, cash = 0;
    std::string sid;
    {
        LiveSession s(store->database(), *store, stop_options(x), RiskLimits{},
                      InstrumentRegistry(), {});
        s.open(x.clock.now(), false, "");
        x.at(wall);
        run_until_waiting(s, wall);
        expect_one_stop_for_the_position(x, s);
        qty = s.portfolio().position(0).qty;
        cash = s.portfolio().cash();
        sid = s.session_id();
    } // killed: nothing settled
    StateStore st(store->database());
    int after_send = 0;
    for (const auto& r : st.reports(sid))
        after_send += r.seq >= kAfterSendSeq && r.kind == "fill" ? 1 : 0;
    EXPECT_EQ(after_send, 2) << "the entry's two fills were booked in its step's after-send phase";

    // The re-run books them after the strategy's step again (anywhere else it would diverge:
    // open() throws "recovery diverged"), and the stop it created is the journaled one.
    LiveSession s(store->database(), *store, stop_options(x), RiskLimits{}, InstrumentRegistry(),
                  {});
    s.open(wall, false, "");
    EXPECT_TRUE(s.recovered());
    EXPECT_DOUBLE_EQ(s.portfolio().position(0).qty, qty);
    EXPECT_DOUBLE_EQ(s.portfolio().cash(), cash);
    expect_one_stop_for_the_position(x, s);
    for (int bar = 0; bar < 2; ++bar) {
        wall += kMsPerHour;
        x.at(wall);
        run_until_waiting(s, wall);
        expect_one_stop_for_the_position(x, s);
    }
    for (const auto& o : x.ex.orders())
        EXPECT_EQ(x.ex.posts_with_client_id(o.client_id), 1) << o.client_id << " sent twice";
}

TEST(LiveProtectiveStops, what_the_exchange_filled_while_the_daemon_was_down_is_booked_as_it_starts) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    Exchange x;
    TimeMs wall = kT0 + kMsPerHour + kMsPerMinute;
    stop_fires_while_down(x, *store, wall, 1, false);
    LiveSession s(store->database(), *store, stop_options(x), RiskLimits{}, InstrumentRegistry(),
                  {});
    s.open(x.clock.now(), false, ""); // the same bar: no step before the next close
    EXPECT_TRUE(s.recovered());
    EXPECT_EQ(s.last_bar(), kT0);
    EXPECT_LT(s.portfolio().position(0).qty, kStep) << "booked as the daemon starts";
    EXPECT_NEAR(s.portfolio().cash(), x.ex.balance("USDT"), 1e-6);
    EXPECT_TRUE(x.ex.open_orders("BTCUSDT").empty()) << "no second stop";
}

TEST(LiveProtectiveStops, a_stop_that_fires_while_the_daemon_is_down_leaves_the_restart_flat) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    Exchange x;
    TimeMs wall = kT0 + kMsPerHour + kMsPerMinute;
    // Paused before the kill: no new entry after the stop (flat stays flat).
    const double stop_price = stop_fires_while_down(x, *store, wall, 2, true);

    wall += kMsPerHour;
    x.clock.set(wall);
    LiveSession s(store->database(), *store, stop_options(x), RiskLimits{}, InstrumentRegistry(),
                  {});
    s.open(wall, false, "");
    EXPECT_TRUE(s.recovered());
    EXPECT_GT(s.portfolio().position(0).qty, kStep)
        << "the pause came after the last step: the stop's fill waits for the next step";
    run_until_waiting(s, wall);
    EXPECT_NEAR(s.portfolio().position(0).qty, x.btc(), 1e-9) << "flat, like the exchange";
    EXPECT_NEAR(s.portfolio().cash(), x.ex.balance("USDT"), 1e-6);
    EXPECT_TRUE(x.ex.open_orders("BTCUSDT").empty()) << "no second stop placed";
    // The P&L with fees, by hand from the exchange's trades: buys pay their price and a BTC
    // commission (worth commission x price), the stop's sell receives its price less a USDT one.
    double cash = 10000, fees = 0;
    int sells = 0;
    for (const auto& t : x.ex.trades()) {
        if (t.buyer) {
            cash -= t.qty * t.price;
            fees += t.commission * t.price;
        } else {
            ++sells;
            EXPECT_DOUBLE_EQ(t.price, stop_price) << "the stop filled at its trigger";
            cash += t.qty * t.price - t.commission;
            fees += t.commission;
        }
    }
    EXPECT_EQ(sells, 1);
    EXPECT_NEAR(s.portfolio().cash(), cash, 1e-6);
    EXPECT_NEAR(s.portfolio().fees_paid(), fees, 1e-6);
    EXPECT_NEAR(s.portfolio().equity() - 10000, cash + s.portfolio().position(0).qty *
                                                           s.portfolio().position(0).mark - 10000,
                1e-6);
    for (const auto& o : x.ex.orders())
        EXPECT_EQ(x.ex.posts_with_client_id(o.client_id), 1) << o.client_id << " sent twice";
}

TEST(LiveCommissions, bnb_paid_commissions_reach_cash_and_pnl_as_the_exchange_charged_them) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    Exchange x;
    x.ex.set_commission_asset("BNB");
    x.ex.set_balance("BNB", 2);
    x.ex.set_price("BNBUSDT", 600);
    LiveOptions o = stop_options(x);
    o.strategy.params.clear(); // buy-hold without stops
    LiveSession s(store->database(), *store, o, RiskLimits{}, InstrumentRegistry(), {});
    s.open(x.clock.now(), false, "");
    TimeMs wall = kT0 + kMsPerHour + kMsPerMinute;
    for (int bar = 0; bar < 3; ++bar) {
        x.at(wall);
        run_until_waiting(s, wall);
        wall += kMsPerHour;
    }
    command(s, wall, "pause", {{"duration_ms", 30 * kMsPerDay}, {"close", false}});
    command(s, wall, "trade", {{"symbol", "BTC/USDT"}, {"side", "close"}});
    x.at(wall);
    run_until_waiting(s, wall);
    wall += kMsPerHour;
    x.at(wall);
    run_until_waiting(s, wall);
    // By hand from the exchange's fills: every commission is in BNB at 600 USDT.
    double cash = 10000, fees = 0, bnb = 0;
    for (const auto& t : x.ex.trades()) {
        EXPECT_EQ(t.commission_asset, "BNB");
        cash += (t.buyer ? -1 : 1) * t.qty * t.price;
        fees += std::round(t.commission * 1e8) / 1e8 * 600; // the API reports 8 decimals
        bnb += t.commission;
    }
    ASSERT_GE(x.ex.trades().size(), 2u);
    EXPECT_NEAR(x.ex.balance("BNB"), 2 - bnb, 1e-12);
    EXPECT_NEAR(s.portfolio().position(0).qty, 0, 1e-12);
    EXPECT_NEAR(x.btc(), 0, 1e-12) << "the BTC bought was not reduced by the commission";
    EXPECT_NEAR(s.portfolio().fees_paid(), fees, 1e-9);
    // The session's cash is the USDT less the commissions' value (paid out of its BNB).
    EXPECT_NEAR(s.portfolio().cash(), cash - fees, 1e-6);
    EXPECT_NEAR(x.ex.balance("USDT"), cash, 1e-6);
}

TEST(LiveBalances, a_restart_reports_coins_missing_at_the_exchange_and_dust_quietly) {
    test::TempDir dir;
    auto store = open_market_store((dir / "a.db").string());
    Exchange x;
    TimeMs wall = kT0 + kMsPerHour + kMsPerMinute;
    LiveOptions o = stop_options(x);
    o.strategy.params.clear();
    {
        LiveSession s(store->database(), *store, o, RiskLimits{}, InstrumentRegistry(), {});
        s.open(x.clock.now(), false, "");
        for (int bar = 0; bar < 2; ++bar) {
            x.at(wall);
            run_until_waiting(s, wall);
            wall += kMsPerHour;
        }
        ASSERT_GT(s.portfolio().position(0).qty, 0.01);
    }
    AlertStore alerts(store->database());
    const auto mismatches = [&] {
        std::vector<AlertRecord> out;
        for (const auto& a : alerts.recent(100))
            if (a.kind == "balance_mismatch") out.push_back(a);
        return out;
    };
    EXPECT_TRUE(mismatches().empty()) << "the first start agreed with the exchange";
    // While the daemon is down someone sells 0.01 BTC of the session's position elsewhere.
    x.ex.set_balance("BTC", x.ex.balance("BTC") - 0.01);
    x.at(wall);
    LiveSession s(store->database(), *store, o, RiskLimits{}, InstrumentRegistry(), {});
    s.open(wall, false, "");
    run_until_waiting(s, wall);
    s.checkpoint(wall);
    const auto found = mismatches();
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].severity, AlertSeverity::Critical);
    EXPECT_NE(found[0].text.find("BTC: the engine holds"), std::string::npos) << found[0].text;
    EXPECT_NE(found[0].text.find("missing at the exchange"), std::string::npos) << found[0].text;
}

TEST(LiveBalances, differences_below_a_lot_step_are_dust_and_extra_coins_a_warning) {
    Portfolio pf(1000, {InstrumentRegistry().get("BTC/USDT")});
    Fill f;
    f.side = Side::Buy, f.qty = 0.0123456, f.price = 30000;
    pf.apply_fill(f, 0);
    BinanceSymbolRules r;
    r.base = "BTC", r.quote = "USDT", r.step_size = 0.00001;
    std::map<std::string, BinanceBalance> bal{{"BTC", {0.0123, 0.00004}}, // 0.0000056 short: dust
                                              {"USDT", {1000, 0}}};
    auto got = compare_balances(pf, {InstrumentRegistry().get("BTC/USDT")}, {r}, bal);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].severity, AlertSeverity::Info);
    EXPECT_NE(got[0].text.find("dust"), std::string::npos) << got[0].text;
    EXPECT_EQ(got[1].severity, AlertSeverity::Info) << got[1].text;
    bal["BTC"].free = 0.5;
    bal["USDT"].free = 100;
    got = compare_balances(pf, {InstrumentRegistry().get("BTC/USDT")}, {r}, bal);
    EXPECT_EQ(got[0].severity, AlertSeverity::Warning);
    EXPECT_NE(got[0].text.find("left alone"), std::string::npos) << got[0].text;
    EXPECT_EQ(got[1].severity, AlertSeverity::Warning);
    EXPECT_NE(got[1].text.find("buys beyond that will be rejected"), std::string::npos);
}

TEST(LiveProtectiveStopsCli, a_stop_limit_offset_out_of_range_is_refused_naming_it) {
    test::TempDir home;
    auto r = test::run_aurum({"--home", home.path().string(), "backtest", "--symbol", "BTC/USDT",
                              "--stop-loss", "0.02", "--stop-limit-offset", "0.5"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--stop-limit-offset must be in [0, 0.2], got 0.5"), std::string::npos)
        << r.err;
    test::write_text(home / "config" / "live.yaml", "live:\n  stop_limit_offset: -0.01\n");
    r = test::run_aurum({"--home", home.path().string(), "run", "--mode", "paper", "--symbols",
                         "BTC/USDT", "--param", "stop-loss=0.02"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("stop_limit_offset"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("live.yaml:2"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(home / "data" / "aurum.db")) << "nothing written";
}

TEST(LiveProtectiveStopsCli, a_take_profit_out_of_range_is_refused_before_a_session_starts) {
    test::TempDir home;
    for (const char* bad : {"take-profit=1.5", "take-profit=0", "take-profit=-0.1"}) {
        const auto r = test::run_aurum({"--home", home.path().string(), "run", "--mode", "paper",
                                        "--symbols", "BTC/USDT", "--param", "stop-loss=0.02",
                                        "--param", bad, "--no-dashboard"});
        EXPECT_EQ(r.exit_code, 2) << bad << "\n" << r.err;
        EXPECT_NE(r.err.find("'take-profit' must be a fraction in (0, 1)"), std::string::npos)
            << bad << "\n" << r.err;
    }
    EXPECT_FALSE(std::filesystem::exists(home / "data" / "aurum.db")) << "nothing written";
}
