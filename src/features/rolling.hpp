#pragma once
// Fixed-capacity rolling-window building blocks shared by the indicators. Every buffer is sized
// at construction; update() never allocates.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace aurum {

/// A fixed-capacity FIFO: push() overwrites the oldest element once full.
template <class T> class RingBuffer {
public:
    explicit RingBuffer(std::size_t capacity) : buf_(capacity > 0 ? capacity : 1) {}

    void push(const T& v) {
        buf_[head_] = v;
        if (++head_ == buf_.size()) head_ = 0;
        if (size_ < buf_.size()) ++size_;
    }
    bool full() const { return size_ == buf_.size(); }
    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }
    std::size_t capacity() const { return buf_.size(); }
    /// i = 0 is the oldest element held, size() - 1 the newest.
    const T& operator[](std::size_t i) const {
        std::size_t k = head_ + buf_.size() - size_ + i;
        if (k >= buf_.size()) k -= buf_.size();
        if (k >= buf_.size()) k -= buf_.size();
        return buf_[k];
    }
    const T& oldest() const { return (*this)[0]; }
    const T& newest() const { return buf_[head_ == 0 ? buf_.size() - 1 : head_ - 1]; }
    void clear() {
        head_ = 0;
        size_ = 0;
    }

private:
    std::vector<T> buf_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

/// Sum of the last n values. Add/remove in O(1); the sum is recomputed from the window every n
/// updates so rounding error cannot accumulate over long series.
class RollingSum {
public:
    explicit RollingSum(int n) : buf_(static_cast<std::size_t>(n)) {}
    void update(double x) {
        if (buf_.full()) sum_ -= buf_.oldest();
        buf_.push(x);
        sum_ += x;
        if (++since_ >= buf_.capacity()) recompute();
    }
    bool ready() const { return buf_.full(); }
    double sum() const { return sum_; }
    std::size_t count() const { return buf_.size(); }
    const RingBuffer<double>& window() const { return buf_; }
    void reset() {
        buf_.clear();
        sum_ = 0;
        since_ = 0;
    }

private:
    void recompute() {
        double s = 0;
        for (std::size_t i = 0; i < buf_.size(); ++i) s += buf_[i];
        sum_ = s;
        since_ = 0;
    }
    RingBuffer<double> buf_;
    double sum_ = 0;
    std::size_t since_ = 0;
};

/// Rolling mean, variance and (optionally) third and fourth central moments over the last n
/// values. Power sums are kept about a shift K that is re-centred on the window mean every n
/// updates (with a full recomputation), so a series like 1e6 + small noise loses no precision to
/// cancellation: the sums only ever see deviations from a nearby K. Moments are population moments.
class RollingMoments {
public:
    RollingMoments(int n, int order) : buf_(static_cast<std::size_t>(n)), order_(order) {}

    void update(double x) {
        if (buf_.empty()) shift_ = x;
        if (buf_.full()) remove(buf_.oldest() - shift_);
        buf_.push(x);
        add(x - shift_);
        if (++since_ >= buf_.capacity()) recompute();
    }
    bool ready() const { return buf_.full(); }
    std::size_t count() const { return buf_.size(); }
    double mean() const { return shift_ + s1_ / static_cast<double>(buf_.size()); }
    double variance() const {
        const double n = static_cast<double>(buf_.size());
        const double m1 = s1_ / n;
        const double v = s2_ / n - m1 * m1;
        // Below the rounding noise of the sums the window is constant.
        return v > 1e-13 * (s2_ / n) ? v : 0.0;
    }
    double stddev() const { return std::sqrt(variance()); }
    /// Population skewness g1 = m3 / m2^1.5 (0 for a constant window).
    double skewness() const {
        const double v = variance();
        if (v <= 0) return 0.0;
        const double n = static_cast<double>(buf_.size());
        const double m1 = s1_ / n, r2 = s2_ / n, r3 = s3_ / n;
        const double m3 = r3 - 3 * m1 * r2 + 2 * m1 * m1 * m1;
        return m3 / (v * std::sqrt(v));
    }
    /// Excess kurtosis m4 / m2^2 - 3 (0 for a constant window).
    double kurtosis() const {
        const double v = variance();
        if (v <= 0) return 0.0;
        const double n = static_cast<double>(buf_.size());
        const double m1 = s1_ / n, r2 = s2_ / n, r3 = s3_ / n, r4 = s4_ / n;
        const double m4 = r4 - 4 * m1 * r3 + 6 * m1 * m1 * r2 - 3 * m1 * m1 * m1 * m1;
        return m4 / (v * v) - 3.0;
    }
    void reset() {
        buf_.clear();
        s1_ = s2_ = s3_ = s4_ = 0;
        since_ = 0;
    }

private:
    void add(double d) {
        const double d2 = d * d;
        s1_ += d;
        s2_ += d2;
        if (order_ > 2) {
            s3_ += d2 * d;
            s4_ += d2 * d2;
        }
    }
    void remove(double d) {
        const double d2 = d * d;
        s1_ -= d;
        s2_ -= d2;
        if (order_ > 2) {
            s3_ -= d2 * d;
            s4_ -= d2 * d2;
        }
    }
    void recompute() {
        double s = 0;
        for (std::size_t i = 0; i < buf_.size(); ++i) s += buf_[i];
        shift_ = s / static_cast<double>(buf_.size());
        s1_ = s2_ = s3_ = s4_ = 0;
        for (std::size_t i = 0; i < buf_.size(); ++i) add(buf_[i] - shift_);
        since_ = 0;
    }

    RingBuffer<double> buf_;
    int order_;
    double shift_ = 0;
    double s1_ = 0, s2_ = 0, s3_ = 0, s4_ = 0;
    std::size_t since_ = 0;
};

/// Rolling covariance of pairs (x, y) over the last n, with the same shifted-sum scheme.
class RollingCovariance {
public:
    explicit RollingCovariance(int n) : xs_(static_cast<std::size_t>(n)), ys_(static_cast<std::size_t>(n)) {}
    void update(double x, double y) {
        if (xs_.empty()) {
            kx_ = x;
            ky_ = y;
        }
        if (xs_.full()) remove(xs_.oldest() - kx_, ys_.oldest() - ky_);
        xs_.push(x);
        ys_.push(y);
        add(x - kx_, y - ky_);
        if (++since_ >= xs_.capacity()) recompute();
    }
    bool ready() const { return xs_.full(); }
    double var_x() const { return clamp_var(sxx_, sx_); }
    double var_y() const { return clamp_var(syy_, sy_); }
    double cov() const {
        const double n = static_cast<double>(xs_.size());
        return sxy_ / n - (sx_ / n) * (sy_ / n);
    }
    /// Pearson correlation; 0 when either side is constant.
    double correlation() const {
        const double vx = var_x(), vy = var_y();
        if (vx <= 0 || vy <= 0) return 0.0;
        return std::clamp(cov() / std::sqrt(vx * vy), -1.0, 1.0);
    }
    /// Regression slope of x on y (cov / var_y); 0 when y is constant.
    double beta_x_on_y() const {
        const double vy = var_y();
        return vy > 0 ? cov() / vy : 0.0;
    }
    void reset() {
        xs_.clear();
        ys_.clear();
        sx_ = sy_ = sxx_ = syy_ = sxy_ = 0;
        since_ = 0;
    }

private:
    double clamp_var(double s2, double s1) const {
        const double n = static_cast<double>(xs_.size());
        const double v = s2 / n - (s1 / n) * (s1 / n);
        return v > 1e-13 * (s2 / n) ? v : 0.0;
    }
    void add(double dx, double dy) {
        sx_ += dx;
        sy_ += dy;
        sxx_ += dx * dx;
        syy_ += dy * dy;
        sxy_ += dx * dy;
    }
    void remove(double dx, double dy) {
        sx_ -= dx;
        sy_ -= dy;
        sxx_ -= dx * dx;
        syy_ -= dy * dy;
        sxy_ -= dx * dy;
    }
    void recompute() {
        double mx = 0, my = 0;
        for (std::size_t i = 0; i < xs_.size(); ++i) {
            mx += xs_[i];
            my += ys_[i];
        }
        kx_ = mx / static_cast<double>(xs_.size());
        ky_ = my / static_cast<double>(ys_.size());
        sx_ = sy_ = sxx_ = syy_ = sxy_ = 0;
        for (std::size_t i = 0; i < xs_.size(); ++i) add(xs_[i] - kx_, ys_[i] - ky_);
        since_ = 0;
    }

    RingBuffer<double> xs_, ys_;
    double kx_ = 0, ky_ = 0;
    double sx_ = 0, sy_ = 0, sxx_ = 0, syy_ = 0, sxy_ = 0;
    std::size_t since_ = 0;
};

/// Rolling maximum (Max = true) or minimum of the last n values with a monotonic deque held in a
/// fixed ring: amortised O(1) per update.
template <bool Max> class RollingExtreme {
public:
    explicit RollingExtreme(int n)
        : n_(static_cast<std::size_t>(n)), val_(n_ + 1), idx_(n_ + 1) {}
    void update(double x) {
        // Drop dominated values from the back, then expired ones from the front.
        while (size_ > 0 && dominated(val_[back()], x)) pop_back();
        push_back(x, count_);
        ++count_;
        while (idx_[front_] + n_ < count_) pop_front();
    }
    bool ready() const { return count_ >= n_; }
    double value() const { return val_[front_]; }
    void reset() {
        front_ = 0;
        size_ = 0;
        count_ = 0;
    }

private:
    static bool dominated(double old, double x) { return Max ? old <= x : old >= x; }
    // Index arithmetic wraps with a compare instead of `%` (a division on every update).
    std::size_t wrap(std::size_t k) const { return k >= val_.size() ? k - val_.size() : k; }
    std::size_t back() const { return wrap(front_ + size_ - 1); }
    void push_back(double x, std::size_t i) {
        const std::size_t k = wrap(front_ + size_);
        val_[k] = x;
        idx_[k] = i;
        ++size_;
    }
    void pop_back() { --size_; }
    void pop_front() {
        front_ = wrap(front_ + 1);
        --size_;
    }

    std::size_t n_;
    std::vector<double> val_;
    std::vector<std::size_t> idx_;
    std::size_t front_ = 0, size_ = 0, count_ = 0;
};

using RollingMax = RollingExtreme<true>;
using RollingMin = RollingExtreme<false>;

} // namespace aurum
