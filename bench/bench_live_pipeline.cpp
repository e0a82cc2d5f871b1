// Live engine benchmarks: replay throughput through the full paper pipeline (engine, risk
// manager, journal, SQLite commits) and bar close -> order sent latency, with a rule strategy.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <vector>

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include "data/synthetic_market.hpp"
#include "live/live_session.hpp"

using namespace aurum;

namespace {

struct Fixture {
    std::filesystem::path dir;
    std::unique_ptr<MarketStore> store;
    explicit Fixture(int days) {
        dir = std::filesystem::temp_directory_path() /
              ("aurum-bench-live-" + std::to_string(::getpid()) + "-" + std::to_string(days));
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        store = open_market_store((dir / "bench.db").string());
        InstrumentRegistry reg;
        auto cfg = SynthConfig::defaults(reg, {"BTC/USDT", "ETH/USDT"}, Timeframe(kMsPerHour),
                                         make_time(2020, 1, 1), days, 3, false);
        for (const auto& s : generate_synthetic_market(cfg).series) store->upsert_bars(s);
    }
    ~Fixture() {
        store.reset();
        std::filesystem::remove_all(dir);
    }
};

LiveOptions options(int fast, int slow, int days, const std::string& tag) {
    LiveOptions o;
    o.symbols = {"BTC/USDT", "ETH/USDT"};
    o.timeframe = Timeframe(kMsPerHour);
    o.replay = true;
    o.replay_from = make_time(2020, 1, 1) + 10 * kMsPerDay;
    o.replay_to = make_time(2020, 1, 1) + days * kMsPerDay;
    o.warmup_bars = 100;
    o.strategy.name = "sma-cross";
    o.strategy.params = {{"fast", static_cast<double>(fast)}, {"slow", static_cast<double>(slow)}};
    o.strategy.sizing.fraction = 0.3;
    o.fill.fees.taker = 0.001;
    o.fill.slippage.fixed_bps = 5;
    o.new_session = true;
    o.batch_commits = tag == "tp"; // the throughput run is a full-speed replay, as `--speed 0`
    return o;
}

} // namespace

// Bars per second through the whole paper pipeline at --speed 0 (2 symbols, 1h bars).
static void BM_LiveReplayThroughput(benchmark::State& state) {
    spdlog::set_level(spdlog::level::warn); // the decision trail is not what is measured
    const int days = static_cast<int>(state.range(0));
    Fixture fx(days);
    std::int64_t bars = 0;
    TimeMs wall = 1;
    for (auto _ : state) {
        state.PauseTiming();
        LiveSession s(fx.store->database(), *fx.store, options(10, 30, days, "tp"), RiskLimits{},
                      InstrumentRegistry(), {});
        s.open(++wall, false, "");
        state.ResumeTiming();
        while (s.step(wall) != LiveSession::StepResult::Finished) {
        }
        bars += s.steps() * 2;
    }
    state.SetItemsProcessed(bars);
    state.counters["bars_per_s"] = benchmark::Counter(static_cast<double>(bars), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LiveReplayThroughput)->Arg(1000)->Unit(benchmark::kMillisecond)->Iterations(3);

// Bar close -> order journaled (committed) and sent: the duration of steps that sent an order.
static void BM_BarCloseToOrderSent(benchmark::State& state) {
    spdlog::set_level(spdlog::level::warn);
    Fixture fx(200);
    std::vector<double> us;
    TimeMs wall = 1;
    for (auto _ : state) {
        LiveSession s(fx.store->database(), *fx.store, options(2, 5, 200, "lat"), RiskLimits{},
                      InstrumentRegistry(), {});
        s.open(++wall, false, "");
        for (;;) {
            const std::size_t sent = s.journal().sent_ids().size();
            const auto t0 = std::chrono::steady_clock::now();
            const auto r = s.step(wall);
            if (r == LiveSession::StepResult::Finished) break;
            if (s.journal().sent_ids().size() > sent) // bar close -> the order handed to the venue
                us.push_back(
                    std::chrono::duration<double, std::micro>(s.journal().last_send() - t0).count());
        }
    }
    std::sort(us.begin(), us.end());
    auto pct = [&](double p) { return us.empty() ? 0.0 : us[static_cast<std::size_t>(p * (us.size() - 1))]; };
    state.counters["orders"] = static_cast<double>(us.size());
    state.counters["p50_us"] = pct(0.50);
    state.counters["p99_us"] = pct(0.99);
    state.counters["max_us"] = us.empty() ? 0.0 : us.back();
}
BENCHMARK(BM_BarCloseToOrderSent)->Unit(benchmark::kMillisecond)->Iterations(1);

BENCHMARK_MAIN();
