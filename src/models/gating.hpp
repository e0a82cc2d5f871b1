#pragma once
// Promotion rules: a candidate becomes production only when its walk-forward passes them all.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/models_config.hpp"

namespace aurum {

struct WalkForwardResult;

/// One rule's outcome: e.g. "sharpe > 1.00: 0.42 (short by 0.58)".
struct GatingRule {
    std::string name;
    bool passed = false;
    double actual = 0, threshold = 0;
    std::string detail;
};

/// All rules and the decision.
struct GatingVerdict {
    bool passed = false;
    std::vector<GatingRule> rules;
    /// Failed rules, one per line ("" when passed).
    std::string failures() const;
    nlohmann::json to_json() const;
    static GatingVerdict from_json(const nlohmann::json& j);
};

/// Applies the rules to a walk-forward result.
GatingVerdict evaluate_gating(const WalkForwardResult& wf, const GatingConfig& rules);

} // namespace aurum
