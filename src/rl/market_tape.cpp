#include "rl/market_tape.hpp"

#include <cmath>

#include "core/error.hpp"
#include "features/feature_context.hpp"

namespace aurum {

MarketTape build_market_tape(const Instrument& instrument, BarSeries bars,
                             const FeatureSetDef& def, const RegimeParams& regimes) {
    if (bars.empty()) throw InputError("rl: no bars for " + instrument.symbol);
    MarketTape t;
    t.instrument = instrument;
    t.bars = std::move(bars);
    InstrumentRegistry registry;
    registry.add(instrument);
    FeatureInputs inputs;
    inputs.instruments = &registry;
    const FeatureContext ctx = build_feature_context(def, t.bars.symbol, t.bars.timeframe,
                                                     t.bars.has_spread(), inputs);
    FeaturePipeline pipe(def, ctx);
    RegimeClassifier classifier(regimes);
    const std::size_t n = t.bars.size();
    t.columns = pipe.names().size();
    t.rows.assign(n * t.columns, 0.0f);
    t.ready.assign(n, 0);
    t.regime.assign(n, Regime::Unknown);
    t.first_ready = n;
    for (std::size_t k = 0; k < n; ++k) {
        const Bar b = t.bars.at(k);
        bool ok = pipe.update(b);
        classifier.update(b);
        t.regime[k] = classifier.regime();
        const auto row = pipe.row();
        for (std::size_t c = 0; ok && c < t.columns; ++c) ok = std::isfinite(row[c]);
        if (!ok) continue; // warming up (or after a gap): the row stays zero, ready = 0
        for (std::size_t c = 0; c < t.columns; ++c)
            t.rows[k * t.columns + c] = static_cast<float>(row[c]);
        t.ready[k] = 1;
        if (t.first_ready == n) t.first_ready = k;
    }
    return t;
}

namespace {
template <class V> void copy_window(V& dst, const V& src, std::size_t from, std::size_t n) {
    dst.assign(src.begin() + static_cast<std::ptrdiff_t>(from),
               src.begin() + static_cast<std::ptrdiff_t>(from + n));
}
} // namespace

void copy_bar_window(BarSeries& dst, const BarSeries& src, std::size_t from, std::size_t n) {
    dst.symbol = src.symbol;
    dst.timeframe = src.timeframe;
    dst.has_spread_column = src.has_spread_column;
    copy_window(dst.time, src.time, from, n);
    copy_window(dst.open, src.open, from, n);
    copy_window(dst.high, src.high, from, n);
    copy_window(dst.low, src.low, from, n);
    copy_window(dst.close, src.close, from, n);
    copy_window(dst.volume, src.volume, from, n);
    if (src.has_spread()) copy_window(dst.spread, src.spread, from, n);
}

} // namespace aurum
