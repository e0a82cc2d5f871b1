#pragma once
// `aurum retrain` and the daemon's weekly retrain job: for each symbol (GNN: all together) train,
// walk-forward and gate exactly as `aurum train --promote` does, promote only when gating passes,
// and audit it with the reason. Whether a result is hot-swapped into a running daemon is decided
// here once (hot_swap_wanted); sending the journaled model_reload is the caller's part.
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/instrument.hpp"
#include "core/workspace.hpp"
#include "data/market_store.hpp"
#include "live/state_store.hpp"

namespace aurum {

/// What to retrain.
struct RetrainRequest {
    std::string model = "all";        ///< all | gbdt | lstm | gnn | ensemble
    std::vector<std::string> symbols; ///< empty: the running/latest session's
    std::string timeframe;            ///< empty: the running/latest session's
    std::string reason;               ///< required (audit log)
    bool force = false;               ///< promote even when gating fails (logged loudly)
    TimeRange range;                  ///< training data (default: everything in the store)
};

/// One model's outcome.
struct RetrainResult {
    std::string name, kind;
    std::vector<std::string> symbols;
    int version = 0;     ///< the new candidate
    bool passed = false; ///< gating
    bool promoted = false;
    int production_before = 0; ///< 0: none
    int production_after = 0;
    std::string line; ///< "gbdt-BTCUSDT-4h v3: gating FAILED (...); production unchanged (v2)"
    nlohmann::json to_json() const;
};

/// Fills in defaults (symbols/timeframe from the session) and checks everything (model kind,
/// reason, symbols known and with bars) before anything is written. InputError otherwise.
RetrainRequest resolve_retrain(const RetrainRequest& req, MarketStore& store,
                               const InstrumentRegistry& instruments);

/// Runs a resolved request; audits each model in the state store.
std::vector<RetrainResult> run_retrain(MarketStore& store, const InstrumentRegistry& instruments,
                                       const Workspace& ws, const RetrainRequest& req,
                                       const Clock& clock);

/// What a running daemon trades, as its health reports it: the hot-swap rule's input.
struct DaemonModels {
    std::set<std::string> in_use;         ///< model names it has loaded
    std::set<std::string> uncovered;      ///< its symbols without a model
    std::string selection = "production"; ///< live.yaml strategy.model
    int pinned_version = 0;               ///< live.yaml strategy.version (> 0: never swapped)
    /// From `/api/health` (model.models, model.selection).
    static DaemonModels from_health(const nlohmann::json& health);
};

/// The one hot-swap rule (weekly retrain job and `aurum retrain`): swap a result in when it was
/// promoted, the daemon follows production rather than a pinned version, selects it (by name
/// or "production"), and trades that model or has a symbol it covers without a model.
bool hot_swap_wanted(const RetrainResult& r, const DaemonModels& d);

} // namespace aurum
