#include <gtest/gtest.h>

#include "core/bar_series.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/instrument.hpp"

using namespace aurum;

TEST(Config, unknown_key_is_named_with_line_and_suggestion) {
    ConfigNode root = ConfigNode::parse("risk:\n  max_position: 0.25\n  max_postion: 0.3\n",
                                        "config/risk.yaml");
    try {
        root.child("risk").allow_keys({"max_position", "daily_loss_limit"});
        FAIL() << "expected InputError";
    } catch (const InputError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("config/risk.yaml:3"), std::string::npos) << msg;
        EXPECT_NE(msg.find("risk.max_postion"), std::string::npos) << msg;
        EXPECT_NE(msg.find("did you mean 'max_position'"), std::string::npos) << msg;
    }
}

TEST(Config, a_missing_section_reads_as_empty_with_defaults) {
    // A partial file: only some sections of `live` are there.
    const ConfigNode root = ConfigNode::parse("live:\n  slippage_bps: 7\n", "live.yaml");
    const ConfigNode live = root.child("live");
    const ConfigNode approval = live.child("approval");
    EXPECT_FALSE(approval.defined());
    approval.allow_keys({"enabled"}); // nothing to check
    EXPECT_FALSE(approval.has("enabled"));
    EXPECT_TRUE(approval.get_bool("enabled", true));
    EXPECT_EQ(approval.child("deeper").get_string("x", "fallback"), "fallback");
    EXPECT_TRUE(approval.keys().empty());
    EXPECT_EQ(live.get_double("slippage_bps", 0), 7.0);
}

TEST(Config, bad_values_name_key_and_value) {
    ConfigNode root = ConfigNode::parse("a: abc\nb: -1\nc: 2.5\n", "x.yaml");
    EXPECT_THROW(root.get_double("a"), InputError);
    EXPECT_THROW(root.get_positive("b", 1.0), InputError);
    EXPECT_THROW(root.get_in_range("c", 0.5, 0.0, 1.0), InputError);
    EXPECT_DOUBLE_EQ(root.get_double("c"), 2.5);
    EXPECT_DOUBLE_EQ(root.get_double("missing", 7.0), 7.0);
    EXPECT_THROW(ConfigNode::parse("a: [1, 2\n", "broken.yaml"), InputError);
}

TEST(Instrument, gold_sessions_close_at_weekend_and_daily_break) {
    const Instrument gold = InstrumentRegistry().get("XAUUSD");
    EXPECT_TRUE(gold.sessions.is_open(make_time(2024, 12, 3, 10)));   // Tuesday 10:00
    EXPECT_FALSE(gold.sessions.is_open(make_time(2024, 12, 3, 21)));  // daily break
    EXPECT_FALSE(gold.sessions.is_open(make_time(2024, 12, 7, 12)));  // Saturday
    EXPECT_FALSE(gold.sessions.is_open(make_time(2024, 12, 25, 12))); // Christmas
    EXPECT_TRUE(gold.sessions.is_open(make_time(2024, 12, 9, 1)));    // Monday early
    const Instrument btc = InstrumentRegistry().get("BTC/USDT");
    EXPECT_TRUE(btc.sessions.is_open(make_time(2024, 12, 7, 12)));
}

TEST(Instrument, unknown_symbols_are_rejected_and_pairs_are_generic) {
    InstrumentRegistry reg;
    EXPECT_THROW(reg.get("NOPE"), InputError);
    EXPECT_TRUE(reg.find("ADA/BTC").has_value());
    EXPECT_EQ(normalize_symbol("btcusdt"), "BTC/USDT");
    EXPECT_EQ(normalize_symbol("ETH-BTC"), "ETH/BTC");
    EXPECT_EQ(normalize_symbol("xauusd"), "XAUUSD");
}

TEST(BarSeries, slice_and_lower_bound) {
    BarSeries s;
    s.symbol = "BTC/USDT";
    s.timeframe = Timeframe(kMsPerHour);
    for (int i = 0; i < 10; ++i)
        s.push_back(Bar{i * kMsPerHour, 1.0 + i, 2.0 + i, 0.5 + i, 1.5 + i, 10.0, 0.0});
    EXPECT_FALSE(s.has_spread());
    const BarSeries part = s.slice(TimeRange{2 * kMsPerHour, 5 * kMsPerHour});
    ASSERT_EQ(part.size(), 3u);
    EXPECT_EQ(part.time.front(), 2 * kMsPerHour);
    EXPECT_DOUBLE_EQ(part.close.back(), 1.5 + 4);
    EXPECT_EQ(s.close_time(0), kMsPerHour);
}
