#include "models/torch_plugin.hpp"

#include <dlfcn.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <vector>

#include "core/error.hpp"

namespace aurum {

namespace {

using MakeFn = Model* (*)(const char*, const NeuralParams*);

/// The plugin's factory once loaded (null before, or when it could not be loaded).
std::atomic<MakeFn> g_make{nullptr};

/// Candidate paths of plugin `file`, most specific first ($AURUM_TORCH_PLUGIN names the models
/// plugin; the other plugins are looked for beside it).
std::vector<std::string> plugin_candidates(const std::string& file = "libaurum_torch.so") {
    std::vector<std::string> out;
    if (const char* env = std::getenv("AURUM_TORCH_PLUGIN"); env && *env)
        out.push_back(file == "libaurum_torch.so"
                          ? std::string(env)
                          : (std::filesystem::path(env).parent_path() / file).string());
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) out.push_back((exe.parent_path().parent_path() / "lib" / file).string());
    out.push_back(file);
    return out;
}

MakeFn load_plugin() {
    std::string errors;
    for (const auto& path : plugin_candidates()) {
        if (path.find('/') != std::string::npos && !std::filesystem::exists(path)) continue;
        // RTLD_GLOBAL: libtorch's own plugins resolve against it; our symbols come from the
        // program (it exports them).
        void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
        if (!h) {
            errors += std::string("; ") + dlerror();
            continue;
        }
        if (auto* fn = reinterpret_cast<MakeFn>(dlsym(h, "aurum_torch_make_model"))) return fn;
        errors += "; " + path + ": no aurum_torch_make_model";
    }
    throw InputError("the LSTM and GNN models need the libtorch plugin libaurum_torch.so, which "
                     "could not be loaded" + errors +
                     " (build it with AURUM_WITH_TORCH=ON, or point AURUM_TORCH_PLUGIN at it)");
}

} // namespace

std::unique_ptr<Model> make_torch_model(const std::string& kind, const NeuralParams& params) {
    static std::once_flag once;
    static std::string failure;
    std::call_once(once, [] {
        try {
            g_make = load_plugin();
        } catch (const InputError& e) {
            failure = e.what();
        }
    });
    const MakeFn make = g_make.load();
    if (!make) throw InputError(failure);
    std::unique_ptr<Model> m(make(kind.c_str(), &params));
    if (!m) throw InputError("model kind '" + kind + "': the libtorch plugin builds lstm and gnn");
    return m;
}

void* torch_plugin_symbol(const std::string& library, const char* symbol) {
    static std::mutex mu;
    static std::map<std::string, void*> opened;
    const std::lock_guard lock(mu);
    void*& h = opened[library];
    std::string errors;
    for (const auto& path : plugin_candidates(library)) {
        if (h) break;
        if (path.find('/') != std::string::npos && !std::filesystem::exists(path)) continue;
        h = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL); // as load_plugin
        if (!h) errors += std::string("; ") + dlerror();
    }
    if (!h)
        throw InputError("the libtorch plugin " + library + " could not be loaded" + errors +
                         " (build it with AURUM_WITH_TORCH=ON, or point AURUM_TORCH_PLUGIN at "
                         "libaurum_torch.so beside it)");
    void* sym = dlsym(h, symbol);
    if (!sym) throw InputError(library + " has no " + symbol + " (rebuild it)");
    return sym;
}

bool torch_plugin_loaded() { return g_make.load() != nullptr; }

} // namespace aurum
