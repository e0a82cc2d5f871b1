#pragma once
// What one run of the engine is: mode, clock, risk, venue and costs. Every mode
// (backtest, grid, walk-forward, paper, live) describes itself with a RunSpec and gets its engine
// stack from build_engine_stack (runtime/engine_stack.hpp): the one composition root.
#include <string>

#include "backtest/engine.hpp"
#include "risk/risk_limits.hpp"

namespace aurum {

enum class RunMode { Backtest, Paper, Live };
enum class ClockKind { Historical, Replay, Realtime };
std::string to_string(RunMode m);
std::string to_string(ClockKind c);

/// The risk hop of a run: off (allow-all, today's plain backtest) or the account risk manager.
struct RiskSpec {
    enum class Kind : std::uint8_t { Off, Account };
    Kind kind = Kind::Off;
    RiskLimits limits;  ///< Account: the limits (risk.yaml)
    std::string source; ///< where the limits came from, for reports ("config/risk.yaml")

    static RiskSpec off() { return {}; }
    static RiskSpec account(RiskLimits limits, std::string source) {
        return {Kind::Account, std::move(limits), std::move(source)};
    }
    bool on() const { return kind == Kind::Account; }
    /// "" for off; "account risk manager (config/risk.yaml: position 25%, heat 50%, ...)".
    std::string label() const;
};

/// Reads `--risk` as the CLI gives it: "off", "" (= the workspace's risk.yaml) or a file.
/// Throws InputError naming the flag and the value (a missing file, a bad limit with file:line).
RiskSpec parse_risk_option(const std::string& flag, const std::string& value,
                           const std::string& workspace_risk_yaml);

/// One run of the engine.
struct RunSpec {
    RunMode mode = RunMode::Backtest;
    ClockKind clock = ClockKind::Historical;
    RiskSpec risk;
    std::string venue = "simulated";      ///< "simulated" (backtest, paper) or the exchange
    BacktestConfig engine;                ///< capital, costs (engine.fill), shorting, recording
};

} // namespace aurum
