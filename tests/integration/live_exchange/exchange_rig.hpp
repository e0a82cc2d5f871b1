#pragma once
// What the live-mode tests against the fake exchange share: the exchange serving BTCUSDT klines
// and trading on one simulated clock, a live session's options on it, and stepping a session.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "live/live_session.hpp"
#include "live/state_store.hpp"
#include "support/fake_binance.hpp"
#include "support/fake_binance_spot.hpp"

namespace aurum::test {

inline const TimeMs kLiveT0 = make_time(2024, 6, 3); ///< the session's first tradable bar opens
inline const Timeframe kLiveTf(kMsPerHour);

/// The exchange's open STOP_LOSS_LIMIT orders of BTCUSDT.
inline std::vector<FakeOrder> open_stops(const FakeSpotExchange& ex) {
    std::vector<FakeOrder> out;
    for (const auto& o : ex.open_orders("BTCUSDT"))
        if (o.type == "STOP_LOSS_LIMIT") out.push_back(o);
    return out;
}

/// A fake exchange serving BTCUSDT klines and trading, on one simulated clock.
struct Exchange {
    SimulatedClock clock{kLiveT0 + 30 * kMsPerMinute};
    FakeBinance server{clock};
    FakeSpotExchange ex{server, clock, "live-key", "live-secret"};
    RecordingSleeper sleeper{};

    explicit Exchange(double usdt = 10000) {
        server.add_symbol("BTCUSDT", kLiveT0 - 30 * kMsPerDay, 30000);
        ex.list(FakeSymbol{}, 30000);
        ex.set_balance("USDT", usdt);
    }
    /// The exchange's clock moves to `t`; its price walks to the last closed candle's close.
    void at(TimeMs t) {
        clock.set(t);
        const TimeMs last = floor_to(t, kLiveTf.ms()) - kLiveTf.ms();
        ex.set_price("BTCUSDT", server.generated_bar("BTCUSDT", kLiveTf, last).close);
    }
    std::vector<FakeOrder> open_stops() const { return test::open_stops(ex); }
    double btc() const { return ex.balance("BTC") + ex.locked("BTC"); }
};

/// A live session of BTC/USDT 1h on `x` with $10,000 and 0.1 % taker fees; the strategy is the
/// caller's.
inline LiveOptions live_options_on(Exchange& x) {
    LiveOptions o;
    o.mode = "live";
    o.symbols = {"BTC/USDT"};
    o.timeframe = kLiveTf;
    o.capital = 10000;
    o.warmup_bars = 10;
    o.fill.fees.taker = 0.001;
    o.venue.base_url = x.server.base_url();
    o.venue.credentials = BinanceCredentials{"live-key", "live-secret", "test"};
    o.venue.clock = &x.clock;
    o.venue.sleeper = x.sleeper;
    o.venue.read_timeout_ms = 2000;
    return o;
}

/// After the session's position was closed: nothing open at the exchange, only dust below the
/// lot step (`step`) left, the engine's position and cash equal the exchange's balances, and
/// every journaled order finished.
inline void expect_flat_like_the_exchange(const Exchange& x, const LiveSession& s, Database& db,
                                          double step) {
    EXPECT_TRUE(x.ex.open_orders("BTCUSDT").empty());
    EXPECT_LT(x.btc(), step) << "only dust below the lot step is left";
    EXPECT_NEAR(s.portfolio().position(0).qty, x.btc(), 1e-9);
    EXPECT_NEAR(s.portfolio().cash(), x.ex.balance("USDT"), 1e-6);
    StateStore st(db);
    for (const auto& o : st.orders(s.session_id()))
        EXPECT_NE(o.status, "new") << o.client_order_id << " never finished";
}

/// Gives the session a command (as the control API would) that must succeed.
inline void command(LiveSession& s, TimeMs wall, const std::string& kind, nlohmann::json args) {
    args["reason"] = "test";
    const CommandOutcome o = s.execute(kind, args, wall);
    ASSERT_EQ(o.exit_code, 0) << o.message;
}

/// Polls the store, then steps until the session waits for the next bar.
inline void run_until_waiting(LiveSession& s, TimeMs wall) {
    s.poll_store();
    while (s.step(wall) == LiveSession::StepResult::Stepped) {
    }
}

} // namespace aurum::test
