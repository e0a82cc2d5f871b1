#pragma once
// Gradient-boosted trees through the XGBoost C API (`hist`): classification and regression.
#include <cstdint>
#include <string>
#include <vector>

#include "models/compiled_trees.hpp"
#include "models/model.hpp"

namespace aurum {

/// XGBoost hyper-parameters (config/models.yaml `models.gbdt`).
struct GbdtParams {
    std::string objective = "binary:logistic"; ///< or "reg:squarederror"
    int max_depth = 4;
    double eta = 0.05;
    int rounds = 400;            ///< upper bound on boosting rounds
    int early_stopping = 30;     ///< stop after this many rounds without validation improvement (0: off)
    double subsample = 0.8;
    double colsample_bytree = 0.8;
    double min_child_weight = 5.0;
    double lambda = 1.0;
    int max_bin = 256;
    int nthread = 1;
    std::uint64_t seed = 42;

    nlohmann::json to_json() const;
    /// Unknown keys or out-of-range values throw InputError naming them.
    static GbdtParams from_json(const nlohmann::json& j);
};

/// XGBoost booster with early stopping, gain importance, per-prediction contributions and
/// bit-exact save/load (UBJSON model + metadata JSON).
class GbdtModel : public Model {
public:
    explicit GbdtModel(GbdtParams params = {});
    ~GbdtModel() override;
    GbdtModel(const GbdtModel&) = delete;
    GbdtModel& operator=(const GbdtModel&) = delete;

    std::string kind() const override { return "gbdt"; }
    void fit(const Dataset& data, std::span<const std::size_t> fit,
             std::span<const std::size_t> valid) override;
    /// Classification: P(up). Regression: the predicted value.
    std::vector<double> predict_proba(const Dataset& data,
                                      std::span<const std::size_t> rows) const override;
    void save(const std::filesystem::path& dir) const override;
    void load(const std::filesystem::path& dir) override;
    LearningCurve learning_curve() const override { return curve_; }
    /// Total gain per feature, normalised to sum 1, highest first.
    std::vector<FeatureImportance> importance() const override;
    nlohmann::json params() const override { return params_.to_json(); }

    /// One row (cols floats) in a few microseconds through the compiled trees (same probability
    /// as XGBoost's, no XGBoost call, no allocation).
    double predict_one(const float* row) const;
    /// SHAP contributions per row: cols values then the bias (XGBoost pred_contribs); in margin
    /// (log-odds) units, summing to the row's margin.
    std::vector<std::vector<double>> contributions(const Dataset& data,
                                                   std::span<const std::size_t> rows) const;
    /// The same for one row (cols floats) into `out` (cols + 1 values, bias last), by TreeSHAP
    /// over the compiled trees (XGBoost's values, no DMatrix).
    void contributions_one(const float* row, std::span<double> out) const;
    /// Threads of later predictions (1 for single-row live use: OpenMP workers only add
    /// synchronisation to a one-row prediction). Results do not depend on it.
    void set_threads(int n);
    /// Trains on a plain matrix (benchmarks): all rows fit, no validation.
    void fit_matrix(const float* x, std::size_t rows, std::size_t cols, const float* y);

    /// The model file bytes (UBJSON).
    std::vector<char> serialize() const;
    std::size_t num_features() const { return cols_; }
    int boosted_rounds() const;
    const std::vector<std::string>& feature_names() const { return names_; }

private:
    void create_booster(void* const* dmats, std::size_t n);
    void set_params();
    void free_booster();
    /// Rebuilds compiled_ from the booster (after training or loading).
    void compile();

    GbdtParams params_;
    void* booster_ = nullptr;
    CompiledTrees compiled_; ///< the booster flattened for single-row prediction
    std::size_t cols_ = 0;
    std::vector<std::string> names_;
    LearningCurve curve_;
};

} // namespace aurum
