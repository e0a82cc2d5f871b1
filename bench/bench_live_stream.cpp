// Live trading on the exchange's streams, against the fake exchange on 127.0.0.1 (REST and
// WebSocket, Boost.Beast on both sides):
// 1. kline close on the WebSocket -> signed order at the exchange: the production GBDT on 2
//    symbols in a live session run by the daemon's loop (run_daemon) on its engine thread; per
//    bar, both closed klines are pushed by the fake's WebSocket server, the stream wakes the loop,
//    the session takes them, steps (features, prediction, policy, risk, the journal's committed
//    order) and sends the signed POST /api/v3/order; the times run from the first kline's push
//    to the order written to the socket and to the fake exchange accepting it;
// 2. reconnect + reconciliation: the fake drops every connection with orders resting; the time
//    from the drop until the user data stream is subscribed again and REST has reconciled the
//    open orders and balances, and until the market stream is back and REST has backfilled;
// 3. a market entry's fill -> its protective stop accepted at the exchange (below).
// AURUM_BENCH_DIR picks the workspace's directory (default: /dev/shm when present, where a live
// commit's fsync costs nothing; a directory on disk adds its fsync to every order).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include "latency_stats.hpp"
#include "quick_models.hpp"
#include "core/workspace.hpp"
#include "data/synthetic_market.hpp"
#include "execution/binance_spot_client.hpp"
#include "live/daemon.hpp"
#include "live/kline_feed.hpp"
#include "live/live_session.hpp"
#include "models/model_strategy.hpp"
#include "models/training_pipeline.hpp"
#include "support/fake_binance.hpp"
#include "support/fake_binance_spot.hpp"
#include "support/fake_binance_ws.hpp"
#include "support/recording_sink.hpp"

using namespace aurum;
using Steady = std::chrono::steady_clock;

namespace {

constexpr int kDays = 400;
const TimeMs kStart = make_time(2020, 1, 1);
const TimeMs kLive = kStart + 300 * kMsPerDay; // the store ends here; later bars come streamed
const Timeframe kTf(kMsPerHour);
const char* kSymbols[] = {"BTC/USDT", "ETH/USDT"};
const char* kExchange[] = {"BTCUSDT", "ETHUSDT"};

std::filesystem::path bench_dir() {
    if (const char* d = std::getenv("AURUM_BENCH_DIR")) return d;
    return std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
}

/// The synthetic market, a GBDT per symbol trained and promoted on its first 200 days.
struct Fixture {
    std::filesystem::path dir = bench_dir() / ("aurum-bench-stream-" + std::to_string(::getpid()));
    std::vector<BarSeries> series;
    Fixture() {
        std::filesystem::remove_all(dir);
        const Workspace ws(dir);
        ws.ensure_dirs();
        auto store = open_market_store(ws.default_db());
        InstrumentRegistry reg;
        auto cfg = SynthConfig::defaults(reg, {kSymbols[0], kSymbols[1]}, kTf, kStart, kDays, 3, false);
        series = generate_synthetic_market(cfg).series;
        for (const auto& s : series) store->upsert_bars(s.slice({kStart, kLive}));
        write_file_atomic(ws.config_file("models.yaml"), bench::quick_trading_models_yaml());
        bench::train_promoted_gbdts(*store, ws, {kSymbols[0], kSymbols[1]}, kTf,
                                    {kStart, kStart + 200 * kMsPerDay}, kLive);
    }
    ~Fixture() { std::filesystem::remove_all(dir); }
};

/// The fake exchange: REST serving the synthetic candles and trading, WebSocket streams.
struct Venue {
    SimulatedClock clock{kLive + 1000};
    test::FakeBinance rest{clock};
    test::FakeSpotExchange ex{rest, clock, "bench-key", "bench-secret"};
    test::FakeBinanceWs ws{clock, &ex, "bench-key", "bench-secret"};
    explicit Venue(const std::vector<BarSeries>& series) {
        for (int i = 0; i < 2; ++i) {
            rest.add_recorded(kExchange[i], series[static_cast<std::size_t>(i)]);
            test::FakeSymbol s;
            s.symbol = kExchange[i];
            s.base = i == 0 ? "BTC" : "ETH";
            ex.list(s, series[static_cast<std::size_t>(i)].close.back());
        }
        ex.set_balance("USDT", 1e9);
        ex.set_balance("BTC", 1e6);
        ex.set_balance("ETH", 1e6);
    }
    LiveVenueOptions venue(std::function<void()> wake) {
        LiveVenueOptions v;
        v.base_url = rest.base_url();
        v.stream_url = ws.stream_url();
        v.ws_api_url = ws.ws_api_url();
        v.credentials = BinanceCredentials{"bench-key", "bench-secret", "bench"};
        v.clock = &clock;
        v.wake = std::move(wake);
        return v;
    }
};

} // namespace

static void BM_KlineToSignedOrderGbdt(benchmark::State& state) {
    spdlog::set_level(spdlog::level::warn);
    static Fixture fx;
    const int bars = static_cast<int>(state.range(0));
    std::vector<double> order_us, written_us, step_us, send_us;
    for (auto _ : state) {
        Venue v(fx.series);
        std::atomic<std::int64_t> accepted_ns{0}; // when the fake accepted the latest order
        v.ex.set_user_event_listener([&](const std::string& e) {
            if (e.find(R"("x":"NEW")") != std::string::npos)
                accepted_ns = Steady::now().time_since_epoch().count();
        });
        CommandQueue queue;
        const Workspace ws(fx.dir);
        auto store = open_market_store(ws.default_db());
        LiveOptions o;
        o.mode = "live";
        o.symbols = {kSymbols[0], kSymbols[1]};
        o.timeframe = kTf;
        o.capital = 100000;
        o.warmup_bars = 250;
        o.strategy.name = "model";
        o.strategy.sizing.fraction = 0.3;
        o.workspace = fx.dir;
        o.new_session = true;
        o.venue = v.venue([&] { queue.notify(); });
        o.venue.ws_api_url.clear(); // the order path only (the user stream is the second bench)
        const std::shared_ptr<BinanceRest> venue_rest = venue_transport(o.venue); // shared
        LiveSession s(store->database(), *store, o, RiskLimits{}, InstrumentRegistry(), {});
        s.open(v.clock.now(), false, "");
        while (v.ws.market_connections() < 1) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        std::atomic<TimeMs> stepped{0};
        std::atomic<bool> done{false};
        std::atomic<std::int64_t> sent_ns{0};
        // The daemon's own loop on its engine thread, woken by the stream through its queue.
        DaemonOptions d;
        d.after_step = [&] {
            sent_ns = venue_rest->stats().last_sent.time_since_epoch().count();
            stepped = s.last_bar();
        };
        Scheduler sched;
        SystemClock wall;
        std::thread engine([&] { run_daemon(s, queue, sched, d, wall, done); });
        for (int k = 0; k < bars; ++k) {
            const TimeMs open = kLive + k * kTf.ms();
            v.clock.set(open + kTf.ms() + 50);
            const Bar b0 = fx.series[0].at(fx.series[0].lower_bound(open));
            const Bar b1 = fx.series[1].at(fx.series[1].lower_bound(open));
            v.ex.set_price(kExchange[0], b0.close);
            v.ex.set_price(kExchange[1], b1.close);
            const std::int64_t before = accepted_ns;
            const auto t0 = Steady::now();
            v.ws.push_kline(kExchange[1], kTf, b1, true);
            v.ws.push_kline(kExchange[0], kTf, b0, true);
            while (stepped.load() < open) std::this_thread::yield();
            const auto t1 = Steady::now();
            step_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
            if (accepted_ns.load() != before) {
                const auto us = [&](std::int64_t a, std::int64_t b) { return static_cast<double>(b - a) / 1e3; };
                const std::int64_t t0ns = t0.time_since_epoch().count();
                order_us.push_back(us(t0ns, accepted_ns.load()));
                written_us.push_back(us(t0ns, sent_ns.load()));
                send_us.push_back(us(sent_ns.load(), accepted_ns.load()));
            }
        }
        done = true;
        queue.notify();
        engine.join();
        s.stop_feed();
        v.ex.set_user_event_listener(nullptr);
    }
    state.counters["bars"] = static_cast<double>(step_us.size());
    state.counters["step_p50_us"] = bench::percentile(step_us, 0.50);
    state.counters["step_p99_us"] = bench::percentile(step_us, 0.99);
    state.counters["orders"] = static_cast<double>(order_us.size());
    state.counters["order_p50_us"] = bench::percentile(order_us, 0.50);
    state.counters["order_p99_us"] = bench::percentile(order_us, 0.99);
    state.counters["order_max_us"] = order_us.empty() ? 0.0 : order_us.back();
    state.counters["written_p50_us"] = bench::percentile(written_us, 0.50);
    state.counters["written_p99_us"] = bench::percentile(written_us, 0.99);
    // From the order written to the socket to the fake exchange's matching.
    state.counters["p50_request_us"] = bench::percentile(send_us, 0.50);
}
BENCHMARK(BM_KlineToSignedOrderGbdt)->Arg(1500)->Unit(benchmark::kMillisecond)->Iterations(1);

static void BM_ReconnectAndReconcile(benchmark::State& state) {
    spdlog::set_level(spdlog::level::err);
    static Fixture fx;
    std::vector<double> user_ms, market_ms;
    Venue v(fx.series);
    LiveVenueOptions venue = v.venue({});
    venue.stream_tuning.reconnect_min_ms = 100; // the shipped default
    std::vector<Instrument> instruments{InstrumentRegistry().get(kSymbols[0]),
                                        InstrumentRegistry().get(kSymbols[1])};
    auto client = connect_binance(venue, instruments);
    test::RecordingSink sink{client->instruments()};
    client->bind(sink);
    const Workspace ws(fx.dir);
    auto store = open_market_store(ws.default_db());
    KlineFeed feed(venue, *store, {kSymbols[0], kSymbols[1]}, kTf, 250);
    while (!client->user_stream()->subscribed() || !feed.stream()->connected())
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    client->poll();
    feed.pump();
    for (int i = 0; i < 5; ++i) { // resting orders the reconciliation asks about
        Order o;
        o.id = i + 1;
        o.req = OrderRequest::limit(0, Side::Buy, 0.01, 1000);
        client->submit_with_id(o, "AEbench" + std::to_string(i));
    }
    client->poll();
    for (auto _ : state) {
        const auto subs = client->user_stream()->stats().subscriptions;
        const auto t0 = Steady::now();
        v.ws.drop_all();
        while (client->user_stream()->stats().subscriptions == subs)
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        client->poll(); // open orders and balances over REST
        const auto t1 = Steady::now();
        while (!feed.ready()) std::this_thread::sleep_for(std::chrono::microseconds(200));
        feed.pump(); // klines since the last stored one over REST
        const auto t2 = Steady::now();
        user_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        market_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
    }
    state.counters["user_p50_ms"] = bench::percentile(user_ms, 0.5);
    state.counters["user_max_ms"] = user_ms.empty() ? 0.0 : user_ms.back();
    state.counters["market_p50_ms"] = bench::percentile(market_ms, 0.5);
    state.counters["market_max_ms"] = market_ms.empty() ? 0.0 : market_ms.back();
}
BENCHMARK(BM_ReconnectAndReconcile)->Unit(benchmark::kMillisecond)->Iterations(20);

// 3. A market entry's fill -> its protective stop at the exchange: buy-and-hold with a 2 % stop
//    on BTC/USDT 1h; the fill comes with the order's answer, is booked in the step's after-send
//    phase (journaled), and the STOP_LOSS_LIMIT is sent; the time runs from the fake accepting
//    the entry to the fake accepting the stop. Each iteration is a new session.
static void BM_EntryFillToExchangeStop(benchmark::State& state) {
    spdlog::set_level(spdlog::level::err);
    static Fixture fx;
    std::vector<double> stop_us;
    for (auto _ : state) {
        Venue v(fx.series);
        std::mutex mu;
        std::int64_t entry_ns = 0, stop_ns = 0;
        v.ex.set_user_event_listener([&](const std::string& e) {
            if (e.find(R"("x":"NEW")") == std::string::npos) return;
            const std::int64_t now = Steady::now().time_since_epoch().count();
            std::lock_guard<std::mutex> lock(mu);
            if (e.find(R"("o":"MARKET")") != std::string::npos) entry_ns = now;
            if (e.find(R"("o":"STOP_LOSS_LIMIT")") != std::string::npos) stop_ns = now;
        });
        const Workspace ws(fx.dir);
        auto store = open_market_store(ws.default_db());
        LiveOptions o;
        o.mode = "live";
        o.symbols = {kSymbols[0]};
        o.timeframe = kTf;
        o.capital = 100000;
        o.warmup_bars = 10;
        o.strategy.name = "buy-hold";
        o.strategy.params = {{"stop-loss", 0.02}};
        o.strategy.sizing.fraction = 0.2;
        o.fill.stop_limit_offset = 0.005; // live.yaml's default
        o.workspace = fx.dir;
        o.new_session = true;
        o.venue = v.venue({});
        o.venue.stream_url.clear(); // REST candles: the step is driven by hand here
        o.venue.ws_api_url.clear();
        LiveSession s(store->database(), *store, o, RiskLimits{}, InstrumentRegistry(), {});
        s.open(v.clock.now(), false, "");
        const TimeMs wall = kLive + kTf.ms() + 50;
        v.clock.set(wall);
        v.ex.set_price(kExchange[0], fx.series[0].at(fx.series[0].lower_bound(kLive)).close);
        s.poll_store();
        while (s.step(wall) == LiveSession::StepResult::Stepped) {
        }
        v.ex.set_user_event_listener(nullptr);
        std::lock_guard<std::mutex> lock(mu);
        if (entry_ns && stop_ns) stop_us.push_back(static_cast<double>(stop_ns - entry_ns) / 1e3);
    }
    std::sort(stop_us.begin(), stop_us.end());
    state.counters["entries"] = static_cast<double>(stop_us.size());
    state.counters["stop_p50_us"] = bench::percentile(stop_us, 0.50);
    state.counters["stop_p99_us"] = bench::percentile(stop_us, 0.99);
    state.counters["stop_max_us"] = stop_us.empty() ? 0.0 : stop_us.back();
}
BENCHMARK(BM_EntryFillToExchangeStop)->Unit(benchmark::kMillisecond)->Iterations(40);

BENCHMARK_MAIN();
