#pragma once
// YAML configuration with validation that names the file, line and key of anything wrong.
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace aurum {

/// A node of a YAML config file that remembers where it came from, so every error can say
/// "config/risk.yaml:4: risk.max_position: must be in (0, 1], got 1.5".
class ConfigNode {
public:
    ConfigNode() = default;
    ConfigNode(YAML::Node node, std::string file, std::string path);

    /// Parses a file; throws InputError with file:line on a syntax error or a missing file.
    static ConfigNode load_file(const std::string& file);
    /// Parses text (for tests and defaults); `file` is only used in messages.
    static ConfigNode parse(const std::string& text, const std::string& file);

    bool defined() const { return node_.IsDefined() && !node_.IsNull(); }
    bool has(const std::string& key) const;
    ConfigNode child(const std::string& key) const;
    /// Elements of a sequence (empty when undefined); throws when the node is not a sequence.
    std::vector<ConfigNode> items() const;
    /// Keys of a map, in file order.
    std::vector<std::string> keys() const;

    /// Throws InputError naming the first key not in `allowed` (with a close match suggested).
    void allow_keys(std::initializer_list<const char*> allowed) const;

    std::string get_string(const std::string& key) const; ///< required
    std::string get_string(const std::string& key, const std::string& fallback) const;
    double get_double(const std::string& key, double fallback) const;
    double get_double(const std::string& key) const; ///< required
    /// Like get_double, but the value must be finite and > 0 (resp. >= 0, or in [lo, hi]).
    double get_positive(const std::string& key, double fallback) const;
    double get_non_negative(const std::string& key, double fallback) const;
    double get_in_range(const std::string& key, double fallback, double lo, double hi) const;
    long long get_int(const std::string& key, long long fallback) const;
    bool get_bool(const std::string& key, bool fallback) const;
    std::vector<std::string> get_strings(const std::string& key) const;

    /// Throws InputError "file:line: path.key: message".
    [[noreturn]] void fail(const std::string& key, const std::string& message) const;

    const std::string& file() const { return file_; }
    const std::string& path() const { return path_; }
    const YAML::Node& raw() const { return node_; }

private:
    std::string where(const YAML::Node& n) const;
    std::string key_path(const std::string& key) const;

    YAML::Node node_;
    std::string file_;
    std::string path_;
};

/// Edit distance, for "did you mean" suggestions.
std::size_t edit_distance(const std::string& a, const std::string& b);

} // namespace aurum
