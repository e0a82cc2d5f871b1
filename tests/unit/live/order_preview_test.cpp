// The order preview: the risk manager's verdict on an exact manual order, sized as `trade`
// sizes it, with nothing changed.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "live/order_preview.hpp"

using namespace aurum;

namespace {
Command trade(const std::string& side, double amount) {
    return parse_command(CommandKind::Trade,
                         nlohmann::json{{"symbol", "BTC/USDT"}, {"side", side}, {"amount", amount}});
}
} // namespace

TEST(OrderPreview, reduces_an_order_beyond_max_position_and_says_why) {
    InstrumentRegistry reg;
    RiskLimits l;
    l.max_position = 0.25;
    RiskManager rm(l, reg);
    const auto version = rm.version();
    AccountView acct{make_time(2024, 1, 1), 10000, 10000, {}};
    const auto j = preview_order(rm, acct, reg.get("BTC/USDT"), 40000, trade("long", 1.0));
    EXPECT_EQ(j["verdict"], "reduce");
    EXPECT_EQ(j["rule"], "max_position");
    EXPECT_DOUBLE_EQ(j["requested_qty"].get<double>(), 1.0);
    EXPECT_LE(j["final_qty"].get<double>() * 40000, 0.25 * 10000 + 1e-6);
    EXPECT_NEAR(j["heat_after"].get<double>(), j["final_qty"].get<double>() * 40000 / 10000, 1e-9);
    EXPECT_EQ(j["reduced_by"].size(), 1u);
    EXPECT_TRUE(j["blocked_by"].is_null());
    EXPECT_EQ(rm.version(), version); // nothing changed
}

TEST(OrderPreview, a_paused_account_blocks_entries_but_not_a_close) {
    InstrumentRegistry reg;
    RiskManager rm(RiskLimits{}, reg);
    const TimeMs now = make_time(2024, 1, 1);
    rm.pause(now, kMsPerDay, "news", false);
    AccountView acct{now, 10000, 6000, {{"BTC/USDT", 0.1, 40000}}};
    const auto entry = preview_order(rm, acct, reg.get("BTC/USDT"), 40000, trade("long", 0.01));
    EXPECT_EQ(entry["verdict"], "deny");
    EXPECT_EQ(entry["blocked_by"]["rule"], "paused");
    const auto close = preview_order(rm, acct, reg.get("BTC/USDT"), 40000, trade("close", 0));
    EXPECT_EQ(close["verdict"], "approve");
    EXPECT_DOUBLE_EQ(close["final_qty"].get<double>(), 0.1);
    EXPECT_DOUBLE_EQ(close["heat_after"].get<double>(), 0.0);
    EXPECT_THROW(preview_order(rm, AccountView{now, 10000, 10000, {}}, reg.get("BTC/USDT"), 40000,
                               trade("close", 0)),
                 InputError);
}
