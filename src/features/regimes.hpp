#pragma once
// Market regimes per bar: a causal percentile classifier (usable as a live feature) and a
// Gaussian hidden Markov model (descriptive, for research and per-regime reports).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bar_series.hpp"
#include "data/database.hpp"
#include "features/indicators.hpp"

namespace aurum {

/// A market regime label. Unknown: not enough history yet (warm-up) or after a data gap.
enum class Regime : std::uint8_t { Unknown = 0, Bull = 1, Bear = 2, Ranging = 3, HighVol = 4 };
inline constexpr int kRegimeCount = 5;

std::string to_string(Regime r); ///< "unknown", "bull", "bear", "ranging", "high_vol"
std::optional<Regime> parse_regime(const std::string& text);

/// Parameters of the percentile classifier (see docs/features.md, "Regimes").
struct RegimeParams {
    int trend_window = 50;    ///< trend = ln(close / SMA(trend_window))
    int vol_window = 20;      ///< volatility = std of 1-bar log returns over vol_window
    int lookback = 1000;      ///< volatility percentile = rank within the trailing lookback values
    double high_vol_pct = 0.80; ///< vol percentile at or above this ...
    double high_vol_ratio = 1.5; ///< ... and at least this multiple of the median: HighVol
    /// Trend score = trend / (volatility * sqrt(trend_window)): at or above +threshold Bull, at
    /// or below -threshold Bear, else Ranging.
    double trend_threshold = 0.5;
    int min_history = 200;    ///< the volatility rank needs this many trailing values first
};


/// Streaming regime classifier: volatility ranked within its trailing `lookback` values
/// (O(lookback) per update) and a volatility-normalised trend score.
class RegimeClassifier {
public:
    explicit RegimeClassifier(const RegimeParams& p);
    void update(const Bar& b);
    bool ready() const { return regime_ != Regime::Unknown; }
    Regime regime() const { return regime_; }
    void reset();

private:
    static double rank(const RingBuffer<double>& w, double x);
    double median_vol();
    RegimeParams p_;
    Sma sma_;
    RealizedVolCC vol_;
    RingBuffer<double> vols_;
    std::vector<double> scratch_; ///< for the median, sized once
    Regime regime_ = Regime::Unknown;
};

/// Per-bar regimes from trailing trend and volatility percentiles. Causal: the regime of bar i
/// uses bars 0..i only, computed by the same streaming RegimeClassifier the features use.
std::vector<Regime> classify_regimes(const BarSeries& bars, const RegimeParams& params = {});

/// Parameters of the Gaussian HMM regime model.
struct HmmParams {
    int states = 4;          ///< mapped to regimes by their mean volatility and return
    int trend_window = 20;   ///< observation 1 = mean 1-bar log return over trend_window bars
    int vol_window = 20;     ///< observation 2 = log of rolling std of log returns
    int max_iter = 100;
    double tol = 1e-6;       ///< stop when the log-likelihood gains less than this per sample
    std::uint64_t seed = 42;
    int restarts = 5;        ///< best log-likelihood of this many seeded initialisations
};

/// Regimes from a Gaussian HMM fitted (Baum-Welch) on [mean log return over trend_window,
/// log volatility] (standardised) and
/// decoded with Viterbi. The fit uses the whole series, so these labels are descriptive (reports),
/// not a causal feature. States map to regimes: highest mean volatility -> HighVol; of the rest,
/// highest mean return -> Bull, lowest -> Bear, others -> Ranging.
std::vector<Regime> hmm_regimes(const BarSeries& bars, const HmmParams& params = {});

/// Per-regime counts, for reports: counts[static_cast<int>(regime)].
std::vector<std::int64_t> regime_counts(const std::vector<Regime>& regimes);

/// Regime labels kept in the database table `regimes` (symbol, timeframe, method, bar time).
/// Replaces the stored labels of (symbol, timeframe, method) in one transaction.
void store_regimes(Database& db, const BarSeries& bars, const std::string& method,
                   const std::vector<Regime>& regimes);
/// Stored regimes as (bar open time, regime), ascending; empty when none.
struct RegimeSeries {
    std::vector<TimeMs> time;
    std::vector<Regime> regime;
    /// Regime of the bar that opened at t, or of the last bar before t; Unknown before the first.
    Regime at(TimeMs t) const;
};
RegimeSeries load_regimes(Database& db, const std::string& symbol, Timeframe tf,
                          const std::string& method = "percentile");

} // namespace aurum
