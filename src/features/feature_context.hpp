#pragma once
// The one place a feature pipeline's inputs are gathered (reference symbols' bars, external
// series, the symbol's trading sessions), used by `features build`, training and the live model,
// so a set that builds also trains and trades, or is refused before it is promoted.
#include <optional>
#include <string>

#include "core/instrument.hpp"
#include "core/timeframe.hpp"
#include "data/market_store.hpp"
#include "features/external_data.hpp"
#include "features/feature_set.hpp"

namespace aurum {

class Workspace;

/// The workspace's config/features.yaml, or the built-in sets when it has none.
FeatureConfig workspace_feature_config(const Workspace& ws);

/// Where a context's inputs come from. A null store means "not available here": a set that
/// needs it fails with an InputError that says so.
struct FeatureInputs {
    MarketStore* market = nullptr;                   ///< reference symbols' bars
    ExternalStore* externals = nullptr;              ///< external daily series
    const InstrumentRegistry* instruments = nullptr; ///< trading sessions (default: crypto 24/7)
};

/// The context of `def` for `symbol`: reference bars from the start of their history up to `to`
/// (exclusive; their windows are warm when the symbol's range starts; each feature joins them
/// as of its bar's close, so bars past a decision are never seen), and external series.
FeatureContext build_feature_context(const FeatureSetDef& def, const std::string& symbol,
                                     Timeframe timeframe, bool has_spread,
                                     const FeatureInputs& inputs, TimeMs to = INT64_MAX);

/// Real time: appends the reference bars stored since the context was built. Returns how many.
std::size_t append_new_reference_bars(FeatureContext& ctx, MarketStore& market);

/// Why `def` cannot run in the trading daemon (nullopt: it can). The daemon feeds reference
/// symbols from its store; external series have no live source.
std::optional<std::string> live_feature_gap(const FeatureSetDef& def);

} // namespace aurum
