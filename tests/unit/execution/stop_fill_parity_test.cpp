// Paper/backtest parity of protective orders (issue 17 item 3): the same real bars through the
// simulation (SimulatedExecutionClient) and through the fake exchange on 127.0.0.1 (prices walked
// along each bar: a gap to the open, then low and high, then the close) give the same stop-limit
// and target fills, a stop-limit that gaps past its limit included.
#include <array>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "backtest/engine.hpp"
#include "backtest/simulated_execution.hpp"
#include "execution/binance_spot_client.hpp"
#include "support/data/shared_bars.hpp"
#include "support/fake_binance.hpp"
#include "support/fake_binance_spot.hpp"
#include "support/recording_sink.hpp"
#include "support/test_support.hpp"

using namespace aurum;
using aurum::test::FakeBinance;
using aurum::test::FakeSpotExchange;
using aurum::test::FakeSymbol;
using aurum::test::RecordingSink;

namespace {

/// A fill as both sides see it: which order, in which bar, at what price and quantity.
std::string key(const Fill& f, std::size_t bar) {
    return fmt::format("order {} bar {} price {:.2f} qty {:.5f}", f.order_id, bar, f.price, f.qty);
}

Bar bar_at(const BarSeries& s, std::size_t k) {
    Bar b;
    b.time = s.time[k], b.open = s.open[k], b.high = s.high[k], b.low = s.low[k];
    b.close = s.close[k], b.volume = s.volume[k];
    return b;
}

/// What both sides filled over bars [first, first + n) of `all`, with a protective stop 2 % below
/// (its limit 0.5 % beyond, tick-rounded like the engine's) and a target 3 % above placed at every
/// `every`-th close, each for 0.1 BTC and left for 30 bars.
struct Both {
    std::vector<std::string> sim_fills, live_fills;
    int placed = 0, stop_fills = 0, stops_filled_resting = 0, target_fills = 0, lists = 0;
};

/// How the stop and the target go in: as two separate orders, or as one OCO pair (the engine's
/// guard with stop-loss and take-profit: one POST /api/v3/orderList/oco at the exchange) with
/// the same-bar priority `prio`; the exchange's price then walks toward the leg that priority
/// names first (the low first for stop-first).
struct Pairing {
    bool oco = false;
    IntrabarPriority prio = IntrabarPriority::StopFirst;
};

Both run_both(const BarSeries& all, std::size_t first, std::size_t n, std::size_t every,
              Pairing pairing = {}) {
    Both out;
    const Instrument inst = InstrumentRegistry().get("BTC/USDT");
    // The simulation: no spread, no slippage, the exchange's 0.1 % fee.
    FillConfig fc;
    fc.fees = {0.001, 0.001};
    fc.intrabar = pairing.prio;
    SimulatedExecutionClient sim({inst}, fc);
    RecordingSink sim_sink({inst}, 1e9);
    Fill seed; // both accounts hold 50 BTC to sell
    seed.side = Side::Buy, seed.qty = 50, seed.price = 1;
    sim_sink.pf.apply_fill(seed, 0);
    sim.bind(sim_sink);

    // The exchange, its price walked along the same bars.
    SimulatedClock clock{all.time[first]};
    FakeBinance server{clock};
    FakeSpotExchange ex{server, clock, "k", "s"};
    FakeSymbol sym;
    sym.min_notional = 0;
    ex.list(sym, all.close[first]);
    ex.set_balance("BTC", 50);
    ex.set_balance("USDT", 0);
    ex.set_commission(0.001);
    test::RecordingSleeper sleeper{&clock};
    BinanceSpotOptions bo;
    bo.base_url = server.base_url();
    BinanceSpotClient live(bo, {"k", "s", "test"}, {inst}, clock, sleeper);
    live.connect();
    RecordingSink live_sink({inst});
    live.bind(live_sink);

    std::size_t sim_seen = 0, live_seen = 0;
    std::map<OrderId, std::size_t> open_until; // order -> bar at which it is cancelled
    OrderId next_id = 1;
    for (std::size_t k = first; k < first + n; ++k) {
        const Bar b = bar_at(all, k);
        // The exchange: the bar's open (a jump, nothing trades on the way), then its range.
        clock.set(b.time);
        ex.gap_price("BTCUSDT", b.open);
        const bool low_first = pairing.oco ? pairing.prio == IntrabarPriority::StopFirst
                                           : b.close >= b.open;
        ex.set_price("BTCUSDT", low_first ? b.low : b.high);
        ex.set_price("BTCUSDT", low_first ? b.high : b.low);
        ex.set_price("BTCUSDT", b.close);
        live.on_bar(0, b);
        live.poll();
        sim.on_bar(0, b);
        for (; sim_seen < sim_sink.fills.size(); ++sim_seen)
            out.sim_fills.push_back(key(sim_sink.fills[sim_seen], k - first));
        for (; live_seen < live_sink.fills.size(); ++live_seen)
            out.live_fills.push_back(key(live_sink.fills[live_seen], k - first));
        for (auto it = open_until.begin(); it != open_until.end();) {
            if (it->second != k) {
                ++it;
                continue;
            }
            sim.cancel(it->first, b.time);
            live.cancel(it->first, b.time);
            it = open_until.erase(it);
        }
        if ((k - first) % every != 0) continue;
        const double c = b.close;
        Order stop, target;
        stop.id = next_id++; // odd ids: stops, even: targets
        stop.req = protective_stop_request(0, Side::Sell, 0.1, c * 0.98, 0.005, 0.01);
        target.id = next_id++;
        target.req = OrderRequest::limit(0, Side::Sell, 0.1, std::round(c * 1.03 * 100) / 100);
        if (pairing.oco)
            stop.oco = target.id, target.oco = stop.id;
        for (const Order& o : {stop, target}) {
            sim.submit(o);
            live.submit_with_id(o, fmt::format("AE{:016x}", o.id));
            open_until[o.id] = k + 30;
        }
        ++out.placed;
    }
    out.lists = static_cast<int>(ex.order_lists().size());
    for (const Fill& f : live_sink.fills) {
        out.stop_fills += f.order_id % 2 == 1 ? 1 : 0;
        out.target_fills += f.order_id % 2 == 0 ? 1 : 0;
        // Filled as a resting limit: the market had passed the stop's limit when it triggered.
        out.stops_filled_resting += f.order_id % 2 == 1 && f.maker ? 1 : 0;
    }
    return out;
}

BarSeries bars_of(const std::vector<std::array<double, 4>>& ohlc, TimeMs t0) {
    BarSeries s;
    for (std::size_t k = 0; k < ohlc.size(); ++k) {
        Bar b;
        b.time = t0 + static_cast<TimeMs>(k) * 4 * kMsPerHour;
        b.open = ohlc[k][0], b.high = ohlc[k][1], b.low = ohlc[k][2], b.close = ohlc[k][3];
        b.volume = 100;
        s.push_back(b);
    }
    return s;
}

} // namespace

TEST(StopFillParity, simulation_and_exchange_fill_the_same_stop_limits_and_targets_on_real_bars) {
    AURUM_REQUIRE_SHARED_DATA(btc, "crypto/binance/BTCUSDT_4h.csv");
    const BarSeries all = test::load_shared_bars("crypto/binance/BTCUSDT_4h.csv");
    const TimeMs from = make_time(2022, 5, 1); // includes the May-June 2022 crashes
    std::size_t first = 0;
    while (first < all.size() && all.time[first] < from) ++first;
    ASSERT_GT(all.size(), first + 900);
    const Both r = run_both(all, first, 900, 6);
    ASSERT_GT(r.placed, 100);
    EXPECT_GT(r.stop_fills, 20) << "stops were reached";
    EXPECT_GT(r.sim_fills.size(), 40u) << "stops and targets were reached";
    EXPECT_EQ(r.sim_fills, r.live_fills);
}

TEST(StopFillParity, a_stop_limit_gapped_past_its_limit_fills_the_same_later_or_not_at_all) {
    // Bar 0 closes at 100: the stop triggers at 98, its limit is 97.51.
    //   bar 1 opens at 96 (past the limit): triggered, nothing fills; the high 97.3 stays below.
    //   bar 2 opens at 97 and rises to 98: the resting limit fills at 97.51 in both.
    // Bar 3 closes at 100 again (new stop 98 / 97.51); bar 4 opens at 95, bar 5 stays below the
    // limit: unfilled for two bars, it fills at 97.51 when bar 6 comes back to 100.
    // Bar 6 closes at 100 (stop 98 / 97.51); bar 7 opens at 97.8, between stop and limit: fills
    // at that open in both.
    const BarSeries s = bars_of({{100, 100.5, 99.5, 100},
                                 {96, 97.3, 95.5, 97},
                                 {97, 98, 96.8, 97.9},
                                 {99, 100.2, 98.5, 100},
                                 {95, 96, 94, 95.5},
                                 {95.5, 96.5, 95, 96},
                                 {100, 100.4, 99.6, 100},
                                 {97.8, 98.2, 97.6, 98}},
                                make_time(2024, 1, 1));
    const Both r = run_both(s, 0, s.size(), 3);
    EXPECT_EQ(r.sim_fills, r.live_fills);
    EXPECT_EQ(r.stops_filled_resting, 2) << "the gap-then-rest path was exercised";
    EXPECT_EQ(r.stop_fills, 3);
    EXPECT_EQ(r.live_fills.size(), 3u) << "no target (103) was reached";
}

TEST(StopFillParity, oco_pairs_of_stop_and_target_fill_the_same_on_real_bars_for_both_priorities) {
    // The guard's stop-loss + take-profit pair: one OCO list at the exchange, one leg trading or
    // the stop triggering expires the other; the simulation ends the other leg the same way.
    AURUM_REQUIRE_SHARED_DATA(btc, "crypto/binance/BTCUSDT_4h.csv");
    const BarSeries all = test::load_shared_bars("crypto/binance/BTCUSDT_4h.csv");
    const TimeMs from = make_time(2022, 5, 1);
    std::size_t first = 0;
    while (first < all.size() && all.time[first] < from) ++first;
    ASSERT_GT(all.size(), first + 900);
    for (const auto prio : {IntrabarPriority::StopFirst, IntrabarPriority::TakeProfitFirst}) {
        const Both r = run_both(all, first, 900, 6, {true, prio});
        ASSERT_GT(r.placed, 100);
        EXPECT_EQ(r.lists, r.placed) << "every pair went as one order list";
        EXPECT_GT(r.stop_fills, 20) << "stops were reached";
        EXPECT_GT(r.target_fills, 20) << "targets were reached";
        EXPECT_EQ(r.sim_fills, r.live_fills);
        // One leg per pair at most: never both the stop and the target of one list.
        std::map<OrderId, int> per_pair;
        for (const std::string& f : r.live_fills) {
            const OrderId id = std::stoull(f.substr(6, f.find(' ', 6) - 6));
            per_pair[(id + 1) / 2] |= id % 2 == 1 ? 1 : 2;
        }
        for (const auto& [pair, legs] : per_pair) EXPECT_NE(legs, 3) << "pair " << pair;
    }
}
