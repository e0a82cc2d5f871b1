#pragma once
// Purged walk-forward validation: per fold train, calibrate, predict out of sample, turn the
// probabilities into positions with the decision policy, backtest them; stitched OOS results,
// leakage controls, and the final model trained on all data.
#include <memory>
#include <string>
#include <vector>

#include "backtest/backtest_runner.hpp"
#include "backtest/engine.hpp"
#include "backtest/metrics.hpp"
#include "backtest/signals.hpp"
#include "core/bar_series.hpp"
#include "core/instrument.hpp"
#include "models/calibration.hpp"
#include "models/decision_policy.hpp"
#include "models/model.hpp"
#include "models/models_config.hpp"

namespace aurum {

/// A model with what it needs to decide: calibrator, edge estimate, and its training summary.
struct TrainedModel {
    std::string kind;
    std::unique_ptr<Model> model;
    Calibrator calibrator;
    EdgeEstimate edge;
    ClassificationMetrics train_metrics, valid_metrics;
    std::size_t fit_rows = 0, valid_rows = 0;
    /// Calibrated P(up) for `rows`.
    std::vector<double> predict(const Dataset& d, std::span<const std::size_t> rows) const;
};

/// Trains `kind` on `rows` (time-ordered): the last validation_fraction (purged) early-stops and
/// calibrates; the edge estimate comes from the fit rows.
TrainedModel train_model(const Dataset& d, std::span<const std::size_t> rows,
                         const std::string& kind, const ModelsConfig& cfg);

/// Results of one fold.
struct FoldReport {
    int index = 0;
    TimeMs train_from = 0, train_to = 0, test_from = 0, test_to = 0;
    std::size_t train_rows = 0, test_rows = 0, purged = 0, embargoed = 0, overlaps = 0;
    ClassificationMetrics train, test;
    double shuffled_auc = 0.5;
    int best_iteration = -1;
    Metrics backtest;       ///< the fold's OOS bars traded with its own signals
    double buy_hold_sharpe = 0, buy_hold_return = 0;
};

/// The leakage controls of a run.
struct LeakageReport {
    double shuffled_auc = 0.5;        ///< labels shuffled in every training window, OOS AUC
    double shuffled_band = 0.05;      ///< allowed |AUC - 0.5|
    bool shuffled_ok = true;
    std::size_t t1_overlaps = 0;      ///< training rows whose [t, t1] reaches their test window
    double train_accuracy = 0, test_accuracy = 0, train_auc = 0.5, test_auc = 0.5;
    std::vector<std::pair<std::string, double>> suspicious_features; ///< feature, univariate AUC
    bool oos_implausible = false;     ///< OOS AUC above leakage.max_oos_auc
    std::vector<std::string> flags;   ///< human-readable, empty when clean
    bool clean() const { return flags.empty(); }
};

/// Everything a walk-forward run produced.
struct WalkForwardResult {
    std::string kind;
    std::vector<std::string> symbols;
    Timeframe timeframe;
    TimeMs data_from = 0, data_to = 0;
    std::size_t rows = 0;
    std::vector<FoldReport> folds;
    ClassificationMetrics oos;          ///< all OOS predictions together
    LeakageReport leakage;
    Metrics backtest;                   ///< stitched OOS run (all folds' signals in one engine)
    EquityCurve equity;                 ///< stitched OOS equity
    std::vector<double> buy_hold_equity; ///< equal-weight buy-and-hold on the same steps
    double buy_hold_sharpe = 0;
    std::vector<FeatureImportance> importance; ///< last fold's model
    LearningCurve curve;                       ///< last fold's model
    std::vector<TimeMs> oos_time;
    std::vector<double> oos_p;
    std::size_t entries = 0;            ///< policy entries over all folds
    std::string risk;                   ///< the backtests' risk in words ("" = off)
};

/// Bars and instruments of the dataset's symbols, in the dataset's symbol order.
struct MarketData {
    std::vector<BarSeries> bars;
    std::vector<Instrument> instruments;
};

/// Runs the whole walk-forward; every fold's and the stitched backtest go through `runner`'s
/// engine stack (the runtime layer's, risk-on, for gating). Throws InputError for too little
/// data, one-class labels, or symbols without bars.
WalkForwardResult run_walkforward(const Dataset& d, const MarketData& market,
                                  const std::string& kind, const ModelsConfig& cfg,
                                  const BacktestRunner& runner = risk_off_runner());

/// Backtest settings matching the cost config (fees, fixed-bps spread and slippage).
BacktestConfig backtest_config(const ModelsConfig& cfg, std::size_t n_symbols);

/// Univariate AUC of each feature against the labels of `rows` (max(AUC, 1 - AUC)).
std::vector<std::pair<std::string, double>> feature_label_auc(const Dataset& d,
                                                              std::span<const std::size_t> rows);

} // namespace aurum
