// Import throughput: in-memory parse rate per format (rows/s, single core) and end-to-end
// file -> SQLite import. Run: build/<preset>/bench/bench_data_import
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>

#include <fmt/format.h>

#include "data/import.hpp"
#include "data/market_store.hpp"

namespace aurum {
namespace {

enum class Gen { CsvIso, CsvEpoch, Binance, Mt5, Json };

constexpr std::int64_t kRows = 1'000'000;

/// A realistic 1-minute random walk written in the given format.
std::string generate(Gen g, std::int64_t rows) {
    std::mt19937_64 rng(7);
    std::normal_distribution<double> step(0.0, 0.0008);
    double price = 42000.0;
    const TimeMs t0 = make_time(2024, 1, 1);
    std::string out;
    out.reserve(static_cast<std::size_t>(rows) * 120);
    if (g == Gen::CsvIso || g == Gen::CsvEpoch)
        out += "timestamp,open,high,low,close,volume\n";
    if (g == Gen::Mt5)
        out += "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n";
    if (g == Gen::Json)
        out += "[";
    for (std::int64_t i = 0; i < rows; ++i) {
        const TimeMs t = t0 + i * kMsPerMinute;
        const double o = price;
        const double c = o * (1.0 + step(rng));
        const double h = std::max(o, c) * (1.0 + std::abs(step(rng)) / 4);
        const double l = std::min(o, c) * (1.0 - std::abs(step(rng)) / 4);
        const double v = 0.5 + static_cast<double>(rng() % 100000) / 1000.0;
        price = c;
        switch (g) {
        case Gen::CsvIso:
            fmt::format_to(std::back_inserter(out), "{},{:.2f},{:.2f},{:.2f},{:.2f},{:.5f}\n",
                           format_time(t), o, h, l, c, v);
            break;
        case Gen::CsvEpoch:
            fmt::format_to(std::back_inserter(out), "{},{:.2f},{:.2f},{:.2f},{:.2f},{:.5f}\n", t, o,
                           h, l, c, v);
            break;
        case Gen::Binance:
            fmt::format_to(std::back_inserter(out),
                           "{},{:.2f},{:.2f},{:.2f},{:.2f},{:.5f},{},{:.4f},{},{:.5f},{:.4f},0\n",
                           t, o, h, l, c, v, t + kMsPerMinute - 1, v * c, rng() % 1000, v / 2,
                           v * c / 2);
            break;
        case Gen::Mt5: {
            const CivilTime ct = civil_from_time(t);
            fmt::format_to(
                std::back_inserter(out),
                "{:04}.{:02}.{:02}\t{:02}:{:02}:00\t{:.2f}\t{:.2f}\t{:.2f}\t{:.2f}\t{}\t0\t{}"
                "\n",
                ct.year, ct.month, ct.day, ct.hour, ct.minute, o, h, l, c, rng() % 5000,
                rng() % 40);
            break;
        }
        case Gen::Json:
            fmt::format_to(std::back_inserter(out),
                           "{}[{}, {:.2f}, {:.2f}, {:.2f}, {:.2f}, {:.5f}]", i ? ", " : "", t, o, h,
                           l, c, v);
            break;
        }
    }
    if (g == Gen::Json)
        out += "]\n";
    return out;
}

std::string utf16le_bom(const std::string& ascii) {
    std::string out = "\xFF\xFE";
    out.reserve(ascii.size() * 2 + 2);
    for (char c : ascii) {
        out.push_back(c);
        out.push_back('\0');
    }
    return out;
}

ImportOptions options() {
    ImportOptions o;
    o.symbol = "BTC/USDT";
    o.timeframe = Timeframe(kMsPerMinute);
    return o;
}

void run_parse(benchmark::State& state, const std::string& text) {
    const ImportOptions o = options();
    std::int64_t rows = 0;
    for (auto _ : state) {
        const auto rep = parse_buffer(
            text, "bench", o, [](const BarSeries& c) { benchmark::DoNotOptimize(c.close.data()); });
        rows += rep.rows_written;
    }
    state.SetItemsProcessed(rows);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void BM_Parse_CsvIsoTime(benchmark::State& s) {
    static const std::string t = generate(Gen::CsvIso, kRows);
    run_parse(s, t);
}
void BM_Parse_CsvEpochMs(benchmark::State& s) {
    static const std::string t = generate(Gen::CsvEpoch, kRows);
    run_parse(s, t);
}
void BM_Parse_BinanceKlines(benchmark::State& s) {
    static const std::string t = generate(Gen::Binance, kRows);
    run_parse(s, t);
}
void BM_Parse_Mt5Ascii(benchmark::State& s) {
    static const std::string t = generate(Gen::Mt5, kRows);
    run_parse(s, t);
}
void BM_Parse_Mt5Utf16(benchmark::State& s) {
    static const std::string t = utf16le_bom(generate(Gen::Mt5, kRows));
    run_parse(s, t);
}
void BM_Parse_FreqtradeJson(benchmark::State& s) {
    static const std::string t = generate(Gen::Json, kRows);
    run_parse(s, t);
}

/// File on disk -> SQLite, one transaction, fresh database each iteration.
void BM_Import_CsvToSqlite(benchmark::State& state) {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / fmt::format("aurum-bench-import-{}", ::getpid());
    fs::create_directories(dir);
    const fs::path csv = dir / "bars.csv";
    {
        std::ofstream out(csv, std::ios::binary);
        out << generate(Gen::CsvIso, kRows);
    }
    std::int64_t rows = 0;
    int n = 0;
    for (auto _ : state) {
        state.PauseTiming();
        const fs::path db = dir / fmt::format("bench{}.db", n++);
        auto store = open_market_store(db.string());
        state.ResumeTiming();
        ImportJob job{csv.string(), options()};
        const ImportSummary s = import_files(*store, {job});
        rows += s.inserted;
        state.PauseTiming();
        store.reset();
        fs::remove(db);
        fs::remove(db.string() + "-wal");
        fs::remove(db.string() + "-shm");
        state.ResumeTiming();
    }
    state.SetItemsProcessed(rows);
    fs::remove_all(dir);
}

BENCHMARK(BM_Parse_CsvIsoTime)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Parse_CsvEpochMs)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Parse_BinanceKlines)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Parse_Mt5Ascii)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Parse_Mt5Utf16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Parse_FreqtradeJson)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Import_CsvToSqlite)->Unit(benchmark::kMillisecond)->Iterations(3);

} // namespace
} // namespace aurum

BENCHMARK_MAIN();
