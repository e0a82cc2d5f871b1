// MarketStore throughput: upsert 1M bars (as an importer does: one writer, 64K-bar chunks) and load
// 1M bars into a BarSeries. SQLite always; PostgreSQL when AURUM_BENCH_PG_URL names a database
// (e.g. postgresql://aurum@127.0.0.1:5433/bench), which the benchmark empties first.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "data/market_store.hpp"

namespace {

using namespace aurum;
namespace fs = std::filesystem;

constexpr std::size_t kRows = 1'000'000;
constexpr std::size_t kChunk = 65'536;

BarSeries make_chunk(std::size_t first, std::size_t n, bool spread) {
    BarSeries s;
    s.symbol = "BTC/USDT";
    s.timeframe = Timeframe(kMsPerMinute);
    s.has_spread_column = spread;
    s.reserve(n);
    const TimeMs t0 = make_time(2020, 1, 1);
    for (std::size_t i = first; i < first + n; ++i) {
        const double p = 30000.0 + static_cast<double>(i % 5000) * 0.37;
        s.push_back(Bar{t0 + static_cast<TimeMs>(i) * kMsPerMinute, p, p + 12.5, p - 11.25,
                        p + 3.75, 1.0 + static_cast<double>(i % 97) * 0.013, 0.05});
    }
    return s;
}

UpsertStats write_all(MarketStore& store, bool spread) {
    auto writer = store.open_writer();
    for (std::size_t at = 0; at < kRows; at += kChunk)
        writer->write(make_chunk(at, std::min(kChunk, kRows - at), spread));
    return writer->commit();
}

fs::path temp_db(const std::string& name) {
    return fs::temp_directory_path() / ("aurum-bench-" + std::to_string(::getpid()) + "-" + name);
}

void remove_sqlite(const fs::path& p) {
    for (const char* suffix : {"", "-wal", "-shm"})
        fs::remove(p.string() + suffix);
}

std::string pg_url() {
    const char* url = std::getenv("AURUM_BENCH_PG_URL");
    return url ? url : "";
}

void BM_SqliteUpsertNew1M(benchmark::State& state) {
    const fs::path db = temp_db("upsert.db");
    for (auto _ : state) {
        state.PauseTiming();
        remove_sqlite(db);
        auto store = open_market_store(db.string());
        state.ResumeTiming();
        const UpsertStats st = write_all(*store, false);
        benchmark::DoNotOptimize(st);
    }
    remove_sqlite(db);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRows));
}
BENCHMARK(BM_SqliteUpsertNew1M)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_SqliteUpsertExisting1M(benchmark::State& state) {
    const fs::path db = temp_db("reupsert.db");
    remove_sqlite(db);
    auto store = open_market_store(db.string());
    write_all(*store, false);
    for (auto _ : state) {
        const UpsertStats st = write_all(*store, false); // every row replaces an existing one
        benchmark::DoNotOptimize(st);
    }
    store.reset();
    remove_sqlite(db);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRows));
}
BENCHMARK(BM_SqliteUpsertExisting1M)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_SqliteLoad1M(benchmark::State& state) {
    const fs::path db = temp_db("load.db");
    remove_sqlite(db);
    {
        auto store = open_market_store(db.string());
        write_all(*store, state.range(0) != 0);
    }
    auto store = open_market_store(db.string());
    for (auto _ : state) {
        BarSeries s = store->load_bars("BTC/USDT", Timeframe(kMsPerMinute));
        if (s.size() != kRows)
            state.SkipWithError("wrong row count");
        benchmark::DoNotOptimize(s.close.data());
    }
    store.reset();
    remove_sqlite(db);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRows));
}
BENCHMARK(BM_SqliteLoad1M)
    ->ArgName("spread")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_PostgresUpsertNew1M(benchmark::State& state) {
    const std::string url = pg_url();
    if (url.empty()) {
        state.SkipWithError("set AURUM_BENCH_PG_URL=postgresql://... to run");
        return;
    }
    auto store = open_market_store(url);
    for (auto _ : state) {
        state.PauseTiming();
        store->delete_bars("BTC/USDT", Timeframe(kMsPerMinute));
        store->database().exec("VACUUM bars");
        state.ResumeTiming();
        const UpsertStats st = write_all(*store, false);
        benchmark::DoNotOptimize(st);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRows));
}
BENCHMARK(BM_PostgresUpsertNew1M)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

void BM_PostgresLoad1M(benchmark::State& state) {
    const std::string url = pg_url();
    if (url.empty()) {
        state.SkipWithError("set AURUM_BENCH_PG_URL=postgresql://... to run");
        return;
    }
    auto store = open_market_store(url);
    if (store->load_bars("BTC/USDT", Timeframe(kMsPerMinute)).size() != kRows)
        write_all(*store, false);
    for (auto _ : state) {
        BarSeries s = store->load_bars("BTC/USDT", Timeframe(kMsPerMinute));
        if (s.size() != kRows)
            state.SkipWithError("wrong row count");
        benchmark::DoNotOptimize(s.close.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kRows));
}
BENCHMARK(BM_PostgresLoad1M)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

} // namespace

BENCHMARK_MAIN();
