#pragma once
// A registered rl agent as a paper/live Strategy (`strategy: rl`): per symbol, the streaming
// feature pipeline and regime classifier of the agent's market tape are fed each closed bar, the
// observation is written exactly as TradingEnv writes it (features, regime one-hot, ready,
// position, drawdown from the peak since the first decision, entries allowed), the greedy policy
// (tactical, or the strategic hierarchy over its tactical agent) answers with a target fraction
// of equity, and ActionStrategy orders toward it with the environment's rule and sizing. Every
// decision goes to an injected sink (the live layer stores it with the session's predictions).
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "features/feature_set.hpp"
#include "features/regimes.hpp"
#include "models/registry.hpp"
#include "rl/action_strategy.hpp"
#include "rl/policy_agent.hpp"
#include "rl/rl_config.hpp"

namespace aurum {

class RiskManager;

/// A registered rl agent loaded for trading: its policy (and the tactical agent below a strategic
/// one), the config it was trained with and the feature set its observations use.
struct RlAgent {
    ModelRecord record;
    RlConfig config;
    std::unique_ptr<PolicyAgent> agent;
    /// strategic agents: the agent below; execution agents: the agent above (may be null: the
    /// regime-trend rule decides the targets)
    std::unique_ptr<PolicyAgent> tactical;
    int tactical_version = 0;
    /// execution agents under a strategic hierarchy: the strategic agent (over `tactical`)
    std::unique_ptr<PolicyAgent> strategic;
    std::size_t strategic_cadence = 0;
    FeatureSetDef features; ///< the built-in set the agent was trained on (same ID)

    /// "rl-tactical v1"
    std::string label() const;
    /// Loads `record` (kind rl) and, for a strategic or execution agent, its tactical agent from
    /// `registry`. InputError naming the model when it is not an rl agent (or a portfolio
    /// agent), its feature set changed, its files are missing or its observation size does not
    /// match the feature set.
    static std::shared_ptr<RlAgent> load(const ModelRegistry& registry, const ModelRecord& record);
};

/// One decision of the agent at a bar's close.
struct RlDecision {
    TimeMs time = 0; ///< open time of the bar decided on (known at its close)
    const std::string* symbol = nullptr;
    const RlAgent* agent = nullptr;
    double target = 0;     ///< the policy's target fraction of equity
    std::size_t level = 0; ///< index of the action level (the tactical level under a hierarchy)
    double allocation = std::numeric_limits<double>::quiet_NaN(); ///< strategic: the allocation
    Regime regime = Regime::Unknown; ///< the causal regime the agent saw
    bool ready = false;              ///< every feature was warm
    bool ordered = false;            ///< an order toward the target was sent
    /// Execution agents: how the order went out (limit offset in bps, 0 market, -1 no order);
    /// `forced`: a limit unfilled for a bar, cancelled and the rest sent at market (the bar's
    /// own target then waits, as in the environment).
    double limit_bps = -1;
    bool forced = false;
};

/// Receives the agent's decisions (pointers valid for the call only).
class RlDecisionSink {
  public:
    virtual ~RlDecisionSink() = default;
    virtual void on_rl_decision(const RlDecision& d) = 0;
};

/// The rl agents' strategy. Symbols without an agent are never traded.
class RlAgentStrategy final : public Strategy {
  public:
    /// `agents`: symbol -> the agent trading it (one agent may trade several symbols: the same
    /// pointer, each symbol with its own policy state); `sink` may be null.
    explicit RlAgentStrategy(std::map<std::string, std::shared_ptr<RlAgent>> agents,
                             RlDecisionSink* sink = nullptr);
    ~RlAgentStrategy() override;

    std::string name() const override { return "rl"; }
    void on_start(StrategyContext& ctx) override;
    void on_bar(StrategyContext& ctx, InstrumentId i) override;
    void resync() override { orders_.resync(); }

    /// The account whose state fills the observation's "entries allowed" slot (null: allowed).
    void set_risk_manager(const RiskManager* risk) { risk_ = risk; }
    /// Decisions start at the bar closing at `close` (a session's first tradable bar), as an
    /// environment episode starts at its first bar: the strategic cadence and the drawdown's
    /// peak count from there. Before it the features only warm up.
    void set_first_decision_close(TimeMs close) { first_decision_ = close; }
    /// The agent trading `symbol` (null: none).
    const RlAgent* agent_for(const std::string& symbol) const;
    std::size_t decisions() const { return decisions_; }

  private:
    struct PerSymbol;
    void decide(StrategyContext& ctx, InstrumentId i, PerSymbol& s);
    /// Orders toward the decision's target; an execution agent chooses market or a limit.
    void send(StrategyContext& ctx, InstrumentId i, PerSymbol& s, std::span<float> obs,
              RlDecision& d);

    std::map<std::string, std::shared_ptr<RlAgent>> agents_;
    RlDecisionSink* sink_;
    const RiskManager* risk_ = nullptr;
    ActionStrategy orders_;
    std::vector<PerSymbol> sym_;
    std::vector<float> obs_;
    TimeMs first_decision_ = std::numeric_limits<TimeMs>::min();
    double peak_ = 0;
    std::size_t decisions_ = 0;
};

} // namespace aurum
