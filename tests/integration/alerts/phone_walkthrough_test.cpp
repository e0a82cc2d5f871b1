// The walk-through of docs/alerts.md "Try it without accounts", end to end: scripts/paper-phone
// (the same script `make paper-phone` runs) starts the paper daemon with approval on and alerts
// to a fake Telegram Bot API and a fake SMTP server on 127.0.0.1; the phone is
// `aurum-fake-channels phone ...` (the same program `make phone` runs). A signal arrives with
// Approve/Reject buttons, Approve fills it, the 08:00 daily report and the weekly report arrive
// by email as MIME messages, and /stop + its confirmation button halts and flattens the account.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <regex>

#include <gtest/gtest.h>

#include "live/state_store.hpp"
#include "support/fake_alert_servers.hpp"
#include "support/live_helpers.hpp"
#include "support/postgres_server.hpp"
#include "support/test_support.hpp"

namespace aurum {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool wait_for(const std::function<bool()>& ready, int seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
        if (ready()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return ready();
}

/// scripts/paper-phone with the walk-through's settings, output to `log`.
pid_t start_walkthrough(const fs::path& home, int tg_port, int smtp_port, const fs::path& log) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::setenv("AURUM", AURUM_CLI, 1);
        ::setenv("PHONE_HOME", home.c_str(), 1);
        ::setenv("TELEGRAM_PORT", std::to_string(tg_port).c_str(), 1);
        ::setenv("SMTP_PORT", std::to_string(smtp_port).c_str(), 1);
        ::setenv("PHONE_SYNTH", "1", 1); // the same market on every machine
        ::setenv("SYNTH_START", "2023-01-01", 1);
        ::setenv("SYNTH_DAYS", "60", 1);
        ::setenv("PHONE_FROM", "2023-02-01", 1);
        ::setenv("PHONE_TO", "2023-02-20", 1);
        // A session day every 3 s: the first signal on day 3, Sunday's weekly report on day 5.
        ::setenv("PHONE_SPEED", "28800", 1);
        const std::string script = std::string(AURUM_SOURCE_DIR) + "/scripts/paper-phone";
        ::execl("/bin/bash", "bash", script.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    return pid;
}

/// The phone: `aurum-fake-channels phone <args> --url <fake>`.
int phone(const std::string& url, std::vector<std::string> args, std::string* out) {
    const std::string bin = (fs::path(AURUM_CLI).parent_path() / "aurum-fake-channels").string();
    args.insert(args.begin(), {bin, "phone"});
    args.insert(args.end(), {"--url", url});
    return test::run_program(args, out);
}

std::optional<test::FakeSmtpServer::Mail> mail_with(const test::FakeSmtpServer& smtp,
                                                     const std::string& subject) {
    for (const auto& m : smtp.mails())
        if (m.data.find("Subject: [Aurum] " + subject) != std::string::npos) return m;
    return std::nullopt;
}

/// A report email: multipart/alternative with a text and an HTML part, under 100 KB, its charts
/// as inline PNG parts, each referenced from the HTML by its Content-ID.
void expect_report_mime(const test::FakeSmtpServer::Mail& m, const std::string& what) {
    EXPECT_LT(m.data.size(), 100u * 1024) << what;
    EXPECT_NE(m.data.find("Content-Type: multipart/alternative"), std::string::npos) << what;
    EXPECT_NE(m.data.find("Content-Type: text/plain"), std::string::npos) << what;
    EXPECT_NE(m.data.find("Content-Type: text/html"), std::string::npos) << what;
    // The report's charts (inline SVG in the file) as PNG parts the HTML refers to.
    EXPECT_NE(m.data.find("Content-Type: image/png"), std::string::npos) << what;
    EXPECT_NE(m.data.find("cid:chart1@aurum-edge"), std::string::npos) << what;
    const std::regex cid(R"(Content-ID: <([^>]+)>)");
    for (auto it = std::sregex_iterator(m.data.begin(), m.data.end(), cid); it != std::sregex_iterator(); ++it)
        EXPECT_NE(m.data.find("cid:" + (*it)[1].str()), std::string::npos) << what << " " << (*it)[1];
}

TEST(PhoneWalkthrough, approve_and_stop_from_telegram_and_the_reports_by_email) {
    test::TempDir dir;
    const fs::path home = dir / "home";
    test::FakeChatServer tg("telegram", "123456:fake-token");
    test::FakeSmtpServer smtp(test::FakeSmtpServer::Tls::None);
    const int tg_port = std::stoi(tg.url().substr(tg.url().rfind(':') + 1));
    const pid_t pid = start_walkthrough(home, tg_port, smtp.port(), dir / "daemon.log");
    bool reaped = false;
    struct Reaper { // a failed assertion must not leave the daemon running
        pid_t pid;
        bool& reaped;
        ~Reaper() {
            if (reaped) return;
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    } reaper{pid, reaped};
    auto log = [&] { return test::slurp(dir / "daemon.log"); };

    // 1. A signal waits for approval, with Approve/Reject buttons.
    json signal_msg;
    ASSERT_TRUE(wait_for([&] {
        for (const auto& m : tg.calls("sendMessage"))
            if (m.contains("reply_markup") && m["reply_markup"].dump().find("approve:") != std::string::npos)
                return signal_msg = m, true;
        return false;
    }, 40)) << log();
    const std::string kb = signal_msg["reply_markup"].dump();
    EXPECT_NE(kb.find("Reject #"), std::string::npos) << kb;
    const std::int64_t id = std::stoll(kb.substr(kb.find("approve:") + 8));

    // 2. Approve from the phone: the signal is approved and its order filled.
    std::string out;
    ASSERT_EQ(phone(tg.url(), {"press", "Approve"}, &out), 0) << out;
    auto db = open_database(test::home_db(home));
    ASSERT_TRUE(wait_for([&] {
        StateStore st(*db);
        const auto s = st.signal(id);
        return s && s->status != "pending" && !test::final_state(home).fills.empty();
    }, 20)) << log();
    {
        StateStore st(*db);
        EXPECT_NE(st.signal(id)->status, "rejected");
        EXPECT_NE(st.signal(id)->status, "expired");
    }
    {
        StateStore st(*db);
        bool audited = false; // who and from where, as for every accepted command
        for (const auto& a : st.audit_log(500))
            audited = audited || (a.action == "telegram /approve" && a.result == "ok" &&
                                  a.details.find("1001") != std::string::npos);
        EXPECT_TRUE(audited);
    }

    // 3. The 08:00 daily report and Sunday's weekly report by email, as MIME messages.
    ASSERT_TRUE(wait_for([&] { return mail_with(smtp, "Weekly report 2023-02-05").has_value(); }, 40))
        << log();
    const auto daily = mail_with(smtp, "Daily report 2023-02-01");
    ASSERT_TRUE(daily.has_value());
    expect_report_mime(*daily, "daily");
    EXPECT_NE(daily->data.find("DAILY SUMMARY"), std::string::npos);
    expect_report_mime(*mail_with(smtp, "Weekly report 2023-02-05"), "weekly");
    bool weekly_chat = false;
    for (const auto& m : tg.calls("sendMessage"))
        weekly_chat = weekly_chat || m["text"].get<std::string>().find("weekly_analysis_2023_02_05.html") != std::string::npos;
    EXPECT_TRUE(weekly_chat) << "the weekly report's chat message names its file";

    // 4. /stop asks first; its confirmation button halts and flattens, and the daemon exits.
    ASSERT_EQ(phone(tg.url(), {"say", "/stop walk-through"}, &out), 0) << out;
    ASSERT_TRUE(wait_for([&] { return phone(tg.url(), {"press", "Confirm"}, &out) == 0; }, 10)) << out;
    int status = 0;
    ASSERT_TRUE(wait_for([&] { return reaped = ::waitpid(pid, &status, WNOHANG) == pid; }, 30)) << log();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << log();
    EXPECT_NE(log().find("emergency stop complete"), std::string::npos) << log();
    for (const auto& [sym, qty] : test::final_state(home).positions) EXPECT_EQ(qty, 0.0) << sym;
    StateStore st(*db);
    const auto risk = json::parse(st.get_kv("risk_runtime").value_or("{}"));
    EXPECT_EQ(risk.value("mode", ""), "HALTED") << risk.dump();
    EXPECT_EQ(risk.value("cause", ""), "emergency_stop") << risk.dump();
    EXPECT_TRUE(wait_for([&] {
        for (const auto& m : smtp.mails())
            if (m.data.find("EMERGENCY STOP") != std::string::npos) return true;
        return false;
    }, 10)) << "the emergency stop (critical) is emailed";
}

} // namespace
} // namespace aurum
