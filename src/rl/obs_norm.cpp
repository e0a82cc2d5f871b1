#include "rl/obs_norm.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace aurum {

ObsNorm::ObsNorm(std::size_t columns)
    : mean_(columns, 0.0), var_(columns, 1.0), batch_mean_(columns), batch_var_(columns) {}

void ObsNorm::update(std::span<const float> obs, std::size_t rows) {
    const std::size_t c = columns();
    if (rows == 0 || c == 0)
        return;
    std::fill(batch_mean_.begin(), batch_mean_.end(), 0.0);
    std::fill(batch_var_.begin(), batch_var_.end(), 0.0);
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < c; ++j)
            batch_mean_[j] += obs[r * c + j];
    const double n = static_cast<double>(rows);
    for (double& m : batch_mean_)
        m /= n;
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < c; ++j) {
            const double d = obs[r * c + j] - batch_mean_[j];
            batch_var_[j] += d * d;
        }
    const double total = count_ + n;
    for (std::size_t j = 0; j < c; ++j) {
        const double delta = batch_mean_[j] - mean_[j];
        const double m2 = var_[j] * count_ + batch_var_[j] + delta * delta * count_ * n / total;
        mean_[j] += delta * n / total;
        var_[j] = m2 / total;
    }
    count_ = total;
}

void ObsNorm::normalize(std::span<const float> in, std::span<float> out) const {
    const std::size_t c = columns();
    for (std::size_t k = 0; k < in.size(); ++k) {
        const std::size_t j = k % c;
        const double z = (in[k] - mean_[j]) / std::sqrt(var_[j] + 1e-8);
        out[k] = static_cast<float>(std::clamp(z, -5.0, 5.0));
    }
}

nlohmann::json ObsNorm::to_json() const {
    return {{"count", count_}, {"mean", mean_}, {"var", var_}};
}

ObsNorm ObsNorm::from_json(const nlohmann::json& j, std::size_t columns, const std::string& where) {
    ObsNorm n(columns);
    try {
        n.count_ = j.at("count").get<double>();
        n.mean_ = j.at("mean").get<std::vector<double>>();
        n.var_ = j.at("var").get<std::vector<double>>();
    } catch (const nlohmann::json::exception& e) {
        throw InputError(fmt::format("{}: observation statistics unreadable: {}", where, e.what()));
    }
    if (n.mean_.size() != columns || n.var_.size() != columns)
        throw InputError(
            fmt::format("{}: observation statistics hold {} columns, the market has {}", where,
                        n.mean_.size(), columns));
    return n;
}

} // namespace aurum
