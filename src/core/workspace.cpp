#include "core/workspace.hpp"

#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace aurum {

namespace fs = std::filesystem;

Workspace::Workspace(fs::path home) : home_(std::move(home)) {}

void Workspace::ensure_dirs() const {
    std::error_code ec;
    for (const fs::path& d : {home_, config_dir(), data_dir(), logs_dir(), reports_dir(), models_dir()}) {
        fs::create_directories(d, ec);
        if (ec) throw SystemError("cannot create directory " + d.string() + ": " + ec.message());
    }
    write_default_configs();
}

void Workspace::write_default_configs() const {
    // Only into an empty config/: a user who removed a file chose the built-in defaults.
    std::error_code ec;
    if (!fs::is_empty(config_dir(), ec) || ec) return;
    for (const auto& [name, text] : default_config_files())
        write_file_atomic(config_file(name), text);
}

void write_file_atomic(const fs::path& path, const std::string& content) {
    std::error_code ec;
    if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw SystemError("cannot write " + tmp.string());
        out << content;
        out.flush();
        if (!out) throw SystemError("cannot write " + tmp.string());
    }
    fs::rename(tmp, path, ec);
    if (ec) throw SystemError("cannot rename " + tmp.string() + " to " + path.string());
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path.string() + ": cannot open file");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace aurum
