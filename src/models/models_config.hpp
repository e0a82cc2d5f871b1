#pragma once
// config/models.yaml: labels, walk-forward, model hyper-parameters, decision policy, costs,
// leakage controls and gating rules, with defaults from the seeds.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/calibration.hpp"
#include "models/purged_split.hpp"

namespace aurum {

/// How labels are made for training (features layer label makers).
struct LabelConfig {
    std::string method = "fixed"; ///< "fixed" | "triple-barrier"
    int horizon = 6;              ///< bars
    double dead_zone = 0.0;       ///< fixed: |return| below this is "not up"
    double pt_mult = 2.0, sl_mult = 1.0; ///< triple barrier
    int vol_window = 20;
};

/// Probability -> position rules.
struct PolicyConfig {
    double threshold = 0.70;      ///< enter long when P(up) >= threshold (seed default)
    double exit_threshold = 0.50; ///< leave when P(up) falls below this
    int max_hold_bars = 0;        ///< leave after this many bars (0: the label horizon)
    bool allow_short = false;     ///< short when P(up) <= 1 - threshold (shortable instruments)
};

/// Trading costs used by the policy's expected value and the backtests.
struct CostConfig {
    double fee = 0.001;        ///< taker fee per side, fraction of notional
    double spread_bps = 2.0;   ///< full bid/ask spread
    double slippage_bps = 2.0; ///< per side
    /// Cost of a round trip as a fraction of notional: two fees, one spread, two slippages.
    double round_trip() const { return 2 * fee + spread_bps / 1e4 + 2 * slippage_bps / 1e4; }
};

/// Thresholds of the leakage controls.
struct LeakageConfig {
    double max_feature_auc = 0.70; ///< one feature alone predicting the label this well is suspect
    double max_oos_auc = 0.75;     ///< out-of-sample AUC above this on market data is suspect
    double chance_band = 0.05;     ///< shuffled-label control must score within 0.5 +- this (or 3 s.e.)
    unsigned shuffle_seed = 7;
};

/// Promotion rules (seed: walk-forward Sharpe > 1.0 and max drawdown < 20%).
struct GatingConfig {
    double min_sharpe = 1.0;
    double max_drawdown = 0.20;
    int min_trades = 20;
    bool beat_buy_hold = true; ///< Sharpe above buy-and-hold Sharpe of the same bars
    bool require_clean_leakage = true;
};

/// All of config/models.yaml.
struct ModelsConfig {
    std::string feature_set = "default";
    LabelConfig labels;
    SplitConfig split;
    int embargo_bars = -1;            ///< -1: the label horizon
    double validation_fraction = 0.2; ///< early-stopping/calibration part of each training window
    CalibrationMethod calibration = CalibrationMethod::Platt;
    nlohmann::json gbdt = nlohmann::json::object();
    nlohmann::json lstm = nlohmann::json::object();
    nlohmann::json gnn = nlohmann::json::object();
    std::vector<std::string> ensemble_members{"gbdt", "lstm", "gnn"};
    PolicyConfig policy;
    CostConfig costs;
    LeakageConfig leakage;
    GatingConfig gating;

    /// Hyper-parameters of `kind` (gbdt/lstm/gnn).
    const nlohmann::json& params_for(const std::string& kind) const;
    nlohmann::json to_json() const;

    /// Loads the file (defaults for absent keys; InputError "file:line: key: ..." for bad ones).
    /// A missing file gives the defaults.
    static ModelsConfig load(const std::filesystem::path& file);
    static ModelsConfig parse(const std::string& yaml, const std::string& file);
};

/// The shipped config/models.yaml text (also what `load` assumes for a missing file).
const std::string& default_models_yaml();

} // namespace aurum
