#pragma once
// The production model as a backtest/paper/live Strategy: per symbol, the streaming feature
// pipeline (the code that built the training matrix) is fed each closed bar, the symbol's
// registry model predicts a calibrated P(up), the model's own DecisionPolicy turns it into a
// target position, and a Sizer sizes it. Every prediction, with its top contributing features,
// goes to an injected sink (the live layer stores them). Same decisions as the walk-forward's
// `signals` backtest of that model, bar for bar.
#include <array>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backtest/sizing.hpp"
#include "backtest/strategy.hpp"
#include "features/feature_context.hpp"
#include "features/feature_set.hpp"
#include "models/decision_policy.hpp"
#include "models/registry.hpp"
#include "models/training_pipeline.hpp"

namespace aurum {

class GbdtModel;
class EnsembleModel;
struct EnsembleVote;

/// A registry version loaded for bar-by-bar use: the model, its calibrator and edge, the policy
/// and costs it was validated with (its models.yaml snapshot), and its feature set.
struct LiveModel {
    ModelRecord record;
    TrainedModel trained;
    ModelsConfig config;    ///< the training-time models.yaml (policy, costs, label horizon)
    FeatureSetDef features; ///< current definition of record.feature_set_name (same ID)
    const GbdtModel* gbdt = nullptr; ///< fast path: in-place predict + one-row contributions
    const EnsembleModel* ensemble = nullptr; ///< each prediction also reports its members' votes

    /// "gbdt-BTCUSDT-4h v3"
    std::string label() const;
    /// Loads `record` against the current feature config: refuses (InputError) a model whose
    /// feature-set ID differs (load_registered's check), a set that needs reference symbols or
    /// external series, or missing/corrupt files.
    static std::shared_ptr<const LiveModel> load(const ModelRecord& record,
                                                 const FeatureConfig& current);
};

/// One feature's share of one prediction.
struct FeatureContribution {
    const std::string* name = nullptr;
    double value = 0; ///< SHAP value in log-odds (GBDT) or global importance (other models)
};

/// One prediction as the strategy made it. Pointers stay valid for the call only.
struct PredictionEvent {
    static constexpr std::size_t kTop = 5;
    TimeMs time = 0; ///< open time of the bar decided on (known at its close)
    InstrumentId instrument = 0;
    const std::string* symbol = nullptr;
    const LiveModel* model = nullptr;
    double p_up = 0.5;                   ///< calibrated
    double target = 0;                   ///< the policy's position: 1 long, 0 flat, -1 short
    double expected_value = 0;           ///< after round-trip costs
    const std::string* reason = nullptr; ///< the policy's words (empty unless a sink explains)
    std::array<FeatureContribution, kTop> top{};
    std::size_t n_top = 0;
    bool shap = false; ///< top[] are per-prediction contributions (GBDT)
    /// Ensemble models: each member's calibrated P(up) and the weighted agreement (else null).
    const EnsembleVote* vote = nullptr;
};

/// Receives predictions and notices (e.g. "ETH/USDT: no production model; not traded").
class PredictionSink {
  public:
    virtual ~PredictionSink() = default;
    virtual void on_prediction(const PredictionEvent& e) = 0;
    virtual void on_notice(const std::string& text) { (void)text; }
    /// True: the policy formats its reason for every prediction (live); false: hot loops skip it.
    virtual bool wants_reasons() const { return true; }
};

/// The model-driven strategy. Symbols without a model are never traded (a notice says so once).
class ModelStrategy final : public Strategy {
  public:
    /// `models`: symbol -> loaded model (null or absent: no model for that symbol). A
    /// multi-symbol model (GNN) is passed once per symbol it covers (the same pointer).
    ModelStrategy(std::map<std::string, std::shared_ptr<const LiveModel>> models,
                  SizingConfig sizing, PredictionSink* sink = nullptr);
    ~ModelStrategy() override;

    std::string name() const override { return "model"; }
    void on_start(StrategyContext& ctx) override;
    void on_bar(StrategyContext& ctx, InstrumentId i) override;

    /// Swaps the model of every symbol `model` covers (between steps), from the next bar on.
    /// An open position is carried over into the new model's policy. Returns the symbols swapped.
    std::vector<std::string> swap_model(std::shared_ptr<const LiveModel> model);
    /// Stops using the model `name` (every version): its symbols have no model from the next
    /// bar on and are not traded. Returns the symbols dropped.
    std::vector<std::string> drop_model(const std::string& name);
    /// The highest version of `name` dropped by drop_model (0: never dropped).
    int withdrawn_version(const std::string& name) const;
    /// The model in use for `symbol` (null: none).
    std::shared_ptr<const LiveModel> model_for(const std::string& symbol) const;
    std::size_t predictions() const { return predictions_; }
    /// Where reference symbols' bars come from (cross-asset sets), loaded up to `to`
    /// (exclusive). Without a market store a set that needs reference bars is not traded.
    void set_feature_inputs(FeatureInputs inputs, TimeMs to = INT64_MAX);
    /// Real time: appends reference bars stored since they were loaded. Returns how many.
    std::size_t append_new_reference_bars(MarketStore& market);

  private:
    struct PerSymbol;
    struct Group;
    void start_symbol(InstrumentId i);
    void process_step(StrategyContext& ctx);
    void predict_group(Group& g, TimeMs t);
    void emit(PerSymbol& s, InstrumentId i, TimeMs bar_time, double p, const Decision& d,
              const EnsembleVote* vote = nullptr);
    void rebuild_groups();

    std::map<std::string, std::shared_ptr<const LiveModel>> by_symbol_;
    std::map<std::string, int> withdrawn_; ///< name -> highest version dropped
    Sizer sizer_;
    PredictionSink* sink_;
    std::vector<PerSymbol> sym_;
    std::vector<Group> groups_;
    bool groups_dirty_ = true;
    TimeMs step_time_ = std::numeric_limits<TimeMs>::min();
    std::size_t predictions_ = 0;
    std::string empty_reason_;
    FeatureInputs inputs_;
    TimeMs references_to_ = INT64_MAX;
};

/// Which registry versions a session trades with.
struct ModelSelection {
    /// "production" (each symbol's production model), or a registry name (its production
    /// version, or `version` when > 0).
    std::string model = "production";
    int version = 0;
    /// Preferred kind when several production models cover a symbol. "rl" selects rl agents
    /// only (`strategy: rl`); any other kind never selects one.
    std::string kind = "gbdt";
};

/// Resolves a selection for `symbols` at `timeframe`: symbol -> record (absent: none). With
/// "production", a symbol's candidates are production models of that timeframe covering it;
/// the preferred kind wins, then the fewest symbols, then the name. InputError for an unknown
/// name or version, or a named model that is not of this timeframe.
std::map<std::string, ModelRecord> resolve_models(const ModelRegistry& registry,
                                                  const std::vector<std::string>& symbols,
                                                  const std::string& timeframe,
                                                  const ModelSelection& selection);

} // namespace aurum
