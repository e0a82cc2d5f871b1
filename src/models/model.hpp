#pragma once
// The interface every trainable model shares, so walk-forward, ensemble and registry treat them alike.
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/dataset.hpp"

namespace aurum {

/// Loss per epoch/iteration on the fitting and validation parts, for learning-curve plots.
struct LearningCurve {
    std::string metric = "logloss";
    std::vector<double> train;
    std::vector<double> valid;
    int best_iteration = -1; ///< the iteration kept by early stopping
};

/// A feature's share of the model's decisions (gain for trees, input-gradient magnitude for nets).
struct FeatureImportance {
    std::string feature;
    double score = 0.0;
};

/// A binary direction classifier over a Dataset. Models take the full dataset plus row indices so
/// sequence (LSTM) and cross-asset (GNN) models can look at history and peers of a row; a row's
/// prediction may only use rows with sample time <= its own.
class Model {
public:
    virtual ~Model() = default;
    /// "gbdt", "lstm", "gnn", "ensemble".
    virtual std::string kind() const = 0;
    /// Trains on `fit` rows, early-stopping on `valid` rows (may be empty: fixed iterations).
    virtual void fit(const Dataset& data, std::span<const std::size_t> fit,
                     std::span<const std::size_t> valid) = 0;
    /// P(up) for each of `rows`.
    virtual std::vector<double> predict_proba(const Dataset& data,
                                              std::span<const std::size_t> rows) const = 0;
    /// Writes the model's artifacts into `dir` (created); bit-exact round trip with load().
    virtual void save(const std::filesystem::path& dir) const = 0;
    /// Reads what save() wrote; throws InputError naming a missing or corrupt file.
    virtual void load(const std::filesystem::path& dir) = 0;
    virtual LearningCurve learning_curve() const { return {}; }
    virtual std::vector<FeatureImportance> importance() const { return {}; }
    /// Hyper-parameters as JSON (recorded in the registry).
    virtual nlohmann::json params() const = 0;
};

/// Creates an untrained model of `kind` from its config section (config/models.yaml `models.<kind>`
/// as JSON). Throws InputError for an unknown kind.
std::unique_ptr<Model> make_model(const std::string& kind, const nlohmann::json& params);

/// Binary log-loss, accuracy and AUC of probabilities against 0/1 labels.
struct ClassificationMetrics {
    std::size_t n = 0;
    double logloss = 0.0;
    double accuracy = 0.0;
    double auc = 0.5;
    double base_rate = 0.0; ///< share of label 1
    std::size_t tp = 0, fp = 0, tn = 0, fn = 0; ///< confusion matrix at threshold 0.5
};
ClassificationMetrics classification_metrics(std::span<const double> p, std::span<const float> y,
                                             double threshold = 0.5);

} // namespace aurum
