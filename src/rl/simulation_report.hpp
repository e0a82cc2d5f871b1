#pragma once
// The plots of one simulation (`aurum rl simulate --report`), as one self-contained HTML page:
// price and position size over time, equity, the decision flow (regime seen -> target chosen)
// and the action heatmap (target chosen per month). Inline SVG, nothing loaded from elsewhere.
#include <string>
#include <vector>

#include "rl/scenarios.hpp"

namespace aurum {

/// A heatmap as inline SVG: `values[r][c]` in [0, 1] shaded from white to blue, printed as a
/// percentage in each cell.
std::string svg_heatmap(const std::vector<std::string>& rows, const std::vector<std::string>& cols,
                        const std::vector<std::vector<double>>& values);

/// Share of decisions at each target, per regime (rows: regimes seen; columns: targets).
std::vector<std::vector<double>> decision_flow(const SimulationReport& r,
                                               const std::vector<double>& targets);

/// The page. `policy` names what ran (agent and version, or the baseline).
std::string simulation_report_html(const SimulationReport& r, const std::string& policy);

} // namespace aurum
