// Streaming indicator update cost (ns per update) and the default feature set end to end over
// one million bars (feature-values per second). Figures: docs/benchmarks.md, "Features and labels".
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

#include "features/feature_set.hpp"
#include "features/indicators.hpp"
#include "features/labels.hpp"

using namespace aurum;

namespace {

/// A random walk with consistent OHLCV bars (prices near 30,000 like BTC).
BarSeries make_bars(std::size_t n) {
    std::mt19937_64 rng(1);
    std::normal_distribution<double> z;
    std::uniform_real_distribution<double> u;
    BarSeries s;
    s.symbol = "BENCH/USDT";
    s.timeframe = Timeframe(kMsPerHour);
    s.reserve(n);
    double px = 30000;
    for (std::size_t i = 0; i < n; ++i) {
        const double c = px * std::exp(0.005 * z(rng));
        s.push_back(Bar{static_cast<TimeMs>(i) * kMsPerHour, px, std::max(px, c) * (1 + 0.002 * u(rng)),
                        std::min(px, c) * (1 - 0.002 * u(rng)), c, 100 + 1000 * u(rng), 0});
        px = c;
    }
    return s;
}

const BarSeries& bars_1m() {
    static const BarSeries s = make_bars(1'000'000);
    return s;
}

const std::vector<Bar>& bar_rows() {
    static const std::vector<Bar> rows = [] {
        const BarSeries& s = bars_1m();
        std::vector<Bar> r;
        r.reserve(65536);
        for (std::size_t i = 0; i < 65536; ++i) r.push_back(s.at(i));
        return r;
    }();
    return rows;
}

/// Feeds a cycle of 65536 real-looking inputs; reports ns per update via items/s.
template <class Ind, class Feed> void run(benchmark::State& state, Ind ind, Feed feed) {
    const auto& rows = bar_rows();
    std::size_t i = 0;
    for (auto _ : state) {
        feed(ind, rows[i]);
        benchmark::DoNotOptimize(ind);
        i = (i + 1) & 65535;
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_Ema(benchmark::State& s) {
    run(s, Ema(20), [](Ema& e, const Bar& b) {
        e.update(b.close);
        benchmark::DoNotOptimize(e.value());
    });
}
void BM_Rsi(benchmark::State& s) {
    run(s, Rsi(14), [](Rsi& r, const Bar& b) {
        r.update(b.close);
        benchmark::DoNotOptimize(r.value());
    });
}
void BM_Atr(benchmark::State& s) {
    run(s, Atr(14), [](Atr& a, const Bar& b) {
        a.update(b);
        benchmark::DoNotOptimize(a.value());
    });
}
void BM_RollingStd(benchmark::State& s) {
    run(s, RollingStats(20, false), [](RollingStats& r, const Bar& b) {
        r.update(b.close);
        benchmark::DoNotOptimize(r.stddev());
    });
}
void BM_Sma(benchmark::State& s) {
    run(s, Sma(50), [](Sma& r, const Bar& b) {
        r.update(b.close);
        benchmark::DoNotOptimize(r.value());
    });
}
void BM_Macd(benchmark::State& s) {
    run(s, Macd(12, 26, 9), [](Macd& m, const Bar& b) {
        m.update(b.close);
        benchmark::DoNotOptimize(m.histogram());
    });
}
void BM_Adx(benchmark::State& s) {
    run(s, Adx(14), [](Adx& a, const Bar& b) {
        a.update(b);
        benchmark::DoNotOptimize(a.adx());
    });
}
void BM_Stochastic(benchmark::State& s) {
    run(s, Stochastic(14, 3, 3), [](Stochastic& st, const Bar& b) {
        st.update(b);
        benchmark::DoNotOptimize(st.d());
    });
}
void BM_Kurtosis(benchmark::State& s) {
    run(s, RollingStats(30, true), [](RollingStats& r, const Bar& b) {
        r.update(b.close);
        benchmark::DoNotOptimize(r.kurtosis());
    });
}
void BM_RollingMax(benchmark::State& s) {
    run(s, RollingMax(20), [](RollingMax& r, const Bar& b) {
        r.update(b.high);
        benchmark::DoNotOptimize(r.value());
    });
}

/// The shipped default feature set over 1M bars, bars in memory to matrix in memory.
void BM_DefaultFeatureSet1M(benchmark::State& state) {
    const BarSeries& bars = bars_1m();
    const FeatureConfig cfg = FeatureConfig::parse(FeatureConfig::default_yaml(), "default");
    const FeatureSetDef& def = cfg.get("default");
    FeatureContext ctx;
    ctx.symbol = bars.symbol;
    ctx.timeframe = bars.timeframe;
    std::size_t values = 0;
    for (auto _ : state) {
        const FeatureMatrix m = build_feature_matrix(bars, def, ctx);
        values += m.values.size();
        benchmark::DoNotOptimize(m.values.data());
    }
    state.counters["features"] = static_cast<double>(def.column_names().size());
    state.counters["values/s"] =
        benchmark::Counter(static_cast<double>(values), benchmark::Counter::kIsRate);
}

void BM_TripleBarrier1M(benchmark::State& state) {
    const BarSeries& bars = bars_1m();
    for (auto _ : state) {
        const LabelSet l = triple_barrier_labels(bars, {});
        benchmark::DoNotOptimize(l.label.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(bars.size()));
}

} // namespace

BENCHMARK(BM_Ema);
BENCHMARK(BM_Rsi);
BENCHMARK(BM_Atr);
BENCHMARK(BM_RollingStd);
BENCHMARK(BM_Sma);
BENCHMARK(BM_Macd);
BENCHMARK(BM_Adx);
BENCHMARK(BM_Stochastic);
BENCHMARK(BM_Kurtosis);
BENCHMARK(BM_RollingMax);
BENCHMARK(BM_DefaultFeatureSet1M)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_TripleBarrier1M)->Unit(benchmark::kMillisecond)->Iterations(3);

BENCHMARK_MAIN();
