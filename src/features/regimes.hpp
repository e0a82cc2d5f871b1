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
    int trend_window = 50;    ///< trend = close / SMA(trend_window) - 1
    int vol_window = 20;      ///< volatility = std of 1-bar log returns over vol_window
    int lookback = 500;       ///< percentiles are ranks within the trailing lookback values
    double high_vol_pct = 0.80; ///< vol percentile at or above this: HighVol
    double bull_pct = 0.60;   ///< trend percentile at or above this (and trend > 0): Bull
    double bear_pct = 0.40;   ///< trend percentile at or below this (and trend < 0): Bear
    int min_history = 100;    ///< percentile ranks need this many trailing values first
};

/// Streaming percentile regime classifier: trend = close / SMA - 1 and volatility = std of log
/// returns, each ranked within its trailing `lookback` values (O(lookback) per update).
class RegimeClassifier {
public:
    explicit RegimeClassifier(const RegimeParams& p);
    void update(const Bar& b);
    bool ready() const { return regime_ != Regime::Unknown; }
    Regime regime() const { return regime_; }
    void reset();

private:
    static double rank(const RingBuffer<double>& w, double x);
    RegimeParams p_;
    Sma sma_;
    RealizedVolCC vol_;
    RingBuffer<double> trends_, vols_;
    Regime regime_ = Regime::Unknown;
};

/// Per-bar regimes from trailing trend and volatility percentiles. Causal: the regime of bar i
/// uses bars 0..i only, computed by the same streaming RegimeClassifier the features use.
std::vector<Regime> classify_regimes(const BarSeries& bars, const RegimeParams& params = {});

/// Parameters of the Gaussian HMM regime model.
struct HmmParams {
    int states = 4;          ///< mapped to regimes by their mean volatility and return
    int vol_window = 20;     ///< observation 2 = log of rolling std of log returns
    int max_iter = 200;
    double tol = 1e-6;       ///< stop when the log-likelihood gains less than this per sample
    std::uint64_t seed = 42;
    int restarts = 3;        ///< best log-likelihood of this many seeded initialisations
};

/// Regimes from a Gaussian HMM fitted (Baum-Welch) on [1-bar log return, log volatility] and
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
