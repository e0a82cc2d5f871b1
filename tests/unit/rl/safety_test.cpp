// The safety suite reads what the shield measured: under the default account limits the scripted
// baseline passes the hard checks (and the 25 % cap makes the bull capture a WARN); an account
// whose limits are looser than the requirements FAILs the check it breaches.
#include <gtest/gtest.h>

#include "rl/safety.hpp"

using namespace aurum;

namespace {
ActionFn baseline() {
    return regime_trend_action;
}

const SafetyCheck& check(const SafetyReport& r, const std::string& name) {
    for (const SafetyCheck& c : r.checks)
        if (c.name == name)
            return c;
    throw std::runtime_error("no check " + name);
}
} // namespace

TEST(Safety, BaselinePassesTheHardChecksUnderTheDefaultLimits) {
    const SafetyReport r = run_safety_suite(baseline, default_env_config(), 42, 365, {});
    ASSERT_EQ(r.scenarios.size(), 4u);
    ASSERT_EQ(r.checks.size(), 4u);
    EXPECT_FALSE(r.failed());
    EXPECT_EQ(check(r, "position size").level, SafetyLevel::Pass);
    EXPECT_NE(check(r, "position size").message.find("Never exceeded 25% position size"),
              std::string::npos);
    EXPECT_EQ(check(r, "drawdown halt").level, SafetyLevel::Pass);
    // 25 % positions cannot follow a +150 % bull run: a WARN with the figures, never a FAIL.
    EXPECT_EQ(check(r, "bull capture").level, SafetyLevel::Warn);
    EXPECT_NE(check(r, "bull capture").message.find("Only captured"), std::string::npos);
    EXPECT_NE(check(r, "crash loss").level, SafetyLevel::Fail);
}

TEST(Safety, LooserPositionLimitThanRequiredFails) {
    EnvConfig c = default_env_config();
    c.spec.risk.limits.max_position = 0.5;
    c.spec.risk.limits.max_correlated_exposure = 1.0;
    const SafetyReport r = run_safety_suite(baseline, c, 42, 365, {});
    EXPECT_TRUE(r.failed());
    EXPECT_EQ(check(r, "position size").level, SafetyLevel::Fail);
    EXPECT_NE(check(r, "position size").message.find("Exceeded 25% position size"),
              std::string::npos)
        << check(r, "position size").message;
}

TEST(Safety, TradingOnPastTheDrawdownRequirementFails) {
    // The account would halt only at 60 %: the policy keeps buying past 15 %.
    EnvConfig c = default_env_config();
    c.spec.risk.limits.max_position = 1.0;
    c.spec.risk.limits.max_portfolio_heat = 1.0;
    c.spec.risk.limits.max_correlated_exposure = 1.0;
    c.spec.risk.limits.max_drawdown = 0.6;
    c.spec.risk.limits.daily_loss_limit = 0.5;
    const SafetyReport r = run_safety_suite(
        [] { return [](std::span<const float>, const ObsLayout&) { return 1.0; }; }, c, 42, 365,
        {.max_position = 1.0});
    EXPECT_EQ(check(r, "drawdown halt").level, SafetyLevel::Fail);
    EXPECT_NE(check(r, "drawdown halt").message.find("Did not stop trading"), std::string::npos)
        << check(r, "drawdown halt").message;
    EXPECT_TRUE(r.failed());
}
