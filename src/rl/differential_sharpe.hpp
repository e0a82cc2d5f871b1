#pragma once
// The differential Sharpe ratio (Moody and Saffell, 1998/2001): the first-order effect of one
// more return R_t on an exponentially weighted Sharpe ratio, so a per-step reward that sums to
// (approximately) the growth of the Sharpe ratio:
//   A_t = A + eta (R - A),  B_t = B + eta (R^2 - B)   (moving first and second moments)
//   D_t = (B dA - A dB / 2) / (B - A^2)^(3/2),  dA = R - A, dB = R^2 - B  (A, B before the update)
#include <cstdint>

namespace aurum {

/// Running differential Sharpe ratio of one return stream.
class DifferentialSharpe {
  public:
    explicit DifferentialSharpe(double eta = 0.01) : eta_(eta) {}
    /// D_t for return `r`, then the moments move. 0 while the variance estimate is ~0.
    double update(double r);
    void reset() { a_ = b_ = 0; }
    double mean() const { return a_; }
    double second_moment() const { return b_; }

  private:
    double eta_;
    double a_ = 0, b_ = 0;
};

} // namespace aurum
