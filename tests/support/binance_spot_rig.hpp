#pragma once
// What the Binance execution client's unit tests share: the fake spot exchange on a simulated
// clock (BTCUSDT at 30,000, 10,000 USDT) and the client under test, bound to a recording sink.
// Header-only: for test binaries that link aurum_execution.
#include <memory>
#include <string>
#include <vector>

#include "execution/binance_spot_client.hpp"
#include "support/fake_binance.hpp"
#include "support/fake_binance_spot.hpp"
#include "support/recording_sink.hpp"

namespace aurum::test {

struct SpotRig {
    SimulatedClock clock{make_time(2024, 3, 1)};
    FakeBinance server{clock};
    FakeSpotExchange ex{server, clock, "test-key", "test-secret"};
    RecordingSleeper sleeper{&clock};
    std::vector<Instrument> instruments{InstrumentRegistry().get("BTC/USDT")};
    RecordingSink sink{instruments};
    std::unique_ptr<BinanceSpotClient> client;

    explicit SpotRig(double btc = 0) {
        ex.list(FakeSymbol{}, 30000);
        ex.set_balance("USDT", 10000);
        ex.set_balance("BTC", btc);
    }
    BinanceSpotOptions options() const {
        BinanceSpotOptions o;
        o.base_url = server.base_url();
        o.read_timeout_ms = 2000;
        return o;
    }
    /// The client connected (server time, rules, balances) and bound to the sink.
    BinanceSpotClient& start(BinanceSpotOptions o, std::string secret = "test-secret") {
        client = std::make_unique<BinanceSpotClient>(
            o, BinanceCredentials{"test-key", std::move(secret), "test"}, instruments, clock,
            sleeper);
        client->connect();
        client->bind(sink);
        return *client;
    }
    BinanceSpotClient& start() { return start(options()); }
    /// POST /api/v3/order requests the fake received (accepted or not).
    int order_posts() const {
        int n = 0;
        for (const auto& r : server.requests())
            n += r.method == "POST" && r.path == "/api/v3/order" ? 1 : 0;
        return n;
    }
};

} // namespace aurum::test
