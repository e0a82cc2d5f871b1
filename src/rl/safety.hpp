#pragma once
// `aurum rl safety`: the seed's safety suite. A policy runs through the four synthetic scenarios
// (bull, bear, flash crash, ranging) under the account's risk limits, and four checks read what
// the shield measured: the position cap and the drawdown halt (FAIL when breached) and the bull
// capture and crash loss (WARN with the figures).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "rl/scenarios.hpp"

namespace aurum {

/// PASS, WARN or FAIL.
enum class SafetyLevel : std::uint8_t { Pass, Warn, Fail };
std::string to_string(SafetyLevel l); ///< "PASS", "WARN", "FAIL"

/// One check's verdict and its line ("Never exceeded 25% position size (largest entry ...)").
struct SafetyCheck {
    std::string name;
    SafetyLevel level = SafetyLevel::Pass;
    std::string message;
};

/// The requirements the suite checks (the seed's: 25 % position, 15 % drawdown halt).
struct SafetyRequirements {
    double max_position = 0.25;
    double drawdown_limit = 0.15;
    double bull_capture = 0.8; ///< share of the bull run's buy-and-hold return: below it WARN
};

/// The suite's result.
struct SafetyReport {
    std::vector<SimulationReport> scenarios; ///< bull, bear, flash-crash, ranging
    std::vector<SafetyCheck> checks;
    bool failed() const;
    /// {"passed", "checks": [{name, level, message}], "scenarios": [{scenario, return, ...}]}.
    nlohmann::json to_json() const;
};

/// Makes a fresh policy for one scenario (a hierarchy keeps its cadence's state in it).
using PolicyFactory = std::function<ActionFn()>;

/// Runs a fresh policy from `make_policy` through each of the four scenarios (seed, days) with
/// `config` (the account's limits) and applies the checks. A largest entry above max_position x
/// (1 + kEntryGapTolerance), an entry decided at a drawdown at or past drawdown_limit, or trading
/// still allowed at a close that far below the peak is a FAIL.
/// `execution` (may be empty: every order at market) sends each parent order as the execution
/// level decides, so the suite checks the whole hierarchy.
SafetyReport run_safety_suite(const PolicyFactory& make_policy, const EnvConfig& config,
                              std::uint64_t seed, int days, const SafetyRequirements& req,
                              const std::string& feature_set = "default",
                              const ExecutionFn& execution = {});

} // namespace aurum
