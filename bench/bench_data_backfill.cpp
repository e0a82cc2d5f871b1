// Backfill throughput: parsing kline pages, and a full backfill (HTTP over loopback + parse +
// validate + SQLite upsert) against a minimal Binance-format server on 127.0.0.1.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <unistd.h>

#include <fmt/format.h>
#include <httplib.h>

#include "core/clock.hpp"
#include "data/binance_backfill.hpp"

namespace {

using namespace aurum;

constexpr TimeMs kStart = 1704067200000; // 2024-01-01
const Timeframe kM1(kMsPerMinute);

/// A Binance klines body of `n` 1m candles from `start`, in the documented layout.
std::string klines_body(TimeMs start, int n) {
    std::string body = "[";
    body.reserve(static_cast<std::size_t>(n) * 170);
    for (int i = 0; i < n; ++i) {
        const TimeMs t = start + i * kMsPerMinute;
        const double o = 42000 + (t / kMsPerMinute % 997) * 0.37;
        const double c = o + ((i % 7) - 3) * 1.25;
        fmt::format_to(
            std::back_inserter(body),
            R"({}[{},"{:.8f}","{:.8f}","{:.8f}","{:.8f}","{:.8f}",{},"{:.8f}",{},"{:.8f}","{:.8f}","0"])",
            i ? "," : "", t, o, std::max(o, c) + 2.5, std::min(o, c) - 2.5, c, 1.5 + i % 13,
            t + kMsPerMinute - 1, 63000.0, 100 + i, 0.75, 31500.0);
    }
    body += "]";
    return body;
}

void BM_ParseKlinesPage(benchmark::State& state) {
    const std::string body = klines_body(kStart, 1000);
    const TimeRange range{kStart, kStart + 1000 * kMsPerMinute};
    for (auto _ : state) {
        KlinePage p = parse_klines(body, "BTC/USDT", kM1, INT64_MAX, range, "bench");
        benchmark::DoNotOptimize(p.bars.close.data());
    }
    state.SetItemsProcessed(state.iterations() * 1000);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_ParseKlinesPage)->Unit(benchmark::kMicrosecond);

/// Serves /api/v3/klines for 1m candles from kStart up to `bars` candles; pages are cached so the
/// server's formatting cost is paid once and the figure measures the client side.
class LoopbackKlines {
  public:
    explicit LoopbackKlines(int bars) : bars_(bars) {
        server_.Get("/api/v3/klines", [this](const httplib::Request& req, httplib::Response& res) {
            const TimeMs start = std::stoll(req.get_param_value("startTime"));
            const int limit = std::stoi(req.get_param_value("limit"));
            const TimeMs first = std::max(start, kStart);
            const int offset = static_cast<int>((first - kStart) / kMsPerMinute);
            const int n = std::max(0, std::min(limit, bars_ - offset));
            std::string body;
            {
                std::lock_guard lock(mu_);
                auto it = cache_.find(first);
                if (it == cache_.end())
                    it = cache_.emplace(first, klines_body(first, n)).first;
                body = it->second;
            }
            res.set_header("X-MBX-USED-WEIGHT-1M", "2");
            res.set_content(body, "application/json");
        });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        while (!server_.is_running())
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ~LoopbackKlines() {
        server_.stop();
        thread_.join();
    }
    std::string url() const { return fmt::format("http://127.0.0.1:{}", port_); }

  private:
    int bars_;
    httplib::Server server_;
    std::thread thread_;
    int port_ = 0;
    std::mutex mu_;
    std::map<TimeMs, std::string> cache_;
};

void BM_BackfillLoopbackToSqlite(benchmark::State& state) {
    const int bars = static_cast<int>(state.range(0));
    LoopbackKlines server(bars);
    SimulatedClock clock(kStart + static_cast<TimeMs>(bars) * kMsPerMinute + kMsPerHour);
    const auto dir =
        std::filesystem::temp_directory_path() / fmt::format("aurum_bench_backfill_{}", ::getpid());
    std::filesystem::create_directories(dir);
    auto store = open_market_store((dir / "bench.db").string());
    BinanceOptions o;
    o.base_url = server.url();
    for (auto _ : state) {
        state.PauseTiming();
        store->delete_bars("BTC/USDT", kM1);
        state.ResumeTiming();
        BinanceMarketDataClient client(o, clock, [](TimeMs) {});
        BackfillRequest r;
        r.symbol = "BTC/USDT";
        r.timeframe = kM1;
        r.from = kStart;
        const BackfillReport rep = backfill_klines(client, *store, r);
        if (rep.bars_stored != bars)
            state.SkipWithError("wrong bar count");
    }
    state.SetItemsProcessed(state.iterations() * bars);
    store.reset();
    std::filesystem::remove_all(dir);
}
BENCHMARK(BM_BackfillLoopbackToSqlite)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
