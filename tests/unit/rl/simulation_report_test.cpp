// The simulation's plots: the decision flow of the scripted baseline is its rule (bull -> 100 %,
// ranging -> 50 %, else flat), and the page is self-contained.
#include <gtest/gtest.h>

#include "rl/simulation_report.hpp"

using namespace aurum;

TEST(SimulationReport, DecisionFlowOfTheBaselineIsItsRule) {
    const SimulationReport r =
        simulate_scenario(Scenario::FlashCrash, 42, 365, default_env_config());
    ASSERT_EQ(r.regimes.size(), r.decisions);
    ASSERT_EQ(r.positions.size(), r.decisions);
    ASSERT_EQ(r.equity.size(), r.decisions);
    const std::vector<double> targets{0.0, 0.5, 1.0};
    const auto flow = decision_flow(r, targets);
    const auto row = [&](Regime g) { return flow[static_cast<std::size_t>(g)]; };
    EXPECT_EQ(row(Regime::Bull), (std::vector<double>{0, 0, 1}));
    EXPECT_EQ(row(Regime::Ranging), (std::vector<double>{0, 1, 0}));
    EXPECT_EQ(row(Regime::Bear), (std::vector<double>{1, 0, 0}));
    // Every position after a decision stays near the 25 % cap (marked at the close).
    for (double p : r.positions)
        EXPECT_LT(p, 0.35);
}

TEST(SimulationReport, PageIsSelfContainedWithEveryPlot) {
    const SimulationReport r = simulate_scenario(Scenario::Bull, 42, 200, default_env_config());
    const std::string html = simulation_report_html(r, "baseline <test>");
    for (const char* want :
         {"Position size", "Equity", "Decision flow", "Action heatmap", "baseline &lt;test&gt;"})
        EXPECT_NE(html.find(want), std::string::npos) << want;
    std::size_t svgs = 0;
    for (std::size_t at = html.find("<svg"); at != std::string::npos;
         at = html.find("<svg", at + 1))
        ++svgs;
    EXPECT_EQ(svgs, 5u);
    EXPECT_EQ(html.find("src="), std::string::npos);
    EXPECT_EQ(html.find("href="), std::string::npos);
}
