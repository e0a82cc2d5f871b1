// Risk manager: one check of an entry against a 3-position account with correlations.
#include <benchmark/benchmark.h>

#include "risk/risk_manager.hpp"

using namespace aurum;

static void BM_RiskCheck(benchmark::State& state) {
    RiskManager rm(RiskLimits{}, InstrumentRegistry());
    double b = 40000, e = 2000, s = 100;
    for (int i = 0; i < 200; ++i) {
        const double r = ((i * 7919) % 13 - 6) * 0.001;
        rm.observe_price("BTC/USDT", b *= 1 + r);
        rm.observe_price("ETH/USDT", e *= 1 + r * 1.2);
        rm.observe_price("SOL/USDT", s *= 1 - r);
    }
    AccountView a{0, 10000, 6000, {{"ETH/USDT", 1.0, e}, {"SOL/USDT", 10, s}}};
    OrderIntent in{"BTC/USDT", 0.05, b, "strategy"};
    for (auto _ : state) benchmark::DoNotOptimize(rm.check(in, a));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RiskCheck);

BENCHMARK_MAIN();
