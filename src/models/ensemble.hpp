#pragma once
// Weighted average of calibrated member probabilities, with each member's vote and agreement.
#include <memory>
#include <string>
#include <vector>

#include "models/calibration.hpp"
#include "models/model.hpp"

namespace aurum {

/// One row's ensemble decision broken down by member.
struct EnsembleVote {
    std::vector<std::string> members;
    std::vector<double> member_p; ///< calibrated P(up) per member
    double p = 0.5;               ///< weighted ensemble P(up)
    double agreement = 1.0;       ///< weighted share of members on the ensemble's side of 0.5
};

/// Members are trained on the same rows; each is calibrated on the validation rows, and weights
/// come from validation log-loss improvement over the base rate (or are given, e.g. from a
/// walk-forward run). Saved as one sub-directory per member plus ensemble.json.
class EnsembleModel : public Model {
public:
    /// `member_params`: kind -> params JSON, in order.
    EnsembleModel(std::vector<std::pair<std::string, nlohmann::json>> member_params,
                  CalibrationMethod calibration = CalibrationMethod::Platt);
    std::string kind() const override { return "ensemble"; }
    void fit(const Dataset& data, std::span<const std::size_t> fit,
             std::span<const std::size_t> valid) override;
    std::vector<double> predict_proba(const Dataset& data,
                                      std::span<const std::size_t> rows) const override;
    std::vector<EnsembleVote> votes(const Dataset& data, std::span<const std::size_t> rows) const;
    void save(const std::filesystem::path& dir) const override;
    void load(const std::filesystem::path& dir) override;
    LearningCurve learning_curve() const override;
    std::vector<FeatureImportance> importance() const override;
    nlohmann::json params() const override;

    /// Overrides the validation-derived weights (normalised; must match the member count).
    void set_weights(std::vector<double> w);
    const std::vector<double>& weights() const { return weights_; }
    std::vector<std::string> member_kinds() const;

private:
    std::vector<std::pair<std::string, nlohmann::json>> specs_;
    CalibrationMethod calibration_;
    std::vector<std::unique_ptr<Model>> members_;
    std::vector<Calibrator> calibrators_;
    std::vector<double> weights_;
};

/// Weights proportional to each member's log-loss improvement over predicting the base rate
/// (floored at a small positive value so no member vanishes), normalised to sum 1.
std::vector<double> weights_from_logloss(const std::vector<double>& member_logloss, double base_rate);

} // namespace aurum
