// The two-way Telegram bot against a fake Bot API on 127.0.0.1: the allowlist (unknown users
// and chats get nothing done and nothing said), roles, /stop's one-time expiring confirmation,
// the audit trail with who and where, the inbound rate limit, stale updates dropped at start,
// and every command handed on as the one typed Command.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "core/error.hpp"
#include "support/fake_alert_servers.hpp"
#include "surfaces/alerts/telegram_bot.hpp"

namespace aurum {
namespace {

using nlohmann::json;

struct Audit {
    std::string action, reason, details, result;
};

struct BotFixture {
    test::FakeChatServer tg{"telegram"};
    SimulatedClock clock{make_time(2024, 5, 1)};
    std::vector<Command> submitted;
    std::vector<Audit> audits;
    std::vector<std::int64_t> acked;
    std::unique_ptr<TelegramBot> bot;

    explicit BotFixture(int rate_limit = 20) {
        TelegramCommandsConfig c;
        c.enabled = true;
        c.users = {{"1001", TelegramRole::Operator}, {"2002", TelegramRole::Viewer}};
        c.chats = {"1001", "2002", "-777"};
        c.rate_limit_per_minute = rate_limit;
        c.confirm_ttl_ms = 2 * kMsPerMinute;
        c.poll_timeout_s = 1;
        TelegramBotHooks h;
        h.submit = [this](const Command& cmd) {
            submitted.push_back(cmd);
            return CommandOutcome{0, "done: " + to_string(cmd.kind), {}};
        };
        h.query = [](const std::string& name, const json&) -> json {
            if (name == "summary") return {{"trades_today", json::array({{{"time", 0}, {"text", "Bought 0.1 BTC/USDT"}}})}};
            return json::array();
        };
        h.audit = [this](const std::string& a, const std::string& r, const std::string& d,
                         const std::string& res) { audits.push_back({a, r, d, res}); };
        h.ack = [this](std::int64_t id, const std::string&) {
            acked.push_back(id);
            return id == 5;
        };
        bot = std::make_unique<TelegramBot>(tg.url(), "T0KEN", c, h, clock, 2000);
    }

    /// A private message from `user` in their own chat (or `chat`).
    void say(const std::string& user, const std::string& text, std::string chat = "",
             const std::string& type = "private") {
        if (chat.empty()) chat = user;
        tg.push_update({{"message",
                         {{"message_id", 1},
                          {"date", 0},
                          {"from", {{"id", std::stoll(user)}, {"username", "u" + user}}},
                          {"chat", {{"id", std::stoll(chat)}, {"type", type}}},
                          {"text", text}}}});
        bot->poll_once();
    }
    void press(const std::string& user, const std::string& data) {
        tg.push_update({{"callback_query",
                         {{"id", "cb1"},
                          {"from", {{"id", std::stoll(user)}}},
                          {"message", {{"chat", {{"id", std::stoll(user)}, {"type", "private"}}}}},
                          {"data", data}}}});
        bot->poll_once();
    }
    std::string last_reply() const {
        const auto m = tg.calls("sendMessage");
        return m.empty() ? "" : m.back()["text"].get<std::string>();
    }
    /// The nonce of the last /stop confirmation button.
    std::string stop_button() const {
        const auto m = tg.calls("sendMessage");
        return m.back()["reply_markup"]["inline_keyboard"][0][0]["callback_data"];
    }
};

TEST(TelegramBot, unknown_users_and_chats_get_nothing_done_and_nothing_said) {
    BotFixture f;
    f.say("666", "/pause 24h hostile");              // not on the allowlist
    f.say("1001", "/pause 24h from a group", "-500", "group"); // allowed user, unknown group
    f.say("1001", "/resume", "-777", "supergroup"); // listed group, but groups are not allowed
    f.say("1001", "/resume", "2002");               // a private chat that is not the user's
    EXPECT_TRUE(f.submitted.empty());
    EXPECT_TRUE(f.tg.calls("sendMessage").empty());
    f.say("1001", "/pause 24h news");
    ASSERT_EQ(f.submitted.size(), 1u);
}

TEST(TelegramBot, commands_become_the_typed_command_with_who_and_where_audited) {
    BotFixture f;
    f.say("1001", "/pause 24h FOMC tomorrow");
    f.say("1001", "/approve 12");
    f.say("1001", "/reject 13 too late");
    f.say("1001", "/trade BTC/USDT long 0.1 breakout");
    f.say("1001", "/resume calm again");
    ASSERT_EQ(f.submitted.size(), 5u);
    EXPECT_EQ(f.submitted[0].kind, CommandKind::Pause);
    EXPECT_EQ(f.submitted[0].duration, 24 * kMsPerHour);
    EXPECT_EQ(f.submitted[1].kind, CommandKind::SignalApprove);
    EXPECT_EQ(f.submitted[1].id, 12);
    EXPECT_EQ(f.submitted[2].kind, CommandKind::SignalReject);
    EXPECT_EQ(f.submitted[3].kind, CommandKind::Trade);
    EXPECT_EQ(f.submitted[3].symbol, "BTC/USDT");
    EXPECT_EQ(f.submitted[3].amount, 0.1);
    EXPECT_EQ(f.submitted[4].kind, CommandKind::Resume);
    // The daemon's own audit line (its reason) names who and where, too.
    EXPECT_NE(f.submitted[0].reason.find("FOMC tomorrow [telegram user 1001 (@u1001) in chat 1001"),
              std::string::npos)
        << f.submitted[0].reason;
    ASSERT_EQ(f.audits.size(), 5u);
    for (const auto& a : f.audits) {
        const json who = json::parse(a.details);
        EXPECT_EQ(who["user"], "1001");
        EXPECT_EQ(who["chat"], "1001");
        EXPECT_EQ(who["via"], "telegram");
        EXPECT_EQ(a.result, "ok");
    }
    EXPECT_EQ(f.audits[0].action, "telegram /pause");
    // Bad input: a clear message, nothing submitted.
    f.say("1001", "/pause soon whatever");
    EXPECT_NE(f.last_reply().find("not a duration"), std::string::npos) << f.last_reply();
    f.say("1001", "/trade BTC/USDT sideways 1");
    EXPECT_EQ(f.submitted.size(), 5u);
}

TEST(TelegramBot, a_viewer_reads_but_cannot_trade) {
    BotFixture f;
    f.say("2002", "/trades");
    EXPECT_NE(f.last_reply().find("Bought 0.1 BTC/USDT"), std::string::npos) << f.last_reply();
    for (const char* cmd : {"/trade BTC/USDT long 1 x", "/pause 1h x", "/stop", "/approve 3", "/ack 5"}) {
        f.say("2002", cmd);
        EXPECT_NE(f.last_reply().find("Refused: your role is viewer"), std::string::npos) << cmd;
    }
    f.press("2002", "approve:3");
    EXPECT_TRUE(f.submitted.empty());
    EXPECT_EQ(f.audits.back().result, "refused: viewer");
}

TEST(TelegramBot, stop_needs_its_one_time_confirmation) {
    BotFixture f;
    f.say("1001", "/stop market is crashing");
    EXPECT_TRUE(f.submitted.empty()); // asking changes nothing
    const std::string button = f.stop_button();
    ASSERT_EQ(button.rfind("stop:", 0), 0u);
    f.press("1001", "stop:0000forged0000");
    EXPECT_TRUE(f.submitted.empty());
    f.press("1001", button);
    ASSERT_EQ(f.submitted.size(), 1u);
    EXPECT_EQ(f.submitted[0].kind, CommandKind::EmergencyStop);
    EXPECT_NE(f.submitted[0].reason.find("market is crashing"), std::string::npos);
    f.press("1001", button); // replayed
    EXPECT_EQ(f.submitted.size(), 1u);
    EXPECT_NE(f.last_reply().find("already used"), std::string::npos) << f.last_reply();
}

TEST(TelegramBot, an_expired_stop_confirmation_is_refused) {
    BotFixture f;
    f.say("1001", "/stop");
    const std::string button = f.stop_button();
    f.clock.advance(2 * kMsPerMinute + 1);
    f.press("1001", button);
    EXPECT_TRUE(f.submitted.empty());
    EXPECT_NE(f.last_reply().find("expired"), std::string::npos) << f.last_reply();
    EXPECT_EQ(f.audits.back().result, "refused: confirmation expired");
}

TEST(TelegramBot, buttons_approve_reject_and_acknowledge) {
    BotFixture f;
    f.press("1001", "approve:21");
    f.press("1001", "reject:22");
    f.press("1001", "ack:5");
    ASSERT_EQ(f.submitted.size(), 2u);
    EXPECT_EQ(f.submitted[0].kind, CommandKind::SignalApprove);
    EXPECT_EQ(f.submitted[0].id, 21);
    EXPECT_EQ(f.submitted[1].kind, CommandKind::SignalReject);
    EXPECT_EQ(f.acked, (std::vector<std::int64_t>{5}));
    EXPECT_EQ(f.tg.calls("answerCallbackQuery").size(), 3u);
}

TEST(TelegramBot, inbound_rate_limit_refuses_the_excess) {
    BotFixture f(3);
    for (int i = 0; i < 6; ++i) f.say("1001", fmt::format("/approve {}", i + 1));
    EXPECT_EQ(f.submitted.size(), 3u);
    f.clock.advance(kMsPerMinute + 1);
    f.say("1001", "/approve 9");
    EXPECT_EQ(f.submitted.size(), 4u);
}

TEST(TelegramBot, updates_sent_while_down_are_dropped_at_start) {
    BotFixture f;
    for (const char* t : {"/pause 24h old", "/stop", "/approve 3"})
        f.tg.push_update({{"message",
                           {{"from", {{"id", 1001}}},
                            {"chat", {{"id", 1001}, {"type", "private"}}},
                            {"text", t}}}});
    f.bot->drop_stale_updates();
    f.bot->poll_once();
    EXPECT_TRUE(f.submitted.empty());
    EXPECT_TRUE(f.tg.calls("sendMessage").empty());
    f.say("1001", "/approve 4"); // new ones are handled
    EXPECT_EQ(f.submitted.size(), 1u);
}

} // namespace
} // namespace aurum
