#pragma once
// The agents a registered rl agent was trained with, loaded from the registry: the tactical
// agent below a strategic one (or above an execution one), and the strategic agent above an
// execution agent (the three-level hierarchy). Shared by the CLI and the daemon's strategy.
#include <cstddef>
#include <memory>

#include "models/registry.hpp"
#include "rl/policy_agent.hpp"
#include "rl/rl_training.hpp"

namespace aurum {

/// The policy of a registered rl version; with `obs_size` > 0 refused (InputError naming it)
/// unless it observes that many values.
std::unique_ptr<PolicyAgent> load_registered_policy(const ModelRecord& record,
                                                    std::size_t obs_size = 0);

/// What `record.extra` names besides the agent itself.
struct AgentsAbove {
    std::unique_ptr<PolicyAgent> tactical; ///< extra.tactical_model (null: none)
    int tactical_version = 0;
    std::unique_ptr<PolicyAgent> strategic; ///< extra.strategic_model (null: none)
    int strategic_version = 0;
    std::size_t strategic_cadence = 0;
};

/// Loads the agents `record` names from `registry`. InputError when one is not an rl agent or
/// (`obs_size` > 0) observes another number of values.
AgentsAbove load_agents_above(const ModelRegistry& registry, const ModelRecord& record,
                              std::size_t obs_size = 0);

} // namespace aurum
