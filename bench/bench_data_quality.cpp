// Throughput of the data-quality layer: validation, resampling, synthetic market generation.
#include <map>
#include <tuple>

#include <filesystem>

#include <benchmark/benchmark.h>

#include "data/import.hpp"
#include "data/market_store.hpp"
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

/// The real MT5 gold export (64,642 H1 bars, broker time UTC+2), or an empty series when
/// ../shared/data is absent.
const BarSeries& real_gold() {
    static const BarSeries s = [] {
        BarSeries out;
        const std::string path =
            std::string(AURUM_SHARED_DATA) + "/mt5/XAUUSD_H1_201501020900_202512221100.csv";
        if (!std::filesystem::exists(path)) return out;
        ImportOptions opt;
        opt.symbol = "XAUUSD";
        opt.timeframe = Timeframe(kMsPerHour);
        opt.tz_offset = 2 * kMsPerHour;
        opt.point = 0.01;
        out.symbol = opt.symbol;
        out.timeframe = opt.timeframe;
        parse_file(path, opt, [&](const BarSeries& chunk) {
            out.has_spread_column = chunk.has_spread_column;
            for (std::size_t i = 0; i < chunk.size(); ++i) out.push_back(chunk.at(i));
        });
        return out;
    }();
    return s;
}

/// `aurum data validate` on the real gold file (issue 12 target: <= 100 ms): every check with the
/// holiday calendar, every gap listed.
void BM_validate_real_gold_h1(benchmark::State& state) {
    const BarSeries& s = real_gold();
    if (s.empty()) {
        state.SkipWithError("../shared/data/mt5 gold export not found");
        return;
    }
    const Instrument inst = registry().get("XAUUSD");
    const ValidationConfig cfg;
    for (auto _ : state)
        benchmark::DoNotOptimize(validate_series(s, inst, cfg));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.size()));
    state.counters["bars"] = static_cast<double>(s.size());
}
BENCHMARK(BM_validate_real_gold_h1)->Unit(benchmark::kMillisecond);

/// The same from the SQLite store, as the command runs it: load the series, then validate.
void BM_validate_real_gold_h1_from_store(benchmark::State& state) {
    const BarSeries& s = real_gold();
    if (s.empty()) {
        state.SkipWithError("../shared/data/mt5 gold export not found");
        return;
    }
    const auto db = std::filesystem::temp_directory_path() / "aurum_bench_gold.db";
    std::filesystem::remove(db);
    auto store = open_market_store(db.string());
    store->upsert_bars(s);
    const Instrument inst = registry().get("XAUUSD");
    const ValidationConfig cfg;
    for (auto _ : state)
        benchmark::DoNotOptimize(
            validate_series(store->load_bars("XAUUSD", Timeframe(kMsPerHour)), inst, cfg));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.size()));
    store.reset();
    std::filesystem::remove(db);
}
BENCHMARK(BM_validate_real_gold_h1_from_store)->Unit(benchmark::kMillisecond);

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
