#include "models/model_backtest.hpp"

#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.hpp"
#include "core/instrument.hpp"
#include "core/timeframe.hpp"
#include "features/feature_context.hpp"

namespace aurum {

BacktestModels load_backtest_models(const Workspace& ws, std::vector<std::string> symbols,
                                    std::string timeframe, const ModelSelection& selection) {
    const ModelRegistry registry(ws.models_dir() / "registry", nullptr);
    const bool named = !selection.model.empty() && selection.model != "production";
    if ((symbols.empty() || timeframe.empty()) && !named)
        throw InputError("model: give the symbols and the timeframe, or a registry model name");
    if (named && (symbols.empty() || timeframe.empty())) {
        const auto rec = selection.version > 0 ? std::optional(registry.get(selection.model,
                                                                            selection.version))
                                               : registry.production(selection.model);
        if (!rec)
            throw InputError(fmt::format("model: '{}' has no production version; promote one or "
                                         "give a version",
                                         selection.model));
        if (symbols.empty())
            symbols = rec->symbols;
        if (timeframe.empty())
            timeframe = rec->timeframe;
    }
    for (auto& s : symbols)
        s = normalize_symbol(s);
    timeframe = Timeframe::parse_or_throw(timeframe).name();

    BacktestModels out;
    out.symbols = symbols;
    out.timeframe = timeframe;
    const auto resolved = resolve_models(registry, symbols, timeframe, selection);
    if (resolved.empty())
        throw InputError(fmt::format("model: no {} {} model for {} (train one with `aurum train` "
                                     "and promote it)",
                                     named ? selection.model : "production", timeframe,
                                     fmt::join(symbols, ", ")));
    const FeatureConfig features = workspace_feature_config(ws);
    std::map<std::pair<std::string, int>, std::shared_ptr<const LiveModel>> loaded;
    for (const auto& [sym, rec] : resolved) {
        auto& m = loaded[{rec.name, rec.version}];
        if (!m)
            m = LiveModel::load(rec, features);
        out.by_symbol[sym] = m;
    }
    out.label = loaded.size() == 1 ? fmt::format("model-{}-v{}", loaded.begin()->first.first,
                                                 loaded.begin()->first.second)
                                   : std::string("model-production");
    return out;
}

StrategySpec model_strategy_spec(const BacktestModels& models, const SizingConfig& sizing,
                                 PredictionSink* sink) {
    StrategySpec spec;
    spec.name = models.label;
    spec.sizing = sizing;
    spec.build = [by_symbol = models.by_symbol, sizing, sink] {
        return std::make_unique<ModelStrategy>(by_symbol, sizing, sink);
    };
    return spec;
}

} // namespace aurum
