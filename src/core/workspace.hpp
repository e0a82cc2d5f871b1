#pragma once
// The user's workspace: config/, data/, logs/, reports/, models/ under one home directory.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace aurum {

/// The repository's commented config/*.yaml (file name, text), compiled into the binary.
const std::vector<std::pair<std::string, std::string>>& default_config_files();

/// Paths of a workspace. Creating it makes the directories and, in a new (empty) config/, the
/// commented default config files; nothing else is written.
class Workspace {
public:
    explicit Workspace(std::filesystem::path home);

    const std::filesystem::path& home() const { return home_; }
    std::filesystem::path config_dir() const { return home_ / "config"; }
    std::filesystem::path data_dir() const { return home_ / "data"; }
    std::filesystem::path logs_dir() const { return home_ / "logs"; }
    std::filesystem::path reports_dir() const { return home_ / "reports"; }
    std::filesystem::path models_dir() const { return home_ / "models"; }
    std::filesystem::path config_file(const std::string& name) const { return config_dir() / name; }
    /// Default database: data/aurum.db.
    std::string default_db() const { return (data_dir() / "aurum.db").string(); }

    /// Creates the directory tree (idempotent); an empty config/ gets the commented defaults
    /// (never over a user's file). Throws SystemError when it cannot.
    void ensure_dirs() const;

private:
    void write_default_configs() const;

    std::filesystem::path home_;
};

/// Writes `content` to `path` atomically (temp file + rename), creating parent directories.
void write_file_atomic(const std::filesystem::path& path, const std::string& content);
/// Reads a whole file; throws InputError naming the path when it cannot.
std::string read_file(const std::filesystem::path& path);

} // namespace aurum
