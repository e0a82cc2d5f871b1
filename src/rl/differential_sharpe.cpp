#include "rl/differential_sharpe.hpp"

#include <cmath>

namespace aurum {

double DifferentialSharpe::update(double r) {
    const double da = r - a_, db = r * r - b_;
    const double var = b_ - a_ * a_;
    // A near-zero variance (the first returns, or a flat account) has no defined ratio yet.
    const double d = var > 1e-12 ? (b_ * da - 0.5 * a_ * db) / std::pow(var, 1.5) : 0.0;
    a_ += eta_ * da;
    b_ += eta_ * db;
    return d;
}

} // namespace aurum
