#include "models/registry.hpp"

#include <algorithm>
#include <regex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/workspace.hpp"

namespace aurum {

std::optional<std::pair<std::string, int>> parse_model_label(const std::string& label) {
    const auto v = label.rfind(" v");
    if (v == std::string::npos || v == 0 || v + 2 >= label.size()) return std::nullopt;
    int version = 0;
    for (std::size_t k = v + 2; k < label.size(); ++k) {
        if (label[k] < '0' || label[k] > '9' || version > 1'000'000) return std::nullopt;
        version = version * 10 + (label[k] - '0');
    }
    return std::make_pair(label.substr(0, v), version);
}

namespace fs = std::filesystem;

std::string to_string(ModelStatus s) {
    switch (s) {
    case ModelStatus::Candidate: return "candidate";
    case ModelStatus::Production: return "production";
    case ModelStatus::Archived: return "archived";
    }
    return "?";
}

ModelStatus parse_model_status(const std::string& s) {
    if (s == "candidate") return ModelStatus::Candidate;
    if (s == "production") return ModelStatus::Production;
    if (s == "archived") return ModelStatus::Archived;
    throw InputError(fmt::format("model status '{}': expected candidate, production or archived", s));
}

nlohmann::json ModelRecord::to_json() const {
    return {{"name", name},
            {"version", version},
            {"kind", kind},
            {"status", to_string(status)},
            {"feature_set_name", feature_set_name},
            {"feature_set_id", feature_set_id},
            {"label_spec", label_spec},
            {"symbols", symbols},
            {"timeframe", timeframe},
            {"data_from", format_iso(data_from)},
            {"data_to", format_iso(data_to)},
            {"created", format_iso(created)},
            {"experiment_id", experiment_id},
            {"params", params},
            {"metrics", metrics},
            {"gating", gating},
            {"extra", extra}};
}

ModelRecord ModelRecord::from_json(const nlohmann::json& j) {
    ModelRecord r;
    r.name = j.at("name").get<std::string>();
    r.version = j.at("version").get<int>();
    r.kind = j.at("kind").get<std::string>();
    r.status = parse_model_status(j.at("status").get<std::string>());
    r.feature_set_name = j.at("feature_set_name").get<std::string>();
    r.feature_set_id = j.at("feature_set_id").get<std::string>();
    r.label_spec = j.at("label_spec").get<std::string>();
    r.symbols = j.at("symbols").get<std::vector<std::string>>();
    r.timeframe = j.at("timeframe").get<std::string>();
    r.data_from = parse_time(j.at("data_from").get<std::string>()).value_or(0);
    r.data_to = parse_time(j.at("data_to").get<std::string>()).value_or(0);
    r.created = parse_time(j.at("created").get<std::string>()).value_or(0);
    r.experiment_id = j.at("experiment_id").get<std::string>();
    r.params = j.at("params");
    r.metrics = j.at("metrics");
    r.gating = j.at("gating");
    r.extra = j.at("extra");
    return r;
}

std::string default_model_name(const std::string& kind, const std::vector<std::string>& symbols,
                               const std::string& timeframe) {
    std::string s = kind;
    for (const auto& sym : symbols) {
        std::string clean;
        for (char c : sym)
            if (std::isalnum(static_cast<unsigned char>(c))) clean += c;
        s += "-" + clean;
    }
    return s + "-" + timeframe;
}

namespace {
void append_event(nlohmann::json& idx, const RegistryEvent& ev) {
    idx["events"].push_back({{"time", format_iso(ev.time)}, {"action", ev.action},
                             {"version", ev.version}, {"note", ev.note}});
}

void check_name(const std::string& name) {
    static const std::regex ok("[A-Za-z0-9][A-Za-z0-9._+-]{0,100}");
    if (!std::regex_match(name, ok))
        throw InputError(fmt::format("model name '{}': use letters, digits, '.', '_', '+', '-'", name));
}
} // namespace

ModelRegistry::ModelRegistry(fs::path root, Database* db) : root_(std::move(root)), db_(db) {
    if (db_) ensure_tables();
}

void ModelRegistry::ensure_tables() {
    db_->exec("CREATE TABLE IF NOT EXISTS model_registry (name TEXT NOT NULL, version BIGINT NOT NULL, "
              "kind TEXT NOT NULL, status TEXT NOT NULL, feature_set_id TEXT NOT NULL, "
              "created BIGINT NOT NULL, metadata TEXT NOT NULL, PRIMARY KEY (name, version))");
    db_->exec("CREATE TABLE IF NOT EXISTS model_events (name TEXT NOT NULL, time BIGINT NOT NULL, "
              "action TEXT NOT NULL, version BIGINT NOT NULL, note TEXT NOT NULL)");
}

fs::path ModelRegistry::version_dir(const std::string& name, int version) const {
    return root_ / name / fmt::format("v{}", version);
}

void ModelRegistry::write_record(const ModelRecord& r) const {
    write_file_atomic(version_dir(r.name, r.version) / "metadata.json", r.to_json().dump(2));
}

nlohmann::json ModelRegistry::read_index(const std::string& name) const {
    const fs::path p = root_ / name / "registry.json";
    if (!fs::exists(p)) return {{"production_history", nlohmann::json::array()}, {"events", nlohmann::json::array()}};
    try {
        return nlohmann::json::parse(read_file(p));
    } catch (const nlohmann::json::exception& e) {
        throw InputError(fmt::format("{}: corrupt registry index: {}", p.string(), e.what()));
    }
}

void ModelRegistry::write_index(const std::string& name, const nlohmann::json& j) const {
    write_file_atomic(root_ / name / "registry.json", j.dump(2));
}

void ModelRegistry::mirror(const std::vector<ModelRecord>& records, const RegistryEvent* event,
                           const std::string& name) {
    if (!db_) return;
    Transaction tx(*db_);
    for (const auto& r : records) {
        const SqlValue params[] = {r.name, static_cast<std::int64_t>(r.version), r.kind,
                                   to_string(r.status), r.feature_set_id, r.created, r.to_json().dump()};
        db_->exec("INSERT INTO model_registry (name, version, kind, status, feature_set_id, created, "
                  "metadata) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name, version) DO UPDATE "
                  "SET kind = excluded.kind, status = excluded.status, feature_set_id = "
                  "excluded.feature_set_id, created = excluded.created, metadata = excluded.metadata",
                  params);
    }
    if (event) {
        const SqlValue params[] = {name, event->time, event->action,
                                   static_cast<std::int64_t>(event->version), event->note};
        db_->exec("INSERT INTO model_events (name, time, action, version, note) VALUES ($1, $2, $3, $4, $5)",
                  params);
    }
    tx.commit();
}

ModelRecord ModelRegistry::register_model(
    ModelRecord record, const std::function<void(const fs::path&)>& write_artifacts) {
    check_name(record.name);
    int last = 0;
    for (const auto& r : list(record.name)) last = std::max(last, r.version);
    record.version = last + 1;
    record.status = ModelStatus::Candidate;
    const fs::path dir = version_dir(record.name, record.version);
    const fs::path staging = root_ / record.name / fmt::format(".staging-v{}", record.version);
    fs::remove_all(staging);
    fs::create_directories(staging);
    try {
        write_artifacts(staging / "model");
        write_file_atomic(staging / "metadata.json", record.to_json().dump(2));
    } catch (...) {
        fs::remove_all(staging);
        throw;
    }
    fs::rename(staging, dir);
    record.dir = dir;
    RegistryEvent ev{record.created, "register", record.version, record.kind};
    auto idx = read_index(record.name);
    append_event(idx, ev);
    write_index(record.name, idx);
    mirror({record}, &ev, record.name);
    return record;
}

std::vector<std::string> ModelRegistry::names() const {
    std::vector<std::string> out;
    if (!fs::is_directory(root_)) return out;
    for (const auto& e : fs::directory_iterator(root_))
        if (e.is_directory()) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<ModelRecord> ModelRegistry::list(const std::string& name) const {
    std::vector<ModelRecord> out;
    const auto names_ = name.empty() ? names() : std::vector<std::string>{name};
    for (const auto& n : names_) {
        const fs::path d = root_ / n;
        if (!fs::is_directory(d)) continue;
        for (const auto& e : fs::directory_iterator(d)) {
            const std::string f = e.path().filename().string();
            if (!e.is_directory() || f.size() < 2 || f[0] != 'v') continue;
            out.push_back(get(n, std::stoi(f.substr(1))));
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.name != b.name ? a.name < b.name : a.version < b.version;
    });
    return out;
}

ModelRecord ModelRegistry::get(const std::string& name, int version) const {
    check_name(name);
    if (version == 0) {
        const auto all = list(name);
        if (all.empty())
            throw InputError(fmt::format("no model named '{}' in {}", name, root_.string()));
        return all.back();
    }
    const fs::path p = version_dir(name, version) / "metadata.json";
    if (!fs::exists(p))
        throw InputError(fmt::format("model {} v{} not found ({} missing)", name, version, p.string()));
    try {
        auto r = ModelRecord::from_json(nlohmann::json::parse(read_file(p)));
        r.dir = version_dir(name, version);
        return r;
    } catch (const nlohmann::json::exception& e) {
        throw InputError(fmt::format("{}: corrupt model metadata: {}", p.string(), e.what()));
    }
}

std::optional<ModelRecord> ModelRegistry::production(const std::string& name) const {
    for (const auto& r : list(name))
        if (r.status == ModelStatus::Production) return r;
    return std::nullopt;
}

ModelRecord ModelRegistry::promote(const std::string& name, int version, bool force, TimeMs now,
                                   const std::string& note) {
    ModelRecord r = get(name, version);
    if (r.status == ModelStatus::Production)
        throw InputError(fmt::format("{} v{} is already production", name, r.version));
    std::string ev_note = note;
    if (!r.gating_passed()) {
        std::string failed;
        if (r.gating.is_object() && r.gating.contains("rules"))
            for (const auto& rule : r.gating["rules"])
                if (!rule.value("passed", false)) failed += "\n  " + rule.value("detail", std::string());
        if (!force)
            throw CheckFailed(fmt::format("{} v{} failed gating; it stays a candidate and production "
                                          "is unchanged:{}",
                                          name, r.version, failed.empty() ? " (not evaluated)" : failed));
        spdlog::warn("FORCED PROMOTION of {} v{} despite failed gating:{}", name, r.version, failed);
        ev_note = "FORCED despite failed gating" + (note.empty() ? "" : ": " + note);
    }
    std::vector<ModelRecord> changed;
    if (auto prod = production(name)) {
        prod->status = ModelStatus::Archived;
        changed.push_back(*prod);
    }
    r.status = ModelStatus::Production;
    changed.push_back(r);
    auto idx = read_index(name);
    idx["production_history"].push_back(r.version);
    RegistryEvent ev{now, force && !r.gating_passed() ? "promote-forced" : "promote", r.version, ev_note};
    append_event(idx, ev);
    for (const auto& c : changed) write_record(c);
    write_index(name, idx);
    mirror(changed, &ev, name);
    return r;
}

ModelRecord ModelRegistry::rollback(const std::string& name, TimeMs now) {
    auto idx = read_index(name);
    auto hist = idx["production_history"].get<std::vector<int>>();
    auto prod = production(name);
    if (!prod) throw InputError(fmt::format("{} has no production model to roll back", name));
    // Drop the current production from the history, then find the latest earlier one still present.
    while (!hist.empty() && hist.back() == prod->version) hist.pop_back();
    std::optional<ModelRecord> previous;
    while (!hist.empty()) {
        const int v = hist.back();
        if (v != prod->version && fs::exists(version_dir(name, v) / "metadata.json")) {
            previous = get(name, v);
            break;
        }
        hist.pop_back();
    }
    if (!previous)
        throw InputError(fmt::format("{}: no earlier production model to roll back to; `aurum "
                                     "registry demote {}` withdraws v{} without a replacement",
                                     name, name, prod->version));
    prod->status = ModelStatus::Archived;
    previous->status = ModelStatus::Production;
    idx["production_history"] = hist;
    RegistryEvent ev{now, "rollback", previous->version,
                     fmt::format("v{} -> v{}", prod->version, previous->version)};
    append_event(idx, ev);
    write_record(*prod);
    write_record(*previous);
    write_index(name, idx);
    mirror({*prod, *previous}, &ev, name);
    return *previous;
}

ModelRecord ModelRegistry::demote(const std::string& name, TimeMs now, const std::string& note) {
    auto prod = production(name);
    if (!prod) throw InputError(fmt::format("{} has no production model to demote", name));
    prod->status = ModelStatus::Archived;
    auto idx = read_index(name);
    // A later rollback must not bring the withdrawn version back.
    auto hist = idx["production_history"].get<std::vector<int>>();
    std::erase(hist, prod->version);
    idx["production_history"] = hist;
    RegistryEvent ev{now, "demote", prod->version, note};
    append_event(idx, ev);
    write_record(*prod);
    write_index(name, idx);
    mirror({*prod}, &ev, name);
    return *prod;
}

ModelRecord ModelRegistry::archive(const std::string& name, int version, TimeMs now) {
    ModelRecord r = get(name, version);
    if (r.status == ModelStatus::Production)
        throw InputError(fmt::format("{} v{} is production: promote another version, roll back "
                                     "or `aurum registry demote {}` first",
                                     name, r.version, name));
    r.status = ModelStatus::Archived;
    auto idx = read_index(name);
    RegistryEvent ev{now, "archive", r.version, ""};
    append_event(idx, ev);
    write_record(r);
    write_index(name, idx);
    mirror({r}, &ev, name);
    return r;
}

std::vector<RegistryEvent> ModelRegistry::events(const std::string& name) const {
    std::vector<RegistryEvent> out;
    const nlohmann::json idx = read_index(name); // keep alive: the loop walks into it
    for (const auto& e : idx.at("events"))
        out.push_back({parse_time(e.at("time").get<std::string>()).value_or(0),
                       e.at("action").get<std::string>(), e.at("version").get<int>(),
                       e.at("note").get<std::string>()});
    return out;
}

void ModelRegistry::update_evaluation(const std::string& name, int version,
                                      const nlohmann::json& metrics, const nlohmann::json& gating) {
    ModelRecord r = get(name, version);
    r.metrics = metrics;
    r.gating = gating;
    write_record(r);
    mirror({r}, nullptr, name);
}

} // namespace aurum
