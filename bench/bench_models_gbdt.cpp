// GBDT training (1M x 50) against the `xgboost` command-line tool on the same data and parameters,
// and single-row prediction latency.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <span>

#include <sys/resource.h>

#include <benchmark/benchmark.h>
#include <xgboost/c_api.h>

#include "models/gbdt.hpp"

using namespace aurum;

namespace {

constexpr std::size_t kRows = 1'000'000, kCols = 50;
constexpr int kRounds = 20, kDepth = 6, kThreads = 2;

struct Data {
    std::vector<float> x, y;
};

const Data& data() {
    static const Data d = [] {
        Data d;
        d.x.resize(kRows * kCols);
        d.y.resize(kRows);
        std::mt19937_64 rng(1);
        std::normal_distribution<float> n01(0, 1);
        for (std::size_t i = 0; i < kRows; ++i) {
            float s = 0;
            for (std::size_t j = 0; j < kCols; ++j) {
                const float v = n01(rng);
                d.x[i * kCols + j] = v;
                if (j < 5) s += v * static_cast<float>(j + 1) * 0.2f;
            }
            d.y[i] = s + n01(rng) > 0 ? 1.0f : 0.0f;
        }
        return d;
    }();
    return d;
}

GbdtParams bench_params() {
    GbdtParams p;
    p.rounds = kRounds;
    p.max_depth = kDepth;
    p.eta = 0.1;
    p.subsample = 1.0;
    p.colsample_bytree = 1.0;
    p.min_child_weight = 1.0;
    p.nthread = kThreads;
    return p;
}

void BM_GbdtTrain_1Mx50(benchmark::State& state) {
    const Data& d = data();
    for (auto _ : state) {
        GbdtModel m(bench_params());
        m.fit_matrix(d.x.data(), kRows, kCols, d.y.data());
        benchmark::DoNotOptimize(m.boosted_rounds());
    }
    state.SetItemsProcessed(static_cast<long>(state.iterations() * kRows));
}
BENCHMARK(BM_GbdtTrain_1Mx50)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// The CLI loads the same matrix from XGBoost's binary DMatrix format (no text parsing) and trains
// with the same parameters; its wall time includes that load, ours includes building the DMatrix.
void BM_XgboostCli_1Mx50(benchmark::State& state) {
    const Data& d = data();
    const auto dir = std::filesystem::temp_directory_path() / "aurum_bench_xgb";
    std::filesystem::create_directories(dir);
    const auto buf = dir / "train.buffer";
    {
        DMatrixHandle h;
        XGDMatrixCreateFromMat(d.x.data(), kRows, kCols, std::nanf(""), &h);
        XGDMatrixSetFloatInfo(h, "label", d.y.data(), kRows);
        XGDMatrixSaveBinary(h, buf.c_str(), 1);
        XGDMatrixFree(h);
    }
    const auto conf = dir / "train.conf";
    std::ofstream(conf) << "booster = gbtree\nobjective = binary:logistic\ntree_method = hist\n"
                        << "eta = 0.1\nmax_depth = " << kDepth << "\nsubsample = 1\ncolsample_bytree = 1\n"
                        << "min_child_weight = 1\nnthread = " << kThreads << "\nnum_round = " << kRounds
                        << "\nsave_period = 0\ndata = \"" << buf.string() << "\"\nmodel_out = \""
                        << (dir / "cli.model").string() << "\"\nsilent = 1\n";
    const std::string cmd = "cd " + dir.string() + " && /usr/bin/xgboost " + conf.string() + " > /dev/null 2>&1";
    auto child_cpu = [] {
        rusage ru{};
        getrusage(RUSAGE_CHILDREN, &ru);
        return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    };
    const double cpu0 = child_cpu();
    for (auto _ : state) {
        if (std::system(cmd.c_str()) != 0) state.SkipWithError("xgboost CLI failed");
    }
    // CPU seconds of the xgboost process itself (the CPU column only counts this process).
    state.counters["child_cpu_s"] = child_cpu() - cpu0;
    state.SetItemsProcessed(static_cast<long>(state.iterations() * kRows));
    std::filesystem::remove_all(dir);
}
BENCHMARK(BM_XgboostCli_1Mx50)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

/// The production shape: 400 trees of depth 4 over 39 features, one thread.
/// Deliberately never freed: XGBoost's globals may be gone when statics are destroyed at exit.
const GbdtModel& production_shaped_model() {
    static const GbdtModel* m = [] {
        constexpr std::size_t rows = 20000, cols = 39;
        const Data& d = data();
        std::vector<float> x(rows * cols);
        for (std::size_t i = 0; i < rows; ++i)
            std::copy_n(d.x.data() + i * kCols, cols, x.data() + i * cols);
        GbdtParams p = bench_params();
        p.rounds = 400;
        p.max_depth = 4;
        p.nthread = 1;
        auto* model = new GbdtModel(p);
        model->fit_matrix(x.data(), rows, cols, d.y.data());
        return model;
    }();
    return *m;
}

/// A row of the production-shaped model's 39 features (a different one each call).
const float* row39(std::size_t i) {
    static const std::vector<float> rows = [] {
        std::vector<float> v(1000 * 39);
        for (std::size_t r = 0; r < 1000; ++r)
            std::copy_n(data().x.data() + r * kCols, 39, v.data() + r * 39);
        return v;
    }();
    return rows.data() + (i % 1000) * 39;
}

// Compiled trees (the live path): probability for one row.
void BM_GbdtPredictOne(benchmark::State& state) {
    const GbdtModel& m = production_shaped_model();
    std::size_t i = 0;
    for (auto _ : state) benchmark::DoNotOptimize(m.predict_one(row39(i++)));
    state.SetItemsProcessed(static_cast<long>(state.iterations()));
}
BENCHMARK(BM_GbdtPredictOne)->Unit(benchmark::kMicrosecond);

// Compiled trees: TreeSHAP contributions for one row (stored with every live prediction).
void BM_GbdtContributionsOne(benchmark::State& state) {
    const GbdtModel& m = production_shaped_model();
    std::vector<double> out(40);
    std::size_t i = 0;
    for (auto _ : state) {
        m.contributions_one(row39(i++), out);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(static_cast<long>(state.iterations()));
}
BENCHMARK(BM_GbdtContributionsOne)->Unit(benchmark::kMicrosecond);

/// One row of 39 features as a Dataset, for XGBoost's DMatrix path.
Dataset one_row_dataset() {
    Dataset d;
    d.cols = 39;
    std::vector<float> one(row39(0), row39(0) + 39);
    d.push_row(one, 0.0f, 0, 0, 0, 1.0f, 0.0);
    return d;
}

// XGBoost's own path for one row (DMatrix predict), the reference the compiled trees replace.
void BM_GbdtPredictOneXgboost(benchmark::State& state) {
    const GbdtModel& m = production_shaped_model();
    const Dataset d = one_row_dataset();
    const std::size_t row0 = 0;
    for (auto _ : state) benchmark::DoNotOptimize(m.predict_proba(d, std::span(&row0, 1)));
    state.SetItemsProcessed(static_cast<long>(state.iterations()));
}
BENCHMARK(BM_GbdtPredictOneXgboost)->Unit(benchmark::kMicrosecond);

// XGBoost's own contributions for one row (one-row DMatrix, pred_contribs).
void BM_GbdtContributionsOneXgboost(benchmark::State& state) {
    const GbdtModel& m = production_shaped_model();
    const Dataset d = one_row_dataset();
    const std::size_t row0 = 0;
    for (auto _ : state) benchmark::DoNotOptimize(m.contributions(d, std::span(&row0, 1)));
    state.SetItemsProcessed(static_cast<long>(state.iterations()));
}
BENCHMARK(BM_GbdtContributionsOneXgboost)->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
