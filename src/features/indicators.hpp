#pragma once
// Streaming technical indicators. Each has update() in O(1) amortised (CCI: O(n), see
// docs/indicators.md), ready() once warmed up, reset(), and allocates only in its constructor.
// Formulas and warm-up lengths are stated in docs/indicators.md; the numbers there are the ones
// the unit tests check by hand.
#include <cmath>
#include <cstdint>

#include "core/bar_series.hpp"
#include "features/rolling.hpp"

namespace aurum {

/// Typical price (H + L + C) / 3.
inline double typical_price(const Bar& b) { return (b.high + b.low + b.close) / 3.0; }

/// Simple moving average of the last n inputs. Warm-up: n.
class Sma {
public:
    explicit Sma(int n) : sum_(n), n_(n) {}
    void update(double x) { sum_.update(x); }
    bool ready() const { return sum_.ready(); }
    double value() const { return sum_.sum() / n_; }
    void reset() { sum_.reset(); }

private:
    RollingSum sum_;
    double n_;
};

/// Exponential moving average, alpha = 2 / (n + 1), seeded with the SMA of the first n inputs
/// (TA-Lib convention). Warm-up: n.
class Ema {
public:
    explicit Ema(int n) : n_(n), alpha_(2.0 / (n + 1.0)) {}
    void update(double x) {
        if (count_ < n_) {
            sum_ += x;
            if (++count_ == n_) value_ = sum_ / n_;
        } else {
            value_ += alpha_ * (x - value_);
        }
    }
    bool ready() const { return count_ >= n_; }
    double value() const { return value_; }
    void reset() {
        count_ = 0;
        sum_ = value_ = 0;
    }

private:
    int n_;
    double alpha_;
    int count_ = 0;
    double sum_ = 0, value_ = 0;
};

/// Linearly weighted moving average (weights 1..n, newest heaviest). Warm-up: n.
/// W' = W - S + n x keeps it O(1); both sums are recomputed every n updates.
class Wma {
public:
    explicit Wma(int n) : buf_(static_cast<std::size_t>(n)), n_(n) {}
    void update(double x) {
        if (buf_.full()) {
            wsum_ += n_ * x - sum_;
            sum_ += x - buf_.oldest();
        } else {
            wsum_ += static_cast<double>(buf_.size() + 1) * x;
            sum_ += x;
        }
        buf_.push(x);
        if (++since_ >= buf_.capacity()) recompute();
    }
    bool ready() const { return buf_.full(); }
    double value() const { return wsum_ / (n_ * (n_ + 1) / 2.0); }
    void reset() {
        buf_.clear();
        sum_ = wsum_ = 0;
        since_ = 0;
    }

private:
    void recompute() {
        sum_ = wsum_ = 0;
        for (std::size_t i = 0; i < buf_.size(); ++i) {
            sum_ += buf_[i];
            wsum_ += static_cast<double>(i + 1) * buf_[i];
        }
        since_ = 0;
    }
    RingBuffer<double> buf_;
    double n_;
    double sum_ = 0, wsum_ = 0;
    std::size_t since_ = 0;
};

/// Wilder's RSI: average gain and loss seeded with the mean of the first n changes, then
/// avg = (avg * (n - 1) + x) / n. RSI = 100 * G / (G + L); 50 when both are 0. Warm-up: n + 1.
class Rsi {
public:
    explicit Rsi(int n) : n_(n) {}
    void update(double x) {
        if (!has_prev_) {
            prev_ = x;
            has_prev_ = true;
            return;
        }
        const double d = x - prev_;
        prev_ = x;
        const double g = d > 0 ? d : 0.0, l = d < 0 ? -d : 0.0;
        if (count_ < n_) {
            gain_ += g;
            loss_ += l;
            if (++count_ == n_) {
                gain_ /= n_;
                loss_ /= n_;
            }
        } else {
            gain_ = (gain_ * (n_ - 1) + g) / n_;
            loss_ = (loss_ * (n_ - 1) + l) / n_;
        }
    }
    bool ready() const { return count_ >= n_; }
    double value() const {
        const double den = gain_ + loss_;
        return den > 0 ? 100.0 * gain_ / den : 50.0;
    }
    void reset() {
        has_prev_ = false;
        count_ = 0;
        gain_ = loss_ = prev_ = 0;
    }

private:
    int n_;
    bool has_prev_ = false;
    int count_ = 0;
    double prev_ = 0, gain_ = 0, loss_ = 0;
};

/// MACD: line = EMA(fast) - EMA(slow) (or 100 * that / EMA(slow) when normalised, i.e. PPO),
/// signal = EMA(signal) of the line, histogram = line - signal. Warm-up: slow + signal - 1.
class Macd {
public:
    Macd(int fast, int slow, int signal, bool normalize = false)
        : fast_(fast), slow_(slow), signal_(signal), normalize_(normalize) {}
    void update(double x) {
        fast_.update(x);
        slow_.update(x);
        if (!slow_.ready()) return;
        const double diff = fast_.value() - slow_.value();
        line_ = normalize_ ? (slow_.value() != 0 ? 100.0 * diff / slow_.value() : 0.0) : diff;
        signal_.update(line_);
    }
    bool ready() const { return signal_.ready(); }
    double line() const { return line_; }
    double signal() const { return signal_.value(); }
    double histogram() const { return line_ - signal_.value(); }
    void reset() {
        fast_.reset();
        slow_.reset();
        signal_.reset();
        line_ = 0;
    }

private:
    Ema fast_, slow_, signal_;
    bool normalize_;
    double line_ = 0;
};

/// Bollinger bands: middle = SMA(n), upper/lower = middle +- k * population std, %b =
/// (x - lower) / (upper - lower) (0.5 for zero width), bandwidth = (upper - lower) / middle.
/// Warm-up: n.
class Bollinger {
public:
    Bollinger(int n, double k) : m_(n, 2), k_(k) {}
    void update(double x) {
        m_.update(x);
        last_ = x;
    }
    bool ready() const { return m_.ready(); }
    double middle() const { return m_.mean(); }
    double upper() const { return m_.mean() + k_ * m_.stddev(); }
    double lower() const { return m_.mean() - k_ * m_.stddev(); }
    double percent_b() const {
        const double w = 2 * k_ * m_.stddev();
        return w > 0 ? (last_ - lower()) / w : 0.5;
    }
    double bandwidth() const {
        const double mid = m_.mean();
        return mid != 0 ? 2 * k_ * m_.stddev() / mid : 0.0;
    }
    void reset() { m_.reset(); }

private:
    RollingMoments m_;
    double k_;
    double last_ = 0;
};

/// True range of a bar given the previous close.
inline double true_range(const Bar& b, double prev_close) {
    return std::fmax(b.high - b.low,
                     std::fmax(std::fabs(b.high - prev_close), std::fabs(b.low - prev_close)));
}

/// Wilder's ATR: the first value is the mean TR of bars 2..n+1 (bar 1 has no previous close),
/// then ATR = (ATR * (n - 1) + TR) / n. NATR = 100 * ATR / close. Warm-up: n + 1.
class Atr {
public:
    explicit Atr(int n) : n_(n) {}
    void update(const Bar& b) {
        if (!has_prev_) {
            prev_close_ = b.close;
            has_prev_ = true;
            close_ = b.close;
            return;
        }
        const double tr = true_range(b, prev_close_);
        prev_close_ = close_ = b.close;
        if (count_ < n_) {
            atr_ += tr;
            if (++count_ == n_) atr_ /= n_;
        } else {
            atr_ = (atr_ * (n_ - 1) + tr) / n_;
        }
    }
    bool ready() const { return count_ >= n_; }
    double value() const { return atr_; }
    double normalized() const { return close_ != 0 ? 100.0 * atr_ / close_ : 0.0; }
    void reset() {
        has_prev_ = false;
        count_ = 0;
        atr_ = prev_close_ = close_ = 0;
    }

private:
    int n_;
    bool has_prev_ = false;
    int count_ = 0;
    double prev_close_ = 0, close_ = 0, atr_ = 0;
};

/// Wilder's ADX with +DI / -DI. TR, +DM, -DM are Wilder-smoothed sums (first = sum of n values,
/// then S = S - S / n + x); DI = 100 * S(DM) / S(TR); DX = 100 * |+DI - -DI| / (+DI + -DI);
/// ADX = mean of the first n DX, then Wilder average. Warm-up: 2n (DI after n + 1).
class Adx {
public:
    explicit Adx(int n) : n_(n) {}
    void update(const Bar& b) {
        if (!has_prev_) {
            set_prev(b);
            return;
        }
        const double up = b.high - ph_, down = pl_ - b.low;
        const double pdm = (up > down && up > 0) ? up : 0.0;
        const double mdm = (down > up && down > 0) ? down : 0.0;
        const double tr = true_range(b, pc_);
        set_prev(b);
        if (count_ < n_) {
            str_ += tr;
            spdm_ += pdm;
            smdm_ += mdm;
            if (++count_ < n_) return;
        } else {
            str_ += tr - str_ / n_;
            spdm_ += pdm - spdm_ / n_;
            smdm_ += mdm - smdm_ / n_;
        }
        pdi_ = str_ > 0 ? 100.0 * spdm_ / str_ : 0.0;
        mdi_ = str_ > 0 ? 100.0 * smdm_ / str_ : 0.0;
        const double s = pdi_ + mdi_;
        const double dx = s > 0 ? 100.0 * std::fabs(pdi_ - mdi_) / s : 0.0;
        if (dx_count_ < n_) {
            adx_ += dx;
            if (++dx_count_ == n_) adx_ /= n_;
        } else {
            adx_ = (adx_ * (n_ - 1) + dx) / n_;
        }
    }
    bool ready() const { return dx_count_ >= n_; }
    double adx() const { return adx_; }
    double plus_di() const { return pdi_; }
    double minus_di() const { return mdi_; }
    void reset() {
        has_prev_ = false;
        count_ = dx_count_ = 0;
        str_ = spdm_ = smdm_ = pdi_ = mdi_ = adx_ = 0;
    }

private:
    void set_prev(const Bar& b) {
        ph_ = b.high;
        pl_ = b.low;
        pc_ = b.close;
        has_prev_ = true;
    }
    int n_;
    bool has_prev_ = false;
    int count_ = 0, dx_count_ = 0;
    double ph_ = 0, pl_ = 0, pc_ = 0;
    double str_ = 0, spdm_ = 0, smdm_ = 0, pdi_ = 0, mdi_ = 0, adx_ = 0;
};

/// Slow stochastic: fast %K = 100 * (C - LL(k)) / (HH(k) - LL(k)) (50 when HH = LL),
/// %K = SMA(slow_k) of fast %K, %D = SMA(d) of %K. Warm-up: k + slow_k + d - 2.
class Stochastic {
public:
    Stochastic(int k, int slow_k, int d) : hh_(k), ll_(k), slow_(slow_k), d_(d) {}
    void update(const Bar& b) {
        hh_.update(b.high);
        ll_.update(b.low);
        if (!hh_.ready()) return;
        const double range = hh_.value() - ll_.value();
        const double fast = range > 0 ? 100.0 * (b.close - ll_.value()) / range : 50.0;
        slow_.update(fast);
        if (slow_.ready()) d_.update(slow_.value());
    }
    bool ready() const { return d_.ready(); }
    double k() const { return slow_.value(); }
    double d() const { return d_.value(); }
    void reset() {
        hh_.reset();
        ll_.reset();
        slow_.reset();
        d_.reset();
    }

private:
    RollingMax hh_;
    RollingMin ll_;
    Sma slow_, d_;
};

/// Williams %R = -100 * (HH(n) - C) / (HH(n) - LL(n)) (-50 when HH = LL). Warm-up: n.
class WilliamsR {
public:
    explicit WilliamsR(int n) : hh_(n), ll_(n) {}
    void update(const Bar& b) {
        hh_.update(b.high);
        ll_.update(b.low);
        close_ = b.close;
    }
    bool ready() const { return hh_.ready(); }
    double value() const {
        const double range = hh_.value() - ll_.value();
        return range > 0 ? -100.0 * (hh_.value() - close_) / range : -50.0;
    }
    void reset() {
        hh_.reset();
        ll_.reset();
    }

private:
    RollingMax hh_;
    RollingMin ll_;
    double close_ = 0;
};

/// Commodity Channel Index: (TP - SMA(TP)) / (0.015 * mean |TP - SMA(TP)|), 0 when the mean
/// deviation is 0. The mean deviation depends on the current mean, so it is O(n) per update by
/// definition (the one exception to O(1)). Warm-up: n.
class Cci {
public:
    explicit Cci(int n) : tp_(n) {}
    void update(const Bar& b) {
        tp_.update(typical_price(b));
        last_ = typical_price(b);
    }
    bool ready() const { return tp_.ready(); }
    double value() const {
        const auto& w = tp_.window();
        const double mean = tp_.sum() / static_cast<double>(w.size());
        double md = 0;
        for (std::size_t i = 0; i < w.size(); ++i) md += std::fabs(w[i] - mean);
        md /= static_cast<double>(w.size());
        return md > 0 ? (last_ - mean) / (0.015 * md) : 0.0;
    }
    void reset() { tp_.reset(); }

private:
    RollingSum tp_;
    double last_ = 0;
};

/// On-balance volume (starts at the first bar's volume, TA-Lib convention) and its normalised
/// form: the sum of signed volume over the last n bars divided by their total volume, in [-1, 1].
/// Warm-up: 1 bar (obv), n + 1 (normalised).
class Obv {
public:
    explicit Obv(int n) : signed_(n), total_(n) {}
    void update(const Bar& b) {
        if (!has_prev_) {
            obv_ = b.volume;
            prev_ = b.close;
            has_prev_ = true;
            return;
        }
        const double s = b.close > prev_ ? b.volume : (b.close < prev_ ? -b.volume : 0.0);
        obv_ += s;
        prev_ = b.close;
        signed_.update(s);
        total_.update(b.volume);
    }
    bool ready() const { return signed_.ready(); }
    double obv() const { return obv_; }
    double normalized() const { return total_.sum() > 0 ? signed_.sum() / total_.sum() : 0.0; }
    void reset() {
        has_prev_ = false;
        obv_ = prev_ = 0;
        signed_.reset();
        total_.reset();
    }

private:
    RollingSum signed_, total_;
    bool has_prev_ = false;
    double obv_ = 0, prev_ = 0;
};

/// Money Flow Index over n: money flow TP * V is positive when TP rose, negative when it fell;
/// MFI = 100 * pos / (pos + neg), 50 when both are 0. Warm-up: n + 1.
class Mfi {
public:
    explicit Mfi(int n) : pos_(n), neg_(n) {}
    void update(const Bar& b) {
        const double tp = typical_price(b);
        if (!has_prev_) {
            prev_ = tp;
            has_prev_ = true;
            return;
        }
        const double mf = tp * b.volume;
        pos_.update(tp > prev_ ? mf : 0.0);
        neg_.update(tp < prev_ ? mf : 0.0);
        prev_ = tp;
    }
    bool ready() const { return pos_.ready(); }
    double value() const {
        const double s = pos_.sum() + neg_.sum();
        return s > 0 ? 100.0 * pos_.sum() / s : 50.0;
    }
    void reset() {
        has_prev_ = false;
        prev_ = 0;
        pos_.reset();
        neg_.reset();
    }

private:
    RollingSum pos_, neg_;
    bool has_prev_ = false;
    double prev_ = 0;
};

/// The input n bars ago, for ROC, momentum and k-bar log returns. Warm-up: n + 1.
class Lag {
public:
    explicit Lag(int n) : buf_(static_cast<std::size_t>(n) + 1) {}
    void update(double x) { buf_.push(x); }
    bool ready() const { return buf_.full(); }
    double current() const { return buf_.newest(); }
    double lagged() const { return buf_.oldest(); }
    void reset() { buf_.clear(); }

private:
    RingBuffer<double> buf_;
};

/// Rate of change 100 * (x / x[n] - 1). Warm-up: n + 1.
class Roc {
public:
    explicit Roc(int n) : lag_(n) {}
    void update(double x) { lag_.update(x); }
    bool ready() const { return lag_.ready(); }
    double value() const { return 100.0 * (lag_.current() / lag_.lagged() - 1.0); }
    void reset() { lag_.reset(); }

private:
    Lag lag_;
};

/// Momentum x - x[n]. Warm-up: n + 1.
class Momentum {
public:
    explicit Momentum(int n) : lag_(n) {}
    void update(double x) { lag_.update(x); }
    bool ready() const { return lag_.ready(); }
    double value() const { return lag_.current() - lag_.lagged(); }
    void reset() { lag_.reset(); }

private:
    Lag lag_;
};

/// Log return over k bars ln(x / x[k]). Warm-up: k + 1.
class LogReturn {
public:
    explicit LogReturn(int k) : lag_(k) {}
    void update(double x) { lag_.update(x); }
    bool ready() const { return lag_.ready(); }
    double value() const { return std::log(lag_.current() / lag_.lagged()); }
    void reset() { lag_.reset(); }

private:
    Lag lag_;
};

/// Rolling VWAP over n bars: sum(TP * V) / sum(V) (mean TP when the volume is 0), and the
/// distance close / VWAP - 1. Warm-up: n.
class RollingVwap {
public:
    explicit RollingVwap(int n) : pv_(n), v_(n), tp_(n) {}
    void update(const Bar& b) {
        const double tp = typical_price(b);
        pv_.update(tp * b.volume);
        v_.update(b.volume);
        tp_.update(tp);
        close_ = b.close;
    }
    bool ready() const { return v_.ready(); }
    double value() const {
        return v_.sum() > 0 ? pv_.sum() / v_.sum() : tp_.sum() / static_cast<double>(tp_.count());
    }
    double distance() const { return close_ / value() - 1.0; }
    void reset() {
        pv_.reset();
        v_.reset();
        tp_.reset();
    }

private:
    RollingSum pv_, v_, tp_;
    double close_ = 0;
};

/// Rolling population statistics of one input: std, z-score, skewness, excess kurtosis.
/// z = (x - mean) / std (0 for a constant window). Warm-up: n.
class RollingStats {
public:
    RollingStats(int n, bool higher_moments) : m_(n, higher_moments ? 4 : 2) {}
    void update(double x) {
        m_.update(x);
        last_ = x;
    }
    bool ready() const { return m_.ready(); }
    double mean() const { return m_.mean(); }
    double stddev() const { return m_.stddev(); }
    double zscore() const {
        const double sd = m_.stddev();
        return sd > 0 ? (last_ - m_.mean()) / sd : 0.0;
    }
    double skewness() const { return m_.skewness(); }
    double kurtosis() const { return m_.kurtosis(); }
    void reset() { m_.reset(); }

private:
    RollingMoments m_;
    double last_ = 0;
};

/// Close-to-close realised volatility: population std of 1-bar log returns over n (per bar,
/// not annualised). Warm-up: n + 1.
class RealizedVolCC {
public:
    explicit RealizedVolCC(int n) : r_(1), m_(n, 2) {}
    void update(double close) {
        r_.update(close);
        if (r_.ready()) m_.update(r_.value());
    }
    bool ready() const { return m_.ready(); }
    double value() const { return m_.stddev(); }
    void reset() {
        r_.reset();
        m_.reset();
    }

private:
    LogReturn r_;
    RollingMoments m_;
};

/// Parkinson volatility sqrt(sum(ln(H/L)^2) / (4 n ln 2)). Warm-up: n.
class ParkinsonVol {
public:
    explicit ParkinsonVol(int n) : s_(n), n_(n) {}
    void update(const Bar& b) {
        const double hl = std::log(b.high / b.low);
        s_.update(hl * hl);
    }
    bool ready() const { return s_.ready(); }
    double value() const { return std::sqrt(std::fmax(0.0, s_.sum()) / (4.0 * n_ * std::log(2.0))); }
    void reset() { s_.reset(); }

private:
    RollingSum s_;
    double n_;
};

/// Garman-Klass volatility sqrt(mean(0.5 ln(H/L)^2 - (2 ln 2 - 1) ln(C/O)^2)), floored at 0.
/// Warm-up: n.
class GarmanKlassVol {
public:
    explicit GarmanKlassVol(int n) : s_(n), n_(n) {}
    void update(const Bar& b) {
        const double hl = std::log(b.high / b.low), co = std::log(b.close / b.open);
        s_.update(0.5 * hl * hl - (2.0 * std::log(2.0) - 1.0) * co * co);
    }
    bool ready() const { return s_.ready(); }
    double value() const { return std::sqrt(std::fmax(0.0, s_.sum() / n_)); }
    void reset() { s_.reset(); }

private:
    RollingSum s_;
    double n_;
};

/// Cyclical encodings of a bar's open time (UTC): time of day and day of week as sin/cos pairs,
/// so 23:00 is close to 00:00 and Sunday to Monday. Stateless, always ready.
struct TimeEncoding {
    double tod_sin = 0, tod_cos = 1, dow_sin = 0, dow_cos = 1;
    void update(TimeMs t);
};

} // namespace aurum
