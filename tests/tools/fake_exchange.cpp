// aurum-fake-exchange: the tests' fake Binance spot exchange as a program, to try live mode
// without an account or money (docs/live-trading.md, "Try it without an account"; make
// live-sim; scripts/demo). It serves REST (klines, exchangeInfo, account, orders, trades, signed
// and rate-limited like the exchange), the market streams and the WebSocket API with the user
// data stream, on 127.0.0.1 only, in real time: generated candles, and a closed kline on the
// stream at every interval's close.
//
//   aurum-fake-exchange [--symbols BTCUSDT,ETHUSDT] [--interval 1m] [--key demo-key]
//                       [--secret demo-secret] [--usdt 10000] [--urls FILE]
//
// Prints (and writes to --urls as JSON) the three URLs to give `aurum run --mode live`:
// --exchange-url, --stream-url and --ws-api-url. Ctrl-C or SIGTERM stops it.
#include <csignal>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "core/timeframe.hpp"
#include "support/fake_binance.hpp"
#include "support/fake_binance_spot.hpp"
#include "support/fake_binance_ws.hpp"

namespace {

using namespace aurum;

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

int usage(const std::string& why) {
    std::cerr << "aurum-fake-exchange: " << why << "\n"
              << "usage: aurum-fake-exchange [--symbols BTCUSDT,ETHUSDT] [--interval 1m] "
                 "[--key demo-key] [--secret demo-secret] [--usdt 10000] [--urls FILE]\n";
    return 2;
}

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    for (std::string one; std::getline(ss, one, ',');)
        if (!one.empty()) out.push_back(one);
    return out;
}

/// A listed symbol: the base asset is the symbol without its USDT quote.
test::FakeSymbol listing(const std::string& symbol) {
    test::FakeSymbol s;
    s.symbol = symbol;
    s.base = symbol.size() > 4 ? symbol.substr(0, symbol.size() - 4) : symbol;
    return s;
}

double base_price(const std::string& symbol) {
    return symbol.rfind("BTC", 0) == 0 ? 30000 : symbol.rfind("ETH", 0) == 0 ? 2000 : 100;
}

} // namespace

int main(int argc, char** argv) {
    std::map<std::string, std::string> opt{{"symbols", "BTCUSDT,ETHUSDT"}, {"interval", "1m"},
                                           {"key", "demo-key"},           {"secret", "demo-secret"},
                                           {"usdt", "10000"},             {"urls", ""}};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind("--", 0) != 0 || !opt.count(a.substr(2))) return usage("unknown argument " + a);
        if (i + 1 >= argc) return usage(a + " needs a value");
        opt[a.substr(2)] = argv[++i];
    }
    Timeframe tf;
    double usdt = 0;
    try {
        tf = Timeframe::parse_or_throw(opt["interval"]);
        usdt = std::stod(opt["usdt"]);
    } catch (const std::exception& e) {
        return usage(e.what());
    }
    const std::vector<std::string> symbols = split(opt["symbols"]);
    if (symbols.empty()) return usage("--symbols is empty");

    SystemClock wall;
    test::FakeBinance rest(wall);
    test::FakeSpotExchange ex(rest, wall, opt["key"], opt["secret"]);
    test::FakeBinanceWs ws(wall, &ex, opt["key"], opt["secret"]);
    for (const auto& s : symbols) {
        rest.add_symbol(s, wall.now() - 365 * kMsPerDay, base_price(s));
        const TimeMs last = floor_to(wall.now(), tf.ms()) - tf.ms();
        ex.list(listing(s), rest.generated_bar(s, tf, last).close);
    }
    ex.set_balance("USDT", usdt);

    const nlohmann::json urls{{"exchange_url", rest.base_url()},
                              {"stream_url", ws.stream_url()},
                              {"ws_api_url", ws.ws_api_url()},
                              {"api_key", opt["key"]},
                              {"api_secret", opt["secret"]}};
    if (!opt["urls"].empty()) std::ofstream(opt["urls"]) << urls.dump(2) << "\n";
    std::cout << "fake Binance spot exchange on 127.0.0.1 (" << opt["symbols"] << ", "
              << tf.name() << " candles, " << usdt << " USDT)\n"
              << "  --exchange-url " << rest.base_url() << " --stream-url " << ws.stream_url()
              << " --ws-api-url " << ws.ws_api_url() << "\n"
              << "  key " << opt["key"] << ", secret " << opt["secret"] << std::endl;

    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    TimeMs next_close = floor_to(wall.now(), tf.ms()) + tf.ms();
    while (!g_stop.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (wall.now() < next_close) continue;
        // A candle closed: the price moves to its close and its kline goes out on the stream.
        const TimeMs open = next_close - tf.ms();
        for (const auto& s : symbols) {
            const Bar b = rest.generated_bar(s, tf, open);
            ex.set_price(s, b.close);
            ws.push_kline(s, tf, b, true);
        }
        std::cout << "candle " << format_time(open) << " closed; orders so far: "
                  << ex.orders().size() << std::endl;
        next_close += tf.ms();
    }
    return 0;
}
