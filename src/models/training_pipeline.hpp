#pragma once
// The research pipeline behind `aurum train`, `aurum walkforward` and `aurum predict`: stored bars
// -> features + labels (features layer, same streaming code as live) -> dataset -> walk-forward ->
// gating -> registry -> reports.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/instrument.hpp"
#include "core/workspace.hpp"
#include "data/market_store.hpp"
#include "models/gating.hpp"
#include "models/registry.hpp"
#include "models/walkforward.hpp"

namespace aurum {

/// Dataset plus the bars and instruments it came from.
struct PreparedData {
    Dataset dataset;
    MarketData market;
    std::string feature_set_name;
    /// The labels trained on: cfg.labels, or the parameters of the stored sets used.
    LabelConfig labels;
    /// Where the labels came from, in words ("stored by `aurum labels build` ..." or
    /// "computed from config/models.yaml").
    std::string label_source;
};

/// Loads the symbols' bars from the store, builds the configured feature set and labels, and
/// aligns them. The labels are those of cfg.labels.method that `aurum labels build` (`make
/// build-labels`) stored for each symbol, cut to the bars (no label whose outcome ends after the
/// last bar), or, when none is stored, computed with cfg.labels. InputError names a missing
/// symbol/timeframe, too few bars, a feature set that needs external series, or stored label
/// sets of different parameters.
PreparedData prepare_data(MarketStore& store, const InstrumentRegistry& instruments,
                          const Workspace& ws, const std::vector<std::string>& symbols,
                          Timeframe tf, TimeRange range, const ModelsConfig& cfg, bool with_labels = true);

/// `aurum train` / `aurum walkforward` inputs.
struct TrainRequest {
    std::string kind = "gbdt";
    std::vector<std::string> symbols;
    Timeframe timeframe;
    TimeRange range;
    std::string name;        ///< registry name; empty: default_model_name
    /// Label method ("fixed" | "triple-barrier"); empty: config/models.yaml's labels.method
    /// (train) or the method the model's latest version was trained with (walkforward).
    std::string labels;
    /// Groups runs into one experiment, reports/experiments/<experiment>/ (`make train`); empty:
    /// an experiment of its own.
    std::string experiment;
    bool promote = false;    ///< promote when gating passes
    bool force = false;      ///< promote even when gating fails (logged loudly)
    bool register_model = true; ///< train: register a candidate; walkforward: false
    /// The engine stack of the walk-forward's backtests (null: risk off). The CLI passes the
    /// runtime's, built from the workspace's config/risk.yaml, so gating is judged risk-on.
    const BacktestRunner* runner = nullptr;
};

struct TrainOutcome {
    WalkForwardResult wf;
    GatingVerdict verdict;
    std::optional<ModelRecord> record;
    std::filesystem::path experiment_dir, walkforward_report;
    std::string promotion; ///< what happened to production
};

/// What `aurum train --json` / `aurum walkforward --json` print (and Python's aurum.train returns).
nlohmann::json train_outcome_json(const TrainOutcome& o);

/// Walk-forward + final model + candidate registration + reports (+ promotion when asked).
TrainOutcome run_training(MarketStore& store, const InstrumentRegistry& instruments,
                          const Workspace& ws, const TrainRequest& req, const Clock& clock);

/// The label method a model version was trained with ("fixed" from "fixed:horizon=6;...").
std::string label_method_of(const ModelRecord& record);

/// Re-runs the walk-forward of the latest version of `req`'s model name and writes the
/// walk-forward report; updates that version's evaluation and promotes it when asked and it
/// passes (or --force). When no model of that name exists it validates `req` ad hoc.
TrainOutcome run_walkforward_validation(MarketStore& store, const InstrumentRegistry& instruments,
                                        const Workspace& ws, const TrainRequest& req, const Clock& clock);

/// A model loaded from the registry, ready to predict.
struct LoadedModel {
    ModelRecord record;
    TrainedModel trained;
};
/// Loads a version's artifacts; refuses (InputError) when its feature-set ID differs from
/// `current_feature_set_id`, or files are missing/corrupt.
LoadedModel load_registered(const ModelRecord& record, const std::string& current_feature_set_id);

/// The latest decision of a model for one symbol.
struct PredictionReport {
    std::string model;      ///< "name vN (status)"
    std::string symbol;
    TimeMs bar_time = 0;    ///< open time of the bar decided on
    double p_up = 0.5;
    Decision decision;
    std::vector<std::pair<std::string, double>> drivers; ///< top contributing features
    std::vector<std::pair<std::string, double>> votes;   ///< ensemble members' P(up)
    double agreement = 1.0;
};

/// `aurum predict`: which = "production" | "candidate" (latest) | "latest" | "vN".
PredictionReport predict_latest(MarketStore& store, const InstrumentRegistry& instruments,
                                const Workspace& ws, const std::string& which,
                                const std::string& symbol, const std::string& name,
                                std::optional<Timeframe> tf);

} // namespace aurum
