#pragma once
// Has the market moved away from what a model learned on? Per feature, the population
// stability index (PSI) and the two-sample Kolmogorov-Smirnov statistic of the live inputs
// against the model's training window. Both sides are computed from the stored bars by the same
// feature pipeline the model trained on (and that the daemon streams: they are equal bar for
// bar), so nothing extra has to be recorded while trading. config/monitor.yaml says when a model
// counts as drifted; the verdict is kept for `aurum health` and the reports.
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/instrument.hpp"
#include "core/time.hpp"
#include "core/workspace.hpp"
#include "data/market_store.hpp"
#include "live/model_monitor.hpp"
#include "live/state_store.hpp"
#include "models/registry.hpp"

namespace aurum {

/// PSI of `live` against `ref`: `bins` quantile bins of the reference (equal edges merged), live
/// values clipped into the reference's range, 1e-6 added to every share (numpy's histogram
/// semantics: the last bin is closed). 0 for identical samples; > 0.25 is the usual "shifted".
double population_stability(std::span<const double> ref, std::span<const double> live, int bins = 10);

/// Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs.
double ks_statistic(std::span<const double> ref, std::span<const double> live);

/// One model on one symbol: its live window against its training window.
struct DriftRequest {
    ModelRecord model;
    std::string symbol;
    TimeRange live; ///< bar open times [from, to)
};

/// Per feature {name, psi, ks, drifted}, most drifted first, with the windows' rows, the share
/// of drifted features and a `degraded` flag with its reason. InputError when the symbol or the
/// model's feature set is unusable, or a window has fewer than `min_bars` complete rows.
nlohmann::json feature_drift(MarketStore& market, const InstrumentRegistry& instruments,
                             const Workspace& ws, const DriftRequest& rq, const MonitorConfig& cfg);

/// The drift of every model a session's predictions came from, on its latest `drift_window`
/// bars: {session, models: [feature_drift ...], degraded: ["model on symbol: reason"], skipped}.
/// Stored under kModelDriftKey when `keep` (the session shown by `aurum status`).
nlohmann::json session_drift(StateStore& store, MarketStore& market,
                             const InstrumentRegistry& instruments, const Workspace& ws,
                             const std::string& session_id, bool keep);

/// Where the latest drift verdict is kept for `aurum health` (live_kv key).
inline constexpr const char* kModelDriftKey = "model_drift";

} // namespace aurum
