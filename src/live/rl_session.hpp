#pragma once
// `strategy: rl` in a session: which registered rl agents trade which symbols (the production
// agents, or the one named by `strategy.model` / `aurum run --model`), pinned per session like
// the model strategy's versions, and how each decision is stored (live_predictions' detail JSON,
// read by the dashboard's decision record).
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "live/session_strategy.hpp"
#include "rl/rl_agent_strategy.hpp"

namespace aurum {

/// symbol -> the rl agent trading it.
using RlAgents = std::map<std::string, std::shared_ptr<RlAgent>>;

/// Resolves `src.selection` (kind rl) for the session's symbols and loads every agent (one load
/// per version). InputError naming the model when it is unknown, not an rl agent, of another
/// timeframe, covers none of the symbols (or, with "production", when no symbol has a
/// production rl agent), or cannot be loaded.
RlAgents load_rl_agents(const ModelSource& src);

/// The RlAgentStrategy of a session, with the agent versions pinned for `session_id` (resolved
/// and pinned on first use, so a recovery re-runs with the same versions).
SessionStrategy make_rl_session_strategy(const ModelSource& src, StateStore& store,
                                         const std::string& session_id, RlDecisionSink* sink);

/// What `aurum health` shows for an rl session: the agent per symbol (model null: not traded),
/// in models_status's shape (kind "rl", plus the agent's level).
nlohmann::json rl_models_status(const RlAgentStrategy& s, const std::vector<std::string>& symbols);

/// The detail JSON stored with a decision: model, kind "rl", level (tactical|strategic),
/// target, action level index, allocation (strategic), regime, and the reason in words
/// ("RL agent: target 25.0 % (level 2)").
nlohmann::json rl_decision_json(const RlDecision& d);

} // namespace aurum
