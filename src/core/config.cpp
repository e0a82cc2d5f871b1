#include "core/config.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace aurum {

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

ConfigNode::ConfigNode(YAML::Node node, std::string file, std::string path)
    : node_(std::move(node)), file_(std::move(file)), path_(std::move(path)) {}

namespace {

/// Throws InputError naming both lines of the first key given twice in one mapping: yaml-cpp
/// keeps both entries and lookups silently take the first.
void refuse_duplicate_keys(const YAML::Node& node, const std::string& file, const std::string& path) {
    if (node.IsSequence()) {
        for (std::size_t i = 0; i < node.size(); ++i)
            refuse_duplicate_keys(node[i], file, path + "[" + std::to_string(i) + "]");
        return;
    }
    if (!node.IsMap()) return;
    std::map<std::string, int> first_line;
    for (const auto& kv : node) {
        const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
        const std::string key_path = path.empty() ? key : path + "." + key;
        const int line = kv.first.Mark().line + 1;
        if (kv.first.IsScalar()) {
            const auto [it, fresh] = first_line.emplace(key, line);
            if (!fresh)
                throw InputError(file + ":" + std::to_string(line) + ": duplicate key '" +
                                 key_path + "' (first given at " + file + ":" +
                                 std::to_string(it->second) + ")");
        }
        refuse_duplicate_keys(kv.second, file, key_path);
    }
}

} // namespace

ConfigNode ConfigNode::parse(const std::string& text, const std::string& file) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw InputError(file + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
    }
    refuse_duplicate_keys(root, file, "");
    return ConfigNode(root, file, "");
}

ConfigNode ConfigNode::load_file(const std::string& file) {
    std::ifstream in(file);
    if (!in) throw InputError(file + ": cannot read config file");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), file);
}

std::string ConfigNode::where(const YAML::Node& n) const {
    const auto mark = n.Mark();
    if (mark.line >= 0) return file_ + ":" + std::to_string(mark.line + 1);
    return file_;
}

std::string ConfigNode::key_path(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
}

bool ConfigNode::has(const std::string& key) const {
    return node_.IsMap() && node_[key].IsDefined() && !node_[key].IsNull();
}

ConfigNode ConfigNode::child(const std::string& key) const {
    if (node_.IsDefined() && !node_.IsNull() && !node_.IsMap())
        throw InputError(where(node_) + ": " + (path_.empty() ? "document" : path_) +
                         ": expected a mapping");
    const YAML::Node n = node_.IsMap() ? node_[key] : YAML::Node();
    // A missing section reads as absent: yaml-cpp's own node for a missing key throws
    // InvalidNode on any use (allow_keys, get_* on a partial config file), even on assignment.
    return ConfigNode(n.IsDefined() ? n : YAML::Node(YAML::NodeType::Undefined), file_,
                      key_path(key));
}

std::vector<ConfigNode> ConfigNode::items() const {
    std::vector<ConfigNode> out;
    if (!defined()) return out;
    if (!node_.IsSequence()) throw InputError(where(node_) + ": " + path_ + ": expected a list");
    for (std::size_t i = 0; i < node_.size(); ++i)
        out.emplace_back(node_[i], file_, path_ + "[" + std::to_string(i) + "]");
    return out;
}

std::vector<std::string> ConfigNode::keys() const {
    std::vector<std::string> out;
    if (!node_.IsMap()) return out;
    for (const auto& kv : node_) out.push_back(kv.first.as<std::string>());
    return out;
}

void ConfigNode::allow_keys(std::initializer_list<const char*> allowed) const {
    if (!node_.IsMap()) return;
    for (const auto& kv : node_) {
        const std::string key = kv.first.as<std::string>();
        bool ok = false;
        for (const char* a : allowed) ok = ok || key == a;
        if (ok) continue;
        std::string best;
        std::size_t best_d = 3;
        std::string list;
        for (const char* a : allowed) {
            list += (list.empty() ? "" : ", ") + std::string(a);
            const std::size_t d = edit_distance(key, a);
            if (d < best_d) {
                best_d = d;
                best = a;
            }
        }
        std::string msg = where(kv.first) + ": unknown key '" + key_path(key) + "'";
        if (!best.empty()) msg += " (did you mean '" + best + "'?)";
        msg += "; allowed keys: " + list;
        throw InputError(msg);
    }
}

void ConfigNode::fail(const std::string& key, const std::string& message) const {
    YAML::Node n = node_.IsMap() && node_[key].IsDefined() ? node_[key] : node_;
    throw InputError(where(n) + ": " + key_path(key) + ": " + message);
}

std::string ConfigNode::get_string(const std::string& key) const {
    if (!has(key)) fail(key, "required key is missing");
    return get_string(key, "");
}

std::string ConfigNode::get_string(const std::string& key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    const YAML::Node n = node_[key];
    if (!n.IsScalar()) fail(key, "expected a text value");
    return n.as<std::string>();
}

double ConfigNode::get_double(const std::string& key, double fallback) const {
    if (!has(key)) return fallback;
    const YAML::Node n = node_[key];
    double v = 0;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v))
        fail(key, "expected a number, got '" + (n.IsScalar() ? n.as<std::string>() : "?") + "'");
    if (!std::isfinite(v)) fail(key, "must be a finite number");
    return v;
}

double ConfigNode::get_double(const std::string& key) const {
    if (!has(key)) fail(key, "required key is missing");
    return get_double(key, 0.0);
}

double ConfigNode::get_positive(const std::string& key, double fallback) const {
    const double v = get_double(key, fallback);
    if (!(v > 0)) fail(key, "must be > 0, got " + std::to_string(v));
    return v;
}

double ConfigNode::get_non_negative(const std::string& key, double fallback) const {
    const double v = get_double(key, fallback);
    if (!(v >= 0)) fail(key, "must be >= 0, got " + std::to_string(v));
    return v;
}

double ConfigNode::get_in_range(const std::string& key, double fallback, double lo,
                                double hi) const {
    const double v = get_double(key, fallback);
    if (v < lo || v > hi)
        fail(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                      std::to_string(v));
    return v;
}

long long ConfigNode::get_int(const std::string& key, long long fallback) const {
    if (!has(key)) return fallback;
    const YAML::Node n = node_[key];
    long long v = 0;
    if (!n.IsScalar() || !YAML::convert<long long>::decode(n, v))
        fail(key, "expected a whole number, got '" + (n.IsScalar() ? n.as<std::string>() : "?") +
                      "'");
    return v;
}

bool ConfigNode::get_bool(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    const YAML::Node n = node_[key];
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v))
        fail(key, "expected true or false");
    return v;
}

std::vector<std::string> ConfigNode::get_strings(const std::string& key) const {
    std::vector<std::string> out;
    if (!has(key)) return out;
    const YAML::Node n = node_[key];
    if (n.IsScalar()) return {n.as<std::string>()};
    if (!n.IsSequence()) fail(key, "expected a list of text values");
    for (const auto& e : n) out.push_back(e.as<std::string>());
    return out;
}

} // namespace aurum
