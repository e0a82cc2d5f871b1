#include "live/session_strategy.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/workspace.hpp"
#include "live/rl_session.hpp"
#include "models/ensemble.hpp"

namespace aurum {

using nlohmann::json;

std::string session_models_key(const std::string& session_id) {
    return "session_models:" + session_id;
}

void PredictionBuffer::on_prediction(const PredictionEvent& e) {
    json top = json::array();
    for (std::size_t k = 0; k < e.n_top; ++k)
        top.push_back({{"feature", *e.top[k].name}, {"value", e.top[k].value}});
    json d{{"model", e.model->label()},
           {"signal", e.target},
           {"ev", e.expected_value},
           {"reason", e.reason ? *e.reason : std::string()},
           {"contributions", e.shap ? "shap" : "importance"},
           {"top", std::move(top)}};
    if (e.vote) {
        const auto& w = e.model->ensemble->weights();
        json members = json::array();
        for (std::size_t k = 0; k < e.vote->members.size(); ++k)
            members.push_back({{"model", e.vote->members[k]},
                               {"p", e.vote->member_p[k]},
                               {"weight", k < w.size() ? w[k] : 0.0}});
        d["members"] = std::move(members);
        d["agreement"] = e.vote->agreement;
    }
    items_.push_back({e.time, *e.symbol, e.p_up, d.dump()});
}

void PredictionBuffer::on_rl_decision(const RlDecision& d) {
    items_.push_back({d.time, *d.symbol, d.target, rl_decision_json(d).dump()});
}

void PredictionBuffer::on_notice(const std::string& text) {
    notices_.push_back(text);
}

std::vector<PredictionBuffer::Item> PredictionBuffer::take() {
    std::vector<Item> out;
    out.swap(items_);
    return out;
}

SessionStrategy make_session_strategy(const StrategySpec& spec, const ModelSource& src,
                                      StateStore& store, const std::string& session_id,
                                      PredictionSink* sink, RlDecisionSink* rl_sink) {
    if (spec.name == "rl")
        return make_rl_session_strategy(src, store, session_id, rl_sink);
    SessionStrategy out;
    if (spec.name != "model") {
        out.strategy = make_strategy(spec);
        return out;
    }
    const Workspace ws(src.workspace);
    ModelRegistry registry(ws.models_dir() / "registry", nullptr);
    // The versions this session started with: pinned on first use, so a recovery (which re-runs
    // the session from its start) uses them too; later swaps are journaled model_reload commands.
    std::map<std::string, std::pair<std::string, int>> pinned;
    if (auto kv = store.get_kv(session_models_key(session_id))) {
        const json pin = json::parse(*kv);
        for (auto it = pin.begin(); it != pin.end(); ++it)
            pinned[it.key()] = {it->at("name").get<std::string>(), it->at("version").get<int>()};
    } else {
        json pin = json::object();
        for (const auto& [sym, rec] :
             resolve_models(registry, src.symbols, src.timeframe, src.selection)) {
            pinned[sym] = {rec.name, rec.version};
            pin[sym] = {{"name", rec.name}, {"version", rec.version}};
        }
        store.put_kv(session_models_key(session_id), pin.dump());
    }
    const FeatureConfig features = workspace_feature_config(ws);
    std::map<std::pair<std::string, int>, std::shared_ptr<const LiveModel>> loaded;
    std::map<std::string, std::shared_ptr<const LiveModel>> by_symbol;
    for (const auto& [sym, key] : pinned) {
        auto& m = loaded[key];
        if (!m) {
            m = LiveModel::load(registry.get(key.first, key.second), features);
            spdlog::info("model {} loaded ({}, feature set {} {})", m->label(), m->record.kind,
                         m->record.feature_set_name, m->record.feature_set_id.substr(0, 12));
        }
        by_symbol[sym] = m;
    }
    auto ms = std::make_unique<ModelStrategy>(std::move(by_symbol), spec.sizing, sink);
    out.model = ms.get();
    out.strategy = std::move(ms);
    return out;
}

std::shared_ptr<const LiveModel> load_for_reload(const ModelSource& src, const std::string& name,
                                                 int version) {
    if (name.empty())
        throw InputError("model_reload: a model name is required");
    if (version < 0)
        throw InputError(fmt::format("model_reload: version must be positive, got {}", version));
    const Workspace ws(src.workspace);
    ModelRegistry registry(ws.models_dir() / "registry", nullptr);
    ModelSelection sel;
    sel.model = name;
    sel.version = version;
    const auto resolved = resolve_models(registry, src.symbols, src.timeframe, sel);
    if (resolved.empty())
        throw InputError(
            fmt::format("model_reload: {} covers none of the session's symbols", name));
    return LiveModel::load(resolved.begin()->second, workspace_feature_config(ws));
}

namespace {

/// Versions in use that the registry has archived since: each replaced by its name's
/// production version, or unloaded.
void withdrawn_models(const ModelStrategy& m, const ModelSource& src,
                      const ModelRegistry& registry, std::vector<ModelChange>& out) {
    std::set<std::string> seen;
    for (const auto& sym : src.symbols) {
        const auto cur = m.model_for(sym);
        if (!cur || !seen.insert(cur->record.name).second)
            continue;
        std::optional<ModelRecord> now;
        try {
            now = registry.get(cur->record.name, cur->record.version);
        } catch (const InputError& e) {
            spdlog::warn("models: {}", e.what());
        }
        if (now && now->status != ModelStatus::Archived)
            continue;
        const auto prod = registry.production(cur->record.name);
        if (prod && prod->timeframe == src.timeframe)
            out.push_back({prod->name, prod->version, false});
        else
            out.push_back({cur->record.name, 0, true});
    }
}

} // namespace

std::vector<ModelChange> registry_changes(const ModelStrategy& m, const ModelSource& src) {
    std::vector<ModelChange> out;
    const Workspace ws(src.workspace);
    ModelRegistry registry(ws.models_dir() / "registry", nullptr);
    withdrawn_models(m, src, registry, out);
    if (src.selection.version > 0)
        return out;
    std::map<std::string, ModelRecord> now;
    try {
        now = resolve_models(registry, src.symbols, src.timeframe, src.selection);
    } catch (const InputError& e) {
        spdlog::warn("models: {}", e.what());
        return out;
    }
    for (const auto& [sym, rec] : now) {
        const auto cur = m.model_for(sym);
        // Only a newer production of the same model (or a first model): a version swapped in
        // by hand stays, and a recovery never undoes a journaled reload.
        if (cur && cur->record.name == rec.name && cur->record.version >= rec.version)
            continue;
        if (cur && cur->record.name != rec.name)
            continue;
        if (rec.version <= m.withdrawn_version(rec.name))
            continue; // unloaded by a journaled command: only a newer version comes back
        const auto same = [&](const ModelChange& c) { return c.name == rec.name; };
        if (std::find_if(out.begin(), out.end(), same) == out.end())
            out.push_back({rec.name, rec.version, false});
    }
    return out;
}

json models_status(const ModelStrategy& m, const std::vector<std::string>& symbols,
                   const std::vector<std::string>& notices) {
    json models = json::array();
    for (const auto& sym : symbols) {
        const auto lm = m.model_for(sym);
        if (!lm) {
            models.push_back({{"symbol", sym}, {"model", nullptr}});
            continue;
        }
        models.push_back({{"symbol", sym},
                          {"model", lm->record.name},
                          {"version", lm->record.version},
                          {"kind", lm->record.kind},
                          {"feature_set", lm->record.feature_set_name}});
    }
    return json{{"models", models}, {"notices", notices}};
}

} // namespace aurum
