// Scenario markets have the shape their name promises, the baseline runs through the shield, and
// a scenario name that does not exist is an InputError naming it.
#include <algorithm>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "rl/scenarios.hpp"

using namespace aurum;

namespace {
double change(const BarSeries& b) { return b.close.back() / b.close.front() - 1; }
} // namespace

TEST(Scenarios, MarketsHaveTheirShape) {
    EXPECT_GT(change(scenario_bars(Scenario::Bull, 42, 365)), 0.2);
    EXPECT_LT(change(scenario_bars(Scenario::Bear, 42, 365)), -0.2);
    const BarSeries c = scenario_bars(Scenario::FlashCrash, 42, 365);
    const std::size_t at = c.size() * 6 / 10;
    EXPECT_LT(c.close[at + 5] / c.close[at - 1], 0.7); // the fall
    const BarSeries same = scenario_bars(Scenario::FlashCrash, 42, 365);
    EXPECT_EQ(c.close, same.close); // seeded
}

TEST(Scenarios, BaselineRunsThroughTheShield) {
    const SimulationReport bull = simulate_scenario(Scenario::Bull, 42, 365, default_env_config());
    EXPECT_GT(bull.decisions, 1500u);
    EXPECT_GT(bull.metrics.trades + bull.shield.orders, 0u);
    EXPECT_GT(bull.shield.reduced, 0u) << "a 100 % target must be cut to the 25 % cap";
    EXPECT_LE(bull.shield.max_entry_exposure, 0.25 * 1.01);
    EXPECT_GT(bull.buy_hold_return, 0);

    const SimulationReport crash =
        simulate_scenario(Scenario::FlashCrash, 42, 365, default_env_config());
    EXPECT_LE(crash.shield.max_entry_exposure, 0.25 * 1.01);
    EXPECT_EQ(crash.shield.entries_past_halt, 0u);
    // 25 % at most in the market: a 40 % fall costs the account at most about 10 %.
    EXPECT_GT(crash.metrics.max_drawdown, -0.15);
}

TEST(Scenarios, BadInputNamesTheValue) {
    try {
        parse_scenario("moon");
        FAIL() << "no error";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("'moon'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("flash-crash"), std::string::npos) << e.what();
    }
    EXPECT_EQ(parse_scenario("flash-crash"), Scenario::FlashCrash);
    EXPECT_THROW(simulate_scenario(Scenario::Bull, 1, 10, default_env_config()), InputError);
}

TEST(Scenarios, HistoryWindowsByNameOrDateRange) {
    const auto bear = parse_history_window("bear-2022");
    ASSERT_TRUE(bear);
    EXPECT_EQ(format_time(bear->from), "2022-01-01 00:00:00");
    EXPECT_EQ(format_time(bear->to), "2023-01-01 00:00:00");
    const auto range = parse_history_window("2021-05-01..2021-07-15");
    ASSERT_TRUE(range);
    EXPECT_EQ(format_time(range->to), "2021-07-15 00:00:00");
    EXPECT_FALSE(parse_history_window("flash-crash")); // a synthetic scenario, not history
    EXPECT_THROW(parse_history_window("2021-07-15..2021-05-01"), InputError);
    EXPECT_THROW(parse_history_window("2021-13-45..2022-01-01"), InputError);
}
