// The production model in the paper daemon, as a user runs it: a replay with `strategy: model`
// stores every prediction with its top features; kill -9 mid-replay then restart ends exactly
// where an uninterrupted run ends; a model_reload is journaled and re-applied at the same bar by
// a recovery; `aurum retrain` keeps production (and the daemon's model) when gating fails and
// hot-swaps the daemon when it promotes; bad input exits 2 and changes nothing.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/logging.hpp"
#include "core/workspace.hpp"
#include "data/market_store.hpp"
#include "data/synthetic_market.hpp"
#include "live/control.hpp"
#include "live/live_session.hpp"
#include "models/registry.hpp"
#include "support/live_helpers.hpp"
#include "support/test_support.hpp"
#include "surfaces/control_api_client.hpp"

using namespace aurum;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const TimeMs kStart = make_time(2023, 1, 1);

using test::slurp;

std::string db_of(const fs::path& home) {
    return (home / "data" / "aurum.db").string();
}

/// models.yaml for fast tests: 3 folds, 30 rounds, a low threshold and no policy costs so the
/// model enters often on the synthetic market. `min_sharpe` sets the gate.
std::string models_yaml(double min_sharpe) {
    std::ifstream in(test::source_file("config/models.yaml"));
    std::stringstream ss;
    ss << in.rdbuf();
    std::string y = ss.str();
    auto set = [&](const std::string& from, const std::string& to) {
        const auto p = y.find(from);
        EXPECT_NE(p, std::string::npos) << from;
        if (p != std::string::npos)
            y.replace(p, from.size(), to);
    };
    set("folds: 5", "folds: 3");
    set("rounds: 400", "rounds: 30");
    set("nthread: 2", "nthread: 1"); // OpenMP threads spin on a busy 2-core machine
    set("threshold: 0.70", "threshold: 0.53");
    set("fee: 0.001", "fee: 0.0");
    set("spread_bps: 2", "spread_bps: 0");
    set("slippage_bps: 2", "slippage_bps: 0");
    set("min_sharpe: 1.0", "min_sharpe: " + std::to_string(min_sharpe));
    return y;
}

const char* kLiveYaml = R"(live:
  symbols: [BTC/USDT, ETH/USDT]
  timeframe: 4h
  capital: 10000
  strategy: {name: model, model: production, fraction: 0.3}
  fees: {taker: 0.001}
  slippage_bps: 5
  approval: {enabled: false}
  warmup_bars: 250
)";

/// A workspace with 330 days of synthetic BTC/ETH 4h bars, BTC's GBDT v1 force-promoted to
/// production and ETH's only a candidate (so ETH has no production model). Built once, copied
/// per test.
const fs::path& template_home() {
    static test::TempDir* dir = [] {
        auto* d = new test::TempDir();
        const Workspace ws(d->path());
        ws.ensure_dirs();
        {
            auto store = open_market_store(ws.default_db());
            InstrumentRegistry reg;
            auto cfg = SynthConfig::defaults(reg, {"BTC/USDT", "ETH/USDT"},
                                             Timeframe(4 * kMsPerHour), kStart, 330, 11, false);
            for (const auto& s : generate_synthetic_market(cfg).series)
                store->upsert_bars(s);
        }
        test::write_text(ws.config_file("models.yaml"), models_yaml(1.0));
        test::write_text(ws.config_file("live.yaml"), kLiveYaml);
        const auto btc = test::run_aurum({"--home", d->path().string(), "-q", "train", "--model",
                                          "gbdt", "--symbols", "BTC/USDT", "--timeframe", "4h",
                                          "--to", "2023-08-01", "--promote", "--force"});
        EXPECT_EQ(btc.exit_code, 0) << btc.err;
        const auto eth =
            test::run_aurum({"--home", d->path().string(), "-q", "train", "--model", "gbdt",
                             "--symbols", "ETH/USDT", "--timeframe", "4h", "--to", "2023-08-01"});
        EXPECT_EQ(eth.exit_code, 0) << eth.err;
        return d;
    }();
    return dir->path();
}

void copy_template(const fs::path& to) { test::copy_tree(template_home(), to); }

std::vector<std::string> replay_args(const fs::path& home, std::vector<std::string> extra = {}) {
    std::vector<std::string> a{
        "--home",        home.string(), "-q",          "run",        "--mode",  "paper",
        "--replay-from", "2023-08-01",  "--replay-to", "2023-11-01", "--speed", "0"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
}

using test::spawn_aurum;

using test::Final;
using test::final_state;
using test::expect_same_final;

std::int64_t count_rows(const fs::path& home, const std::string& table) {
    auto db = open_database(db_of(home));
    StateStore st(*db);
    return db->query_one("SELECT COUNT(*) FROM " + table)->as_int(0);
}

std::vector<ModelRecord> versions(const fs::path& home, const std::string& name) {
    return ModelRegistry(home / "models" / "registry", nullptr).list(name);
}

int production_of(const fs::path& home, const std::string& name) {
    const auto p = ModelRegistry(home / "models" / "registry", nullptr).production(name);
    return p ? p->version : 0;
}

/// The model strategy replaying the template's 2023-08-01 .. 2023-11-01 in-process, as the
/// daemon would with kLiveYaml.
LiveOptions model_replay_options(const fs::path& home, double slippage_bps) {
    LiveOptions o;
    o.symbols = {"BTC/USDT", "ETH/USDT"};
    o.replay = true;
    o.replay_from = make_time(2023, 8, 1);
    o.replay_to = make_time(2023, 11, 1);
    o.warmup_bars = 250;
    o.strategy.name = "model";
    o.strategy.sizing.fraction = 0.3;
    o.workspace = home;
    o.fill.fees.taker = 0.001;
    o.fill.slippage.fixed_bps = slippage_bps;
    return o;
}

test::CliResult cli(const fs::path& home, std::vector<std::string> args) {
    args.insert(args.begin(), {"--home", home.string()});
    return test::run_aurum(args);
}

} // namespace

TEST(LiveModel, replay_stores_predictions_with_top_features_and_health_shows_the_models) {
    test::TempDir home;
    copy_template(home.path());
    const auto run = test::run_aurum(replay_args(home.path()));
    ASSERT_EQ(run.exit_code, 0) << run.err;

    auto db = open_database(db_of(home.path()));
    StateStore st(*db);
    const auto s = st.latest_session();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->status, "complete");
    EXPECT_NE(s->strategy.find("model production"), std::string::npos) << s->strategy;
    const auto preds = st.predictions(s->id);
    // Every BTC bar of the replay (and its warm-up) has a prediction; ETH, with only a
    // candidate model, has none: no model is ever invented.
    ASSERT_GT(preds.size(), 500u);
    std::set<TimeMs> in_replay;
    for (const auto& p : preds) {
        ASSERT_EQ(p.symbol, "BTC/USDT");
        EXPECT_GE(p.value, 0.0);
        EXPECT_LE(p.value, 1.0);
        const json d = json::parse(p.detail);
        EXPECT_EQ(d["model"], "gbdt-BTCUSDT-4h v1");
        EXPECT_EQ(d["contributions"], "shap");
        ASSERT_EQ(d["top"].size(), 5u);
        for (std::size_t k = 1; k < 5; ++k)
            EXPECT_GE(std::fabs(d["top"][k - 1]["value"].get<double>()),
                      std::fabs(d["top"][k]["value"].get<double>()));
        if (p.time >= make_time(2023, 8, 1))
            in_replay.insert(p.time);
    }
    EXPECT_EQ(in_replay.size(), 92u * 6); // Aug..Oct: 92 days of 4h bars
    const auto f = final_state(db_of(home.path()));
    EXPECT_GT(f.orders.size(), 4u) << "the model should trade on the planted edge";

    const auto health = cli(home.path(), {"health"});
    EXPECT_EQ(health.exit_code, 1) << "the daemon is down: health fails. " << health.err;
    EXPECT_NE(health.out.find("Models loaded: gbdt-BTCUSDT-4h v1 (BTC/USDT)"), std::string::npos)
        << health.out;
    EXPECT_NE(health.out.find("no production model (not traded): ETH/USDT"), std::string::npos)
        << health.out;
    EXPECT_NE(health.out.find("Last prediction: 2023-10-31 20:00:00 BTC/USDT"), std::string::npos)
        << health.out;
    const auto status = cli(home.path(), {"--json", "status"});
    const json sj = json::parse(status.out);
    ASSERT_EQ(sj["signals"].size(), 1u);
    EXPECT_EQ(sj["signals"][0]["symbol"], "BTC/USDT");
    EXPECT_NE(slurp(daily_log_file(home / "logs", SystemClock().now()))
                  .find("ETH/USDT: no production model"),
              std::string::npos);
}

TEST(LiveModel, kill_dash_nine_mid_replay_then_restart_ends_like_an_uninterrupted_run) {
    test::TempDir ref_home, home;
    copy_template(ref_home.path());
    copy_template(home.path());
    const auto t0 = std::chrono::steady_clock::now();
    const auto ref_run = test::run_aurum(replay_args(ref_home.path()));
    const auto full_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    ASSERT_EQ(ref_run.exit_code, 0) << ref_run.err;
    const Final ref = final_state(db_of(ref_home.path()));
    ASSERT_EQ(ref.status, "complete");
    ASSERT_GT(ref.orders.size(), 4u);

    std::mt19937 rng(77);
    int kills = 0;
    for (int attempt = 0; attempt < 20 && kills < 4; ++attempt) {
        // Anywhere from start-up to the end of a full run (a resumed run is shorter).
        const int delay = std::uniform_int_distribution<int>(
            20, std::max<int>(40, static_cast<int>(full_ms)))(rng);
        const pid_t pid = spawn_aurum(replay_args(home.path()), home / "daemon.log");
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
        const bool sent = ::kill(pid, SIGKILL) == 0;
        int st = 0;
        ::waitpid(pid, &st, 0);
        if (sent && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
            ++kills;
            continue;
        }
        ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << slurp(home / "daemon.log");
        // It finished first: start over from the template to kill it again.
        fs::remove_all(home.path() / "data");
        copy_template(home.path());
    }
    EXPECT_GE(kills, 3);
    const auto last = test::run_aurum(replay_args(home.path()));
    ASSERT_EQ(last.exit_code, 0) << last.err;
    expect_same_final(final_state(db_of(home.path())), ref, "after kill -9");
}

TEST(LiveModel, model_reload_is_journaled_and_a_recovery_applies_it_at_the_same_bar) {
    test::TempDir home;
    copy_template(home.path());
    // v2 of BTC's model: a candidate (production stays v1), swapped in by hand mid-session.
    const auto v2 =
        cli(home.path(), {"-q", "train", "--model", "gbdt", "--symbols", "BTC/USDT", "--timeframe",
                          "4h", "--from", "2023-02-01", "--to", "2023-08-01"});
    ASSERT_EQ(v2.exit_code, 0) << v2.err;
    fs::copy_file(home / "data" / "aurum.db", home / "data" / "other.db");

    const LiveOptions o = model_replay_options(home.path(), 5);
    const RiskLimits limits = load_risk_limits((home / "config" / "risk.yaml").string());
    auto run = [&](const std::string& db_name, bool crash) {
        auto store = open_market_store((home / "data" / db_name).string());
        {
            LiveSession s(store->database(), *store, o, limits, InstrumentRegistry(), {});
            s.open(1000, false, "");
            for (int k = 0; k < 250 + 200; ++k)
                s.step(1000); // warm-up + 200 session bars
            const auto out = s.execute(
                "model_reload",
                json{{"name", "gbdt-BTCUSDT-4h"}, {"version", 2}, {"reason", "test swap"}}, 1000);
            EXPECT_EQ(out.exit_code, 0) << out.message;
            EXPECT_NE(out.message.find("gbdt-BTCUSDT-4h v2 now trades BTC/USDT (was "
                                       "gbdt-BTCUSDT-4h v1)"),
                      std::string::npos)
                << out.message;
            for (int k = 0; k < 60; ++k)
                s.step(1000);
            if (!crash) {
                while (s.step(1000) != LiveSession::StepResult::Finished) {
                }
                return;
            }
            // Crash: whatever was not committed is gone with the process.
        }
        LiveSession again(store->database(), *store, o, limits, InstrumentRegistry(), {});
        again.open(2000, false, "");
        EXPECT_TRUE(again.recovered());
        EXPECT_EQ(again.model_strategy()->model_for("BTC/USDT")->record.version, 2);
        while (again.step(2000) != LiveSession::StepResult::Finished) {
        }
    };
    run("aurum.db", false);
    run("other.db", true);
    const Final a = final_state(db_of(home.path()));
    const Final b = final_state((home / "data" / "other.db").string());
    ASSERT_EQ(a.status, "complete");
    expect_same_final(b, a, "recovered across a model swap");
    std::size_t v1 = 0, v2n = 0;
    for (const auto& p : a.predictions) {
        v1 += p.find("gbdt-BTCUSDT-4h v1") != std::string::npos;
        v2n += p.find("gbdt-BTCUSDT-4h v2") != std::string::npos;
    }
    EXPECT_GT(v1, 200u); // predictions start once the 200-bar features are warm
    EXPECT_GT(v2n, 300u);
}

TEST(LiveModel, demoted_model_stops_trading_at_once_and_a_recovery_or_restart_keeps_it_out) {
    test::TempDir home;
    copy_template(home.path());
    fs::copy_file(home / "data" / "aurum.db", home / "data" / "other.db");
    const LiveOptions o = model_replay_options(home.path(), 0);
    const RiskLimits limits = load_risk_limits((home / "config" / "risk.yaml").string());
    const std::string name = "gbdt-BTCUSDT-4h";
    // The unload is sent once BTC holds a position (a state, not a time), after `extra` bars.
    auto run = [&](const std::string& db_name, bool crash) {
        auto store = open_market_store((home / "data" / db_name).string());
        {
            LiveSession s(store->database(), *store, o, limits, InstrumentRegistry(), {});
            s.open(1000, false, "");
            for (int k = 0; k < 250 && s.step(1000) != LiveSession::StepResult::Finished; ++k) {
            }
            while (s.portfolio().position(0).qty == 0)
                ASSERT_NE(s.step(1000), LiveSession::StepResult::Finished) << "BTC never entered";
            try {
                s.execute("model_unload", json{{"name", "gbdt-ETHUSDT-4h"}}, 1000);
                ADD_FAILURE() << "unloading a model the session does not trade";
            } catch (const InputError& e) {
                EXPECT_NE(std::string(e.what()).find("does not trade 'gbdt-ETHUSDT-4h' (it "
                                                     "trades gbdt-BTCUSDT-4h v1)"),
                          std::string::npos)
                    << e.what();
            }
            const auto out = s.execute("model_unload", json{{"name", name}, {"reason", "nonsense"}},
                                       1000);
            EXPECT_EQ(out.exit_code, 0) << out.message;
            EXPECT_NE(out.message.find("gbdt-BTCUSDT-4h withdrawn: BTC/USDT no longer traded; 1 "
                                       "closing order(s) sent at market"),
                      std::string::npos)
                << out.message;
            EXPECT_EQ(s.model_strategy()->model_for("BTC/USDT"), nullptr);
            s.step(1000);
            EXPECT_EQ(s.portfolio().position(0).qty, 0.0) << "closed at the next bar's open";
            for (int k = 0; k < 40; ++k)
                s.step(1000);
            if (!crash) {
                while (s.step(1000) != LiveSession::StepResult::Finished) {
                }
                return;
            }
        }
        LiveSession again(store->database(), *store, o, limits, InstrumentRegistry(), {});
        again.open(2000, false, "");
        EXPECT_TRUE(again.recovered());
        EXPECT_EQ(again.model_strategy()->model_for("BTC/USDT"), nullptr);
        while (again.step(2000) != LiveSession::StepResult::Finished) {
        }
    };
    run("aurum.db", false);
    run("other.db", true);
    const Final a = final_state(db_of(home.path()));
    const Final b = final_state((home / "data" / "other.db").string());
    ASSERT_EQ(a.status, "complete");
    expect_same_final(b, a, "recovered across a model unload");
    for (const auto& [sym, qty] : a.positions)
        if (sym == "BTC/USDT") {
            EXPECT_EQ(qty, 0.0);
        }

    // Demoted while the daemon is down: the next start withdraws it, journaled.
    ModelRegistry reg(home / "models" / "registry", nullptr);
    fs::copy_file(template_home() / "data" / "aurum.db", home / "data" / "third.db");
    auto store = open_market_store((home / "data" / "third.db").string());
    {
        LiveSession s(store->database(), *store, o, limits, InstrumentRegistry(), {});
        s.open(1000, false, "");
        for (int k = 0; k < 300; ++k)
            s.step(1000);
        EXPECT_NE(s.model_strategy()->model_for("BTC/USDT"), nullptr);
    }
    reg.demote(name, 1500, "while stopped");
    LiveSession again(store->database(), *store, o, limits, InstrumentRegistry(), {});
    again.open(2000, false, "");
    EXPECT_EQ(again.model_strategy()->model_for("BTC/USDT"), nullptr);
    StateStore st(store->database());
    bool journaled = false;
    for (const auto& c : st.commands(st.latest_session()->id))
        journaled = journaled || c.kind == "model_unload";
    EXPECT_TRUE(journaled);
}

namespace {
/// A daemon that replayed and keeps serving the control API.
struct Served {
    fs::path home;
    pid_t pid = -1;
    explicit Served(const fs::path& h, std::vector<std::string> args = {}) : home(h) {
        if (args.empty())
            args = replay_args(home, {"--serve"});
        pid = spawn_aurum(args, home / "daemon.log");
        const bool complete = test::wait_until(
            [&] {
                auto d = read_daemon_info(Workspace(home));
                if (!d || d->pid != pid)
                    return false;
                const auto s = cli(home, {"--json", "status"});
                return s.exit_code == 0 && s.out.find("\"complete\"") != std::string::npos;
            },
            std::chrono::seconds(300));
        if (!complete)
            ADD_FAILURE() << "daemon did not finish its replay: " << slurp(home / "daemon.log");
    }
    ~Served() {
        if (pid > 0) {
            ::kill(pid, SIGTERM);
            int st = 0;
            ::waitpid(pid, &st, 0);
        }
    }
    json health() const {
        const auto h = cli(home, {"--json", "health"});
        const json j = json::parse(h.out);
        // Exit 1 exactly when health lists a failed check (e.g. no symbol has a model yet).
        EXPECT_EQ(h.exit_code, j.value("failures", json::array()).empty() ? 0 : 1) << h.out;
        return j;
    }
    int daemon_version(const std::string& symbol) const {
        const json h = health();
        for (const auto& m : h["model"]["models"])
            if (m["symbol"] == symbol && !m["model"].is_null())
                return m["version"].get<int>();
        return 0;
    }
};
} // namespace

TEST(LiveModel, retrain_keeps_production_on_a_failed_gate_and_hot_swaps_when_it_promotes) {
    test::TempDir home;
    copy_template(home.path());
    Served d(home.path());
    ASSERT_EQ(d.daemon_version("BTC/USDT"), 1);
    const auto audits = count_rows(home.path(), "live_audit");

    // An unreachable gate: the candidate is registered, production and the daemon stay on v1.
    test::write_text(home / "config" / "models.yaml", models_yaml(100.0));
    const auto fail = cli(home.path(), {"retrain", "--model", "gbdt", "--symbols", "BTC/USDT",
                                        "--to", "2023-08-01", "--reason", "weekly review"});
    ASSERT_EQ(fail.exit_code, 0) << fail.err;
    EXPECT_NE(fail.out.find("gbdt-BTCUSDT-4h v2: gating FAILED (Sharpe "), std::string::npos)
        << fail.out;
    EXPECT_NE(fail.out.find("<= 100.00); production unchanged (v1)"), std::string::npos)
        << fail.out;
    EXPECT_EQ(fail.out.find("daemon:"), std::string::npos) << "no swap on a failed gate";
    EXPECT_EQ(production_of(home.path(), "gbdt-BTCUSDT-4h"), 1);
    EXPECT_EQ(d.daemon_version("BTC/USDT"), 1);
    EXPECT_EQ(count_rows(home.path(), "live_audit"), audits + 1);

    // Promoted (--force): the daemon journals a model_reload and reports the new version.
    const auto pass = cli(home.path(), {"retrain", "--model", "gbdt", "--symbols", "BTC/USDT",
                                        "--to", "2023-08-01", "--reason", "forced", "--force"});
    ASSERT_EQ(pass.exit_code, 0) << pass.err;
    EXPECT_NE(pass.out.find("gbdt-BTCUSDT-4h v3: gating FAILED"), std::string::npos) << pass.out;
    EXPECT_NE(pass.out.find("promoted to production (was v1)"), std::string::npos) << pass.out;
    EXPECT_NE(pass.out.find("daemon: gbdt-BTCUSDT-4h v3 now trades BTC/USDT (was "
                            "gbdt-BTCUSDT-4h v1)"),
              std::string::npos)
        << pass.out;
    EXPECT_EQ(production_of(home.path(), "gbdt-BTCUSDT-4h"), 3);
    EXPECT_EQ(d.daemon_version("BTC/USDT"), 3);
    const auto h = cli(home.path(), {"health"});
    EXPECT_NE(h.out.find("Models loaded: gbdt-BTCUSDT-4h v3 (BTC/USDT)"), std::string::npos)
        << h.out;
    auto db = open_database(db_of(home.path()));
    StateStore st(*db);
    bool reload = false, audited = false;
    for (const auto& c : st.commands(st.latest_session()->id))
        reload =
            reload || (c.kind == "model_reload" && json::parse(c.payload).value("version", 0) == 3);
    for (const auto& a : st.audit_log(20))
        audited = audited || (a.action == "retrain" && a.reason == "forced");
    EXPECT_TRUE(reload);
    EXPECT_TRUE(audited);
}

TEST(LiveModel, bad_input_exits_2_and_changes_nothing) {
    test::TempDir home;
    copy_template(home.path());
    const auto before_versions = versions(home.path(), "").size();
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"retrain", "--model", "xgb", "--reason", "r"},
             {"retrain", "--model", "gbdt", "--symbols", "BTC/USDT"},
             {"retrain", "--model", "gbdt", "--symbols", "BTC/USDT", "--reason", "  "},
             {"retrain", "--model", "gbdt", "--symbols", "DOGE/USDT", "--reason", "r"},
             {"retrain", "--model", "gbdt", "--symbols", "BTC/USDT", "--timeframe", "7x",
              "--reason", "r"},
             {"retrain", "--model", "gbdt", "--reason", "r"}, // no session to take symbols from
         }) {
        const auto r = cli(home.path(), args);
        EXPECT_EQ(r.exit_code, 2) << args[2] << ": " << r.out << r.err;
        EXPECT_FALSE(r.err.empty());
    }
    EXPECT_EQ(versions(home.path(), "").size(), before_versions);
    EXPECT_EQ(count_rows(home.path(), "live_audit"), 0);

    // A model trained on another definition of its feature set is refused before anything is
    // written.
    test::write_text(home / "config" / "features.yaml",
                     "sets:\n  default:\n    features:\n      - {indicator: rsi, period: 14}\n");
    const auto refused = test::run_aurum(replay_args(home.path()));
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_NE(refused.err.find("feature set"), std::string::npos) << refused.err;
    EXPECT_EQ(count_rows(home.path(), "live_sessions"), 0);
    fs::remove(home / "config" / "features.yaml");

    // model_reload of an unknown model or version through the control API: exit 2, no command.
    Served d(home.path());
    const auto commands = count_rows(home.path(), "live_commands");
    auto api = connect_daemon(Workspace(home.path()));
    ASSERT_TRUE(api);
    for (const json& body : {json{{"name", "gbdt-XRPUSDT-4h"}, {"reason", "r"}},
                             json{{"name", "gbdt-BTCUSDT-4h"}, {"version", 99}, {"reason", "r"}},
                             json{{"reason", "r"}}}) {
        int status = 0;
        const json r = api->post("/api/commands/model_reload", body, &status);
        EXPECT_EQ(r.value("exit_code", 0), 2) << r.dump();
    }
    EXPECT_EQ(count_rows(home.path(), "live_commands"), commands);
    EXPECT_EQ(d.daemon_version("BTC/USDT"), 1);
}

TEST(LiveModel, weekly_retrain_job_trains_in_the_background_and_swaps_promoted_models) {
    test::TempDir home;
    copy_template(home.path());
    // Gates anyone passes, so the job promotes; jobs run because the replay is paced.
    std::string yaml = models_yaml(-100.0);
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"max_drawdown: 0.20", "max_drawdown: 0.99"},
             {"min_trades: 20", "min_trades: 0"},
             {"beat_buy_hold: true", "beat_buy_hold: false"},
             {"require_clean_leakage: true", "require_clean_leakage: false"}})
        yaml.replace(yaml.find(from), from.size(), to);
    test::write_text(home / "config" / "models.yaml", yaml);
    test::write_text(home / "config" / "live.yaml",
                     std::string(kLiveYaml) +
                         "  jobs:\n    weekly_retrain: \"weekly sun 02:00\"\n");
    // 2023-08-01 .. 08-15 at 10 ms per 4h bar: the job is due on Sunday 08-06 and 08-13.
    Served d(home.path(),
             {"--home", home.path().string(), "-q", "run", "--mode", "paper", "--replay-from",
              "2023-08-01", "--replay-to", "2023-08-15", "--speed", "1440000", "--serve"});
    int btc = 0, eth = 0;
    test::wait_until(
        [&] {
            btc = d.daemon_version("BTC/USDT");
            eth = d.daemon_version("ETH/USDT");
            return btc >= 2 && eth >= 1;
        },
        std::chrono::seconds(300));
    // BTC's v1 was replaced by a retrained version; ETH, which had no production model, got one.
    EXPECT_GE(btc, 2) << slurp(home / "daemon.log");
    EXPECT_GE(eth, 1) << slurp(home / "daemon.log");
    EXPECT_GE(production_of(home.path(), "gbdt-BTCUSDT-4h"), 2);
    auto db = open_database(db_of(home.path()));
    StateStore st(*db);
    int reloads = 0, audits = 0;
    for (const auto& c : st.commands(st.latest_session()->id))
        reloads += c.kind == "model_reload";
    for (const auto& a : st.audit_log(50)) {
        if (a.action != "retrain")
            continue;
        ++audits;
        // Only trading days: no retrain for the warm-up history before 2023-08-01.
        EXPECT_EQ(a.reason.rfind("weekly retrain (scheduled 2023-08-", 0), 0u) << a.reason;
    }
    EXPECT_GE(reloads, 2);
    EXPECT_GE(audits, 2);
    // The models trained by the job saw no bar after its due time.
    for (const auto& r : versions(home.path(), "gbdt-BTCUSDT-4h"))
        if (r.version >= 2) {
            EXPECT_LT(r.data_to, make_time(2023, 8, 14));
        }
}

// A cross-asset set (ETH with BTC/USDT as reference) trains, promotes and trades in the paper
// daemon, which reads the reference bars from the store.
TEST(LiveModel, cross_asset_set_trains_promotes_and_trades_in_the_daemon) {
    test::TempDir home;
    copy_template(home.path());
    std::string y = models_yaml(1.0);
    y.replace(y.find("feature_set: default"), 20, "feature_set: cross_btc");
    test::write_text(home.path() / "config" / "models.yaml", y);
    const auto train = cli(home.path(), {"-q", "train", "--model", "gbdt", "--symbols", "ETH/USDT",
                                         "--timeframe", "4h", "--to", "2023-08-01", "--promote",
                                         "--force"});
    ASSERT_EQ(train.exit_code, 0) << train.err;
    ASSERT_EQ(production_of(home.path(), "gbdt-ETHUSDT-4h"), 2);
    const auto run = test::run_aurum(replay_args(home.path(), {"--symbols", "ETH/USDT"}));
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto db = open_database(db_of(home.path()));
    StateStore st(*db);
    const auto s = st.latest_session();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->status, "complete");
    std::size_t eth = 0;
    for (const auto& p : st.predictions(s->id)) {
        EXPECT_EQ(json::parse(p.detail)["model"], "gbdt-ETHUSDT-4h v2");
        eth += p.symbol == "ETH/USDT";
    }
    EXPECT_GT(eth, 92u * 6 - 1) << "every bar of the replay has a cross-asset prediction";
}

// `registry promote` runs the daemon's own load check: a model whose feature set features.yaml
// now defines differently is refused there (exit 2, naming the set), not first at `aurum run`.
TEST(LiveModel, registry_promote_refuses_a_model_the_daemon_could_not_load) {
    test::TempDir home;
    copy_template(home.path());
    test::write_text(home.path() / "config" / "features.yaml",
                     "sets:\n  default:\n    features:\n      - {indicator: rsi, period: 7}\n");
    const auto r = cli(home.path(), {"registry", "promote", "gbdt-ETHUSDT-4h", "--force"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_NE(r.err.find("feature set"), std::string::npos) << r.err;
    EXPECT_EQ(production_of(home.path(), "gbdt-ETHUSDT-4h"), 0) << "production unchanged";
}

// `aurum retrain` while a replay session runs trains on data up to the session's clock only,
// never on the bars after it (the template's store holds bars to late November 2023).
TEST(LiveModel, retrain_from_a_running_replay_never_trains_past_its_clock) {
    test::TempDir home;
    copy_template(home.path());
    Served d(home.path()); // replay 2023-08-01 .. 2023-11-01, then serving
    const auto r = cli(home.path(), {"retrain", "--model", "gbdt", "--symbols", "BTC/USDT",
                                     "--reason", "mid-session review"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("up to the running session's clock, 2023-11-01"), std::string::npos)
        << r.out;
    const auto v = versions(home.path(), "gbdt-BTCUSDT-4h");
    ASSERT_EQ(v.size(), 2u);
    EXPECT_LE(v.back().data_to, make_time(2023, 11, 1)) << format_time(v.back().data_to);
}

// Seed 002's "Model Producing Nonsense": `registry demote` removes the only production model,
// and the running daemon stops trading it at once (a journaled model_unload).
TEST(LiveModel, registry_demote_withdraws_the_model_from_the_running_daemon) {
    test::TempDir home;
    copy_template(home.path());
    Served d(home.path());
    ASSERT_EQ(d.daemon_version("BTC/USDT"), 1);
    const auto rb = cli(home.path(), {"registry", "rollback", "gbdt-BTCUSDT-4h"});
    EXPECT_EQ(rb.exit_code, 2);
    EXPECT_NE(rb.err.find("`aurum registry demote gbdt-BTCUSDT-4h` withdraws v1"),
              std::string::npos)
        << rb.err;
    const auto none = cli(home.path(), {"registry", "demote", "gbdt-ETHUSDT-4h"});
    EXPECT_EQ(none.exit_code, 2) << "ETH's model is only a candidate";
    EXPECT_NE(none.err.find("gbdt-ETHUSDT-4h has no production model to demote"),
              std::string::npos)
        << none.err;
    EXPECT_EQ(versions(home.path(), "gbdt-ETHUSDT-4h").at(0).status, ModelStatus::Candidate);
    const auto unknown = cli(home.path(), {"registry", "demote", "no-such-model"});
    EXPECT_EQ(unknown.exit_code, 2) << unknown.out;
    EXPECT_NE(unknown.err.find("no-such-model"), std::string::npos) << unknown.err;
    EXPECT_EQ(d.daemon_version("BTC/USDT"), 1) << "refused demotes change nothing";

    const auto r = cli(home.path(),
                       {"registry", "demote", "gbdt-BTCUSDT-4h", "--reason", "producing nonsense"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("gbdt-BTCUSDT-4h v1 demoted: no version of gbdt-BTCUSDT-4h is production"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("daemon: gbdt-BTCUSDT-4h withdrawn: BTC/USDT no longer traded"),
              std::string::npos)
        << r.out;
    EXPECT_EQ(production_of(home.path(), "gbdt-BTCUSDT-4h"), 0);
    EXPECT_EQ(d.daemon_version("BTC/USDT"), 0);
    auto db = open_database(db_of(home.path()));
    StateStore st(*db);
    bool audited = false;
    for (const auto& a : st.audit_log(20))
        audited = audited || (a.action == "model_unload" && a.reason == "producing nonsense");
    EXPECT_TRUE(audited);
}

TEST(LiveModel, divergence_replays_a_model_session_with_the_versions_it_pinned) {
    // A model session replayed after production moved on (v2 promoted since): the check replays
    // it with v1, the version the session pinned, so the session matches its replay.
    test::TempDir home;
    copy_template(home.path());
    const auto run = test::run_aurum(replay_args(home.path()));
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto v2 = cli(home.path(), {"-q", "train", "--model", "gbdt", "--symbols", "BTC/USDT",
                                      "--timeframe", "4h", "--to", "2023-05-01", "--promote",
                                      "--force"});
    ASSERT_EQ(v2.exit_code, 0) << v2.err;
    ASSERT_EQ(production_of(home.path(), "gbdt-BTCUSDT-4h"), 2);
    const auto d = cli(home.path(), {"--json", "monitor", "divergence"});
    ASSERT_EQ(d.exit_code, 0) << d.err << d.out;
    const json r = json::parse(d.out);
    EXPECT_TRUE(r["settings_confirmed"].get<bool>()) << r.dump(2);
    EXPECT_TRUE(r["differences"].empty()) << r.dump(2);
    EXPECT_GT(r["session_trades"].get<int>(), 0);
    EXPECT_EQ(r["session_trades"], r["replay_trades"]);
}
