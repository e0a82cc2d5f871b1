// Alerts end to end with the real daemon and fake channels on 127.0.0.1: a kill -9 between the
// event and its delivery loses nothing and sends nothing twice; the watchdog reports the dead
// daemon within its run; the trading loop never waits for a hanging channel; approving a signal
// from Telegram is the same as `aurum signals approve`; bad config refuses to start (exit 2).
#include <sys/stat.h>

#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "live/alert_outbox.hpp"
#include "live/command.hpp"
#include "live/live_session.hpp"
#include "support/fake_alert_servers.hpp"
#include "support/live_helpers.hpp"
#include "support/postgres_server.hpp"
#include "support/test_support.hpp"
#include "surfaces/alerts/alert_dispatcher.hpp"
#include "surfaces/alerts/telegram_bot.hpp"

namespace aurum {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void write_alerts(const fs::path& home, const std::string& webhook, const std::string& extra = "") {
    fs::create_directories(home / "config");
    std::ofstream(home / "config" / "alerts.yaml")
        << "alerts:\n  enabled: true\n  retry: {initial_backoff: 1s}\n  channels:\n"
           "    slack: {enabled: true, min_severity: warning}\n"
        << extra;
    fs::create_directories(home / "secrets");
    const fs::path s = home / "secrets" / "alerts.json";
    std::ofstream(s) << json{{"slack_webhook_url", webhook}}.dump();
    ::chmod(s.c_str(), 0600);
}

std::vector<int> ids_in(const std::vector<json>& bodies) {
    std::vector<int> out;
    for (const auto& b : bodies) {
        const std::string t = b["text"];
        out.push_back(std::stoi(t.substr(t.find("(#") + 2)));
    }
    return out;
}

int aurum(const fs::path& home, std::vector<std::string> args, std::string* out = nullptr) {
    args.insert(args.begin(), {AURUM_CLI, "--home", home.string()});
    return test::run_program(args, out);
}

TEST(DaemonAlerts, kill_dash_nine_before_delivery_loses_nothing_and_duplicates_nothing) {
    test::TempDir home;
    test::seed_workspace(home.path(), 70);
    test::FakeChatServer slack("slack");
    slack.script({test::hang_answer()}); // the first delivery hangs: the kill lands before it
    write_alerts(home.path(), slack.url());
    auto args = test::replay_args(home.path(), "2023-03-01");
    args.push_back("--serve");
    const pid_t pid = test::spawn_aurum(args, home / "daemon.log");
    auto db = open_database(test::home_db(home.path()));
    // The replay completes and its warnings are committed while the channel still hangs.
    ASSERT_TRUE(test::wait_until([&] {
        StateStore st(*db);
        const auto s = st.latest_session();
        return s && s->status == "complete" && slack.requests() == 1;
    })) << test::slurp(home / "daemon.log");
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << test::slurp(home / "daemon.log");
    slack.release(); // the interrupted request gets a 503: not delivered
    AlertStore store(*db);
    const auto before = store.alerts_after(0, 100000);
    ASSERT_FALSE(before.empty());
    // The watchdog (cron) sees the dead daemon, raises one alert, and sends everything queued.
    std::string out;
    EXPECT_EQ(aurum(home.path(), {"watchdog"}, &out), 1) << out;
    EXPECT_NE(out.find("daemon down"), std::string::npos) << out;
    std::set<int> expected;
    for (const auto& a : store.alerts_after(0, 100000)) {
        const auto d = store.delivery(a.id, "slack");
        if (a.severity >= AlertSeverity::Warning) {
            ASSERT_TRUE(d.has_value()) << a.title;
            if (d->status != "suppressed") expected.insert(static_cast<int>(a.id));
            EXPECT_TRUE(d->status == "sent" || d->status == "repeating" || d->status == "suppressed")
                << a.title << " " << d->status;
        }
    }
    const auto got = ids_in(slack.delivered());
    EXPECT_EQ(std::set<int>(got.begin(), got.end()), expected);
    EXPECT_EQ(got.size(), expected.size()) << "an alert went out twice";
    EXPECT_TRUE(std::is_sorted(got.begin(), got.end())) << "out of order";
    bool down = false;
    for (const auto& b : slack.delivered()) down = down || b["text"].get<std::string>().find("Daemon down") != std::string::npos;
    EXPECT_TRUE(down);
    // Cron runs it again: still down, but the incident was reported once.
    const std::size_t n = slack.delivered().size();
    EXPECT_EQ(aurum(home.path(), {"watchdog"}, &out), 1) << out;
    EXPECT_EQ(slack.delivered().size(), n);
    // A restarted daemon sends nothing already sent.
    EXPECT_EQ(aurum(home.path(), {"alerts", "list"}, &out), 0) << out;
}

TEST(DaemonAlerts, a_clean_stop_is_alerted_and_the_watchdog_stays_quiet) {
    test::TempDir home;
    test::seed_workspace(home.path(), 70);
    test::FakeChatServer slack("slack");
    write_alerts(home.path(), slack.url());
    std::string out;
    ASSERT_EQ(aurum(home.path(), {"-q", "run", "--mode", "paper", "--symbols", "BTC/USDT,ETH/USDT",
                                  "--replay-from", "2023-02-01", "--replay-to", "2023-02-04",
                                  "--param", "fast=3", "--param", "slow=8", "--fraction", "0.4"},
                    &out),
              0)
        << out;
    bool stopped = false;
    for (const auto& b : slack.delivered())
        stopped = stopped || b["text"].get<std::string>().find("Daemon stopped") != std::string::npos;
    {
        std::string list;
        aurum(home.path(), {"--json", "alerts", "list", "--limit", "200"}, &list);
        EXPECT_TRUE(stopped) << "the daemon's last alert was not delivered before it exited\n"
                             << json(slack.delivered()).dump() << "\n" << list;
    }
    EXPECT_EQ(aurum(home.path(), {"watchdog"}, &out), 0) << out;
    EXPECT_NE(out.find("stopped cleanly"), std::string::npos) << out;
    EXPECT_EQ(aurum(home.path(), {"health"}, &out), 1) << out; // daemon down: health fails
    EXPECT_NE(out.find("Alerts slack"), std::string::npos) << out;
    // `aurum alerts test`: one test alert, sent now, with what the channel answered.
    const std::size_t before = slack.delivered().size();
    EXPECT_EQ(aurum(home.path(), {"alerts", "test"}, &out), 0) << out;
    ASSERT_EQ(slack.delivered().size(), before + 1) << out;
    EXPECT_NE(slack.delivered().back()["text"].get<std::string>().find("Test alert"), std::string::npos);
    EXPECT_NE(out.find("slack"), std::string::npos) << out;
}

TEST(DaemonAlerts, bad_alert_config_refuses_to_start_naming_it_and_sends_nothing) {
    test::TempDir home;
    test::seed_workspace(home.path(), 70);
    test::FakeChatServer slack("slack");
    write_alerts(home.path(), slack.url());
    ::chmod((home / "secrets" / "alerts.json").c_str(), 0644);
    std::string out;
    const std::vector<std::string> run{"run", "--mode", "paper", "--replay-from", "2023-02-01",
                                       "--replay-to", "2023-02-10"};
    EXPECT_EQ(aurum(home.path(), run, &out), 2) << out;
    EXPECT_NE(out.find("alerts.json has mode 0644"), std::string::npos) << out;
    std::ofstream(home / "config" / "alerts.yaml")
        << "alerts:\n  enabled: true\n  channels:\n    pagerduty: {enabled: true}\n";
    ::chmod((home / "secrets" / "alerts.json").c_str(), 0600);
    EXPECT_EQ(aurum(home.path(), run, &out), 2) << out;
    EXPECT_NE(out.find("alerts.yaml:4"), std::string::npos) << out;
    EXPECT_NE(out.find("pagerduty"), std::string::npos) << out;
    EXPECT_EQ(aurum(home.path(), {"alerts", "test"}, &out), 2) << out;
    std::ofstream(home / "config" / "alerts.yaml")
        << "alerts:\n  enabled: true\n  channels:\n    telegram: {chat_ids: [1]}\n";
    EXPECT_EQ(aurum(home.path(), run, &out), 2) << out;
    EXPECT_NE(out.find("telegram_bot_token"), std::string::npos) << out;
    EXPECT_EQ(slack.requests(), 0);
    auto db = open_database(test::home_db(home.path()));
    StateStore st(*db);
    EXPECT_FALSE(st.latest_session().has_value()); // nothing written
}

TEST(DaemonAlerts, the_trading_loop_never_waits_for_a_hanging_channel) {
    test::TempDir dir;
    auto store = open_market_store((dir / "s.db").string());
    test::seed_market(*store, 120);
    test::FakeChatServer slack("slack");
    std::vector<test::FakeAnswer> hangs(50, test::hang_answer());
    slack.script(hangs);
    std::vector<ChannelRoute> routes;
    routes.push_back({make_slack_channel(slack.url(), 60000), AlertSeverity::Info, false});
    SystemClock wall;
    AlertWorker worker(open_database((dir / "s.db").string()), std::move(routes), DispatchPolicy{}, wall);
    worker.start();
    LiveSession s(store->database(), *store, test::replay_options(20, 120), RiskLimits{},
                  InstrumentRegistry(), {});
    s.open(wall.now(), false, "");
    int steps = 0;
    while (s.step(wall.now()) == LiveSession::StepResult::Stepped) {
        ++steps;
        if (s.alerts_committed() > 0) worker.wake();
    }
    // Every bar was processed and every alert committed while the channel still held its
    // first request: the loop never waited for it.
    EXPECT_EQ(steps, 6 * 100 + 60);
    EXPECT_GT(s.alerts_committed(), 10u);
    EXPECT_EQ(slack.requests(), 1);
    EXPECT_TRUE(slack.delivered().empty());
    slack.release();
    worker.stop(0);
}

TEST(DaemonAlerts, approving_from_telegram_equals_aurum_signals_approve) {
    auto run = [](bool from_telegram) {
        test::TempDir dir;
        auto store = open_market_store((dir / "s.db").string());
        test::seed_market(*store, 60, 7);
        auto opt = test::replay_options(15, 60);
        opt.approval = true;
        opt.approval_expiry = 12 * kMsPerHour;
        LiveSession s(store->database(), *store, opt, RiskLimits{}, InstrumentRegistry(), {});
        s.open(0, false, "");
        StateStore st(store->database());
        while (st.signals("pending", 10).empty() &&
               s.step(0) == LiveSession::StepResult::Stepped) {
        }
        const auto pending = st.signals("pending", 10);
        EXPECT_FALSE(pending.empty());
        if (pending.empty()) return test::Final{};
        const std::int64_t id = pending[0].id;
        if (from_telegram) {
            test::FakeChatServer tg("telegram");
            TelegramCommandsConfig c;
            c.enabled = true;
            c.users = {{"1001", TelegramRole::Operator}};
            c.chats = {"1001"};
            c.poll_timeout_s = 1;
            TelegramBotHooks h;
            h.submit = [&](const Command& cmd) {
                // What the daemon's queue does: the wire JSON, parsed once at the boundary.
                return s.execute(to_string(cmd.kind), cmd.to_json(), 0);
            };
            h.query = [](const std::string&, const json&) { return json::object(); };
            h.audit = [](const std::string&, const std::string&, const std::string&, const std::string&) {};
            h.ack = [](std::int64_t, const std::string&) { return false; };
            SimulatedClock clock;
            TelegramBot bot(tg.url(), "T0KEN", c, h, clock);
            tg.push_update({{"callback_query",
                             {{"id", "1"},
                              {"from", {{"id", 1001}}},
                              {"message", {{"chat", {{"id", 1001}, {"type", "private"}}}}},
                              {"data", "approve:" + std::to_string(id)}}}});
            bot.poll_once();
            EXPECT_NE(tg.calls("sendMessage").back()["text"].get<std::string>().find("sent"),
                      std::string::npos);
        } else {
            // `aurum signals approve ID --reason ...`: the CLI's Command through the API.
            Command c;
            c.kind = CommandKind::SignalApprove;
            c.id = id;
            c.reason = "approve";
            EXPECT_EQ(s.execute(to_string(c.kind), c.to_json(), 0).exit_code, 0);
        }
        for (int i = 0; i < 30; ++i) s.step(0);
        EXPECT_EQ(st.signal(id)->status, "approved");
        return test::final_state((dir / "s.db").string());
    };
    const test::Final cli = run(false), telegram = run(true);
    ASSERT_FALSE(cli.orders.empty());
    test::expect_same_final(telegram, cli, "telegram vs cli approval");
}

} // namespace
} // namespace aurum
