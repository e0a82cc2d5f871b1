// Dashboard server benchmarks: every JSON endpoint's latency over HTTP on a session with 10,000
// closed trades and a year of 1h bars for 4 symbols (p50/p99 of 200 requests each, target p99
// <= 20 ms); and the time from the engine publishing a bar to an open event stream receiving it
// (target <= 100 ms).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>

#include <benchmark/benchmark.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "data/synthetic_market.hpp"
#include "live/live_session.hpp"
#include "live/session_events.hpp"
#include "live/state_store.hpp"
#include "surfaces/dashboard_server.hpp"

using namespace aurum;
using nlohmann::json;

namespace {

const std::vector<std::string> kSymbols{"BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT"};
const TimeMs kStart = make_time(2023, 1, 1);
constexpr int kDays = 365;
constexpr int kTrades = 10000;

/// A workspace whose database holds a year of 1h bars for 4 symbols and a finished paper session
/// with 10,000 trades, their orders and risk decisions, and an equity point per bar.
struct Workspace10k {
    std::filesystem::path home;
    Workspace10k() {
        home = std::filesystem::temp_directory_path() / ("aurum-bench-dash-" + std::to_string(::getpid()));
        std::filesystem::remove_all(home);
        Workspace ws(home);
        ws.ensure_dirs();
        auto store = open_market_store((home / "data" / "aurum.db").string());
        InstrumentRegistry reg;
        std::vector<std::string> syms;
        for (const auto& s : kSymbols)
            if (reg.find(s)) syms.push_back(s);
        auto cfg = SynthConfig::defaults(reg, syms, Timeframe(kMsPerHour), kStart, kDays, 7, false);
        const auto market = generate_synthetic_market(cfg);
        for (const auto& s : market.series) store->upsert_bars(s);
        StateStore st(store->database());
        Transaction tx(store->database());
        SessionRecord s;
        s.id = "paper-bench";
        s.mode = "paper";
        for (const auto& x : syms) s.symbols += (s.symbols.empty() ? "" : ",") + x;
        s.timeframe = "1h";
        s.capital = 10000;
        s.strategy = "sma-cross fast=10 slow=30 fraction=0.3";
        s.clock = "replay";
        s.trade_from = kStart;
        s.replay_to = kStart + kDays * kMsPerDay;
        s.status = "complete";
        s.initial_risk = "{}";
        st.upsert_session(s);
        st.put_kv("active_session", s.id);
        std::mt19937 rng(1);
        std::normal_distribution<double> pnl(1.0, 25.0);
        double equity = s.capital;
        const auto& bars = market.series.front();
        for (std::size_t k = 0; k < bars.size(); ++k) {
            equity *= 1 + 0.0005 * std::normal_distribution<double>(0.02, 1.0)(rng);
            st.insert_equity(s.id, bars.time[k], equity, equity * 0.5);
        }
        const TimeMs span = static_cast<TimeMs>(bars.size()) * kMsPerHour;
        int seq = 0;
        for (int i = 0; i < kTrades; ++i) {
            const std::string& sym = syms[static_cast<std::size_t>(i) % syms.size()];
            const TimeMs entry = kStart + kMsPerHour * (1 + static_cast<TimeMs>(i) * (span / kMsPerHour - 10) / kTrades);
            const TimeMs exit = entry + 3 * kMsPerHour;
            st.insert_trade(s.id, i, {sym, 1, entry, exit, 100, 101, 0.5, pnl(rng), 0.1});
            st.insert_decision(s.id, seq++, {entry, sym, "strategy", "reduce", "max_position",
                                             "Requested 0.6 buy; reduced to 0.5 due to max_position", 0.6, 0.5});
            OrderRecord o;
            o.client_order_id = "b" + std::to_string(i);
            o.session_id = s.id;
            o.symbol = sym;
            o.side = "buy";
            o.type = "market";
            o.qty = 0.5;
            o.bar_time = entry - kMsPerHour;
            o.source = "strategy";
            o.status = "filled";
            o.filled_qty = 0.5;
            o.avg_price = 100;
            st.insert_order(o);
        }
        st.write_snapshot(s.id, {bars.time.back(), static_cast<std::int64_t>(bars.size()), equity,
                                 equity * 0.5, 0, 0, 1});
        tx.commit();
    }
    ~Workspace10k() { std::filesystem::remove_all(home); }
};

Workspace10k& workspace() {
    static Workspace10k w;
    return w;
}

/// A signed-in client of a server on `port`.
struct Client {
    httplib::Client http;
    httplib::Headers auth;
    Client(int port, const Workspace& ws) : http("127.0.0.1", port) {
        auto r = http.Get("/login?token=" + mint_login_token(ws, SystemClock().now()));
        const std::string set = r ? r->get_header_value("Set-Cookie") : "";
        auth = {{"Cookie", set.substr(0, set.find(';'))}};
    }
};

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

} // namespace

// One endpoint's latency over loopback HTTP (the server's own SQLite connection), 200 requests.
static void BM_DashboardEndpoint(benchmark::State& state, std::string path) {
    spdlog::set_level(spdlog::level::warn);
    auto& w = workspace();
    DashboardServerOptions o;
    o.ws = Workspace(w.home);
    o.db_spec = (w.home / "data" / "aurum.db").string();
    DashboardServer server(o);
    const int port = server.start("127.0.0.1", 0);
    Client c(port, o.ws);
    std::vector<double> ms;
    std::size_t bytes = 0;
    for (auto _ : state) {
        for (int i = 0; i < 200; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            auto r = c.http.Get(path, c.auth);
            ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
            if (!r || r->status != 200) {
                state.SkipWithError(("GET " + path + " failed").c_str());
                return;
            }
            bytes = r->body.size();
        }
    }
    state.counters["p50_ms"] = percentile(ms, 0.50);
    state.counters["p99_ms"] = percentile(ms, 0.99);
    state.counters["bytes"] = static_cast<double>(bytes);
    server.stop();
}
BENCHMARK_CAPTURE(BM_DashboardEndpoint, overview, std::string("/api/overview"))->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DashboardEndpoint, equity, std::string("/api/equity"))->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DashboardEndpoint, predictions, std::string("/api/predictions"))->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DashboardEndpoint, trades, std::string("/api/trades"))->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DashboardEndpoint, trades_filtered, std::string("/api/trades?symbol=ETH/USDT&outcome=win&sort=pnl&limit=50&offset=100"))->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DashboardEndpoint, trade_record, std::string("/api/trades/5000"))->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DashboardEndpoint, candles, std::string("/api/candles?symbol=BTC/USDT&timeframe=1h"))->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DashboardEndpoint, risk, std::string("/api/risk"))->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DashboardEndpoint, health, std::string("/api/health"))->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DashboardEndpoint, performance, std::string("/api/performance"))->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DashboardEndpoint, signals, std::string("/api/signals"))->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DashboardEndpoint, audit, std::string("/api/audit"))->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DashboardEndpoint, session, std::string("/api/session"))->Iterations(1)->Unit(benchmark::kMillisecond);

// Engine publishes a bar -> an open event stream has parsed it (200 bars, 20 ms apart).
static void BM_DashboardSseBarLatency(benchmark::State& state) {
    spdlog::set_level(spdlog::level::warn);
    auto& w = workspace();
    EventBus bus;
    DashboardServerOptions o;
    o.ws = Workspace(w.home);
    o.db_spec = (w.home / "data" / "aurum.db").string();
    o.events = &bus;
    DashboardServer server(o);
    const int port = server.start("127.0.0.1", 0);
    std::vector<double> ms;
    for (auto _ : state) {
        Client c(port, o.ws);
        std::atomic<bool> ready{false};
        std::string buf;
        std::thread reader([&] {
            c.http.Get("/api/events", c.auth, [&](const char* d, std::size_t n) {
                ready = true;
                buf.append(d, n);
                std::size_t at;
                while ((at = buf.find("\n\n")) != std::string::npos) {
                    const std::string ev = buf.substr(0, at);
                    buf.erase(0, at + 2);
                    if (ev.rfind("event: bar", 0) != 0) continue;
                    const auto sent = json::parse(ev.substr(ev.find("data: ") + 6))["sent_ns"].get<std::int64_t>();
                    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
                    ms.push_back(static_cast<double>(now - sent) / 1e6);
                }
                return ms.size() < 200;
            });
        });
        while (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        for (int i = 0; i < 200 && ms.size() < 200; ++i) {
            bus.publish("bar", json{{"time", i}, {"sent_ns", std::chrono::steady_clock::now().time_since_epoch().count()}}.dump());
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        reader.join();
    }
    state.counters["p50_ms"] = percentile(ms, 0.50);
    state.counters["p99_ms"] = percentile(ms, 0.99);
    state.counters["max_ms"] = percentile(ms, 1.0);
    server.stop();
}
BENCHMARK(BM_DashboardSseBarLatency)->Iterations(1)->Unit(benchmark::kMillisecond);

// The daemon's bar close -> order sent with the dashboard's events published after every step,
// without (0) and with (1) an event stream attached over HTTP: the order is sent inside the step,
// the events after it, so the latency must not change; `publish_us` is what publishing costs the
// engine thread per step (paid after the order, before the next bar).
static void BM_BarCloseToOrderWithDashboard(benchmark::State& state) {
    spdlog::set_level(spdlog::level::warn);
    const bool attached = state.range(0) == 1;
    const auto dir = std::filesystem::temp_directory_path() / ("aurum-bench-dash-lat-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    Workspace ws(dir);
    ws.ensure_dirs();
    const std::string db = (dir / "data" / "aurum.db").string();
    auto store = open_market_store(db);
    InstrumentRegistry reg;
    auto cfg = SynthConfig::defaults(reg, {"BTC/USDT", "ETH/USDT"}, Timeframe(kMsPerHour),
                                     make_time(2020, 1, 1), 200, 3, false);
    for (const auto& x : generate_synthetic_market(cfg).series) store->upsert_bars(x);
    EventBus bus;
    DashboardServerOptions o;
    o.ws = ws;
    o.db_spec = db;
    o.events = &bus;
    DashboardServer server(o);
    const int port = server.start("127.0.0.1", 0);
    std::atomic<bool> done{false};
    std::atomic<long> received{0};
    std::thread reader;
    if (attached) {
        reader = std::thread([&] {
            Client c(port, ws);
            c.http.Get("/api/events", c.auth, [&](const char*, std::size_t) {
                ++received;
                return !done.load();
            });
        });
        while (bus.subscribers() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::vector<double> us, pub;
    TimeMs wall = 1;
    for (auto _ : state) {
        LiveOptions lo;
        lo.symbols = {"BTC/USDT", "ETH/USDT"};
        lo.timeframe = Timeframe(kMsPerHour);
        lo.replay = true;
        lo.replay_from = make_time(2020, 1, 1) + 10 * kMsPerDay;
        lo.replay_to = make_time(2020, 1, 1) + 200 * kMsPerDay;
        lo.warmup_bars = 100;
        lo.strategy.name = "sma-cross";
        lo.strategy.params = {{"fast", 2}, {"slow", 5}};
        lo.strategy.sizing.fraction = 0.3;
        lo.new_session = true;
        LiveSession s(store->database(), *store, lo, RiskLimits{}, InstrumentRegistry(), {});
        s.open(++wall, false, "");
        SessionEventPublisher publisher(bus);
        for (;;) {
            const std::size_t sent = s.journal().sent_ids().size();
            const auto t0 = std::chrono::steady_clock::now();
            const auto r = s.step(wall);
            if (r == LiveSession::StepResult::Finished) break;
            if (s.journal().sent_ids().size() > sent)
                us.push_back(std::chrono::duration<double, std::micro>(s.journal().last_send() - t0).count());
            const auto p0 = std::chrono::steady_clock::now();
            publisher.after_step(s);
            pub.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - p0).count());
        }
    }
    done = true;
    bus.close();
    if (reader.joinable()) reader.join();
    server.stop();
    state.counters["orders"] = static_cast<double>(us.size());
    state.counters["p50_us"] = percentile(us, 0.50);
    state.counters["p99_us"] = percentile(us, 0.99);
    state.counters["publish_p50_us"] = percentile(pub, 0.50);
    state.counters["publish_p99_us"] = percentile(pub, 0.99);
    state.counters["stream_chunks"] = static_cast<double>(received.load());
    store.reset();
    std::filesystem::remove_all(dir);
}
BENCHMARK(BM_BarCloseToOrderWithDashboard)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
