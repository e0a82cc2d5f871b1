// Report benchmarks (issue 12 targets: daily report <= 1 s and weekly <= 2 s over a year of
// hourly data for 4 symbols). The fixture replays a year of synthetic 1h bars of 4 symbols
// through the paper pipeline (sma-cross, so it trades) and stores a model-style prediction for
// every bar and symbol, as a model session does; each iteration then builds and writes the
// report from the store, as `aurum report daily|weekly` does.
#include <filesystem>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "data/synthetic_market.hpp"
#include "live/daemon_app.hpp"
#include "live/divergence.hpp"
#include "live/live_session.hpp"
#include "surfaces/reports/session_reports.hpp"

using namespace aurum;

namespace {

const std::vector<std::string> kSymbols{"BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT"};
const TimeMs kStart = make_time(2023, 1, 1);

SessionReportRequest request(const std::string& kind, const std::filesystem::path& home) {
    SessionReportRequest rq;
    rq.kind = kind;
    rq.out_dir = home / "reports";
    return rq;
}

struct Fixture {
    std::filesystem::path dir;
    std::unique_ptr<MarketStore> store;
    Fixture() {
        spdlog::set_level(spdlog::level::warn);
        dir = std::filesystem::temp_directory_path() / ("aurum-bench-reports-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir);
        Workspace(dir).ensure_dirs();
        store = open_market_store((dir / "data" / "aurum.db").string());
        InstrumentRegistry reg;
        auto cfg = SynthConfig::defaults(reg, kSymbols, Timeframe(kMsPerHour), kStart, 375, 3, false);
        for (const auto& s : generate_synthetic_market(cfg).series) store->upsert_bars(s);
        LiveOptions o;
        o.symbols = kSymbols;
        o.timeframe = Timeframe(kMsPerHour);
        o.replay = true;
        o.replay_from = kStart + 10 * kMsPerDay;
        o.replay_to = o.replay_from + 365 * kMsPerDay;
        o.warmup_bars = 100;
        o.strategy.name = "sma-cross";
        o.strategy.params = {{"fast", 10}, {"slow", 30}};
        o.strategy.sizing.fraction = 0.2;
        o.fill.fees.taker = 0.001;
        o.fill.slippage.fixed_bps = 5;
        RiskLimits limits;
        limits.max_drawdown = 0.9; // keep trading all year (the default breaker halts it)
        LiveSession s(store->database(), *store, o, limits, InstrumentRegistry(), {});
        s.open(0, false, "");
        for (int n = 0; s.step(n) != LiveSession::StepResult::Finished; ++n) {}
        s.checkpoint(0);
        // One prediction per bar and symbol, with top features, as a model session stores them.
        StateStore st(store->database());
        Transaction tx(store->database());
        std::uint64_t x = 7;
        for (TimeMs t = o.replay_from; t < o.replay_to; t += kMsPerHour)
            for (const auto& sym : kSymbols) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                const double p = 0.3 + 0.4 * static_cast<double>(x >> 40) / static_cast<double>(1ULL << 24);
                const nlohmann::json d{{"model", "gbdt-bench v1"}, {"signal", p > 0.6 ? 1 : 0},
                                       {"top", {{{"feature", "rsi_14"}, {"value", p - 0.5}},
                                                {{"feature", "ret_1"}, {"value", 0.5 - p}},
                                                {{"feature", "atr_14"}, {"value", 0.01}}}}};
                st.insert_prediction(s.session_id(), t, sym, p, d.dump());
            }
        tx.commit();
        // Outcomes resolved once, as the daily 17:00 job keeps them resolved.
        write_session_report(request("daily", dir), *store, Workspace(dir), InstrumentRegistry(), 0);
    }
    ~Fixture() {
        store.reset();
        std::filesystem::remove_all(dir);
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

void run_report(benchmark::State& state, const std::string& kind) {
    Fixture& f = fixture();
    for (auto _ : state) {
        auto r = write_session_report(request(kind, f.dir), *f.store, Workspace(f.dir),
                                      InstrumentRegistry(), 0);
        benchmark::DoNotOptimize(r.files);
    }
}

/// A year of synthetic 4h bars of BTC/USDT and ETH/USDT and one paper session over it, started
/// with the options `aurum run --replay-from 2023-02-01 --replay-to 2024-02-01` resolves.
struct DivergenceFixture {
    std::filesystem::path dir;
    std::unique_ptr<MarketStore> store;
    DivergenceFixture() {
        dir = std::filesystem::temp_directory_path() / ("aurum-bench-divergence-" + std::to_string(::getpid()));
        std::filesystem::remove_all(dir);
        const Workspace ws(dir);
        ws.ensure_dirs();
        store = open_market_store((dir / "data" / "aurum.db").string());
        InstrumentRegistry reg;
        auto cfg = SynthConfig::defaults(reg, {"BTC/USDT", "ETH/USDT"}, Timeframe(4 * kMsPerHour), kStart,
                                         400, 5, false);
        for (const auto& s : generate_synthetic_market(cfg).series) store->upsert_bars(s);
        RunFlags f;
        f.symbols = "BTC/USDT,ETH/USDT";
        f.timeframe = "4h";
        f.replay_from = "2023-02-01";
        f.replay_to = "2024-02-01";
        const LiveOptions o = resolve_run_options(ws, reg, load_live_config(ws.config_file("live.yaml")), f);
        LiveSession s(store->database(), *store, o, load_risk_limits(ws.config_file("risk.yaml").string()), reg,
                      ws.config_file("risk.yaml"));
        s.open(0, false, "");
        for (int n = 0; s.step(n) != LiveSession::StepResult::Finished; ++n) {}
        s.checkpoint(0);
    }
    ~DivergenceFixture() {
        store.reset();
        std::filesystem::remove_all(dir);
    }
};

} // namespace

static void BM_Divergence(benchmark::State& state) {
    static DivergenceFixture f;
    StateStore st(f.store->database());
    std::size_t trades = 0;
    for (auto _ : state) {
        const DivergenceReport r = find_divergence(st, *f.store, Workspace(f.dir), InstrumentRegistry(), "");
        if (!r.settings_confirmed || !r.differences.empty()) state.SkipWithError("the replay must match the session");
        trades = r.session_trades;
    }
    state.counters["trades"] = static_cast<double>(trades);
}
BENCHMARK(BM_Divergence)->Unit(benchmark::kMillisecond)->Iterations(3);

static void BM_DailyReport(benchmark::State& state) { run_report(state, "daily"); }
BENCHMARK(BM_DailyReport)->Unit(benchmark::kMillisecond)->Iterations(5);

static void BM_WeeklyReport(benchmark::State& state) { run_report(state, "weekly"); }
BENCHMARK(BM_WeeklyReport)->Unit(benchmark::kMillisecond)->Iterations(5);

BENCHMARK_MAIN();
