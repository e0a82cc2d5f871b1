#pragma once
// Data-quality checks on a bar series: OHLC sanity, duplicates, ordering, alignment, gaps measured
// against the instrument's trading sessions, off-session bars, outliers, zero-volume runs, stale
// repeated bars and spread anomalies. Rules and thresholds are documented in docs/data-quality.md.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/bar_series.hpp"
#include "core/config.hpp"
#include "core/instrument.hpp"

namespace aurum {

/// How bad a finding is. A series fails validation when any check FAILs.
enum class Severity : std::uint8_t { Pass = 0, Warn = 1, Fail = 2 };
/// "PASS", "WARN", "FAIL".
std::string to_string(Severity s);

/// One offending bar (or gap, or run) found by a check.
struct Finding {
    TimeMs time = 0; ///< open time of the offending bar (start of the gap/run)
    Severity severity = Severity::Warn;
    std::string message;
};

/// The outcome of one check on one series.
struct CheckResult {
    std::string name; ///< "ohlc", "duplicates", "gaps", ...
    Severity status = Severity::Pass;
    std::int64_t count = 0;        ///< offending bars/gaps/runs found
    std::string summary;           ///< one line a person reads
    std::vector<Finding> examples; ///< the first few findings, in time order
};

/// One hole in a series: bars the sessions expected between two present bars.
struct GapInfo {
    TimeMs from = 0;           ///< open time of the first missing expected bar
    TimeMs until = 0;          ///< open time of the next bar present
    std::int64_t missing = 0;  ///< expected bars missing
    TimeMs open_market = 0;    ///< missing x timeframe: open-market time without data
    Severity severity = Severity::Warn;
};

/// Every check's outcome for one (symbol, timeframe).
struct ValidationReport {
    std::string symbol;
    Timeframe timeframe;
    std::int64_t bars = 0;     ///< bars checked (with --since: the new bars only)
    TimeMs first = 0, last = 0;
    TimeMs since = 0;          ///< only bars from here were checked (0: all)
    std::vector<CheckResult> checks;
    std::vector<GapInfo> gaps; ///< every gap, in time order (not capped like examples)

    /// Worst status of any check.
    Severity status() const;
    /// "BTC/USDT 4h: gaps: ..." for every FAILing check.
    std::vector<std::string> failure_reasons() const;
    const CheckResult* check(const std::string& name) const;
};

/// Thresholds of every check (config/validation.yaml; defaults documented in docs/data-quality.md).
struct ValidationConfig {
    int max_examples = 5; ///< findings listed per check

    // gaps: missing bars the sessions expected. Any gap WARNs; FAIL beyond these.
    double gaps_fail_missing_fraction = 0.05;  ///< missing / expected bars
    TimeMs gaps_fail_max_gap = 14 * kMsPerDay; ///< one gap spanning this much open market time
    /// Markets with sessions and a holiday calendar (gold): a hole of this much open-market time
    /// FAILs (closures are not holes, so what remains is missing data).
    TimeMs gaps_fail_session_gap = 4 * kMsPerHour;

    // sessions: bars present while the market is closed (deeper than `tolerance` into the closure).
    TimeMs sessions_tolerance = 2 * kMsPerHour;
    double sessions_fail_fraction = 0.05; ///< off-session bars / all bars

    // outliers: robust z-score of log returns (median/MAD), normalised by sqrt(steps spanned).
    double outliers_warn_z = 12.0;
    double outliers_fail_z = 60.0;
    int outliers_min_bars = 30; ///< fewer returns than this: check skipped (PASS with a note)

    // zero_volume: runs of consecutive bars with volume 0.
    int zero_volume_warn_run = 3;
    int zero_volume_fail_run = 48;

    // stale: consecutive bars with identical open, high, low and close.
    int stale_warn_run = 3;
    int stale_fail_run = 10;

    // spread: negative spreads FAIL; zero spreads and spikes (robust z of the spread) WARN.
    double spread_spike_z = 20.0;
    double spread_fail_zero_fraction = 0.5; ///< more zero spreads than this: FAIL

    /// Reads a config/validation.yaml document; unknown keys and bad values throw InputError
    /// naming file:line and key. Missing keys keep their defaults.
    static ValidationConfig from_node(const ConfigNode& root);
    /// from_node of a file; a missing file gives the defaults.
    static ValidationConfig load(const std::string& path);
};

/// Runs every check on `bars` (any order, duplicates allowed: they are what some checks look for).
/// With `since` (> INT64_MIN) only findings on bars from `since` count: earlier bars are context
/// (the join with the last bar before, the return scale of the outlier check).
ValidationReport validate_series(const BarSeries& bars, const Instrument& instrument,
                                 const ValidationConfig& config, TimeMs since = INT64_MIN);

/// True when a bar of duration `tf` opening at `t` is expected: the market is open at some point
/// of [t, t + tf) (sampled every 15 minutes, the granularity of session boundaries).
bool session_expects_bar(const TradingSessions& sessions, TimeMs t, Timeframe tf);

/// The readable per-series summary the CLI prints.
std::string format_report(const ValidationReport& report);
/// {"symbol","timeframe","bars","first","last","status","checks":[...]} for --json.
nlohmann::json report_to_json(const ValidationReport& report);

} // namespace aurum
