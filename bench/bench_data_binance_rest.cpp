// The shared Binance REST transport's own cost per request (issue 17 item 1): the limiters (plan
// the wait, reserve, read X-MBX-USED-WEIGHT-1M / X-MBX-ORDER-COUNT-* back), the 429/418 gate and
// for orders the HMAC-SHA256 signature, over an in-process HTTP client that answers at once (no
// socket), so the figure is the transport's overhead and nothing else.
#include <benchmark/benchmark.h>

#include "core/clock.hpp"
#include "data/binance_rest.hpp"

using namespace aurum;

namespace {

/// Answers every request with 200 and the headers the exchange sends (low counts, so no wait).
class InstantHttp final : public HttpClient {
  public:
    InstantHttp() : base_(BaseUrl::parse("http://127.0.0.1:1")) {}
    HttpResponse send(const HttpRequest&) override {
        HttpResponse r;
        r.status = 200;
        r.body = "{}";
        r.headers = {{"Content-Type", "application/json;charset=UTF-8"},
                     {"X-MBX-USED-WEIGHT-1M", "12"},
                     {"X-MBX-ORDER-COUNT-10S", "1"},
                     {"X-MBX-ORDER-COUNT-1D", "7"}};
        return r;
    }
    const BaseUrl& base_url() const override { return base_; }

  private:
    BaseUrl base_;
};

std::unique_ptr<BinanceRest> make_rest(const Clock& clock) {
    BinanceRestOptions o;
    o.base_url = "http://127.0.0.1:1";
    auto rest = std::make_unique<BinanceRest>(std::make_unique<InstantHttp>(), clock, [](TimeMs) {}, o);
    rest->set_key({"bench-key", "bench-secret-0123456789abcdef0123456789abcdef0123456789abcdef"});
    return rest;
}

void BM_rest_public_request(benchmark::State& state) {
    SimulatedClock clock(make_time(2024, 3, 1));
    const auto owned = make_rest(clock);
    BinanceRest& rest = *owned;
    HttpRequest req;
    req.path = "/api/v3/klines";
    req.query = {{"symbol", "BTCUSDT"}, {"interval", "1h"}, {"limit", "1000"}};
    for (auto _ : state) {
        benchmark::DoNotOptimize(rest.send(req, 2, BinanceRequestKind::Public));
        clock.advance(1);
    }
}
BENCHMARK(BM_rest_public_request);

void BM_rest_signed_order(benchmark::State& state) {
    SimulatedClock clock(make_time(2024, 3, 1));
    const auto owned = make_rest(clock);
    BinanceRest& rest = *owned;
    HttpRequest req;
    req.method = "POST";
    req.path = "/api/v3/order";
    req.query = {{"symbol", "BTCUSDT"},          {"side", "BUY"},
                 {"type", "MARKET"},             {"quantity", "0.001"},
                 {"newClientOrderId", "AEbench01"}, {"newOrderRespType", "FULL"}};
    for (auto _ : state) {
        benchmark::DoNotOptimize(rest.send(req, 1, BinanceRequestKind::Order));
        clock.advance(1);
    }
}
BENCHMARK(BM_rest_signed_order);

} // namespace

BENCHMARK_MAIN();
