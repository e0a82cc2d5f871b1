#pragma once
// Probability calibration: Platt scaling or isotonic regression, fitted on held-out predictions.
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aurum {

enum class CalibrationMethod { None, Platt, Isotonic };
std::string to_string(CalibrationMethod m);
/// "none" | "platt" | "isotonic"; throws InputError otherwise.
CalibrationMethod parse_calibration(const std::string& s);

/// Maps raw model probabilities to calibrated ones. Fitted on validation predictions only.
class Calibrator {
public:
    explicit Calibrator(CalibrationMethod m = CalibrationMethod::None) : method_(m) {}
    /// Fits on (probability, 0/1 label) pairs. Platt: logistic regression on the logit;
    /// isotonic: pool-adjacent-violators, monotone non-decreasing.
    void fit(std::span<const double> p, std::span<const float> y);
    double apply(double p) const;
    std::vector<double> apply(std::span<const double> p) const;
    CalibrationMethod method() const { return method_; }

    nlohmann::json to_json() const;
    static Calibrator from_json(const nlohmann::json& j);

private:
    CalibrationMethod method_;
    double a_ = 1.0, b_ = 0.0;       ///< Platt: sigmoid(a * logit(p) + b)
    std::vector<double> xs_, ys_;    ///< isotonic: block upper bounds and values
};

} // namespace aurum
