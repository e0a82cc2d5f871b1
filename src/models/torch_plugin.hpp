#pragma once
// The LSTM and GNN models live in the plugin libaurum_torch.so (models/torch/neural.cpp): libtorch
// costs 0.45 s and 160 MB to load, so only a command that builds a neural model pays for it.
#include <memory>
#include <string>

#include "models/model.hpp"
#include "models/neural.hpp"

namespace aurum {

/// A new "lstm" or "gnn" model from the plugin, loaded on the first call (thread-safe). Where it
/// is looked for: $AURUM_TORCH_PLUGIN, then `lib/` beside the running program's `bin/`, then the
/// loader's search path. InputError saying how to get it when it cannot be loaded.
std::unique_ptr<Model> make_torch_model(const std::string& kind, const NeuralParams& params);

/// `symbol` of another libtorch plugin `library` (e.g. "libaurum_torch_rl.so", the RL policy
/// network), opened once, found where the models plugin is. InputError when it cannot be.
void* torch_plugin_symbol(const std::string& library, const char* symbol);

/// True once the plugin (and with it libtorch) has been loaded into this process.
bool torch_plugin_loaded();

} // namespace aurum
