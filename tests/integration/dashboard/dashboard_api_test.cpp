// The dashboard's HTTP API against a paper daemon replaying real BTC/USDT + ETH/USDT 4h data:
// sign-in (one-time link, HttpOnly cookie), every read's JSON checked against the CLI's own
// figures (`aurum status`, `aurum summary`) and the database, CSRF and bad bodies refused with
// nothing changed, commands through the one command path (audited as the dashboard), the order
// preview placing nothing, Server-Sent Events from the engine, and the read-only offline server.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <regex>
#include <thread>

#include <map>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "live/control.hpp"
#include "live/state_store.hpp"
#include "support/data/shared_bars.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"
#include "surfaces/dashboard_auth.hpp"

using namespace aurum;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// Imports the real 4h candles of both symbols into the workspace's database.
bool seed_real(const fs::path& home) {
    if (test::shared_data("crypto/binance/BTCUSDT_4h.csv").empty() ||
        test::shared_data("crypto/binance/ETHUSDT_4h.csv").empty())
        return false;
    Workspace(home).ensure_dirs();
    // Wide breakers: the session must still be ACTIVE at its end for the command checks (2021
    // has crashes that would otherwise trip the drawdown breaker).
    test::write_text(home / "config" / "risk.yaml",
                     "risk:\n  max_drawdown: 0.6\n  daily_loss_limit: 0.3\n");
    auto store = open_market_store(test::home_db(home));
    for (const auto& [file, sym] : {std::pair{"crypto/binance/BTCUSDT_4h.csv", "BTC/USDT"},
                                    std::pair{"crypto/binance/ETHUSDT_4h.csv", "ETH/USDT"}}) {
        BarSeries b = test::load_shared_bars(file);
        b.symbol = sym;
        b.timeframe = Timeframe(4 * kMsPerHour);
        store->upsert_bars(b);
    }
    return true;
}

std::vector<std::string> run_args(const fs::path& home, const std::string& from,
                                  const std::string& to, const std::string& speed) {
    return {"--home", home.string(), "-q", "run", "--mode", "paper", "--symbols",
            "BTC/USDT,ETH/USDT", "--timeframe", "4h", "--replay-from", from, "--replay-to", to,
            "--speed", speed, "--param", "fast=5", "--param", "slow=20", "--param", "stop-loss=0.05",
            "--fraction", "0.4",
            "--port", "0", "--dashboard-port", "0", "--serve"};
}

/// Waits until `pred` holds (polling every 50 ms) or `seconds` pass.
template <class F>
bool wait_for(F pred, int seconds) {
    for (int i = 0; i < seconds * 20; ++i) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pred();
}

/// A browser of the dashboard: signs in through a login link and keeps the cookie and CSRF token.
struct Browser {
    int port = 0;
    std::string cookie, csrf;
    httplib::Client http() const {
        httplib::Client c("127.0.0.1", port);
        c.set_read_timeout(30, 0);
        return c;
    }
    httplib::Headers auth() const { return {{"Cookie", "aurum_session=" + cookie}}; }
    /// Signs in with the URL's token; returns the /login answer's status.
    int login(const std::string& url) {
        const std::smatch m = [&] {
            std::smatch mm;
            std::regex_search(url, mm, std::regex(R"(//127\.0\.0\.1:(\d+)/login\?token=([0-9a-f]+))"));
            return mm;
        }();
        if (m.empty()) return -1;
        port = std::stoi(m[1]);
        auto r = http().Get("/login?token=" + m[2].str());
        if (!r) return -2;
        if (r->status == 303) {
            const std::string set = r->get_header_value("Set-Cookie");
            EXPECT_NE(set.find("HttpOnly"), std::string::npos) << set;
            EXPECT_NE(set.find("SameSite=Strict"), std::string::npos) << set;
            EXPECT_EQ(r->get_header_value("Location"), "/");
            cookie = cookie_value(set.substr(0, set.find(';')), "aurum_session");
            auto s = http().Get("/api/session", auth());
            if (s && s->status == 200) csrf = json::parse(s->body)["csrf"];
        }
        return r->status;
    }
    json get(const std::string& path, int expect = 200) const {
        auto r = http().Get(path, auth());
        EXPECT_TRUE(r) << path;
        if (!r) return nullptr;
        EXPECT_EQ(r->status, expect) << path << ": " << r->body;
        EXPECT_EQ(r->get_header_value("Content-Type"), "application/json") << path;
        return json::parse(r->body);
    }
    std::pair<int, json> post(const std::string& path, const std::string& body,
                              bool with_csrf = true) const {
        httplib::Headers h = auth();
        if (with_csrf) h.emplace("X-CSRF-Token", csrf);
        auto r = http().Post(path, h, body, "application/json");
        if (!r) return {-1, nullptr};
        return {r->status, json::parse(r->body, nullptr, false)};
    }
};

/// The login URL `aurum dashboard --url` prints for the workspace.
std::string url_of(const fs::path& home) {
    const auto r = test::run_aurum({"--home", home.string(), "dashboard", "--url"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::smatch m;
    std::regex_search(r.out, m, std::regex(R"(http://\S+)"));
    return m.empty() ? "" : m[0].str();
}

json cli_json(const fs::path& home, const std::string& cmd, const std::string& sub = "") {
    std::vector<std::string> args{"--home", home.string(), "--json", cmd};
    if (!sub.empty()) args.push_back(sub);
    const auto r = test::run_aurum(args);
    EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
    return json::parse(r.out);
}

int audit_rows(const fs::path& home) {
    auto db = open_database(test::home_db(home));
    StateStore st(*db);
    return static_cast<int>(st.audit_log(100000).size());
}

void stop_daemon(pid_t pid) {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
}

/// Stops a child process when the test ends early (a failed ASSERT) as well as on success.
struct Child {
    pid_t pid;
    ~Child() { stop(); }
    void stop() {
        stop_daemon(pid);
        pid = -1;
    }
};

} // namespace

TEST(DashboardApi, serves_a_replayed_paper_session_on_real_data) {
    test::TempDir home;
    if (!seed_real(home.path()))
        GTEST_SKIP() << "../shared/data/crypto/binance/{BTC,ETH}USDT_4h.csv not found: real-data "
                        "tests need the shared data beside the project (CI has it)";
    Child daemon{test::spawn_aurum(run_args(home.path(), "2021-01-01", "2022-01-01", "0"),
                                   home / "daemon.log")};
    ASSERT_TRUE(wait_for([&] { return test::final_state(home.path()).status == "complete"; }, 300))
        << test::slurp(home / "daemon.log");
    ASSERT_TRUE(wait_for([&] { return read_dashboard_info(Workspace(home.path())).has_value(); }, 30));

    Browser anon;
    anon.port = read_dashboard_info(Workspace(home.path()))->port;
    // No session: 401 on reads and writes, nothing changed.
    const int audits = audit_rows(home.path());
    EXPECT_EQ(anon.http().Get("/api/overview")->status, 401);
    EXPECT_EQ(anon.http().Post("/api/commands/pause", R"({"duration_ms": 60000})", "application/json")->status, 401);
    EXPECT_EQ(anon.http().Get("/api/events")->status, 401);
    EXPECT_EQ(anon.http().Get("/login?token=0123")->status, 401);
    // The page itself loads without a session (it signs in through /api), under a strict CSP.
    auto page = anon.http().Get("/");
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200);
    EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
    EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"),
              std::string::npos);
    EXPECT_EQ(page->get_header_value("Content-Security-Policy").find("unsafe-eval"), std::string::npos);

    // Sign in once; the same link does not work twice.
    Browser b;
    const std::string url = url_of(home.path());
    ASSERT_EQ(b.login(url), 303) << url;
    ASSERT_FALSE(b.csrf.empty());
    Browser again;
    EXPECT_EQ(again.login(url), 401);

    const json session = b.get("/api/session");
    EXPECT_EQ(session["mode"], "paper");
    EXPECT_EQ(session["read_only"], false);
    EXPECT_TRUE(session["daemon"]["running"].get<bool>());

    // Overview: the CLI's figures.
    const json status = cli_json(home.path(), "status");
    const json summary = cli_json(home.path(), "summary");
    const json ov = b.get("/api/overview");
    EXPECT_EQ(ov["session_id"], status["session"]);
    EXPECT_DOUBLE_EQ(ov["equity"].get<double>(), status["equity"].get<double>());
    EXPECT_EQ(ov["state"], status["trading_state"]);
    EXPECT_GT(ov["data_time"].get<TimeMs>(), 0);
    const test::Final fin = test::final_state(home.path());
    ASSERT_GT(fin.trades.size(), 5u) << "the replay should trade";
    EXPECT_EQ(ov["trades"].get<std::size_t>(), fin.trades.size());
    EXPECT_EQ(ov["positions"].size(), status["positions"].size());
    EXPECT_LE(ov["recent_trades"].size(), 10u);
    EXPECT_NEAR(ov["pnl"]["total"].get<double>(), status["equity"].get<double>() - ov["capital"].get<double>(), 1e-6);
    EXPECT_DOUBLE_EQ(ov["pnl"]["today"].get<double>(), summary["pnl_today"].get<double>());

    // Trades: total, filters that partition it, sorting, paging.
    const json all = b.get("/api/trades?limit=1000");
    EXPECT_EQ(all["total"].get<std::size_t>(), fin.trades.size());
    const json wins = b.get("/api/trades?outcome=win&limit=1000");
    const json losses = b.get("/api/trades?outcome=loss&limit=1000");
    EXPECT_EQ(wins["total"].get<int>() + losses["total"].get<int>(), all["total"].get<int>());
    for (const auto& t : wins["trades"]) EXPECT_GT(t["pnl"].get<double>(), 0);
    const json btc = b.get("/api/trades?symbol=BTC/USDT&limit=1000");
    const json eth = b.get("/api/trades?symbol=ETH/USDT&limit=1000");
    EXPECT_EQ(btc["total"].get<int>() + eth["total"].get<int>(), all["total"].get<int>());
    const json by_pnl = b.get("/api/trades?sort=pnl&order=desc&limit=1000");
    for (std::size_t k = 1; k < by_pnl["trades"].size(); ++k)
        EXPECT_GE(by_pnl["trades"][k - 1]["pnl"].get<double>(), by_pnl["trades"][k]["pnl"].get<double>());
    const json asc = b.get("/api/trades?limit=1000&sort=entry_time&order=asc");
    const json page2 = b.get("/api/trades?limit=3&offset=3&sort=entry_time&order=asc");
    ASSERT_EQ(page2["trades"].size(), 3u);
    for (std::size_t k = 0; k < 3; ++k) EXPECT_EQ(page2["trades"][k]["id"], asc["trades"][3 + k]["id"]);
    // Trades closed on the summary's day are the ones `aurum summary` lists as closed.
    int closed_today = 0;
    for (const auto& t : summary["trades_today"])
        closed_today += t["text"].get<std::string>().rfind("Closed", 0) == 0;
    int in_day = 0;
    const TimeMs day = *parse_time(summary["date"].get<std::string>());
    for (const auto& t : all["trades"])
        in_day += t["exit_time"].get<TimeMs>() >= day && t["exit_time"].get<TimeMs>() < day + kMsPerDay;
    EXPECT_EQ(in_day, closed_today);

    // A decision record: the risk manager's words and the sizing arithmetic.
    const json rec = b.get("/api/trades/0");
    EXPECT_EQ(rec["trade"]["id"], 0);
    ASSERT_FALSE(rec["risk"].empty()) << rec.dump(2);
    EXPECT_NE(rec["risk"][0]["reason"].get<std::string>().find("Requested"), std::string::npos);
    EXPECT_NE(rec["sizing"]["arithmetic"].get<std::string>().find("x equity"), std::string::npos)
        << rec["sizing"].dump();
    EXPECT_NEAR(rec["sizing"]["fraction"].get<double>(), 0.4, 1e-12);
    EXPECT_FALSE(rec["orders"].empty());
    b.get("/api/trades/" + std::to_string(fin.trades.size()), 404);

    // Equity: the curve ends where `aurum status` does; drawdown <= 0; overlays aligned.
    const json eq = b.get("/api/equity");
    ASSERT_FALSE(eq["times"].empty());
    EXPECT_EQ(eq["equity"].size(), eq["times"].size());
    EXPECT_EQ(eq["drawdown"].size(), eq["times"].size());
    EXPECT_DOUBLE_EQ(eq["equity"].back().get<double>(), status["equity"].get<double>());
    for (const auto& d : eq["drawdown"]) EXPECT_LE(d.get<double>(), 0.0);
    for (const char* s : {"BTC/USDT", "ETH/USDT"}) {
        ASSERT_TRUE(eq["benchmarks"].contains(s));
        EXPECT_EQ(eq["benchmarks"][s].size(), eq["times"].size());
        EXPECT_DOUBLE_EQ(eq["benchmarks"][s][0].get<double>(), eq["capital"].get<double>());
    }

    // Candles with the trades' markers.
    const json cs = b.get("/api/candles?symbol=BTC/USDT&limit=20000&from=" +
                          std::to_string(eq["times"][0].get<TimeMs>()));
    EXPECT_EQ(cs["open"].size(), cs["time"].size());
    EXPECT_EQ(cs["close"].size(), cs["time"].size());
    EXPECT_EQ(cs["timeframe"], "4h");
    EXPECT_EQ(cs["markers"].size(), 2 * btc["total"].get<std::size_t>());
    // Protective stops (stop-loss=0.05): each a segment inside its trade, 5 % under its entry.
    ASSERT_FALSE(cs["stops"].empty());
    std::map<int, json> by_id;
    for (const auto& t : all["trades"]) by_id[t["id"].get<int>()] = t;
    std::size_t in_trades = 0;
    for (const auto& st : cs["stops"]) {
        EXPECT_LE(st["from"].get<TimeMs>(), st["to"].get<TimeMs>());
        if (st["trade_id"].is_null()) continue;
        ++in_trades;
        const json& t = by_id.at(st["trade_id"].get<int>());
        EXPECT_EQ(t["symbol"], "BTC/USDT");
        EXPECT_EQ(st["side"], "sell");
        EXPECT_GE(st["from"].get<TimeMs>(), t["entry_time"].get<TimeMs>());
        EXPECT_LE(st["to"].get<TimeMs>(), t["exit_time"].get<TimeMs>());
        EXPECT_NEAR(st["price"].get<double>(), t["entry_price"].get<double>() * 0.95, 0.01);
    }
    EXPECT_GT(in_trades, 0u);

    // Risk, health, performance, predictions, signals, audit.
    const json risk = b.get("/api/risk");
    EXPECT_EQ(risk["limits"], cli_json(home.path(), "risk", "show")["limits"]);
    ASSERT_EQ(risk["correlation"]["symbols"].size(), 2u);
    EXPECT_DOUBLE_EQ(risk["correlation"]["matrix"][0][0].get<double>(), 1.0);
    EXPECT_EQ(risk["correlation"]["matrix"][0][1], risk["correlation"]["matrix"][1][0]);
    EXPECT_GT(risk["correlation"]["matrix"][0][1].get<double>(), 0.3); // BTC and ETH move together
    std::set<std::string> names;
    for (const auto& br : risk["breakers"]) {
        names.insert(br["name"]);
        EXPECT_GE(br["pct_used"].get<double>(), 0.0);
    }
    for (const char* n : {"daily_loss", "drawdown", "portfolio_heat", "max_position", "leverage"})
        EXPECT_TRUE(names.count(n)) << n;
    const json health = b.get("/api/health");
    EXPECT_EQ(health["data"].size(), 2u);
    EXPECT_TRUE(health["daemon"]["running"].get<bool>());
    EXPECT_GT(health["db_bytes"].get<double>(), 0);
    EXPECT_TRUE(health["log_tail"].is_array());
    const json perf = b.get("/api/performance");
    double growth = 1;
    for (const auto& m : perf["monthly"]) growth *= 1 + m["return"].get<double>();
    EXPECT_NEAR(growth, status["equity"].get<double>() / ov["capital"].get<double>(), 1e-9);
    ASSERT_EQ(perf["by_asset"].size(), 2u);
    EXPECT_EQ(perf["by_asset"][0]["days_per_year"], 365.0);
    int n = 0;
    for (const auto& c : perf["distribution"]["counts"]) n += c.get<int>();
    EXPECT_EQ(static_cast<std::size_t>(n), fin.trades.size());
    const json preds = b.get("/api/predictions");
    EXPECT_EQ(preds["calibration"].size(), 10u);
    EXPECT_TRUE(preds["latest"].empty()); // a rule strategy makes no predictions
    EXPECT_TRUE(b.get("/api/signals?status=pending")["signals"].is_array());
    EXPECT_TRUE(b.get("/api/audit")["entries"].is_array());

    // Bad parameters: 400 naming the parameter.
    EXPECT_EQ(b.get("/api/trades?sort=bogus", 400)["field"], "sort");
    EXPECT_EQ(b.get("/api/trades?limit=ten", 400)["field"], "limit");
    EXPECT_EQ(b.get("/api/candles", 400)["field"], "symbol");

    // Writes: no CSRF header -> 403 and nothing changed; bad bodies -> 400 naming the field.
    ASSERT_EQ(status["trading_state"], "ACTIVE") << "the replay must end with trading active";
    const int before = audit_rows(home.path());
    EXPECT_EQ(before, audits);
    EXPECT_EQ(b.post("/api/commands/pause", R"({"duration_ms": 60000})", false).first, 403);
    auto [s1, j1] = b.post("/api/commands/pause", R"({"duration_ms": "soon"})");
    EXPECT_EQ(s1, 400);
    EXPECT_EQ(j1["field"], "duration_ms");
    auto [s2, j2] = b.post("/api/commands/trade", R"({"symbol": "BTC/USDT", "side": "up", "amount": 1})");
    EXPECT_EQ(s2, 400);
    EXPECT_EQ(j2["field"], "side");
    EXPECT_EQ(b.post("/api/commands/pause", "[1, 2]").first, 400);
    EXPECT_EQ(b.post("/api/commands/pause", "{not json").first, 400);
    EXPECT_EQ(b.post("/api/commands/nonsense", "{}").first, 400);
    EXPECT_EQ(audit_rows(home.path()), before);
    EXPECT_EQ(cli_json(home.path(), "status")["trading_state"], "ACTIVE");

    // The order preview asks the risk manager and places nothing.
    const std::size_t orders = test::final_state(home.path()).orders.size();
    auto [sp, pv] = b.post("/api/orders/preview", R"({"symbol": "BTC/USDT", "side": "long", "amount": 100})");
    ASSERT_EQ(sp, 200) << pv.dump();
    EXPECT_NE(pv["verdict"], "approve") << pv.dump(); // 100 BTC is far beyond max_position
    EXPECT_LT(pv["final_qty"].get<double>(), 100.0);
    EXPECT_GE(pv["heat_after"].get<double>(), 0.0);
    EXPECT_FALSE(pv["reason"].get<std::string>().empty());
    auto [sp2, pv2] = b.post("/api/orders/preview", R"({"symbol": "BTC/USDT", "side": "long"})");
    EXPECT_EQ(sp2, 400);
    EXPECT_EQ(pv2["field"], "amount");
    auto [sp3, pv3] = b.post("/api/orders/preview", R"({"symbol": "DOGE/USDT", "side": "long", "amount": 1})");
    EXPECT_EQ(sp3, 400) << pv3.dump();
    EXPECT_EQ(test::final_state(home.path()).orders.size(), orders);
    EXPECT_EQ(audit_rows(home.path()), before);

    // A command from the page: the same command path, audited as the dashboard's.
    auto [sc, oc] = b.post("/api/commands/pause", R"({"duration_ms": 3600000, "reason": "from the page"})");
    EXPECT_EQ(sc, 200) << oc.dump();
    EXPECT_EQ(cli_json(home.path(), "status")["trading_state"], "PAUSED");
    const json audit = b.get("/api/audit?limit=5");
    ASSERT_FALSE(audit["entries"].empty());
    EXPECT_EQ(audit["entries"][0]["command"], "pause");
    EXPECT_EQ(audit["entries"][0]["source"], "dashboard");
    EXPECT_EQ(audit["entries"][0]["reason"], "from the page");
    EXPECT_EQ(b.get("/api/overview")["state"], "PAUSED");
    // A rule refusing a command is a 409 with the rule's words.
    auto [sr, orr] = b.post("/api/commands/pause", R"({"duration_ms": 60000})");
    EXPECT_EQ(sr, 200) << orr.dump(); // pausing again while paused is allowed (extends)
    auto [sk, ok] = b.post("/api/commands/killswitch_reset", R"({"confirm": "test"})");
    EXPECT_TRUE(sk == 409 || sk == 400) << ok.dump();
    EXPECT_EQ(b.post("/api/commands/resume", R"({"reason": "done"})").first, 200);
    EXPECT_EQ(cli_json(home.path(), "status")["trading_state"], "ACTIVE");

    daemon.stop();
    EXPECT_FALSE(read_dashboard_info(Workspace(home.path())).has_value());

    // No daemon: `aurum dashboard` serves the same reads and refuses every write.
    Child off{test::spawn_aurum({"--home", home.path().string(), "dashboard", "--port", "0"},
                                home / "offline.log")};
    std::string off_url;
    ASSERT_TRUE(wait_for([&] {
        std::smatch m;
        const std::string log = test::slurp(home / "offline.log");
        if (!std::regex_search(log, m, std::regex(R"(http://\S+)"))) return false;
        off_url = m[0];
        return true;
    }, 30)) << test::slurp(home / "offline.log");
    Browser o;
    ASSERT_EQ(o.login(off_url), 303);
    const json os = o.get("/api/session");
    EXPECT_EQ(os["read_only"], true);
    EXPECT_EQ(os["mode"], "offline");
    EXPECT_NE(os["read_only_reason"].get<std::string>().find("daemon not running"), std::string::npos);
    EXPECT_DOUBLE_EQ(o.get("/api/overview")["equity"].get<double>(), status["equity"].get<double>());
    EXPECT_EQ(o.get("/api/trades")["total"].get<std::size_t>(), fin.trades.size());
    const int before_off = audit_rows(home.path());
    for (const char* path : {"/api/commands/pause", "/api/commands/emergency_stop", "/api/orders/preview"}) {
        auto [st, body] = o.post(path, R"({"duration_ms": 60000, "reason": "x"})");
        EXPECT_EQ(st, 409) << path;
        EXPECT_NE(body["error"].get<std::string>().find("daemon not running"), std::string::npos);
    }
    EXPECT_EQ(audit_rows(home.path()), before_off);
    EXPECT_EQ(cli_json(home.path(), "status")["trading_state"], "ACTIVE");
}

TEST(DashboardApi, server_sent_events_carry_the_engines_bars) {
    test::TempDir home;
    if (!seed_real(home.path()))
        GTEST_SKIP() << "../shared/data/crypto/binance/{BTC,ETH}USDT_4h.csv not found: real-data "
                        "tests need the shared data beside the project (CI has it)";
    // 4h bars at ~20 per second: the stream sees them arrive while the replay runs.
    Child daemon{test::spawn_aurum(run_args(home.path(), "2021-01-01", "2021-03-01", "288000"),
                                   home / "daemon.log")};
    ASSERT_TRUE(wait_for([&] { return read_dashboard_info(Workspace(home.path())).has_value(); }, 120))
        << test::slurp(home / "daemon.log");
    Browser b;
    ASSERT_EQ(b.login(url_of(home.path())), 303);
    std::string stream;
    std::vector<json> bars;
    httplib::Client c = b.http();
    auto r = c.Get("/api/events", b.auth(), [&](const char* data, std::size_t len) {
        stream.append(data, len);
        std::size_t at;
        while ((at = stream.find("\n\n")) != std::string::npos) {
            const std::string ev = stream.substr(0, at);
            stream.erase(0, at + 2);
            if (ev.rfind("event: bar\n", 0) == 0)
                bars.push_back(json::parse(ev.substr(ev.find("data: ") + 6)));
        }
        return bars.size() < 3; // enough: close the stream
    });
    daemon.stop();
    ASSERT_GE(bars.size(), 3u) << test::slurp(home / "daemon.log");
    for (std::size_t k = 1; k < bars.size(); ++k)
        EXPECT_GT(bars[k]["time"].get<TimeMs>(), bars[k - 1]["time"].get<TimeMs>());
    EXPECT_GT(bars.back()["equity"].get<double>(), 0.0);
}
