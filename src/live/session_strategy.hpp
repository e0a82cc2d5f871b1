#pragma once
// The session's trading strategy: the registry model (`strategy: {name: model}`) or a rule
// strategy, plus the sink that stores the model's predictions with the session's commits. The
// model versions a session starts with are pinned in the state store, so a recovery re-runs
// the session with the same versions; swaps are journaled `model_reload` commands.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backtest/strategies.hpp"
#include "live/state_store.hpp"
#include "models/model_strategy.hpp"
#include "rl/rl_agent_strategy.hpp"

namespace aurum {

/// Predictions (and rl agents' decisions) waiting for the next commit (stored in the same
/// transaction as the snapshot, so a recovery neither loses nor duplicates them).
class PredictionBuffer final : public PredictionSink, public RlDecisionSink {
  public:
    struct Item {
        TimeMs time = 0;
        std::string symbol;
        double p = 0;
        std::string detail; ///< JSON: model, signal, EV, reason, top features
    };
    void on_prediction(const PredictionEvent& e) override;
    void on_notice(const std::string& text) override;
    /// Stored like a prediction: value = the target, detail = rl_decision_json.
    void on_rl_decision(const RlDecision& d) override;
    std::vector<Item> take();
    void clear() { items_.clear(); }
    const std::vector<std::string>& notices() const { return notices_; }

  private:
    std::vector<Item> items_;
    std::vector<std::string> notices_;
};

/// The strategy a session runs; `model` is set when it is the ModelStrategy.
struct SessionStrategy {
    std::unique_ptr<Strategy> strategy;
    ModelStrategy* model = nullptr;
    RlAgentStrategy* rl = nullptr; ///< set for `strategy: rl`
};

/// Where the model strategy finds its registry and feature config.
struct ModelSource {
    std::filesystem::path workspace; ///< the workspace home
    ModelSelection selection;
    std::vector<std::string> symbols;
    std::string timeframe;
};

/// Builds the rule strategy of `spec`, or for spec.name == "model" the ModelStrategy with the
/// versions pinned for `session_id` (resolved from the registry and pinned on first use).
/// Throws InputError when a selected model is refused (feature set) or unknown.
/// The state-store key of the model versions a session pinned when it started (symbol ->
/// {name, version}); a recovery and `aurum monitor divergence` replay with the same versions.
std::string session_models_key(const std::string& session_id);

/// spec.name == "rl": the rl agents' strategy (live/rl_session.hpp), its decisions to `rl_sink`.
SessionStrategy make_session_strategy(const StrategySpec& spec, const ModelSource& src,
                                      StateStore& store, const std::string& session_id,
                                      PredictionSink* sink, RlDecisionSink* rl_sink = nullptr);

/// Loads `name` version `version` (0: its production version) for a model_reload; InputError
/// when unknown, of another timeframe, covering none of `symbols`, or refused.
std::shared_ptr<const LiveModel> load_for_reload(const ModelSource& src, const std::string& name,
                                                 int version);

/// One change that brings what a session trades in line with the registry.
struct ModelChange {
    std::string name;
    int version = 0;     ///< reload this version (unused when `unload`)
    bool unload = false; ///< withdraw `name`: no production version of it is left
};

/// What changed in the registry since `m` loaded its models: a version in use that was
/// archived (demoted, rolled back, archived) is replaced by its name's production version, or
/// unloaded when there is none; with selection "production" (or a name without a version) a
/// newer production version, or a first model for a symbol without one, is reloaded (never a
/// version the session unloaded).
std::vector<ModelChange> registry_changes(const ModelStrategy& m, const ModelSource& src);

/// What `aurum health` shows: models in use per symbol and the notices (symbols not traded).
nlohmann::json models_status(const ModelStrategy& m, const std::vector<std::string>& symbols,
                             const std::vector<std::string>& notices);

} // namespace aurum
