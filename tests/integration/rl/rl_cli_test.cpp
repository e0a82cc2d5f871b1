// `aurum rl simulate`: prints the seed-style figures; a bad flag exits 2 naming the value and
// writes nothing.
#include <gtest/gtest.h>

#include "support/test_support.hpp"

using namespace aurum;

TEST(RlCli, SimulatePrintsTheFigures) {
    const test::TempDir home;
    const auto r = test::run_aurum({"--home", home.path().string(), "rl", "simulate",
                                    "--scenario", "flash-crash", "--days", "200"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* want : {"Scenario flash-crash", "Return", "buy-and-hold", "Sharpe",
                             "Max drawdown", "Shield", "interventions"})
        EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
}

TEST(RlCli, BadFlagsExitTwoNamingTheValue) {
    const test::TempDir home;
    auto r = test::run_aurum({"--home", home.path().string(), "rl", "simulate", "--scenario",
                              "sideways"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("'sideways'"), std::string::npos) << r.err;
    r = test::run_aurum({"--home", home.path().string(), "rl", "simulate", "--scenario", "bull",
                         "--days", "5"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--days 5"), std::string::npos) << r.err;
    // Nothing but the command log is written.
    for (const auto& e : std::filesystem::directory_iterator(home.path()))
        EXPECT_EQ(e.path().filename(), "logs") << e.path();
}
