#include "rl/agents_above.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace aurum {

std::unique_ptr<PolicyAgent> load_registered_policy(const ModelRecord& record,
                                                    std::size_t obs_size) {
    (void)stored_rl_config(record); // refuses a model of another kind, naming it
    auto agent = std::make_unique<PolicyAgent>(PolicyAgent::load(record.dir / "model"));
    if (obs_size > 0 && agent->obs_size() != obs_size)
        throw InputError(fmt::format("{} v{}: the agent observes {} values but feature set '{}' "
                                     "gives {}: retrain it",
                                     record.name, record.version, agent->obs_size(),
                                     record.feature_set_name, obs_size));
    return agent;
}

AgentsAbove load_agents_above(const ModelRegistry& registry, const ModelRecord& record,
                              std::size_t obs_size) {
    AgentsAbove out;
    const auto load = [&](const char* key, int& version) {
        const auto& t = record.extra.at(key);
        const ModelRecord r = registry.get(t.value("name", ""), t.value("version", 0));
        version = r.version;
        return load_registered_policy(r, obs_size);
    };
    if (record.extra.contains("tactical_model"))
        out.tactical = load("tactical_model", out.tactical_version);
    if (record.extra.contains("strategic_model")) {
        out.strategic = load("strategic_model", out.strategic_version);
        out.strategic_cadence = record.extra["strategic_model"].value("cadence", std::size_t{0});
    }
    return out;
}

} // namespace aurum
