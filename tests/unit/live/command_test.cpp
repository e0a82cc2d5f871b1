// The typed command layer: one table of kinds, one parser with errors naming field and value,
// the wire/journal JSON round trip (stored payloads stay readable), the risk_set policy.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "live/command.hpp"

using namespace aurum;
using nlohmann::json;

namespace {

/// The InputError text of parsing `fields` as `kind` ("" when it parsed).
std::string parse_error(const std::string& kind, const json& fields) {
    try {
        parse_command(kind, fields);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

void expect_error(const std::string& kind, const json& fields,
                  std::initializer_list<const char*> words) {
    const std::string e = parse_error(kind, fields);
    ASSERT_FALSE(e.empty()) << kind << " " << fields.dump() << " parsed";
    for (const char* w : words) EXPECT_NE(e.find(w), std::string::npos) << e;
}

} // namespace

TEST(Command, every_kind_round_trips_through_its_name) {
    for (const char* k : {"pause", "resume", "trade", "emergency_stop", "killswitch_reset",
                          "acknowledge_stop", "risk_set", "risk_reload", "signal_approve",
                          "signal_reject", "model_reload", "model_unload", "settle"})
        EXPECT_EQ(to_string(parse_command_kind(k)), k);
    expect_error("pauze", json::object(), {"unknown command 'pauze'", "pause"});
}

TEST(Command, parses_each_kind_from_json) {
    auto c = parse_command("pause", {{"duration_ms", 3600000}, {"reason", "fed"}, {"close", false}});
    EXPECT_EQ(c.kind, CommandKind::Pause);
    EXPECT_EQ(c.duration, 3600000);
    EXPECT_FALSE(c.close);
    EXPECT_EQ(c.reason, "fed");
    c = parse_command("trade", {{"symbol", "BTC/USDT"}, {"side", "Long"}, {"amount", 0.1}});
    EXPECT_EQ(c.side, TradeSide::Long);
    EXPECT_DOUBLE_EQ(c.amount, 0.1);
    c = parse_command("trade", {{"symbol", "BTC/USDT"}, {"side", "close"}});
    EXPECT_EQ(c.side, TradeSide::Close);
    EXPECT_EQ(c.amount, 0.0);
    c = parse_command("risk_set", {{"changes", {{"max_position", "0.15"}, {"cooldown", 3}}},
                                   {"confirm", true}});
    EXPECT_EQ(c.changes.at("max_position"), "0.15");
    EXPECT_EQ(c.changes.at("cooldown"), "3");
    EXPECT_TRUE(c.confirm_loosen);
    EXPECT_EQ(parse_command("signal_approve", {{"id", 7}}).id, 7);
    EXPECT_EQ(parse_command("signal_reject", {{"id", 8}}).kind, CommandKind::SignalReject);
    EXPECT_EQ(parse_command("killswitch_reset", {{"confirm", "reviewed"}}).confirm, "reviewed");
    EXPECT_EQ(parse_command("emergency_stop", {{"reason", "crash"}}).reason, "crash");
    EXPECT_EQ(parse_command("risk_reload", {{"yaml", "risk: {}"}}).yaml, "risk: {}");
    c = parse_command("model_reload", {{"name", "gbdt_btc"}, {"version", 3}});
    EXPECT_EQ(c.model, "gbdt_btc");
    EXPECT_EQ(c.version, 3);
    EXPECT_EQ(parse_command("resume", json::object()).kind, CommandKind::Resume);
    EXPECT_EQ(parse_command("settle", {{"reason", "flat"}, {"at", 5}}).at, TimeMs{5});
}

TEST(Command, missing_or_mistyped_fields_name_the_field_and_the_value) {
    expect_error("pause", {{"reason", "x"}}, {"pause", "'duration_ms'", "missing"});
    expect_error("pause", {{"duration_ms", "1h"}}, {"'duration_ms'", "integer", "\"1h\""});
    expect_error("pause", {{"duration_ms", 0}}, {"'duration_ms'", "positive", "0"});
    expect_error("pause", {{"duration_ms", 10}, {"close", "yes"}}, {"'close'", "\"yes\""});
    expect_error("trade", {{"side", "long"}, {"amount", 1}}, {"trade", "'symbol'", "missing"});
    expect_error("trade", {{"symbol", 5}, {"side", "long"}, {"amount", 1}}, {"'symbol'", "5"});
    expect_error("trade", {{"symbol", "BTC/USDT"}, {"amount", 1}}, {"'side'", "missing"});
    expect_error("trade", {{"symbol", "BTC/USDT"}, {"side", "up"}, {"amount", 1}},
                 {"'side'", "'up'"});
    expect_error("trade", {{"symbol", "BTC/USDT"}, {"side", "long"}}, {"'amount'", "missing"});
    expect_error("trade", {{"symbol", "BTC/USDT"}, {"side", "long"}, {"amount", "lots"}},
                 {"'amount'", "number", "\"lots\""});
    expect_error("trade", {{"symbol", "BTC/USDT"}, {"side", "long"}, {"amount", -1}},
                 {"'amount'", "positive", "-1"});
    expect_error("trade", {{"symbol", "BTC/USDT"}, {"side", "long"}, {"amount", 1}, {"amt", 2}},
                 {"unknown field 'amt'", "2"});
    expect_error("emergency_stop", json::object(), {"'reason'", "missing"});
    expect_error("emergency_stop", {{"reason", "  "}}, {"'reason'", "required"});
    expect_error("emergency_stop", {{"reason", 3}}, {"'reason'", "text", "3"});
    expect_error("killswitch_reset", json::object(), {"'confirm'", "missing"});
    expect_error("risk_set", json::object(), {"'changes'", "missing"});
    expect_error("risk_set", {{"changes", "max_position=1"}}, {"'changes'", "max_position=1"});
    expect_error("risk_set", {{"changes", {{"max_position", true}}}},
                 {"'changes.max_position'", "true"});
    expect_error("risk_set", {{"changes", {{"max_position", "0.2"}}}, {"confirm", "yes"}},
                 {"'confirm'", "\"yes\""});
    expect_error("risk_reload", json::object(), {"'yaml'", "missing"});
    expect_error("signal_approve", json::object(), {"'id'", "missing"});
    expect_error("signal_approve", {{"id", "7"}}, {"'id'", "integer", "\"7\""});
    expect_error("signal_reject", {{"id", 0}}, {"'id'", "0"});
    expect_error("model_reload", {{"version", "v2"}}, {"'version'", "\"v2\""});
    expect_error("model_unload", json::object(), {"model_unload", "'name'", "missing"});
    expect_error("model_unload", {{"name", ""}}, {"'name'", "''"});
    expect_error("model_unload", {{"name", "m"}, {"version", 2}}, {"'version'"});
    expect_error("pause", json::array(), {"pause", "object"});
    expect_error("resume", {{"at", "noon"}}, {"'at'", "\"noon\""});
}

TEST(Command, stored_journal_payloads_replay_unchanged) {
    // Payloads as the journal has always stored them (CLI args plus "at").
    const std::vector<std::pair<std::string, std::string>> stored = {
        {"pause", R"({"at":100,"close":true,"duration_ms":86400000,"reason":"Fed"})"},
        {"trade", R"({"amount":0.1,"at":100,"reason":"news","side":"long","symbol":"BTC/USDT"})"},
        {"risk_set", R"({"at":100,"changes":{"max_position":"0.15"},"reason":"vol"})"},
        {"killswitch_reset", R"({"at":100,"confirm":"reviewed"})"},
        {"signal_approve", R"({"at":100,"id":3,"reason":"approve"})"},
        {"model_reload", R"({"at":100,"name":"m","reason":"weekly","version":2})"},
        {"model_unload", R"({"at":100,"name":"m","reason":"nonsense"})"},
        {"emergency_stop", R"({"at":100,"reason":"crash"})"},
        {"settle", R"({"at":100,"reason":"flat"})"},
    };
    for (const auto& [kind, payload] : stored) {
        const Command c = parse_command(kind, json::parse(payload));
        EXPECT_EQ(c.at, TimeMs{100}) << kind;
        // The wire JSON is the stored JSON: a new journal entry reads like an old one.
        EXPECT_EQ(c.to_json(), json::parse(payload)) << kind;
        EXPECT_EQ(parse_command(kind, c.to_json()).to_json(), c.to_json()) << kind;
    }
}

TEST(Command, risk_set_refuses_contradicting_limits_naming_both) {
    Command c = parse_command("risk_set", {{"changes", {{"max_position", "1.5"}}}, {"confirm", true}});
    try {
        apply_risk_changes(RiskLimits{}, c);
        FAIL() << "max_position 1.5 above heat 0.5 was accepted";
    } catch (const InputError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("max_position 1.5"), std::string::npos) << m;
        EXPECT_NE(m.find("max_portfolio_heat 0.5"), std::string::npos) << m;
    }
}

TEST(Command, risk_set_loosening_beyond_the_factor_needs_confirm) {
    RiskLimits l;
    l.max_portfolio_heat = 2.0;
    l.max_leverage = 2.0;
    Command c = parse_command("risk_set", {{"changes", {{"max_position", "0.6"}}}});
    try {
        apply_risk_changes(l, c);
        FAIL() << "0.25 -> 0.6 (2.4x) was accepted without --confirm";
    } catch (const InputError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("max_position 0.25 -> 0.6"), std::string::npos) << m;
        EXPECT_NE(m.find("--confirm"), std::string::npos) << m;
    }
    c.confirm_loosen = true;
    EXPECT_DOUBLE_EQ(apply_risk_changes(l, c).max_position, 0.6);
    // Within the factor, and any tightening, need no confirmation.
    c = parse_command("risk_set", {{"changes", {{"max_position", "0.5"}, {"max_drawdown", "0.05"}}}});
    EXPECT_DOUBLE_EQ(apply_risk_changes(l, c).max_position, 0.5);
    // Lower is looser for the cooldown: 24h -> 1h needs --confirm.
    c = parse_command("risk_set", {{"changes", {{"cooldown", "1h"}}}});
    EXPECT_THROW(apply_risk_changes(l, c), InputError);
    // The factor is a risk.yaml setting.
    l.max_loosen_factor = 3.0;
    c = parse_command("risk_set", {{"changes", {{"max_position", "0.6"}}}});
    EXPECT_DOUBLE_EQ(apply_risk_changes(l, c).max_position, 0.6);
    EXPECT_DOUBLE_EQ(parse_risk_limits("risk:\n  max_loosen_factor: 4\n", "r.yaml").max_loosen_factor,
                     4.0);
}

TEST(Command, account_rules_are_shared_and_change_nothing_when_refused) {
    RiskManager rm(RiskLimits{}, InstrumentRegistry());
    const Command resume = parse_command("resume", json::object());
    EXPECT_THROW(check_account_command(resume, rm, 0), InputError); // not paused
    const Command pause = parse_command("pause", {{"duration_ms", 3600000}, {"reason", "x"}});
    check_account_command(pause, rm, 0);
    EXPECT_TRUE(apply_account_command(pause, rm, 0).has_value());
    EXPECT_EQ(rm.state().mode, TradingMode::Paused);
    check_account_command(resume, rm, 10);
    apply_account_command(resume, rm, 10);
    EXPECT_EQ(rm.state().mode, TradingMode::Active);
    const Command reset = parse_command("killswitch_reset", {{"confirm", "ok"}});
    EXPECT_THROW(check_account_command(reset, rm, 20), InputError); // not engaged
    EXPECT_EQ(rm.state().mode, TradingMode::Active);
    const Command trade = parse_command("trade", {{"symbol", "BTC/USDT"}, {"side", "long"},
                                                  {"amount", 1}});
    EXPECT_FALSE(apply_account_command(trade, rm, 0).has_value());
}
