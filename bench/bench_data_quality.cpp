// Throughput of the data-quality layer: validation, resampling, synthetic market generation.
#include <map>
#include <tuple>

#include <benchmark/benchmark.h>

#include "data/resample.hpp"
#include "data/synthetic_market.hpp"
#include "data/validation.hpp"

namespace aurum {
namespace {

const InstrumentRegistry& registry() {
    static const InstrumentRegistry r;
    return r;
}

/// `days` of synthetic bars for one symbol (generated once per size).
const BarSeries& synthetic(const std::string& symbol, Timeframe tf, int days) {
    static std::map<std::tuple<std::string, TimeMs, int>, BarSeries> cache;
    const auto key = std::make_tuple(symbol, tf.ms(), days);
    auto it = cache.find(key);
    if (it == cache.end()) {
        const auto cfg =
            SynthConfig::defaults(registry(), {symbol}, tf, make_time(2020, 1, 6), days, 1, false);
        it = cache.emplace(key, generate_synthetic_market(cfg).series[0]).first;
    }
    return it->second;
}

void BM_validate_crypto_1m(benchmark::State& state) {
    const BarSeries& s =
        synthetic("BTC/USDT", Timeframe(kMsPerMinute), static_cast<int>(state.range(0)));
    const Instrument inst = registry().get("BTC/USDT");
    const ValidationConfig cfg;
    for (auto _ : state)
        benchmark::DoNotOptimize(validate_series(s, inst, cfg));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.size()));
    state.counters["bars"] = static_cast<double>(s.size());
}
BENCHMARK(BM_validate_crypto_1m)->Arg(700)->Unit(benchmark::kMillisecond); // ~1M bars

void BM_validate_gold_1m_sessions(benchmark::State& state) {
    const BarSeries& s =
        synthetic("XAUUSD", Timeframe(kMsPerMinute), static_cast<int>(state.range(0)));
    const Instrument inst = registry().get("XAUUSD");
    const ValidationConfig cfg;
    for (auto _ : state)
        benchmark::DoNotOptimize(validate_series(s, inst, cfg));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.size()));
    state.counters["bars"] = static_cast<double>(s.size());
}
BENCHMARK(BM_validate_gold_1m_sessions)->Arg(700)->Unit(benchmark::kMillisecond);

void BM_resample_1m_to_1h(benchmark::State& state) {
    const BarSeries& s = synthetic("BTC/USDT", Timeframe(kMsPerMinute), 700);
    for (auto _ : state)
        benchmark::DoNotOptimize(resample(s, Timeframe(kMsPerHour)));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.size()));
}
BENCHMARK(BM_resample_1m_to_1h)->Unit(benchmark::kMillisecond);

void BM_resample_gold_1m_to_1d_sessions(benchmark::State& state) {
    const BarSeries& s = synthetic("XAUUSD", Timeframe(kMsPerMinute), 700);
    const Instrument gold = registry().get("XAUUSD");
    for (auto _ : state)
        benchmark::DoNotOptimize(resample(s, Timeframe(kMsPerDay), &gold.sessions));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.size()));
}
BENCHMARK(BM_resample_gold_1m_to_1d_sessions)->Unit(benchmark::kMillisecond);

void BM_synth_four_assets_1h(benchmark::State& state) {
    const auto cfg =
        SynthConfig::defaults(registry(), {}, Timeframe(kMsPerHour), make_time(2020, 1, 6),
                              static_cast<int>(state.range(0)), 1, false);
    std::int64_t bars = 0;
    for (auto _ : state) {
        const SynthMarket m = generate_synthetic_market(cfg);
        bars = 0;
        for (const auto& s : m.series)
            bars += static_cast<std::int64_t>(s.size());
        benchmark::DoNotOptimize(m);
    }
    state.SetItemsProcessed(state.iterations() * bars);
    state.counters["bars"] = static_cast<double>(bars);
}
BENCHMARK(BM_synth_four_assets_1h)->Arg(3650)->Unit(benchmark::kMillisecond);

} // namespace
} // namespace aurum

BENCHMARK_MAIN();
