#pragma once
// The registry model as a backtest strategy: what `aurum backtest --strategy model` and Python's
// `BacktestEngine(model=...)` run. It is the ModelStrategy of paper/live (streaming features,
// the model's decision policy, the sizer) over stored bars, through the same request path as
// every rule strategy (backtest/run_backtest_request).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backtest/strategies.hpp"
#include "core/workspace.hpp"
#include "models/model_strategy.hpp"

namespace aurum {

/// The models a model backtest trades, resolved and loaded.
struct BacktestModels {
    std::vector<std::string> symbols; ///< as asked, or the named model's symbols
    std::string timeframe;            ///< as asked, or the named model's timeframe
    std::map<std::string, std::shared_ptr<const LiveModel>> by_symbol;
    std::string label; ///< run label: "model-gbdt-BTCUSDT-4h-v3" (one model) or "model-production"
};

/// Resolves `selection` for `symbols` at `timeframe` (either may be empty for a named model: its
/// own) and loads the versions (LiveModel::load's checks). InputError when nothing resolves
/// ("no production 4h model for BTC/USDT"), or for resolve_models' and load's refusals.
BacktestModels load_backtest_models(const Workspace& ws, std::vector<std::string> symbols,
                                    std::string timeframe, const ModelSelection& selection);

/// A StrategySpec whose `build` makes the ModelStrategy of `models` sized by `sizing`; every
/// prediction goes to `sink` (may be null; it must outlive the run).
StrategySpec model_strategy_spec(const BacktestModels& models, const SizingConfig& sizing,
                                 PredictionSink* sink = nullptr);

} // namespace aurum
