#include "live/rl_session.hpp"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/workspace.hpp"

namespace aurum {

using nlohmann::json;

namespace {

using Pinned = std::map<std::string, std::pair<std::string, int>>; ///< symbol -> name, version

Pinned resolve_rl(const ModelRegistry& registry, const ModelSource& src) {
    ModelSelection sel = src.selection;
    sel.kind = "rl";
    Pinned out;
    for (const auto& [sym, rec] : resolve_models(registry, src.symbols, src.timeframe, sel))
        out[sym] = {rec.name, rec.version};
    if (!out.empty())
        return out;
    if (sel.model.empty() || sel.model == "production")
        throw InputError(fmt::format(
            "strategy rl: no production rl agent for {} {}; train one with `aurum rl train` and "
            "promote it with `aurum registry promote NAME` (or name one with --model)",
            fmt::join(src.symbols, ", "), src.timeframe));
    throw InputError(fmt::format("strategy.model: rl agent '{}' trades none of the session's "
                                 "symbols ({})",
                                 sel.model, fmt::join(src.symbols, ", ")));
}

RlAgents load_pinned(const ModelRegistry& registry, const Pinned& pinned) {
    std::map<std::pair<std::string, int>, std::shared_ptr<RlAgent>> loaded;
    RlAgents out;
    for (const auto& [sym, key] : pinned) {
        auto& a = loaded[key];
        if (!a) {
            a = RlAgent::load(registry, registry.get(key.first, key.second));
            spdlog::info("rl agent {} loaded ({} agent, feature set {} {})", a->label(),
                         a->agent->level(), a->record.feature_set_name,
                         a->record.feature_set_id.substr(0, 12));
        }
        out[sym] = a;
    }
    return out;
}

} // namespace

RlAgents load_rl_agents(const ModelSource& src) {
    const Workspace ws(src.workspace);
    ModelRegistry registry(ws.models_dir() / "registry", nullptr);
    return load_pinned(registry, resolve_rl(registry, src));
}

SessionStrategy make_rl_session_strategy(const ModelSource& src, StateStore& store,
                                         const std::string& session_id, RlDecisionSink* sink) {
    const Workspace ws(src.workspace);
    ModelRegistry registry(ws.models_dir() / "registry", nullptr);
    // Pinned on first use, as the model strategy's versions: a recovery re-runs the session from
    // its start with the same agents.
    Pinned pinned;
    if (auto kv = store.get_kv(session_models_key(session_id))) {
        const json pin = json::parse(*kv);
        for (auto it = pin.begin(); it != pin.end(); ++it)
            pinned[it.key()] = {it->at("name").get<std::string>(), it->at("version").get<int>()};
    } else {
        pinned = resolve_rl(registry, src);
        json pin = json::object();
        for (const auto& [sym, key] : pinned)
            pin[sym] = {{"name", key.first}, {"version", key.second}};
        store.put_kv(session_models_key(session_id), pin.dump());
    }
    SessionStrategy out;
    auto s = std::make_unique<RlAgentStrategy>(load_pinned(registry, pinned), sink);
    out.rl = s.get();
    out.strategy = std::move(s);
    return out;
}

json rl_models_status(const RlAgentStrategy& s, const std::vector<std::string>& symbols) {
    json models = json::array();
    json notices = json::array();
    for (const auto& sym : symbols) {
        const RlAgent* a = s.agent_for(sym);
        if (!a) {
            models.push_back({{"symbol", sym}, {"model", nullptr}});
            notices.push_back(sym + ": no rl agent trades it; not traded");
            continue;
        }
        models.push_back({{"symbol", sym},
                          {"model", a->record.name},
                          {"version", a->record.version},
                          {"kind", "rl"},
                          {"agent", a->agent->level()},
                          {"feature_set", a->record.feature_set_name}});
    }
    return json{{"models", models}, {"notices", notices}};
}

json rl_decision_json(const RlDecision& d) {
    const RlAgent& a = *d.agent;
    const bool strategic = !std::isnan(d.allocation);
    std::string reason =
        fmt::format("RL agent: target {:.1f} % (level {})", d.target * 100, d.level);
    if (strategic)
        reason +=
            fmt::format("; strategic: allocate {:.1f} % (regime: {}){}", d.allocation * 100,
                        to_string(d.regime),
                        a.tactical ? fmt::format(", tactical {} v{}",
                                                 a.record.extra.at("tactical_model").value("name", ""),
                                                 a.tactical_version)
                                   : std::string());
    else
        reason += fmt::format("; regime: {}", to_string(d.regime));
    if (d.forced)
        reason += "; execution: the limit went unfilled for a bar, the rest at market";
    else if (d.limit_bps > 0)
        reason += fmt::format("; execution: limit {:g} bps better than the close", d.limit_bps);
    else if (d.limit_bps == 0 && a.config.agent.execution)
        reason += "; execution: market";
    if (!d.ready)
        reason += "; features warming up";
    json j{{"model", a.label()},
           {"kind", "rl"},
           {"agent", a.agent->level()},
           {"signal", d.target},
           {"target", d.target},
           {"level", d.level},
           {"regime", to_string(d.regime)},
           {"ready", d.ready},
           {"ordered", d.ordered},
           {"limit_bps", d.limit_bps},
           {"forced", d.forced},
           {"reason", reason},
           {"top", json::array()}};
    if (strategic) {
        j["allocation"] = d.allocation;
        if (a.tactical)
            j["tactical_model"] = fmt::format(
                "{} v{}", a.record.extra.at("tactical_model").value("name", ""), a.tactical_version);
    }
    return j;
}

} // namespace aurum
