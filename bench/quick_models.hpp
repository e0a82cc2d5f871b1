#pragma once
// What the live latency benchmarks share: a small but real models.yaml that trades often.
#include <string>
#include <vector>

#include "core/workspace.hpp"
#include "data/market_store.hpp"
#include "models/training_pipeline.hpp"

namespace aurum::bench {

/// The shipped models.yaml with 3 folds of 100 rounds, a low entry threshold and no costs in the
/// policy's expected value, so the GBDT enters on a small edge: latency, not profit, is measured
/// (the fills still pay the session's fees and slippage).
inline std::string quick_trading_models_yaml() {
    std::string yaml = default_models_yaml();
    auto set = [&](const std::string& from, const std::string& to) {
        const auto p = yaml.find(from);
        if (p != std::string::npos) yaml.replace(p, from.size(), to);
    };
    set("folds: 5", "folds: 3");
    set("rounds: 400", "rounds: 100");
    set("threshold: 0.70", "threshold: 0.52");
    set("fee: 0.001", "fee: 0.0");
    set("spread_bps: 2", "spread_bps: 0");
    set("slippage_bps: 2", "slippage_bps: 0");
    return yaml;
}

/// Trains a GBDT per symbol on `range` of the stored bars and force-promotes it, as `aurum train
/// --promote --force` would (the registry clock at `now`). Returns the models' feature count.
inline std::size_t train_promoted_gbdts(MarketStore& store, const Workspace& ws,
                                        const std::vector<std::string>& symbols, Timeframe tf,
                                        TimeRange range, TimeMs now) {
    InstrumentRegistry reg;
    std::size_t features = 0;
    for (const auto& sym : symbols) {
        TrainRequest r;
        r.kind = "gbdt";
        r.symbols = {sym};
        r.timeframe = tf;
        r.range = range;
        r.promote = true;
        r.force = true;
        SimulatedClock clock(now);
        features = run_training(store, reg, ws, r, clock).record->extra.at("feature_names").size();
    }
    return features;
}

} // namespace aurum::bench
