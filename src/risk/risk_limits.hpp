#pragma once
// Account-level risk limits, read from config/risk.yaml and written back by `aurum risk set`.
#include <string>
#include <utility>
#include <vector>

#include "core/time.hpp"

namespace aurum {

/// Every limit the RiskManager enforces. Fractions are of current account equity.
struct RiskLimits {
    double max_position = 0.25;           ///< one symbol's notional / equity
    double max_portfolio_heat = 0.50;     ///< gross notional of all positions / equity
    double max_leverage = 1.0;            ///< gross notional / equity, hard ceiling
    double daily_loss_limit = 0.05;       ///< loss from the UTC day's starting equity: no entries
    double max_drawdown = 0.15;           ///< from peak equity: close all, halt until reset
    int loss_streak = 3;                  ///< consecutive losing trades on a symbol ...
    TimeMs cooldown = 24 * kMsPerHour;    ///< ... block new entries on it for this long
    double correlation_threshold = 0.70;  ///< |rho| at or above which positions count together
    double max_correlated_exposure = 0.35; ///< new notional + sum |rho| x correlated notional
    int correlation_window = 60;          ///< bars of returns used for rho
    double min_equity = 0.0;              ///< below this equity nothing new is opened
    double max_loosen_factor = 2.0;       ///< `risk set` loosening a limit more needs --confirm

    /// Throws InputError naming `where` and the field when a value is out of range.
    void validate(const std::string& where) const;
};

/// Parses risk.yaml text (top-level key `risk:`); unknown keys are named with a suggestion.
RiskLimits parse_risk_limits(const std::string& yaml_text, const std::string& file);
/// Loads a file; a missing file yields the defaults.
RiskLimits load_risk_limits(const std::string& path);
/// The commented YAML for these limits (what `aurum risk set` writes and config/risk.yaml ships).
std::string render_risk_yaml(const RiskLimits& limits);

/// Applies one "name=value" style change by its CLI/YAML key ("max_position", "max-position");
/// throws InputError naming the key or value. Returns the previous value as text.
std::string set_risk_limit(RiskLimits& limits, const std::string& key, const std::string& value);
/// Every settable key with its current value, in file order.
std::vector<std::pair<std::string, std::string>> risk_limit_fields(const RiskLimits& limits);
/// One key's current value as text ("" when unknown).
std::string risk_limit_value(const RiskLimits& limits, const std::string& key);
/// Limits that contradict each other, in words naming both ("max_position 1.5 is above
/// max_portfolio_heat 0.5"); empty when consistent.
std::vector<std::string> risk_limit_conflicts(const RiskLimits& limits);

} // namespace aurum
