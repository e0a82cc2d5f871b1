// Delivery of the outbox against fake Telegram, Discord and Slack servers on 127.0.0.1: once
// each and in order per channel, 429 retry_after honoured, 5xx/timeouts retried with backoff,
// a dead webhook reported (nothing lost), dedup, digest, quiet hours, critical repeats until
// acknowledged, and the documented pace never exceeded. Time is passed in, so nothing waits.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "data/database.hpp"
#include "live/alert_outbox.hpp"
#include "live/session_alerts.hpp"
#include "support/fake_alert_servers.hpp"
#include "support/test_support.hpp"
#include "surfaces/alerts/alert_dispatcher.hpp"

namespace aurum {
namespace {

using nlohmann::json;
const TimeMs kT0 = make_time(2024, 5, 1) + 12 * kMsPerHour; // noon UTC

struct Outbox {
    test::TempDir dir;
    std::unique_ptr<Database> db = open_database((dir / "a.db").string());
    AlertStore store{*db};
    std::int64_t add(const std::string& title, AlertSeverity s = AlertSeverity::Warning,
                     const std::string& key = "", TimeMs t = kT0) {
        Transaction tx(*db);
        const auto id = store.insert(make_alert(t, "test", s, title, "details of " + title, key));
        tx.commit();
        return id;
    }
};

std::vector<ChannelRoute> one(std::unique_ptr<AlertChannel> ch, bool digest = false) {
    std::vector<ChannelRoute> r;
    r.push_back({std::move(ch), AlertSeverity::Info, digest});
    return r;
}

/// The "#id" each delivered message names, in arrival order.
std::vector<int> ids_of(const std::vector<json>& bodies, const char* field) {
    std::vector<int> out;
    for (const auto& b : bodies) {
        const std::string t = b[field].get<std::string>();
        const auto h = t.find("(#");
        out.push_back(std::stoi(t.substr(h + 2)));
    }
    return out;
}

/// Runs the dispatcher from `t` until nothing is queued, jumping to each next due time.
TimeMs drain(AlertDispatcher& d, TimeMs t, int max_passes = 10000) {
    for (int i = 0; i < max_passes && !d.idle(); ++i) t = std::max(t + 1, d.run_once(t));
    return t;
}

TEST(AlertDispatcher, every_alert_arrives_once_and_in_order_on_each_channel) {
    Outbox o;
    test::FakeChatServer tg("telegram"), dc("discord"), sl("slack");
    std::vector<ChannelRoute> routes;
    routes.push_back({make_telegram_channel(tg.url(), "T0KEN", "42", 2000), AlertSeverity::Info, false});
    routes.push_back({make_discord_channel(dc.url(), 2000), AlertSeverity::Info, false});
    routes.push_back({make_slack_channel(sl.url(), 2000), AlertSeverity::Info, false});
    AlertDispatcher d(*o.db, std::move(routes), DispatchPolicy{});
    std::vector<int> want;
    for (int i = 0; i < 12; ++i) want.push_back(static_cast<int>(o.add(fmt::format("event {}", i))));
    drain(d, kT0);
    EXPECT_EQ(ids_of(tg.delivered(), "text"), want);
    EXPECT_EQ(ids_of(dc.delivered(), "content"), want);
    EXPECT_EQ(ids_of(sl.delivered(), "text"), want);
    EXPECT_EQ(tg.delivered()[0]["chat_id"], "42");
    EXPECT_EQ(tg.delivered()[0]["parse_mode"], "HTML");
    // Nothing goes twice: a new dispatcher (a restarted daemon) finds nothing to send.
    AlertDispatcher again(*o.db, one(make_slack_channel(sl.url(), 2000)), DispatchPolicy{});
    drain(again, kT0 + kMsPerHour);
    EXPECT_EQ(sl.delivered().size(), want.size());
    const json st = o.store.delivery_status();
    for (const auto& c : st["channels"]) {
        EXPECT_EQ(c["sent"], 12) << c.dump();
        EXPECT_EQ(c["queued"], 0) << c.dump();
    }
}

TEST(AlertDispatcher, telegram_429_retry_after_is_honoured) {
    Outbox o;
    test::FakeChatServer tg("telegram");
    tg.script({test::answer(429, R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}})")});
    AlertDispatcher d(*o.db, one(make_telegram_channel(tg.url(), "T0KEN", "42", 2000)), {});
    o.add("a");
    o.add("b");
    d.run_once(kT0);
    EXPECT_EQ(tg.requests(), 1);
    d.run_once(kT0 + 3000); // inside retry_after: nothing is sent
    d.run_once(kT0 + 6999);
    EXPECT_EQ(tg.requests(), 1);
    d.run_once(kT0 + 7000);
    d.run_once(kT0 + 8000);
    EXPECT_EQ(ids_of(tg.delivered(), "text"), (std::vector<int>{1, 2}));
}

TEST(AlertDispatcher, discord_429_float_seconds_and_slack_retry_after_header) {
    Outbox o;
    test::FakeChatServer dc("discord"), sl("slack");
    dc.script({test::answer(429, R"({"message":"You are being rate limited.","retry_after":1.5,"global":false})")});
    sl.script({test::answer(429, "rate_limited", {{"Retry-After", "4"}})});
    std::vector<ChannelRoute> routes;
    routes.push_back({make_discord_channel(dc.url(), 2000), AlertSeverity::Info, false});
    routes.push_back({make_slack_channel(sl.url(), 2000), AlertSeverity::Info, false});
    AlertDispatcher d(*o.db, std::move(routes), {});
    o.add("a");
    d.run_once(kT0);
    d.run_once(kT0 + 1499);
    EXPECT_EQ(dc.requests(), 1);
    d.run_once(kT0 + 1500);
    EXPECT_EQ(dc.delivered().size(), 1u);
    d.run_once(kT0 + 3999);
    EXPECT_EQ(sl.requests(), 1);
    d.run_once(kT0 + 4000);
    EXPECT_EQ(sl.delivered().size(), 1u);
}

TEST(AlertDispatcher, server_errors_and_timeouts_are_retried_with_backoff_in_order) {
    Outbox o;
    test::FakeChatServer sl("slack");
    sl.script({test::answer(500, "oops"), test::answer(503, "busy"), test::hang_answer()});
    DispatchPolicy p;
    p.initial_backoff_ms = 1000;
    AlertDispatcher d(*o.db, one(make_slack_channel(sl.url(), 300)), p);
    o.add("a");
    o.add("b");
    d.run_once(kT0);                  // 500
    d.run_once(kT0 + 999);            // backing off: nothing, and "b" waits behind "a"
    EXPECT_EQ(sl.requests(), 1);
    d.run_once(kT0 + 1000);           // 503
    EXPECT_EQ(sl.requests(), 2);
    d.run_once(kT0 + 2999);
    EXPECT_EQ(sl.requests(), 2);      // second backoff is 2 s
    d.run_once(kT0 + 3000);           // hangs past the 300 ms timeout
    EXPECT_EQ(sl.requests(), 3);
    EXPECT_EQ(o.store.delivery(1, "slack")->attempts, 3);
    EXPECT_NE(o.store.delivery(1, "slack")->last_error.find("timed out"), std::string::npos);
    sl.release();
    drain(d, kT0 + 3001);
    EXPECT_EQ(ids_of(sl.delivered(), "text"), (std::vector<int>{1, 2}));
}

TEST(AlertDispatcher, a_dead_webhook_is_reported_and_loses_nothing) {
    Outbox o;
    test::FakeChatServer dc("discord");
    dc.script({test::answer(404, R"({"message":"Unknown Webhook","code":10015})")});
    AlertDispatcher d(*o.db, one(make_discord_channel(dc.url(), 2000)), {});
    o.add("a");
    o.add("b");
    d.run_once(kT0);
    d.run_once(kT0 + kMsPerHour); // dead: not hammered
    EXPECT_EQ(dc.requests(), 1);
    const json st = o.store.delivery_status()["channels"][0];
    EXPECT_EQ(st["state"], "dead");
    EXPECT_EQ(st["queued"], 2); // kept for when the webhook is fixed
    EXPECT_NE(st["last_error"].get<std::string>().find("Unknown Webhook"), std::string::npos);
    // Fixed and restarted: both go out, in order.
    AlertDispatcher fixed(*o.db, one(make_discord_channel(dc.url(), 2000)), {});
    drain(fixed, kT0 + 2 * kMsPerHour);
    EXPECT_EQ(ids_of(dc.delivered(), "content"), (std::vector<int>{1, 2}));
}

TEST(AlertDispatcher, duplicates_inside_the_window_are_suppressed) {
    Outbox o;
    test::FakeChatServer sl("slack");
    AlertDispatcher d(*o.db, one(make_slack_channel(sl.url(), 2000)), {});
    o.add("BTC denied", AlertSeverity::Warning, "risk:max_position:BTC/USDT", kT0);
    drain(d, kT0);
    o.add("BTC denied", AlertSeverity::Warning, "risk:max_position:BTC/USDT", kT0 + kMsPerMinute);
    o.add("ETH denied", AlertSeverity::Warning, "risk:max_position:ETH/USDT", kT0 + kMsPerMinute);
    drain(d, kT0 + kMsPerMinute);
    o.add("BTC denied", AlertSeverity::Warning, "risk:max_position:BTC/USDT", kT0 + 11 * kMsPerMinute);
    drain(d, kT0 + 11 * kMsPerMinute);
    EXPECT_EQ(ids_of(sl.delivered(), "text"), (std::vector<int>{1, 3, 4}));
    EXPECT_EQ(o.store.delivery(2, "slack")->status, "suppressed");
}

TEST(AlertDispatcher, info_alerts_go_out_as_one_digest) {
    Outbox o;
    test::FakeChatServer tg("telegram");
    DispatchPolicy p;
    p.digest_interval_ms = kMsPerHour;
    AlertDispatcher d(*o.db, one(make_telegram_channel(tg.url(), "T0KEN", "42", 2000), true), p);
    for (int i = 0; i < 3; ++i) o.add(fmt::format("trade {}", i), AlertSeverity::Info);
    o.add("risk denied", AlertSeverity::Warning);
    d.run_once(kT0 + 1000);
    d.run_once(kT0 + 2000);
    ASSERT_EQ(tg.delivered().size(), 1u); // the warning at once; the info waits
    d.run_once(kT0 + kMsPerHour);
    ASSERT_EQ(tg.delivered().size(), 2u);
    const std::string digest = tg.delivered()[1]["text"];
    EXPECT_NE(digest.find("Digest: 3 info alerts"), std::string::npos) << digest;
    for (int i = 0; i < 3; ++i) EXPECT_NE(digest.find(fmt::format("trade {}", i)), std::string::npos);
}

TEST(AlertDispatcher, quiet_hours_hold_warnings_but_not_critical_alerts) {
    Outbox o;
    test::FakeChatServer sl("slack");
    DispatchPolicy p;
    p.quiet_start_min = 22 * 60;
    p.quiet_end_min = 7 * 60;
    p.critical_repeat_ms = 2 * kMsPerDay; // reminders are another test's subject
    AlertDispatcher d(*o.db, one(make_slack_channel(sl.url(), 2000)), p);
    const TimeMs night = make_time(2024, 5, 1) + 23 * kMsPerHour;
    o.add("warning at night", AlertSeverity::Warning, "", night);
    o.add("critical at night", AlertSeverity::Critical, "", night);
    d.run_once(night);
    d.run_once(night + kMsPerHour);
    EXPECT_EQ(ids_of(sl.delivered(), "text"), (std::vector<int>{2}));
    d.run_once(make_time(2024, 5, 2) + 7 * kMsPerHour);
    d.run_once(make_time(2024, 5, 2) + 7 * kMsPerHour + 1000);
    EXPECT_EQ(ids_of(sl.delivered(), "text"), (std::vector<int>{2, 1}));
}

TEST(AlertDispatcher, critical_alerts_repeat_until_acknowledged) {
    Outbox o;
    test::FakeChatServer tg("telegram");
    DispatchPolicy p;
    p.critical_repeat_ms = 15 * kMsPerMinute;
    AlertDispatcher d(*o.db, one(make_telegram_channel(tg.url(), "T0KEN", "42", 2000)), p);
    const auto id = o.add("KILL SWITCH tripped", AlertSeverity::Critical);
    d.run_once(kT0);
    ASSERT_EQ(tg.delivered().size(), 1u);
    // The critical message carries an Acknowledge button.
    EXPECT_EQ(tg.delivered()[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
              fmt::format("ack:{}", id));
    d.run_once(kT0 + 14 * kMsPerMinute);
    EXPECT_EQ(tg.delivered().size(), 1u);
    d.run_once(kT0 + 15 * kMsPerMinute);
    ASSERT_EQ(tg.delivered().size(), 2u);
    EXPECT_NE(tg.delivered()[1]["text"].get<std::string>().find("Reminder 1"), std::string::npos);
    ASSERT_TRUE(o.store.acknowledge(id, kT0 + 16 * kMsPerMinute, "cli"));
    d.run_once(kT0 + 31 * kMsPerMinute);
    d.run_once(kT0 + 5 * kMsPerHour);
    EXPECT_EQ(tg.delivered().size(), 2u);
    EXPECT_EQ(o.store.delivery(id, "telegram:42")->status, "sent");
}

TEST(AlertDispatcher, signal_messages_carry_approve_and_reject_buttons) {
    Outbox o;
    test::FakeChatServer tg("telegram");
    AlertDispatcher d(*o.db, one(make_telegram_channel(tg.url(), "T0KEN", "42", 2000)), {});
    SignalRecord s;
    s.symbol = "BTC/USDT";
    s.quantity = 0.25;
    s.price = 42000;
    s.expires_at = kT0 + kMsPerHour;
    {
        Transaction tx(*o.db);
        o.store.insert(signal_pending_alert(kT0, s, 17));
        tx.commit();
    }
    d.run_once(kT0);
    ASSERT_EQ(tg.delivered().size(), 1u);
    const json kb = tg.delivered()[0]["reply_markup"]["inline_keyboard"][0];
    EXPECT_EQ(kb[0]["callback_data"], "approve:17");
    EXPECT_EQ(kb[1]["callback_data"], "reject:17");
}

TEST(AlertDispatcher, the_documented_pace_is_never_exceeded) {
    Outbox o;
    test::FakeChatServer dc("discord");
    AlertDispatcher d(*o.db, one(make_discord_channel(dc.url(), 2000)), {});
    for (int i = 0; i < 40; ++i) o.add(fmt::format("e{}", i));
    // Record the (passed-in) time of every send: the pace is 5 per 2 s per webhook.
    std::vector<TimeMs> sent;
    TimeMs t = kT0;
    for (int pass = 0; pass < 1000 && !d.idle(); ++pass) {
        const std::size_t before = dc.delivered().size();
        const TimeMs next = d.run_once(t);
        for (std::size_t k = before; k < dc.delivered().size(); ++k) sent.push_back(t);
        t = std::max(t + 1, next);
    }
    ASSERT_EQ(sent.size(), 40u);
    for (std::size_t i = 5; i < sent.size(); ++i)
        EXPECT_GE(sent[i] - sent[i - 5], 2000) << "6 messages inside 2 s at " << i;
}

} // namespace
} // namespace aurum
