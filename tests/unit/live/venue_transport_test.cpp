// A live venue's order client and kline feed share one Binance REST transport (issue 17 item 1):
// one key and one IP, one view of the exchange's weight and order limits. Fake exchange on
// 127.0.0.1, simulated clock and sleeper.
#include <gtest/gtest.h>

#include "data/market_store.hpp"
#include "execution/binance_spot_client.hpp"
#include "live/kline_feed.hpp"
#include "live/venue.hpp"
#include "support/fake_binance.hpp"
#include "support/fake_binance_spot.hpp"
#include "support/test_support.hpp"

using namespace aurum;

TEST(VenueTransport, orders_and_the_kline_feed_share_one_transport) {
    SimulatedClock clock(make_time(2024, 3, 1, 0, 0, 3));
    test::FakeBinance server(clock);
    test::FakeSpotExchange ex(server, clock, "test-key", "test-secret");
    server.add_symbol("BTCUSDT", make_time(2023, 1, 1));
    ex.list(test::FakeSymbol{}, 30000);
    ex.set_balance("USDT", 10000);
    test::RecordingSleeper sleeper{&clock};
    LiveVenueOptions venue;
    venue.base_url = server.base_url();
    venue.credentials = BinanceCredentials{"test-key", "test-secret", "test"};
    venue.clock = &clock;
    venue.sleeper = sleeper;
    const std::vector<Instrument> instruments{InstrumentRegistry().get("BTC/USDT")};

    auto spot = connect_binance(venue, instruments);
    ASSERT_TRUE(venue.transport);
    EXPECT_EQ(&spot->transport(), venue.transport.get());
    const auto after_connect = venue.transport->stats().requests;

    test::TempDir dir;
    auto store = open_market_store((dir / "m.db").string());
    KlineFeed feed(venue, *store, {"BTC/USDT"}, Timeframe::parse_or_throw("1h"), 48);
    feed.pump();
    EXPECT_TRUE(store->last_bar_time("BTC/USDT", Timeframe::parse_or_throw("1h")).has_value());
    // The feed's klines went through the same transport (its weight counts for the orders too).
    EXPECT_GT(venue.transport->stats().requests, after_connect);
    EXPECT_EQ(venue.transport->stats().requests, server.request_count());
}
