#pragma once
// Running observation normalisation: per-column mean and variance over every observation seen in
// training (Chan's parallel update), applied as (x - mean) / sqrt(var + eps) clipped to +-5.
// Frozen after training and stored with the policy, so evaluation sees the same scaling.
#include <cstdint>
#include <span>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace aurum {

/// Per-column running statistics of the observations.
class ObsNorm {
  public:
    explicit ObsNorm(std::size_t columns = 0);
    std::size_t columns() const { return mean_.size(); }
    /// Adds `rows` observations (rows x columns).
    void update(std::span<const float> obs, std::size_t rows);
    /// out = clip((in - mean) / sqrt(var + 1e-8), -5, 5), same shape.
    void normalize(std::span<const float> in, std::span<float> out) const;

    nlohmann::json to_json() const;
    /// InputError naming `where` when the JSON does not hold `columns` statistics.
    static ObsNorm from_json(const nlohmann::json& j, std::size_t columns,
                             const std::string& where);

  private:
    std::vector<double> mean_, var_, batch_mean_, batch_var_;
    double count_ = 0;
};

} // namespace aurum
