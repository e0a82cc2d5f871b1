#pragma once
// A deterministic synthetic multi-asset market for the offline demo and for tests: a hidden
// regime Markov chain (bull, bear, ranging, high volatility), GARCH(1,1) volatility clustering,
// jumps, cross-asset correlation, intrabar paths for OHLC, volume tied to |return|, a spread
// series for CFDs, and bars only while each instrument's sessions are open. Identical output on
// every platform for a given seed (own RNG distributions, no std:: distributions).
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/bar_series.hpp"
#include "core/instrument.hpp"

namespace aurum {

/// Hidden market state driving drift, volatility, jumps and volume.
enum class SynthRegime : std::uint8_t { Bull = 0, Bear = 1, Ranging = 2, HighVol = 3 };
inline constexpr int kSynthRegimeCount = 4;
/// "bull", "bear", "ranging", "high_vol".
std::string to_string(SynthRegime r);

/// How one regime moves prices. Drifts are annualised log returns; multipliers scale the asset's
/// base volatility, jump probability and volume.
struct SynthRegimeParams {
    double annual_drift = 0.0;
    double vol_mult = 1.0;
    double jump_mult = 1.0;
    double volume_mult = 1.0;
    double mean_days = 20.0; ///< expected time spent in the regime before switching
};

/// One synthetic instrument.
struct SynthAsset {
    Instrument instrument;
    double start_price = 100.0;
    double annual_vol = 0.6;     ///< base volatility (annualised, of log returns)
    double regime_beta = 1.0;    ///< how strongly regime drift/vol applies (gold: less)
    double base_volume = 1000.0; ///< mean volume per hour in a calm regime
    double base_spread = 0.0;    ///< spread in price units; 0: no spread column
};

/// Everything that determines the generated market (with the seed, nothing else does).
struct SynthConfig {
    std::vector<SynthAsset> assets;
    std::vector<std::vector<double>> correlation; ///< assets x assets, symmetric positive definite
    Timeframe timeframe{kMsPerHour};
    TimeMs start = 0;
    TimeMs end = 0; ///< exclusive: bars open in [start, end)
    std::uint64_t seed = 42;
    /// Pure noise: i.i.d. Gaussian returns, zero drift, constant volatility, no regimes (always
    /// ranging), no jumps, no correlation: a market with no edge to find.
    bool noise = false;
    std::array<SynthRegimeParams, kSynthRegimeCount> regimes{};
    /// Where a regime goes when it switches (rows: from; diagonal ignored; rows renormalised).
    std::array<std::array<double, kSynthRegimeCount>, kSynthRegimeCount> switch_weights{};
    double garch_alpha = 0.08, garch_beta = 0.90; ///< unit-variance GARCH(1,1) on the shocks
    double jump_prob_per_day = 0.1; ///< market-wide jump events per day (times regime jump_mult)
    double jump_size_sigmas = 6.0;  ///< jump s.d. in multiples of the base per-bar volatility
    double closed_vol_mult = 0.15;  ///< latent volatility while an instrument's market is shut
    int intrabar_steps = 12;        ///< points of the intrabar path that set high and low

    /// Defaults for `symbols` (BTC/USDT, ETH/USDT, SOL/USDT, XAUUSD when empty) looked up in
    /// `registry`, over [start, start + days). Unknown symbols throw InputError.
    static SynthConfig defaults(const InstrumentRegistry& registry,
                                std::vector<std::string> symbols, Timeframe tf, TimeMs start,
                                int days, std::uint64_t seed, bool noise);
};

/// The generated market and its hidden truth.
struct SynthMarket {
    std::vector<BarSeries> series; ///< one per asset, in config order
    std::vector<TimeMs> steps;     ///< every step of the common clock, open times
    std::vector<SynthRegime> regimes;   ///< true regime at each step (same length as steps)
};

/// Deterministic for a given config (including seed). Throws InputError for a bad config
/// (correlation not positive definite, end <= start, ...).
SynthMarket generate_synthetic_market(const SynthConfig& config);

/// Deterministic RNG (exposed for tests): std::mt19937_64 bits turned into numbers by our own
/// code, since std:: distributions differ between standard libraries.
class SynthRng {
  public:
    explicit SynthRng(std::uint64_t seed);
    double uniform(); ///< in (0, 1)
    double normal();  ///< standard normal (Box-Muller, both values used)

  private:
    std::mt19937_64 engine_; // its output sequence is fixed by the C++ standard
    bool has_spare_ = false;
    double spare_ = 0.0;
};

/// Lower-triangular L with L * L^T = m (row-major). Throws InputError when m is not symmetric
/// positive definite.
std::vector<std::vector<double>> cholesky(const std::vector<std::vector<double>>& m);

} // namespace aurum
