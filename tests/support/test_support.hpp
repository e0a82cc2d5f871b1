#pragma once
// Shared helpers for tests: temp directories, the real data in ../shared/data, running the CLI.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace aurum::test {

/// A fresh directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

/// Path of a file under ../shared/data, or empty when the shared data is not there (a user's
/// clone). Use AURUM_REQUIRE_SHARED_DATA to skip with a clear message.
std::filesystem::path shared_data(const std::string& relative);
/// Path of a fixture under tests/data.
std::filesystem::path test_data(const std::string& relative);
/// Path of a file in the source tree (e.g. "config/features.yaml", the shipped defaults).
std::filesystem::path source_file(const std::string& relative);

#define AURUM_REQUIRE_SHARED_DATA(var, relative)                                                   \
    const std::filesystem::path var = ::aurum::test::shared_data(relative);                        \
    if (var.empty())                                                                               \
    GTEST_SKIP() << "../shared/data/" << (relative)                                                \
                 << " not found: real-data tests need the shared data beside the project (CI has it)"

/// Result of running the aurum binary.
struct CliResult {
    int exit_code = -1;
    std::string out; ///< stdout
    std::string err; ///< stderr
};

/// The JSON a command printed; a test failure naming the output when it is not JSON.
inline nlohmann::json parse_json(const CliResult& r) {
    try {
        return nlohmann::json::parse(r.out);
    } catch (const std::exception& e) {
        ADD_FAILURE() << "not JSON: " << e.what() << "\n" << r.out << "\n" << r.err;
        return nlohmann::json();
    }
}

/// Runs the built `aurum` binary with the given arguments (no shell), capturing output.
CliResult run_aurum(const std::vector<std::string>& args);
/// Runs `argv` (argv[0] looked up in PATH) the same way: stdin /dev/null, output captured.
CliResult run_command(const std::vector<std::string>& argv);

/// Writes text to a file, creating parent directories.
void write_text(const std::filesystem::path& path, const std::string& text);
/// Copies the directories and regular files under `from` into `to` (a test fails on an error).
/// File by file with plain streams: fs::copy's sendfile path failed once with EINVAL under load.
void copy_tree(const std::filesystem::path& from, const std::filesystem::path& to);

} // namespace aurum::test
