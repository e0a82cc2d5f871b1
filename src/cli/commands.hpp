#pragma once
// Registration of every command group. Each lives in its own cmd_*.cpp: thin handlers that parse
// flags and call the core layers.
#include <CLI/CLI.hpp>

#include "cli/cli_context.hpp"

namespace aurum {

// `aurum data ...` is one group assembled from several files; each adds its subcommands.

} // namespace aurum
