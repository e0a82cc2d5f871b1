#pragma once
// A Gaussian hidden Markov model with full covariances: Baum-Welch (scaled forward-backward, so
// long series never underflow) and Viterbi (log space). Seeded, so a fit is reproducible.
#include <cstdint>
#include <vector>

#include <Eigen/Dense>

namespace aurum {

/// K hidden states emitting D-dimensional Gaussian observations.
class GaussianHmm {
public:
    struct FitOptions {
        int max_iter = 200;
        double tol = 1e-6; ///< stop when log-likelihood per sample improves by less
        std::uint64_t seed = 42;
        int restarts = 5;      ///< best of this many seeded initialisations
        double ridge = 1e-6;   ///< added to covariance diagonals (relative to the data variance)
    };

    /// Fits K states to the rows of X (T x D). Throws InputError when T < 2 K or the data are
    /// not finite.
    static GaussianHmm fit(const Eigen::MatrixXd& X, int states, const FitOptions& options);

    /// Most likely state path (Viterbi).
    std::vector<int> viterbi(const Eigen::MatrixXd& X) const;
    /// Causal state estimate: argmax of the forward (filtered) probabilities at each t.
    std::vector<int> filter(const Eigen::MatrixXd& X) const;
    /// Total log-likelihood of X.
    double log_likelihood(const Eigen::MatrixXd& X) const;

    int states() const { return static_cast<int>(pi_.size()); }
    const Eigen::VectorXd& initial() const { return pi_; }
    const Eigen::MatrixXd& transition() const { return a_; }
    const Eigen::MatrixXd& means() const { return mu_; } ///< K x D
    const std::vector<Eigen::MatrixXd>& covariances() const { return cov_; }
    int iterations() const { return iterations_; }

private:
    /// log N(x_t | state k), T x K.
    Eigen::MatrixXd log_emissions(const Eigen::MatrixXd& X) const;
    /// Scaled forward pass; returns log-likelihood, fills alpha (T x K, rows sum to 1) and scales.
    double forward(const Eigen::MatrixXd& logb, Eigen::MatrixXd& alpha, Eigen::VectorXd& scale,
                   Eigen::MatrixXd& b) const;
    double em_step(const Eigen::MatrixXd& X, double ridge);

    Eigen::VectorXd pi_;
    Eigen::MatrixXd a_;
    Eigen::MatrixXd mu_;
    std::vector<Eigen::MatrixXd> cov_;
    int iterations_ = 0;
};

} // namespace aurum
