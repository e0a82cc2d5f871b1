// Reptile meta-training time (outer iterations/s) and few-shot adaptation latency, one thread:
// the config/meta.yaml network (seq 8, hidden 16) over 39 features, 20 regime windows of 200 rows.
#include <random>

#include <benchmark/benchmark.h>

#include "models/meta_learning.hpp"

using namespace aurum;

namespace {

std::vector<SymbolRows> make_symbols() {
    std::mt19937_64 rng(2);
    std::normal_distribution<float> n01(0, 1);
    SymbolRows s;
    s.symbol = "S/USDT";
    Dataset& d = s.data;
    d.cols = 39;
    for (std::size_t j = 0; j < d.cols; ++j) d.feature_names.push_back("f" + std::to_string(j));
    d.symbols = {s.symbol};
    std::vector<float> row(d.cols);
    for (std::size_t i = 0; i < 4000; ++i) {
        for (auto& v : row) v = n01(rng);
        const float y = row[0] + n01(rng) > 0 ? 1.0f : 0.0f;
        const TimeMs t = static_cast<TimeMs>(i) * 4 * kMsPerHour;
        d.push_row(row, y, t, t + 6 * 4 * kMsPerHour);
        s.regime.push_back((i / 200) % 2 ? Regime::Bear : Regime::Bull);
    }
    return {s};
}

void BM_ReptileMetaTrain(benchmark::State& state) {
    const auto symbols = make_symbols();
    MetaConfig cfg; // the shipped defaults: 300 iterations x 5 inner steps, batch 32
    const Standardiser st = Standardiser::fit({&symbols[0].data}, {{0, 1, 2, 3, 4, 5, 6, 7}});
    const MetaInputs in = meta_inputs(symbols, st, cfg.seq_len);
    const auto tasks = regime_windows(symbols[0].regime, 0, cfg.min_window, cfg.max_window);
    for (auto _ : state) benchmark::DoNotOptimize(reptile_train(in, tasks, cfg));
    state.SetItemsProcessed(static_cast<long>(state.iterations()) * cfg.iterations);
    state.counters["inner_steps"] = cfg.inner_steps;
}
BENCHMARK(BM_ReptileMetaTrain)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

void BM_FewShotAdapt(benchmark::State& state) {
    const auto symbols = make_symbols();
    MetaConfig cfg; // 30 shots, 10 Adam steps
    const Standardiser st = Standardiser::fit({&symbols[0].data}, {{0, 1, 2, 3, 4, 5, 6, 7}});
    const MetaInputs in = meta_inputs(symbols, st, cfg.seq_len);
    const auto net = make_meta_net(meta_shape(cfg, 39));
    const auto support = in.rows(0, 1000, 1000 + static_cast<std::size_t>(cfg.shots));
    for (auto _ : state) benchmark::DoNotOptimize(adapt(*net, support, cfg, 1));
}
BENCHMARK(BM_FewShotAdapt)->Unit(benchmark::kMillisecond)->UseRealTime();

} // namespace

BENCHMARK_MAIN();
