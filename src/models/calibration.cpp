#include "models/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "core/error.hpp"

namespace aurum {

std::string to_string(CalibrationMethod m) {
    switch (m) {
    case CalibrationMethod::None: return "none";
    case CalibrationMethod::Platt: return "platt";
    case CalibrationMethod::Isotonic: return "isotonic";
    }
    return "?";
}

CalibrationMethod parse_calibration(const std::string& s) {
    if (s == "none") return CalibrationMethod::None;
    if (s == "platt") return CalibrationMethod::Platt;
    if (s == "isotonic") return CalibrationMethod::Isotonic;
    throw InputError(fmt::format("calibration '{}': expected none, platt or isotonic", s));
}

namespace {
double logit(double p) {
    p = std::clamp(p, 1e-7, 1 - 1e-7);
    return std::log(p / (1 - p));
}
double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }
} // namespace

void Calibrator::fit(std::span<const double> p, std::span<const float> y) {
    const std::size_t n = p.size();
    if (method_ == CalibrationMethod::None || n == 0) return;
    if (method_ == CalibrationMethod::Platt) {
        // Platt's smoothed targets avoid infinite weights on separable data.
        double pos = 0;
        for (float v : y) pos += v > 0.5f;
        const double neg = static_cast<double>(n) - pos;
        const double hi = (pos + 1) / (pos + 2), lo = 1 / (neg + 2);
        double a = 1.0, b = 0.0;
        for (int it = 0; it < 100; ++it) {
            double g0 = 0, g1 = 0, h00 = 1e-9, h01 = 0, h11 = 1e-9;
            for (std::size_t i = 0; i < n; ++i) {
                const double z = logit(p[i]);
                const double q = sigmoid(a * z + b);
                const double t = y[i] > 0.5f ? hi : lo;
                const double r = q - t, s = q * (1 - q);
                g0 += r * z;
                g1 += r;
                h00 += s * z * z;
                h01 += s * z;
                h11 += s;
            }
            const double det = h00 * h11 - h01 * h01;
            if (std::abs(det) < 1e-12) break;
            const double da = (h11 * g0 - h01 * g1) / det, db = (h00 * g1 - h01 * g0) / det;
            a -= da;
            b -= db;
            if (std::abs(da) + std::abs(db) < 1e-10) break;
        }
        a_ = a;
        b_ = b;
        return;
    }
    // Isotonic: pool adjacent violators over predictions sorted ascending.
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](auto i, auto j) { return p[i] < p[j]; });
    struct Block {
        double sum, w, hi;
    };
    std::vector<Block> blocks;
    for (std::size_t k : order) {
        blocks.push_back({y[k] > 0.5f ? 1.0 : 0.0, 1.0, p[k]});
        while (blocks.size() > 1 &&
               blocks[blocks.size() - 2].sum / blocks[blocks.size() - 2].w >=
                   blocks.back().sum / blocks.back().w) {
            Block b = blocks.back();
            blocks.pop_back();
            blocks.back().sum += b.sum;
            blocks.back().w += b.w;
            blocks.back().hi = b.hi;
        }
    }
    xs_.clear();
    ys_.clear();
    for (const auto& b : blocks) {
        xs_.push_back(b.hi);
        ys_.push_back(b.sum / b.w);
    }
}

double Calibrator::apply(double p) const {
    switch (method_) {
    case CalibrationMethod::None: return p;
    case CalibrationMethod::Platt: return sigmoid(a_ * logit(p) + b_);
    case CalibrationMethod::Isotonic: {
        if (xs_.empty()) return p;
        auto it = std::lower_bound(xs_.begin(), xs_.end(), p);
        const std::size_t k = it == xs_.end() ? xs_.size() - 1 : static_cast<std::size_t>(it - xs_.begin());
        // Keep away from exact 0/1 so log-loss and EV stay finite.
        return std::clamp(ys_[k], 1e-4, 1 - 1e-4);
    }
    }
    return p;
}

std::vector<double> Calibrator::apply(std::span<const double> p) const {
    std::vector<double> out(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) out[i] = apply(p[i]);
    return out;
}

nlohmann::json Calibrator::to_json() const {
    return {{"method", to_string(method_)}, {"a", a_}, {"b", b_}, {"xs", xs_}, {"ys", ys_}};
}

Calibrator Calibrator::from_json(const nlohmann::json& j) {
    Calibrator c(parse_calibration(j.at("method").get<std::string>()));
    c.a_ = j.at("a").get<double>();
    c.b_ = j.at("b").get<double>();
    c.xs_ = j.at("xs").get<std::vector<double>>();
    c.ys_ = j.at("ys").get<std::vector<double>>();
    if (c.xs_.size() != c.ys_.size()) throw InputError("calibrator: xs and ys differ in length");
    return c;
}

} // namespace aurum
