#include "features/hmm.hpp"

#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include "core/error.hpp"

namespace aurum {

namespace {

/// k-means++ seeding followed by a few Lloyd iterations: starting points for EM.
Eigen::MatrixXd kmeans(const Eigen::MatrixXd& X, int k, std::mt19937_64& rng, int lloyd_iters) {
    const Eigen::Index t = X.rows();
    Eigen::MatrixXd c(k, X.cols());
    std::uniform_int_distribution<Eigen::Index> first(0, t - 1);
    c.row(0) = X.row(first(rng));
    Eigen::VectorXd d2(t);
    for (int j = 1; j < k; ++j) {
        for (Eigen::Index i = 0; i < t; ++i) {
            double best = std::numeric_limits<double>::infinity();
            for (int m = 0; m < j; ++m) best = std::min(best, (X.row(i) - c.row(m)).squaredNorm());
            d2(i) = best;
        }
        std::discrete_distribution<Eigen::Index> pick(d2.data(), d2.data() + t);
        c.row(j) = X.row(pick(rng));
    }
    std::vector<int> assign(static_cast<std::size_t>(t), 0);
    for (int it = 0; it < lloyd_iters; ++it) {
        for (Eigen::Index i = 0; i < t; ++i) {
            int best = 0;
            double bd = std::numeric_limits<double>::infinity();
            for (int m = 0; m < k; ++m) {
                const double d = (X.row(i) - c.row(m)).squaredNorm();
                if (d < bd) {
                    bd = d;
                    best = m;
                }
            }
            assign[static_cast<std::size_t>(i)] = best;
        }
        Eigen::MatrixXd sum = Eigen::MatrixXd::Zero(k, X.cols());
        Eigen::VectorXd cnt = Eigen::VectorXd::Zero(k);
        for (Eigen::Index i = 0; i < t; ++i) {
            sum.row(assign[static_cast<std::size_t>(i)]) += X.row(i);
            cnt(assign[static_cast<std::size_t>(i)]) += 1;
        }
        for (int m = 0; m < k; ++m)
            if (cnt(m) > 0) c.row(m) = sum.row(m) / cnt(m);
    }
    return c;
}

} // namespace

Eigen::MatrixXd GaussianHmm::log_emissions(const Eigen::MatrixXd& X) const {
    const Eigen::Index t = X.rows(), d = X.cols();
    const int k = states();
    Eigen::MatrixXd out(t, k);
    for (int s = 0; s < k; ++s) {
        Eigen::LLT<Eigen::MatrixXd> llt(cov_[static_cast<std::size_t>(s)]);
        const Eigen::MatrixXd& l = llt.matrixL();
        double logdet = 0;
        for (Eigen::Index i = 0; i < d; ++i) logdet += 2.0 * std::log(l(i, i));
        const double c = -0.5 * (static_cast<double>(d) * std::log(2 * std::numbers::pi) + logdet);
        for (Eigen::Index i = 0; i < t; ++i) {
            const Eigen::VectorXd z =
                llt.matrixL().solve((X.row(i) - mu_.row(s)).transpose());
            out(i, s) = c - 0.5 * z.squaredNorm();
        }
    }
    return out;
}

double GaussianHmm::forward(const Eigen::MatrixXd& logb, Eigen::MatrixXd& alpha,
                            Eigen::VectorXd& scale, Eigen::MatrixXd& b) const {
    const Eigen::Index t = logb.rows();
    const int k = states();
    alpha.resize(t, k);
    scale.resize(t);
    b.resize(t, k);
    double ll = 0;
    for (Eigen::Index i = 0; i < t; ++i) {
        // Emissions scaled by their row maximum (the factor is added back to the likelihood).
        const double mx = logb.row(i).maxCoeff();
        b.row(i) = (logb.row(i).array() - mx).exp();
        if (i == 0)
            alpha.row(0) = pi_.transpose().array() * b.row(0).array();
        else
            alpha.row(i) = (alpha.row(i - 1) * a_).array() * b.row(i).array();
        double c = alpha.row(i).sum();
        if (!(c > 0)) c = std::numeric_limits<double>::min();
        alpha.row(i) /= c;
        scale(i) = c;
        ll += std::log(c) + mx;
    }
    return ll;
}

double GaussianHmm::log_likelihood(const Eigen::MatrixXd& X) const {
    Eigen::MatrixXd alpha, b;
    Eigen::VectorXd scale;
    return forward(log_emissions(X), alpha, scale, b);
}

double GaussianHmm::em_step(const Eigen::MatrixXd& X, double ridge) {
    const Eigen::Index t = X.rows(), d = X.cols();
    const int k = states();
    Eigen::MatrixXd alpha, b;
    Eigen::VectorXd scale;
    const double ll = forward(log_emissions(X), alpha, scale, b);
    Eigen::MatrixXd beta(t, k);
    beta.row(t - 1).setOnes();
    Eigen::MatrixXd xi = Eigen::MatrixXd::Zero(k, k);
    for (Eigen::Index i = t - 2; i >= 0; --i) {
        const Eigen::RowVectorXd bb = b.row(i + 1).array() * beta.row(i + 1).array();
        // xi_t(a, c) = alpha_t(a) A(a, c) b_{t+1}(c) beta_{t+1}(c) / scale_{t+1}
        xi.noalias() += (alpha.row(i).transpose() * bb).cwiseProduct(a_) / scale(i + 1);
        beta.row(i) = (a_ * bb.transpose()).transpose() / scale(i + 1);
    }
    Eigen::MatrixXd gamma = alpha.cwiseProduct(beta);
    for (Eigen::Index i = 0; i < t; ++i) gamma.row(i) /= gamma.row(i).sum();

    pi_ = gamma.row(0).transpose();
    for (int s = 0; s < k; ++s) {
        const double row = xi.row(s).sum();
        if (row > 0) a_.row(s) = xi.row(s) / row;
    }
    for (int s = 0; s < k; ++s) {
        const double w = gamma.col(s).sum();
        if (w < 1e-9) continue; // an empty state keeps its parameters
        mu_.row(s) = (gamma.col(s).transpose() * X) / w;
        const Eigen::MatrixXd centered = X.rowwise() - mu_.row(s);
        Eigen::MatrixXd cov = (centered.array().colwise() * gamma.col(s).array()).matrix().transpose() *
                              centered / w;
        cov.diagonal().array() += ridge;
        cov_[static_cast<std::size_t>(s)] = cov;
    }
    (void)d;
    return ll;
}

GaussianHmm GaussianHmm::fit(const Eigen::MatrixXd& X, int states, const FitOptions& o) {
    if (states < 1) throw InputError("HMM needs at least 1 state, got " + std::to_string(states));
    if (X.rows() < 2 * states)
        throw InputError("HMM needs at least " + std::to_string(2 * states) +
                         " observations, got " + std::to_string(X.rows()));
    if (!X.allFinite()) throw InputError("HMM observations contain NaN or infinite values");
    const Eigen::Index d = X.cols();
    const Eigen::RowVectorXd mean = X.colwise().mean();
    const Eigen::MatrixXd centered = X.rowwise() - mean;
    const Eigen::MatrixXd global = centered.transpose() * centered / static_cast<double>(X.rows());
    const double ridge = o.ridge * std::max(global.diagonal().mean(), 1e-300);

    GaussianHmm best;
    double best_ll = -std::numeric_limits<double>::infinity();
    for (int r = 0; r < std::max(1, o.restarts); ++r) {
        std::mt19937_64 rng(o.seed + static_cast<std::uint64_t>(r) * 0x9E3779B97F4A7C15ULL);
        GaussianHmm h;
        h.pi_ = Eigen::VectorXd::Constant(states, 1.0 / states);
        h.a_ = Eigen::MatrixXd::Constant(states, states, states > 1 ? 0.1 / (states - 1) : 1.0);
        if (states > 1) h.a_.diagonal().setConstant(0.9);
        // The first start refines its seeds with k-means; later ones keep the raw k-means++
        // seeds, because k-means favours splitting one wide cluster over separating two tight
        // ones, and EM cannot always climb out of that.
        h.mu_ = kmeans(X, states, rng, r == 0 ? 10 : 0);
        h.cov_.assign(static_cast<std::size_t>(states),
                      global + ridge * Eigen::MatrixXd::Identity(d, d));
        double prev = -std::numeric_limits<double>::infinity();
        double ll = prev;
        int it = 0;
        for (; it < o.max_iter; ++it) {
            ll = h.em_step(X, ridge);
            if (std::isfinite(prev) && (ll - prev) / static_cast<double>(X.rows()) < o.tol) break;
            prev = ll;
        }
        h.iterations_ = it;
        ll = h.log_likelihood(X);
        if (ll > best_ll) {
            best_ll = ll;
            best = std::move(h);
        }
    }
    return best;
}

std::vector<int> GaussianHmm::viterbi(const Eigen::MatrixXd& X) const {
    const Eigen::Index t = X.rows();
    const int k = states();
    std::vector<int> path(static_cast<std::size_t>(t), 0);
    if (t == 0) return path;
    const Eigen::MatrixXd logb = log_emissions(X);
    const Eigen::MatrixXd loga = a_.array().max(1e-300).log().matrix();
    Eigen::MatrixXd delta(t, k);
    Eigen::MatrixXi psi(t, k);
    delta.row(0) = pi_.array().max(1e-300).log().transpose() + logb.row(0).array();
    for (Eigen::Index i = 1; i < t; ++i) {
        for (int s = 0; s < k; ++s) {
            Eigen::Index arg = 0;
            const double m = (delta.row(i - 1).transpose() + loga.col(s)).maxCoeff(&arg);
            delta(i, s) = m + logb(i, s);
            psi(i, s) = static_cast<int>(arg);
        }
    }
    Eigen::Index last = 0;
    delta.row(t - 1).maxCoeff(&last);
    path[static_cast<std::size_t>(t - 1)] = static_cast<int>(last);
    for (Eigen::Index i = t - 1; i > 0; --i)
        path[static_cast<std::size_t>(i - 1)] =
            psi(i, path[static_cast<std::size_t>(i)]);
    return path;
}

std::vector<int> GaussianHmm::filter(const Eigen::MatrixXd& X) const {
    Eigen::MatrixXd alpha, b;
    Eigen::VectorXd scale;
    forward(log_emissions(X), alpha, scale, b);
    std::vector<int> out(static_cast<std::size_t>(X.rows()));
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
        Eigen::Index arg = 0;
        alpha.row(i).maxCoeff(&arg);
        out[static_cast<std::size_t>(i)] = static_cast<int>(arg);
    }
    return out;
}

} // namespace aurum
