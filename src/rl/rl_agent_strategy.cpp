#include "rl/rl_agent_strategy.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"
#include "features/feature_context.hpp"
#include "risk/risk_manager.hpp"
#include "rl/agents_above.hpp"
#include "rl/execution_env.hpp"
#include "rl/rl_training.hpp"
#include "rl/strategic_env.hpp"
#include "rl/trading_env.hpp"

namespace aurum {

std::string RlAgent::label() const {
    return fmt::format("{} v{}", record.name, record.version);
}

std::shared_ptr<RlAgent> RlAgent::load(const ModelRegistry& registry, const ModelRecord& record) {
    auto a = std::make_shared<RlAgent>();
    a->config = stored_rl_config(record); // InputError for a model of another kind
    a->record = record;
    // Agents train and are evaluated on the built-in feature sets (build_training_market).
    const FeatureConfig fc = FeatureConfig::parse(FeatureConfig::default_yaml(), "features");
    if (fc.sets.find(record.feature_set_name) == fc.sets.end())
        throw InputError(fmt::format("{}: trained on feature set '{}', which the built-in "
                                     "features no longer define: retrain it",
                                     a->label(), record.feature_set_name));
    a->features = fc.get(record.feature_set_name);
    if (a->features.id() != record.feature_set_id)
        throw InputError(fmt::format("{}: trained on feature set '{}' {}, which is now {}: "
                                     "retrain it",
                                     a->label(), record.feature_set_name,
                                     record.feature_set_id.substr(0, 12),
                                     a->features.id().substr(0, 12)));
    if (auto gap = live_feature_gap(a->features))
        throw InputError(fmt::format("{}: {}", a->label(), *gap));
    const std::size_t obs = ObsLayout{a->features.column_names().size()}.size();
    if (a->config.agent.portfolio)
        throw InputError(fmt::format("{}: a portfolio agent allocates across symbols in one "
                                     "environment; the daemon trades one agent per symbol",
                                     a->label()));
    const bool execution = a->config.agent.execution;
    a->agent = load_registered_policy(record, obs + (execution ? kExecutionExtra : 0));
    if (a->agent->level() != a->config.level())
        throw InputError(fmt::format("{}: its level is {} but its stored rl.yaml trains a {} "
                                     "agent: re-register it",
                                     a->label(), a->agent->level(), a->config.level()));
    AgentsAbove above = load_agents_above(registry, record, obs);
    a->tactical = std::move(above.tactical);
    a->tactical_version = above.tactical_version;
    a->strategic = std::move(above.strategic);
    a->strategic_cadence = above.strategic_cadence;
    return a;
}

struct RlAgentStrategy::PerSymbol {
    RlAgent* agent = nullptr;                ///< null: not traded
    std::unique_ptr<FeatureContext> context; ///< outlives pipe
    std::unique_ptr<FeaturePipeline> pipe;
    std::unique_ptr<RegimeClassifier> regimes;
    HierarchyTrace trace; ///< a strategic agent's allocation and level, one call at a time
    ActionFn policy;      ///< fresh state per symbol (the strategic cadence)
    PolicyAgent* execution = nullptr; ///< execution agents: decides how each order goes out
    double parent_target = 0;         ///< the target the live limit was sent for
    ObsLayout layout;
    std::size_t fed = 0;
    bool ready = false;
};

RlAgentStrategy::RlAgentStrategy(std::map<std::string, std::shared_ptr<RlAgent>> agents,
                                 RlDecisionSink* sink)
    : agents_(std::move(agents)), sink_(sink), orders_(default_env_config().sizing) {}

RlAgentStrategy::~RlAgentStrategy() = default;

const RlAgent* RlAgentStrategy::agent_for(const std::string& symbol) const {
    const auto it = agents_.find(symbol);
    return it == agents_.end() ? nullptr : it->second.get();
}

void RlAgentStrategy::on_start(StrategyContext& ctx) {
    orders_.on_start(ctx);
    sym_.clear();
    sym_.resize(ctx.instrument_count()); // never resized again: the policies point into it
    std::size_t obs = 0;
    for (InstrumentId i = 0; i < ctx.instrument_count(); ++i) {
        const auto it = agents_.find(ctx.instrument(i).symbol);
        if (it == agents_.end() || !it->second)
            continue;
        PerSymbol& s = sym_[i];
        s.agent = it->second.get();
        s.trace.allocations.reserve(1);
        s.trace.levels.reserve(1);
        s.policy =
            agent_policy(*s.agent->agent, s.agent->tactical.get(), s.agent->config, &s.trace,
                         {s.agent->strategic.get(), s.agent->strategic_cadence});
        if (s.agent->config.agent.execution) s.execution = s.agent->agent.get();
        s.layout.features = s.agent->features.column_names().size();
        obs = std::max(obs, s.layout.size() + kExecutionExtra);
    }
    obs_.assign(obs, 0.0f);
    peak_ = 0;
}

void RlAgentStrategy::on_bar(StrategyContext& ctx, InstrumentId i) {
    orders_.on_bar(ctx, i); // the sizer's indicators, as in the environment
    PerSymbol& s = sym_[i];
    if (!s.agent)
        return;
    const BarView bars = ctx.bars(i);
    if (!s.pipe) {
        // Built at the first bar, when the series is known to carry a spread column or not (as
        // build_market_tape builds the tape's pipeline and classifier).
        InstrumentRegistry reg;
        reg.add(ctx.instrument(i));
        FeatureInputs inputs;
        inputs.instruments = &reg;
        s.context = std::make_unique<FeatureContext>(build_feature_context(
            s.agent->features, bars.symbol(), bars.timeframe(), !bars.spreads().empty(), inputs));
        s.pipe = std::make_unique<FeaturePipeline>(s.agent->features, *s.context);
        s.regimes = std::make_unique<RegimeClassifier>(RegimeParams{}); // build_market_tape's
    }
    for (; s.fed < bars.size(); ++s.fed) {
        const Bar b = bars.bar(s.fed);
        bool ok = s.pipe->update(b);
        s.regimes->update(b);
        for (double v : s.pipe->row())
            ok = ok && std::isfinite(v);
        s.ready = ok;
    }
    if (ctx.now() < first_decision_)
        return; // warming up
    decide(ctx, i, s);
}

void RlAgentStrategy::decide(StrategyContext& ctx, InstrumentId i, PerSymbol& s) {
    // TradingEnv::write_obs, slot by slot.
    const ObsLayout& L = s.layout;
    const std::span<float> obs(obs_.data(), L.size());
    const auto row = s.pipe->row();
    for (std::size_t c = 0; c < L.features; ++c)
        obs[c] = s.ready ? static_cast<float>(row[c]) : 0.0f;
    const Regime regime = s.regimes->regime();
    for (int r = 0; r < kRegimeCount; ++r)
        obs[L.regime() + static_cast<std::size_t>(r)] = static_cast<int>(regime) == r ? 1.0f : 0.0f;
    obs[L.ready()] = s.ready ? 1.0f : 0.0f;
    const double eq = ctx.equity();
    peak_ = std::max(peak_, eq);
    const double notional =
        ctx.position(i) * ctx.bars(i).last_close() * ctx.instrument(i).contract_size;
    obs[L.position()] = eq > 0 ? static_cast<float>(notional / eq) : 0.0f;
    obs[L.drawdown()] = peak_ > 0 ? static_cast<float>(std::max(0.0, 1 - eq / peak_)) : 0.0f;
    obs[L.entries_allowed()] = !risk_ || risk_->state().allows_entries() ? 1.0f : 0.0f;

    double target = s.policy(obs, L);
    // The environment's answer to a broken policy (TradingEnv::step): flat, or clipped.
    if (!std::isfinite(target))
        target = 0;
    target = std::clamp(target, -1.0, 1.0);
    RlDecision d;
    d.time = ctx.bars(i).last_time();
    d.symbol = &ctx.instrument(i).symbol;
    d.agent = s.agent;
    d.target = target;
    d.regime = regime;
    d.ready = s.ready;
    // The level chosen at this bar: the tactical agent's (under a hierarchy) or the agent's own.
    const PolicyAgent* bar_agent = s.agent->agent.get();
    double chosen = target;
    if (!s.trace.levels.empty()) {
        d.allocation = s.trace.allocations.back();
        chosen = s.agent->tactical ? s.trace.levels.back() : d.allocation;
        if (s.agent->tactical)
            bar_agent = s.agent->tactical.get();
        s.trace.allocations.clear(); // one entry per call: no growth
        s.trace.levels.clear();
    }
    if (s.execution) bar_agent = s.agent->tactical.get();
    if (bar_agent) {
        const auto& lv = bar_agent->levels();
        d.level = static_cast<std::size_t>(std::find(lv.begin(), lv.end(), chosen) - lv.begin());
    }
    send(ctx, i, s, obs, d);
    ++decisions_;
    if (sink_)
        sink_->on_rl_decision(d);
}

void RlAgentStrategy::send(StrategyContext& ctx, InstrumentId i, PerSymbol& s,
                           std::span<float> obs, RlDecision& d) {
    if (!s.execution) {
        d.ordered = orders_.apply(ctx, i, d.target);
        return;
    }
    // TradingEnv::send: a limit that had its bar is cancelled and the rest goes at market
    // toward the target it was sent for; that bar's own target waits.
    if (orders_.open_limit(ctx, i)) {
        orders_.cancel_limit(ctx, i);
        d.forced = true;
        d.limit_bps = 0;
        d.ordered = orders_.apply(ctx, i, s.parent_target);
        return;
    }
    const double q = orders_.order_qty(ctx, i, d.target);
    if (q != 0) {
        // execution_obs, from the account: side and size (notional / equity).
        const std::span<float> ext(obs_.data(), obs.size() + kExecutionExtra);
        const double eq = ctx.equity();
        ext[obs.size()] = q > 0 ? 1.0f : -1.0f;
        ext[obs.size() + 1] = eq > 0 ? static_cast<float>(std::fabs(q) * ctx.bars(i).last_close() *
                                                          ctx.instrument(i).contract_size / eq)
                                     : 0.0f;
        d.limit_bps = s.execution->act(ext);
        s.parent_target = d.target;
    }
    d.ordered = orders_.apply(ctx, i, d.target, std::max(0.0, d.limit_bps));
}

} // namespace aurum
