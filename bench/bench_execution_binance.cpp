// Live execution (Binance spot): signing cost per request, and an order's round trip to a
// loopback exchange (submit -> signed POST /api/v3/order -> FULL response -> fill delivered to
// the engine's sink), with p50/p99 over the iterations. The exchange here is a minimal
// cpp-httplib server on 127.0.0.1 that checks the signature like the exchange does.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>

#include "backtest/portfolio.hpp"
#include "core/clock.hpp"
#include "execution/binance_auth.hpp"
#include "execution/binance_spot_client.hpp"

using namespace aurum;

namespace {

constexpr const char* kKey = "bench-key";
constexpr const char* kSecret = "bench-secret-0123456789abcdef0123456789abcdef0123456789abcdef";

/// A loopback exchange: time, exchangeInfo, account and market orders filled at 30000.
class LoopbackExchange {
  public:
    LoopbackExchange() {
        server_.Get("/api/v3/time", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(fmt::format(R"({{"serverTime":{}}})", SystemClock().now()),
                            "application/json");
        });
        server_.Get("/api/v3/exchangeInfo", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(
                R"({"symbols":[{"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT","filters":[{"filterType":"PRICE_FILTER","minPrice":"0.01","maxPrice":"1000000","tickSize":"0.01"},{"filterType":"LOT_SIZE","minQty":"0.00001","maxQty":"9000","stepSize":"0.00001"},{"filterType":"NOTIONAL","minNotional":"5","applyMinToMarket":true,"maxNotional":"9000000"}]}]})",
                "application/json");
        });
        server_.Get("/api/v3/account", [this](const httplib::Request& req, httplib::Response& res) {
            if (!verify(req, res)) return;
            res.set_content(R"({"balances":[{"asset":"USDT","free":"1000000","locked":"0"}]})",
                            "application/json");
        });
        server_.Post("/api/v3/order", [this](const httplib::Request& req, httplib::Response& res) {
            if (!verify(req, res)) return;
            const std::string cid = req.get_param_value("newClientOrderId");
            const std::string qty = req.get_param_value("quantity");
            const long id = ++next_;
            res.set_content(
                fmt::format(
                    R"({{"symbol":"BTCUSDT","orderId":{},"clientOrderId":"{}","transactTime":{},"price":"0","origQty":"{}","executedQty":"{}","cummulativeQuoteQty":"0","status":"FILLED","type":"MARKET","side":"BUY","fills":[{{"price":"30000.00","qty":"{}","commission":"0.03","commissionAsset":"USDT","tradeId":{}}}]}})",
                    id, cid, SystemClock().now(), qty, qty, qty, id),
                "application/json");
        });
        server_.set_tcp_nodelay(true);
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ~LoopbackExchange() {
        server_.stop();
        thread_.join();
    }
    std::string url() const { return fmt::format("http://127.0.0.1:{}", port_); }

  private:
    bool verify(const httplib::Request& req, httplib::Response& res) {
        const auto q = req.target.find('?');
        std::string query = q == std::string::npos ? "" : req.target.substr(q + 1);
        const auto s = query.rfind("&signature=");
        const bool ok = req.get_header_value("X-MBX-APIKEY") == kKey && s != std::string::npos &&
                        hmac_sha256_hex(kSecret, query.substr(0, s)) == query.substr(s + 11);
        if (!ok) {
            res.status = 400;
            res.set_content(R"({"code":-1022,"msg":"Signature for this request is not valid."})",
                            "application/json");
        }
        return ok;
    }
    httplib::Server server_;
    std::thread thread_;
    int port_ = 0;
    std::atomic<long> next_{0};
};

struct CountingSink final : ExecutionSink {
    explicit CountingSink(std::vector<Instrument> in) : pf(1e6, std::move(in)) {}
    void on_fill(const Fill&) override { ++fills; }
    void on_order_event(const OrderEvent&) override {}
    const Portfolio& portfolio() const override { return pf; }
    OrderId next_order_id() override { return 0; }
    Portfolio pf;
    long fills = 0;
};

void BM_sign_request(benchmark::State& state) {
    const std::string payload = "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01&"
                                "newClientOrderId=AE0123456789abcdef&newOrderRespType=FULL&"
                                "recvWindow=5000&timestamp=1717372800000";
    for (auto _ : state) benchmark::DoNotOptimize(hmac_sha256_hex(kSecret, payload));
}
BENCHMARK(BM_sign_request);

void BM_order_round_trip(benchmark::State& state) {
    LoopbackExchange ex;
    SystemClock clock;
    std::vector<Instrument> inst{InstrumentRegistry().get("BTC/USDT")};
    BinanceSpotOptions o;
    o.base_url = ex.url();
    BinanceSpotClient client(o, {kKey, kSecret, "bench"}, inst, clock, thread_sleeper());
    client.connect();
    // The loopback exchange has no limits: the round trip is measured here, not the order-count
    // limiter's waits (its own cost is bench_data_binance_rest).
    using L = BinanceRateLimit;
    client.transport().set_rate_limits(
        {{L::Type::RequestWeight, "MINUTE", 1, 1'000'000'000}, {L::Type::Orders, "SECOND", 10, 1'000'000'000}});
    CountingSink sink(inst);
    client.bind(sink);
    std::vector<double> us;
    us.reserve(100000);
    OrderId id = 0;
    for (auto _ : state) {
        Order order;
        order.id = ++id;
        order.req = OrderRequest::market(0, Side::Buy, 0.01);
        const auto t0 = std::chrono::steady_clock::now();
        client.submit_with_id(order, fmt::format("AEB{:016x}", id));
        client.poll(); // delivers the fill to the sink
        us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() -
                                                               t0)
                         .count());
    }
    if (sink.fills != static_cast<long>(us.size())) state.SkipWithError("a fill was not delivered");
    std::sort(us.begin(), us.end());
    const auto pct = [&](double p) {
        return us.empty() ? 0.0 : us[std::min(us.size() - 1, static_cast<std::size_t>(p * us.size()))];
    };
    state.counters["p50_us"] = pct(0.50);
    state.counters["p99_us"] = pct(0.99);
    state.counters["requests_per_order"] =
        static_cast<double>(client.stats().requests) / std::max<double>(1, us.size());
}
BENCHMARK(BM_order_round_trip)->Unit(benchmark::kMicrosecond)->MinTime(2.0);

} // namespace

BENCHMARK_MAIN();
