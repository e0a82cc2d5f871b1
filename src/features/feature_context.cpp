#include "features/feature_context.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "core/error.hpp"
#include "core/workspace.hpp"

namespace aurum {

FeatureConfig workspace_feature_config(const Workspace& ws) {
    const auto path = ws.config_file("features.yaml");
    if (std::filesystem::exists(path)) return FeatureConfig::load_file(path.string());
    return FeatureConfig::parse(FeatureConfig::default_yaml(), "<built-in features.yaml>");
}

FeatureContext build_feature_context(const FeatureSetDef& def, const std::string& symbol,
                                     Timeframe timeframe, bool has_spread,
                                     const FeatureInputs& in, TimeMs to) {
    FeatureContext ctx;
    ctx.symbol = symbol;
    ctx.timeframe = timeframe;
    ctx.has_spread = has_spread;
    if (in.instruments)
        if (auto inst = in.instruments->find(symbol)) ctx.sessions = inst->sessions;
    for (const auto& ref : def.reference_symbols()) {
        if (!in.market)
            throw InputError(fmt::format("feature set '{}' needs {} bars, and no market store is "
                                         "available here",
                                         def.name, ref));
        BarSeries bars = in.market->load_bars(ref, timeframe, TimeRange{INT64_MIN, to});
        if (bars.empty())
            throw InputError(fmt::format("feature set '{}' needs {} {} bars in the store (import "
                                         "them first with `aurum data import`)",
                                         def.name, ref, timeframe.name()));
        bars.symbol = ref;
        bars.timeframe = timeframe;
        ctx.references[ref] = std::move(bars);
    }
    for (const auto& name : def.external_series()) {
        if (!in.externals)
            throw InputError(fmt::format("feature set '{}' needs the external series '{}', which "
                                         "is not available here",
                                         def.name, name));
        ctx.externals[name] = in.externals->load(name);
    }
    return ctx;
}

std::size_t append_new_reference_bars(FeatureContext& ctx, MarketStore& market) {
    std::size_t added = 0;
    for (auto& [symbol, bars] : ctx.references) {
        const TimeMs after = bars.empty() ? INT64_MIN : bars.time.back() + 1;
        const BarSeries more = market.load_bars(symbol, ctx.timeframe, TimeRange{after, INT64_MAX});
        for (std::size_t k = 0; k < more.size(); ++k) bars.push_back(more.at(k));
        added += more.size();
    }
    return added;
}

std::optional<std::string> live_feature_gap(const FeatureSetDef& def) {
    const auto ext = def.external_series();
    if (ext.empty()) return std::nullopt;
    return fmt::format("feature set '{}' needs the external series '{}', which the trading daemon "
                       "has no live source for; models that trade must use sets built from bars "
                       "(their own and reference symbols')",
                       def.name, ext.front());
}

} // namespace aurum
