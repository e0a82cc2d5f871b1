// Alerts: (1) enqueueing an alert on the trading thread (build the event + AlertBuffer::enqueue;
// the commit writes it later), reported as p50/p99 in microseconds; (2) 1,000 queued alerts
// drained to a fake Discord webhook on 127.0.0.1 at the channel's documented pace (5 per 2 s),
// with the pace checked over every window. Time for the pacing is simulated (the dispatcher takes
// `now`), so the drain runs in seconds of wall time while honouring 400 s of channel time.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include <httplib.h>

#include "live/alert_outbox.hpp"
#include "live/session_alerts.hpp"
#include "surfaces/alerts/alert_dispatcher.hpp"

using namespace aurum;

static void BM_AlertEnqueue(benchmark::State& state) {
    AlertBuffer buf;
    RiskAssessment a;
    a.time = 1;
    a.symbol = "BTC/USDT";
    a.source = "strategy";
    a.verdict = RiskVerdict::Reduce;
    a.requested = 0.4;
    a.approved = 0.25;
    a.rule = "max_position";
    a.reason = "Requested 0.4 BTC; reduced to 0.25 BTC due to max position 25% of equity";
    std::vector<double> us;
    us.reserve(1 << 20);
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        buf.enqueue(risk_decision_alert(1000, a));
        const auto t1 = std::chrono::steady_clock::now();
        us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        if (buf.size() >= 256) {
            state.PauseTiming();
            benchmark::DoNotOptimize(buf.take()); // the commit's take()
            state.ResumeTiming();
        }
    }
    std::sort(us.begin(), us.end());
    state.counters["p50_us"] = us[us.size() / 2];
    state.counters["p99_us"] = us[us.size() * 99 / 100];
    state.counters["max_us"] = us.back();
}
BENCHMARK(BM_AlertEnqueue)->Iterations(200000);

static void BM_DrainThousandAtDiscordPace(benchmark::State& state) {
    httplib::Server server;
    std::atomic<int> got{0};
    server.Post("/hook", [&](const httplib::Request&, httplib::Response& res) {
        ++got;
        res.set_content(R"({"id":"1"})", "application/json");
    });
    const int port = server.bind_to_any_port("127.0.0.1");
    std::thread th([&] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const auto path = std::filesystem::temp_directory_path() / "aurum_bench_alerts.db";
    for (auto _ : state) {
        state.PauseTiming();
        std::filesystem::remove(path);
        auto db = open_database(path.string());
        AlertStore store(*db);
        {
            Transaction tx(*db);
            for (int i = 0; i < 1000; ++i)
                store.insert(make_alert(0, "bench", AlertSeverity::Warning, "alert " + std::to_string(i), "x"));
            tx.commit();
        }
        std::vector<ChannelRoute> routes;
        routes.push_back({make_discord_channel("http://127.0.0.1:" + std::to_string(port) + "/hook", 5000),
                          AlertSeverity::Info, false});
        AlertDispatcher d(*db, std::move(routes), DispatchPolicy{});
        got = 0;
        state.ResumeTiming();
        std::vector<TimeMs> sent;
        TimeMs t = 0;
        while (!d.idle()) {
            const int before = got.load();
            const TimeMs next = d.run_once(t);
            for (int k = before; k < got.load(); ++k) sent.push_back(t);
            t = std::max(t + 1, next);
        }
        state.PauseTiming();
        int worst = 0; // most messages inside any 2 s window
        for (std::size_t i = 0, j = 0; i < sent.size(); ++i) {
            while (sent[i] - sent[j] >= 2000) ++j;
            worst = std::max(worst, static_cast<int>(i - j + 1));
        }
        state.counters["sent"] = static_cast<double>(sent.size());
        state.counters["max_per_2s"] = worst;
        state.counters["channel_s"] = static_cast<double>(t) / 1000.0;
        state.ResumeTiming();
    }
    server.stop();
    th.join();
    std::filesystem::remove(path);
}
BENCHMARK(BM_DrainThousandAtDiscordPace)->Iterations(1)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
