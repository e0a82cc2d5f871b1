// PostgreSQL at scale (issue 18): bulk-load N symbols x D days of 1-minute bars through the
// store's writer (COPY), then read one symbol's year. Run by bench/pg_scale.sh, which starts a
// throwaway server on 127.0.0.1; not a Google Benchmark (one long measured run, minutes).
//   bench_data_pg_scale URL SYMBOLS DAYS [WRITERS]
// WRITERS (default 1) connections load different symbols at once, as parallel imports or Dask
// workers would; the figure is all rows over the wall time of the load. WRITERS 0 loads nothing
// and only reads (a store loaded by an earlier run kept with PG_SCALE_KEEP=1).
// Besides wall times it reports the CPU seconds the server's processes (read from /proc: the
// server is local) and this client spent: on a machine shared with other work the wall time
// depends on the load, the CPU per row does not.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "data/database.hpp"
#include "data/market_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// CPU seconds of this process (all its threads).
double client_cpu() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// From /proc/PID/stat: parent pid, the process's user + system CPU seconds and those of its
/// children that have exited (and been waited for). {-1, 0, 0} if gone.
struct ProcCpu {
    long ppid = -1;
    double own = 0, exited_children = 0;
};

ProcCpu proc_cpu(const std::string& pid) {
    std::ifstream f("/proc/" + pid + "/stat");
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');
    ProcCpu out;
    if (close == std::string::npos)
        return out;
    std::istringstream in(text.substr(close + 2));
    std::string field;
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    for (int k = 0; k < 15 && in >> field; ++k) {
        if (k == 1)
            out.ppid = std::stol(field);
        if (k == 11 || k == 12) // utime, stime
            out.own += std::stod(field) / tick;
        if (k == 13 || k == 14) // cutime, cstime
            out.exited_children += std::stod(field) / tick;
    }
    return out;
}

/// CPU seconds of every process of the (local) server: the postmaster, its live children
/// (backends, WAL writer, checkpointer, autovacuum, ...) and those that have exited.
double server_cpu(aurum::Database& db) {
    static long postmaster = -1;
    if (postmaster < 0)
        postmaster =
            proc_cpu(std::to_string(db.query_one("SELECT pg_backend_pid()")->as_int(0))).ppid;
    const ProcCpu pm = proc_cpu(std::to_string(postmaster));
    double sum = pm.own + pm.exited_children;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        const std::string name = e.path().filename();
        if (std::isdigit(static_cast<unsigned char>(name[0]))) {
            const ProcCpu c = proc_cpu(name);
            if (c.ppid == postmaster)
                sum += c.own;
        }
    }
    return sum;
}

/// A deterministic random walk of 1-minute bars.
aurum::BarSeries minute_bars(const std::string& symbol, aurum::TimeMs start, std::size_t n,
                             unsigned seed) {
    aurum::BarSeries s;
    s.symbol = symbol;
    s.timeframe = aurum::Timeframe(aurum::kMsPerMinute);
    s.time.resize(n);
    s.open.resize(n);
    s.high.resize(n);
    s.low.resize(n);
    s.close.resize(n);
    s.volume.resize(n);
    std::uint64_t x = 0x9E3779B97F4A7C15ull * (seed + 1);
    double price = 100.0 + seed;
    for (std::size_t i = 0; i < n; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const double r = (static_cast<double>(x >> 11) / 9007199254740992.0 - 0.5) * 0.002;
        const double open = price;
        price *= 1.0 + r;
        // Prices on a 0.01 tick and volumes in 0.001 lots, as exchange candles are (a random
        // walk's full 17-digit doubles would make the server parse 3x more text per row).
        auto tick = [](double v) { return std::round(v * 100.0) / 100.0; };
        s.time[i] = start + static_cast<aurum::TimeMs>(i) * aurum::kMsPerMinute;
        s.open[i] = tick(open);
        s.close[i] = tick(price);
        s.high[i] = tick(std::max(open, price) * 1.0004);
        s.low[i] = tick(std::min(open, price) * 0.9996);
        s.volume[i] = static_cast<double>(x % 100000) / 1000.0;
    }
    return s;
}

/// Loads SYMBOLS x n bars with `writers` connections, then VACUUM (ANALYZE)s (timed each).
void load_and_vacuum(aurum::Database& db, const std::string& url, int symbols, std::size_t n,
                     aurum::TimeMs t0, int writers) {
    // Each writer has its own connection; generating a symbol's bars (a few ms) is inside the
    // clock, against about a second to load them.
    std::atomic<int> next{0};
    std::atomic<std::int64_t> rows{0};
    std::vector<std::thread> pool;
    std::vector<std::unique_ptr<aurum::MarketStore>> stores;
    for (int w = 0; w < writers; ++w)
        stores.push_back(aurum::open_market_store(url));
    const double server0 = server_cpu(db), client0 = client_cpu();
    const auto t = Clock::now();
    for (int w = 0; w < writers; ++w)
        pool.emplace_back([&, w] {
            for (int k; (k = next.fetch_add(1)) < symbols;) {
                const auto bars = minute_bars("S" + std::to_string(k) + "/USDT", t0, n,
                                              static_cast<unsigned>(k));
                rows += stores[static_cast<std::size_t>(w)]->upsert_bars(bars).inserted;
            }
        });
    for (auto& th : pool)
        th.join();
    const double load_s = seconds_since(t);
    std::printf("bulk load (%d writers, bar generation included): %lld rows in %.1f s = %.0f "
                "rows/s\n",
                writers, static_cast<long long>(rows.load()), load_s,
                static_cast<double>(rows.load()) / load_s);
    const double server_s = server_cpu(db) - server0, client_s = client_cpu() - client0;
    std::printf("  CPU of the load: server %.1f s (%.2f us per row), client %.1f s (%.2f us per "
                "row): %.0f rows per CPU-second of both\n",
                server_s, server_s * 1e6 / static_cast<double>(rows.load()), client_s,
                client_s * 1e6 / static_cast<double>(rows.load()),
                static_cast<double>(rows.load()) / (server_s + client_s));
    // The steady state after a load (what autovacuum would otherwise be doing during the reads).
    const auto tv = Clock::now();
    db.exec("VACUUM (ANALYZE) bars");
    std::printf("vacuum analyze after the load: %.1f s\n", seconds_since(tv));
    std::printf("stored: %lld rows; bars + indexes on disk: %s\n",
                static_cast<long long>(db.query_one("SELECT SUM(reltuples)::BIGINT FROM pg_class "
                                                    "WHERE relname LIKE 'bars_p%' AND relkind = 'r'")
                                           ->as_int(0)),
                db.query_one("SELECT pg_size_pretty(SUM(pg_total_relation_size(inhrelid))) FROM "
                             "pg_inherits WHERE inhparent = 'bars'::regclass")
                    ->as_string(0)
                    .c_str());
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 4 && argc != 5) {
        // `make bench` runs every bench_* with Google Benchmark flags: this one needs a server
        // and minutes, so it only says how to run it.
        std::printf("%s URL SYMBOLS DAYS [WRITERS]: run by bench/pg_scale.sh (a throwaway "
                    "PostgreSQL server, ~3 min); skipped\n",
                    argv[0]);
        return 0;
    }
    const int writers = argc == 5 ? std::max(0, std::stoi(argv[4])) : 1;
    const std::string url = argv[1];
    const int symbols = std::stoi(argv[2]);
    const int days = std::stoi(argv[3]);
    const std::size_t n = static_cast<std::size_t>(days) * 1440;
    const aurum::TimeMs t0 = aurum::make_time(2024, 1, 1);
    auto store = aurum::open_market_store(url);

    auto& db = store->database();
    if (writers > 0)
        load_and_vacuum(db, url, symbols, n, t0, writers);

    // One symbol, one year of 1m bars, read the way every command reads (load_bars).
    const std::string sym = "S" + std::to_string(symbols / 2) + "/USDT";
    const aurum::TimeRange year{t0, t0 + 365LL * aurum::kMsPerDay};
    std::vector<double> times;
    std::size_t got = 0;
    got = store->load_bars(sym, aurum::Timeframe(aurum::kMsPerMinute), year).size(); // connect
    const double server0 = server_cpu(db), client0 = client_cpu();
    for (int r = 0; r < 7; ++r) {
        const auto t = Clock::now();
        got = store->load_bars(sym, aurum::Timeframe(aurum::kMsPerMinute), year).size();
        times.push_back(seconds_since(t) * 1000);
    }
    const double server_ms = (server_cpu(db) - server0) / 7 * 1000;
    const double client_ms = (client_cpu() - client0) / 7 * 1000;
    std::sort(times.begin(), times.end());
    std::printf("read %s one year of 1m: %zu bars, median %.0f ms (min %.0f, max %.0f) of 7 reads"
                "; CPU per read: server %.0f ms, client %.0f ms\n",
                sym.c_str(), got, times[3], times.front(), times.back(), server_ms, client_ms);
    const auto id = db.query_one("SELECT id FROM series WHERE symbol = $1",
                                 std::vector<aurum::SqlValue>{sym})
                        ->as_int(0);
    std::printf("plan:\n");
    for (const auto& row : db.query("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) SELECT open_time, "
                                    "open, high, low, close, volume, spread FROM bars WHERE "
                                    "series_id = " + std::to_string(id) + " AND open_time >= " +
                                    std::to_string(year.from) + " AND open_time < " +
                                    std::to_string(year.to) + " ORDER BY open_time"))
        std::printf("  %s\n", row.as_string(0).c_str());
    return 0;
}
