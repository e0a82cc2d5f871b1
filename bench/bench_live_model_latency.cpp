// Bar close -> order sent with the production GBDT in the daemon: per bar, the streaming feature
// update (default set, about 40 columns), the in-place prediction and calibration, the
// per-prediction XGBoost contributions (top 5), the decision policy, sizing, the account risk
// check and the journaled (committed) order hand-off. The model is trained and force-promoted
// on the synthetic market first, exactly as `aurum train --promote --force` would.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <vector>

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>


#include "latency_stats.hpp"
#include "quick_models.hpp"
#include "backtest/engine.hpp"
#include "core/clock.hpp"
#include "core/workspace.hpp"
#include "data/synthetic_market.hpp"
#include "live/live_session.hpp"
#include "models/model_strategy.hpp"
#include "models/training_pipeline.hpp"

using namespace aurum;

namespace {

constexpr int kDays = 400;

struct Fixture {
    std::filesystem::path dir;
    std::unique_ptr<MarketStore> store;
    std::size_t features = 0;
    Fixture() {
        dir = std::filesystem::temp_directory_path() /
              ("aurum-bench-live-model-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir);
        const Workspace ws(dir);
        ws.ensure_dirs();
        store = open_market_store(ws.default_db());
        InstrumentRegistry reg;
        auto cfg = SynthConfig::defaults(reg, {"BTC/USDT", "ETH/USDT"}, Timeframe(kMsPerHour),
                                         make_time(2020, 1, 1), kDays, 3, false);
        for (const auto& s : generate_synthetic_market(cfg).series)
            store->upsert_bars(s);
        // A small but real model: 3 folds, 100 rounds of depth 4, a low entry threshold so the
        // policy trades often enough to measure many order hand-offs.
        write_file_atomic(ws.config_file("models.yaml"), bench::quick_trading_models_yaml());
        features = bench::train_promoted_gbdts(
            *store, ws, {"BTC/USDT", "ETH/USDT"}, Timeframe(kMsPerHour),
            {make_time(2020, 1, 1), make_time(2020, 1, 1) + 200 * kMsPerDay}, make_time(2021, 1, 1));
    }
    ~Fixture() {
        store.reset();
        std::filesystem::remove_all(dir);
    }
};

LiveOptions options(const std::filesystem::path& home) {
    LiveOptions o;
    o.symbols = {"BTC/USDT", "ETH/USDT"};
    o.timeframe = Timeframe(kMsPerHour);
    o.replay = true;
    o.replay_from = make_time(2020, 1, 1) + 200 * kMsPerDay; // out of sample
    o.replay_to = make_time(2020, 1, 1) + kDays * kMsPerDay;
    o.warmup_bars = 250;
    o.strategy.name = "model";
    o.strategy.sizing.fraction = 0.3;
    o.workspace = home;
    o.fill.fees.taker = 0.001;
    o.fill.slippage.fixed_bps = 5;
    o.new_session = true;
    return o;
}

Fixture& fixture() {
    static Fixture fx; // trained once for both benchmarks
    return fx;
}

using bench::percentile;
using bench::thread_cpu_us;

/// Times ModelStrategy::on_bar: feature update, prediction, contributions, policy, sizing and
/// the order hand-off to the engine (instrument rules, risk hook, execution client).
struct Timed final : Strategy, PredictionSink {
    ModelStrategy inner;
    std::vector<double> wall_us, cpu_us;
    std::size_t seen = 0;
    explicit Timed(std::map<std::string, std::shared_ptr<const LiveModel>> m)
        : inner(std::move(m), SizingConfig{}, this) {}
    std::string name() const override { return "timed"; }
    void on_start(StrategyContext& c) override { inner.on_start(c); }
    void on_bar(StrategyContext& c, InstrumentId i) override {
        const std::size_t before = inner.predictions();
        const double c0 = thread_cpu_us();
        const auto t0 = std::chrono::steady_clock::now();
        inner.on_bar(c, i);
        const auto t1 = std::chrono::steady_clock::now();
        const double c1 = thread_cpu_us();
        if (inner.predictions() > before) {
            wall_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
            cpu_us.push_back(c1 - c0);
        }
    }
    void on_prediction(const PredictionEvent& e) override { seen += e.n_top; }
};

} // namespace

// The model's part of a bar, in the engine without the database: per predicted bar.
static void BM_ModelDecisionPerBar(benchmark::State& state) {
    spdlog::set_level(spdlog::level::warn);
    Fixture& fx = fixture();
    const Workspace ws(fx.dir);
    ModelRegistry reg(ws.models_dir() / "registry", nullptr);
    const FeatureConfig fc = FeatureConfig::parse(FeatureConfig::default_yaml(), "features");
    std::map<std::string, std::shared_ptr<const LiveModel>> models;
    for (const auto& [sym, rec] : resolve_models(reg, {"BTC/USDT", "ETH/USDT"}, "1h", {}))
        models[sym] = LiveModel::load(rec, fc);
    std::vector<BarSeries> bars;
    std::vector<const BarSeries*> ptrs;
    InstrumentRegistry ir;
    std::vector<Instrument> inst;
    for (const char* sym : {"BTC/USDT", "ETH/USDT"}) {
        bars.push_back(fx.store->load_bars(
            sym, Timeframe(kMsPerHour),
            {make_time(2020, 1, 1) + 190 * kMsPerDay, make_time(2020, 1, 1) + kDays * kMsPerDay}));
        inst.push_back(ir.get(sym));
    }
    for (const auto& b : bars)
        ptrs.push_back(&b);
    std::vector<double> wall, cpu;
    for (auto _ : state) {
        Timed t(models);
        BacktestConfig cfg;
        cfg.record_fills = false;
        run_backtest(inst, ptrs, t, cfg);
        wall.insert(wall.end(), t.wall_us.begin(), t.wall_us.end());
        cpu.insert(cpu.end(), t.cpu_us.begin(), t.cpu_us.end());
    }
    state.counters["bars"] = static_cast<double>(wall.size());
    state.counters["wall_p50_us"] = percentile(wall, 0.50);
    state.counters["wall_p99_us"] = percentile(wall, 0.99);
    state.counters["cpu_p50_us"] = percentile(cpu, 0.50);
    state.counters["cpu_p99_us"] = percentile(cpu, 0.99);
}
BENCHMARK(BM_ModelDecisionPerBar)->Unit(benchmark::kMillisecond)->Iterations(1);

// Every step of the replay timed; reported for all bars and for the bars that sent an order.
static void BM_BarCloseToOrderSentGbdt(benchmark::State& state) {
    spdlog::set_level(spdlog::level::warn);
    Fixture& fx = fixture();
    std::vector<double> all, sent_us;
    std::size_t predictions = 0;
    TimeMs wall = 1;
    for (auto _ : state) {
        LiveSession s(fx.store->database(), *fx.store, options(fx.dir), RiskLimits{},
                      InstrumentRegistry(), {});
        s.open(++wall, false, "");
        for (;;) {
            const std::size_t sent = s.journal().sent_ids().size();
            const auto t0 = std::chrono::steady_clock::now();
            const auto r = s.step(wall);
            const auto t1 = std::chrono::steady_clock::now();
            if (r == LiveSession::StepResult::Finished)
                break;
            const double us = std::chrono::duration<double, std::micro>(t1 - t0).count();
            all.push_back(us);
            if (s.journal().sent_ids().size() > sent) // bar close -> the order handed to the venue
                sent_us.push_back(
                    std::chrono::duration<double, std::micro>(s.journal().last_send() - t0).count());
        }
        predictions += s.model_strategy()->predictions();
    }
    auto pct = percentile;
    state.counters["features"] = static_cast<double>(fx.features);
    state.counters["predictions"] = static_cast<double>(predictions);
    state.counters["bars"] = static_cast<double>(all.size());
    state.counters["bar_p50_us"] = pct(all, 0.50);
    state.counters["bar_p99_us"] = pct(all, 0.99);
    state.counters["orders"] = static_cast<double>(sent_us.size());
    state.counters["order_p50_us"] = pct(sent_us, 0.50);
    state.counters["order_p99_us"] = pct(sent_us, 0.99);
    state.counters["order_max_us"] = sent_us.empty() ? 0.0 : sent_us.back();
}
BENCHMARK(BM_BarCloseToOrderSentGbdt)->Unit(benchmark::kMillisecond)->Iterations(1);

BENCHMARK_MAIN();
