// Backtesting engine throughput (docs/benchmarks.md, "Backtesting engine"):
//  - sma-cross over 10M in-memory bars with fees: bars per second on one core;
//  - a strategy that sends a market order every bar: orders per second.
// Rates are per CPU second of the benchmark thread (one core), so a busy machine does not
// understate them; the wall-clock time is printed beside them.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

#include "backtest/engine.hpp"
#include "backtest/strategies.hpp"

using namespace aurum;

namespace {

const BarSeries& bars(std::size_t n) {
    static std::map<std::size_t, BarSeries> cache;
    auto it = cache.find(n);
    if (it != cache.end())
        return it->second;
    BarSeries s;
    s.symbol = "BTC/USDT";
    s.timeframe = Timeframe(kMsPerMinute);
    s.reserve(n);
    std::mt19937_64 rng(1);
    std::normal_distribution<double> z(0, 0.002);
    double p = 30000;
    for (std::size_t k = 0; k < n; ++k) {
        const double c = p * std::exp(z(rng));
        s.push_back(Bar{static_cast<TimeMs>(k) * kMsPerMinute, p, std::max(p, c) * 1.0005,
                        std::min(p, c) * 0.9995, c, 10, 0});
        p = c;
    }
    return cache.emplace(n, std::move(s)).first->second;
}

Instrument btc() {
    Instrument i;
    i.symbol = "BTC/USDT";
    i.lot_step = i.min_qty = 0.00001;
    i.min_notional = 0;
    return i;
}

class EveryBar final : public Strategy {
  public:
    std::string name() const override { return "every-bar"; }
    void on_bar(StrategyContext& ctx, InstrumentId i) override {
        ctx.submit(OrderRequest::market(i, ctx.position(i) > 0 ? Side::Sell : Side::Buy, 0.01));
    }
};

void BM_SmaCross(benchmark::State& state) {
    const BarSeries& s = bars(static_cast<std::size_t>(state.range(0)));
    BacktestConfig cfg;
    cfg.fill.fees = {0.001, 0.001};
    cfg.record_fills = false;
    StrategySpec spec;
    spec.name = "sma-cross";
    spec.params = {{"fast", 10}, {"slow", 30}};
    std::size_t trades = 0;
    for (auto _ : state) {
        auto st = make_strategy(spec);
        const BacktestResult r = run_backtest({btc()}, {&s}, *st, cfg);
        trades = r.trades.size();
        benchmark::DoNotOptimize(r.final_equity);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.size()));
    state.counters["bars/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(s.size()),
                           benchmark::Counter::kIsRate);
    state.counters["trades"] = static_cast<double>(trades);
}
BENCHMARK(BM_SmaCross)->Arg(10'000'000)->Unit(benchmark::kMillisecond);

void BM_OrderEveryBar(benchmark::State& state) {
    const BarSeries& s = bars(static_cast<std::size_t>(state.range(0)));
    BacktestConfig cfg;
    cfg.initial_capital = 1e9;
    cfg.fill.fees = {0.001, 0.001};
    cfg.fill.slippage.fixed_bps = 1;
    cfg.record_fills = false;
    std::size_t orders = 0;
    for (auto _ : state) {
        EveryBar st;
        const BacktestResult r = run_backtest({btc()}, {&s}, st, cfg);
        orders = r.orders_submitted;
        benchmark::DoNotOptimize(r.final_equity);
    }
    state.counters["orders/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(orders),
                           benchmark::Counter::kIsRate);
    state.counters["orders"] = static_cast<double>(orders);
}
BENCHMARK(BM_OrderEveryBar)->Arg(2'000'000)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
