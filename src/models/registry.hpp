#pragma once
// Model registry: models/registry/<name>/<version>/ holds the artifacts and metadata.json; the
// same metadata is mirrored in the database (tables model_registry, model_events).
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/time.hpp"
#include "data/database.hpp"

namespace aurum {

enum class ModelStatus { Candidate, Production, Archived };
std::string to_string(ModelStatus s);
ModelStatus parse_model_status(const std::string& s);

/// Metadata of one registered model version.
struct ModelRecord {
    std::string name;
    int version = 0;
    std::string kind;
    ModelStatus status = ModelStatus::Candidate;
    std::string feature_set_name, feature_set_id, label_spec;
    std::vector<std::string> symbols;
    std::string timeframe;
    TimeMs data_from = 0, data_to = 0;
    TimeMs created = 0;
    std::string experiment_id;
    nlohmann::json params;  ///< model hyper-parameters
    nlohmann::json metrics; ///< walk-forward and training metrics
    nlohmann::json gating;  ///< GatingVerdict JSON
    nlohmann::json extra;   ///< calibrator, edge estimate, config snapshot
    std::filesystem::path dir; ///< where the version lives (filled on read)

    bool gating_passed() const { return gating.is_object() && gating.value("passed", false); }
    nlohmann::json to_json() const;
    static ModelRecord from_json(const nlohmann::json& j);
};

/// "gbdt-BTCUSDT-4h v3" (how predictions and reports name a version) -> {name, version};
/// nullopt for text of another shape.
std::optional<std::pair<std::string, int>> parse_model_label(const std::string& label);

/// One registry action (register, promote, rollback, archive), kept for audit.
struct RegistryEvent {
    TimeMs time = 0;
    std::string action;
    int version = 0;
    std::string note;
};

/// The registry. All checks run before anything is written; files are written atomically, then
/// the database mirror is updated in one transaction.
class ModelRegistry {
public:
    /// `root` = <home>/models/registry; `db` may be null (no mirror).
    ModelRegistry(std::filesystem::path root, Database* db);

    /// Registers a new version of record.name (version = last + 1, status candidate): calls
    /// `write_artifacts(dir)` on a staging directory that is renamed into place on success.
    ModelRecord register_model(ModelRecord record,
                               const std::function<void(const std::filesystem::path&)>& write_artifacts);
    std::vector<std::string> names() const;
    /// Every version of `name` (all names when empty), ascending.
    std::vector<ModelRecord> list(const std::string& name = "") const;
    /// A version; 0 = latest. InputError naming the model when absent or corrupt.
    ModelRecord get(const std::string& name, int version = 0) const;
    std::optional<ModelRecord> production(const std::string& name) const;
    /// Makes `version` production; the previous production becomes archived. A version that
    /// failed gating is refused (CheckFailed naming the failed rules) unless `force`, which is
    /// logged as a warning and recorded in the event note.
    ModelRecord promote(const std::string& name, int version, bool force, TimeMs now,
                        const std::string& note = "");
    /// Archives the current production and restores the one promoted before it.
    ModelRecord rollback(const std::string& name, TimeMs now);
    /// Withdraws the production version of `name` without a replacement (it becomes archived):
    /// no version of `name` is production afterwards. InputError when none is.
    ModelRecord demote(const std::string& name, TimeMs now, const std::string& note = "");
    ModelRecord archive(const std::string& name, int version, TimeMs now);
    std::vector<RegistryEvent> events(const std::string& name) const;
    /// Replaces the stored metrics/gating of a version (after a re-run walk-forward).
    void update_evaluation(const std::string& name, int version, const nlohmann::json& metrics,
                           const nlohmann::json& gating);

    const std::filesystem::path& root() const { return root_; }

private:
    std::filesystem::path version_dir(const std::string& name, int version) const;
    void write_record(const ModelRecord& r) const;
    nlohmann::json read_index(const std::string& name) const;
    void write_index(const std::string& name, const nlohmann::json& j) const;
    void mirror(const std::vector<ModelRecord>& records, const RegistryEvent* event,
                const std::string& name);
    void ensure_tables();

    std::filesystem::path root_;
    Database* db_;
};

/// "gbdt-BTCUSDT-4h" for kind gbdt, symbols {BTC/USDT}, timeframe 4h.
std::string default_model_name(const std::string& kind, const std::vector<std::string>& symbols,
                               const std::string& timeframe);

} // namespace aurum
