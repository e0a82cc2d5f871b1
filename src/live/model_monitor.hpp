#pragma once
// Is a model still as good as it was when promoted? Rolling hit rate, AUC and calibration of its
// resolved predictions per model and symbol against the walk-forward expectation stored in the
// registry; config/monitor.yaml says when that counts as degraded. The verdict is kept in the
// store (kv "model_monitor") for `aurum health` and the reports.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "live/prediction_outcomes.hpp"

namespace aurum {

/// config/monitor.yaml.
struct MonitorConfig {
    double accuracy_drop_points = 5; ///< degraded: hit rate this far below walk-forward
    int min_predictions = 30;
    int window = 200;
    double drift_psi = 0.25;   ///< a feature drifted: PSI of live vs training inputs above this
    double drift_share = 0.10; ///< a model drifted: more than this share of its features drifted
    int drift_window = 500;    ///< live window: the session's latest bars
    int drift_min_bars = 100;  ///< judge drift only on windows with at least this many rows
};
/// Reads the file (defaults when missing); InputError naming file:line and key.
MonitorConfig load_monitor_config(const std::filesystem::path& path);

/// Accuracy per model and symbol over the latest `window` outcomes: n, hit rate, AUC,
/// calibration (5 bins of P(up): mean prediction vs share up), the walk-forward expectation and
/// a `degraded` flag with its reason; plus "degraded": ["model on symbol: reason", ...].
nlohmann::json accuracy_monitor(const std::vector<PredictionOutcome>& outcomes,
                                const ExpectationLookup& lookup, const MonitorConfig& config);

/// Where the latest verdict is kept for `aurum health` (live_kv key).
inline constexpr const char* kModelMonitorKey = "model_monitor";

} // namespace aurum
