// LSTM and GNN training throughput (samples/s) and single-decision latency, one thread.
#include <random>

#include <benchmark/benchmark.h>

#include "models/neural.hpp"
#include "models/torch_plugin.hpp"

using namespace aurum;

namespace {

Dataset make(std::size_t times, int symbols, std::size_t cols) {
    std::mt19937_64 rng(2);
    std::normal_distribution<float> n01(0, 1);
    Dataset d;
    d.cols = cols;
    for (std::size_t j = 0; j < cols; ++j) d.feature_names.push_back("f" + std::to_string(j));
    for (int s = 0; s < symbols; ++s) d.symbols.push_back("S" + std::to_string(s));
    std::vector<float> row(cols);
    for (std::size_t i = 0; i < times; ++i)
        for (int s = 0; s < symbols; ++s) {
            for (auto& v : row) v = n01(rng);
            const float y = row[0] + n01(rng) > 0 ? 1.0f : 0.0f;
            const TimeMs t = static_cast<TimeMs>(i) * kMsPerHour;
            d.push_row(row, y, t, t + 6 * kMsPerHour, s);
        }
    return d;
}

NeuralParams params(int epochs) {
    NeuralParams p;
    p.seq_len = 16;
    p.hidden = 32;
    p.epochs = epochs;
    p.batch = 128;
    p.threads = 1;
    return p;
}

std::vector<std::size_t> rows(std::size_t a, std::size_t b) {
    std::vector<std::size_t> v;
    for (std::size_t i = a; i < b; ++i) v.push_back(i);
    return v;
}

void BM_LstmTrain(benchmark::State& state) {
    const Dataset d = make(5000, 1, 40);
    for (auto _ : state) {
        auto m = make_torch_model("lstm", params(3));
        m->fit(d, rows(0, 5000), {});
    }
    state.SetItemsProcessed(static_cast<long>(state.iterations() * 5000 * 3)); // samples x epochs
}
BENCHMARK(BM_LstmTrain)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

void BM_LstmDecision(benchmark::State& state) {
    const Dataset d = make(2000, 1, 40);
    auto m = make_torch_model("lstm", params(1));
    m->fit(d, rows(0, 1500), {});
    const std::vector<std::size_t> one{1999};
    for (auto _ : state) benchmark::DoNotOptimize(m->predict_proba(d, one));
    state.SetItemsProcessed(static_cast<long>(state.iterations()));
}
BENCHMARK(BM_LstmDecision)->Unit(benchmark::kMicrosecond);

void BM_GnnTrain(benchmark::State& state) {
    const Dataset d = make(3000, 4, 40); // 12k rows
    for (auto _ : state) {
        auto m = make_torch_model("gnn", params(3));
        m->fit(d, rows(0, d.rows()), {});
    }
    state.SetItemsProcessed(static_cast<long>(state.iterations() * d.rows() * 3));
}
BENCHMARK(BM_GnnTrain)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

void BM_GnnDecision(benchmark::State& state) {
    const Dataset d = make(1000, 4, 40);
    auto m = make_torch_model("gnn", params(1));
    m->fit(d, rows(0, 3000), {});
    const std::vector<std::size_t> one{d.rows() - 1};
    for (auto _ : state) benchmark::DoNotOptimize(m->predict_proba(d, one));
    state.SetItemsProcessed(static_cast<long>(state.iterations()));
}
BENCHMARK(BM_GnnDecision)->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
