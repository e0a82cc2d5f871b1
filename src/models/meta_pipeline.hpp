#pragma once
// `aurum meta train|adapt`: stored bars -> features, labels and causal regimes per symbol ->
// Reptile meta-training with its held-out report -> registry; few-shot adaptation of a registered
// meta-learned LSTM to the first bars of a new regime or symbol.
#include <filesystem>
#include <string>

#include "core/clock.hpp"
#include "core/instrument.hpp"
#include "core/workspace.hpp"
#include "data/market_store.hpp"
#include "models/meta_learning.hpp"
#include "models/registry.hpp"

namespace aurum {

/// Each symbol's rows (features and labels as `aurum train` builds them from config/models.yaml)
/// with the causal regime of each row's decision bar. InputError names a missing symbol.
std::vector<SymbolRows> load_symbol_rows(MarketStore& store, const InstrumentRegistry& instruments,
                                         const Workspace& ws, const std::vector<std::string>& symbols,
                                         Timeframe tf, const std::string& models_yaml,
                                         const std::string& models_yaml_name);

struct MetaTrainOutcome {
    MetaEvaluation evaluation;
    ModelRecord record;
    std::string params_hash;
    std::filesystem::path report_dir; ///< reports/meta/<id>/ (report.json, report.txt)
    double seconds = 0;               ///< meta-training and evaluation, wall time
};

/// Meta-trains on `cfg`, evaluates (new regime windows, leave-one-symbol-out), writes the report
/// and registers the new-regime fold's network as kind `lstm-meta` with its gating verdict.
MetaTrainOutcome run_meta_training(MarketStore& store, const InstrumentRegistry& instruments,
                                   const Workspace& ws, const MetaConfig& cfg, const Clock& clock);

struct MetaAdaptRequest {
    std::string model;
    int version = 0; ///< 0: the latest
    std::string symbol;
    TimeMs since = 0;
    int shots = 0;   ///< 0: the model's adapt.shots
    int query = 0;   ///< 0: the model's adapt.query
};

struct MetaAdaptOutcome {
    ModelRecord meta;    ///< the meta-learned model adapted
    ModelRecord adapted; ///< the adapted network, registered as kind `lstm-meta-adapted`
    std::string symbol;
    FewShotSplit split;
    TimeMs support_from = 0, support_to = 0, query_from = 0, query_to = 0;
    ClassificationMetrics with, without; ///< adapted, and the meta-init without adaptation
    Comparison gain;                      ///< block bootstrap over the query rows
    bool adaptation_used = false;         ///< the meta model's gating and this gain's CI
    std::string reason;
    std::filesystem::path report;
    nlohmann::json to_json() const;
    std::string text() const;
};

/// Adapts a registered `lstm-meta` model on the first `shots` rows of `symbol` from `since`, and
/// scores it on the query rows after the label-horizon gap. InputError when `since` lies inside
/// the model's meta-training data, the feature set differs, or there are too few rows.
MetaAdaptOutcome run_meta_adapt(MarketStore& store, const InstrumentRegistry& instruments,
                                const Workspace& ws, const MetaAdaptRequest& req, const Clock& clock);

} // namespace aurum
