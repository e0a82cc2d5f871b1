#pragma once
// One symbol's history prepared for the RL environment: its bars, the feature rows the streaming
// FeaturePipeline produced at each bar's close, and the causal regime. Built once by feeding the
// bars in order through the same pipeline and classifier the live engine uses, then shared
// read-only by every environment that trades the symbol.
#include <cstdint>
#include <vector>

#include "core/bar_series.hpp"
#include "core/instrument.hpp"
#include "features/feature_set.hpp"
#include "features/regimes.hpp"

namespace aurum {

/// Bars plus what a policy may know at each bar's close (row k uses bars 0..k only).
struct MarketTape {
    Instrument instrument;
    BarSeries bars;
    std::size_t columns = 0;         ///< features per row
    std::vector<float> rows;         ///< bars x columns, row-major; zeros where not ready
    std::vector<std::uint8_t> ready; ///< per bar: every feature warmed up
    std::vector<Regime> regime;      ///< per bar: the causal percentile regime (Unknown in warm-up)
    std::size_t first_ready = 0;     ///< first bar with ready features (bars.size() when none)

    const float* row(std::size_t k) const { return rows.data() + k * columns; }
};

/// Builds the tape of `bars` with feature set `def` (sets needing reference symbols or external
/// series throw InputError: the environment has no store) and the regime classifier `regimes`.
MarketTape build_market_tape(const Instrument& instrument, BarSeries bars,
                             const FeatureSetDef& def, const RegimeParams& regimes = {});

/// Copies bars [from, from + n) of `src` into `dst`, reusing its buffers: an episode's slice.
void copy_bar_window(BarSeries& dst, const BarSeries& src, std::size_t from, std::size_t n);

} // namespace aurum
