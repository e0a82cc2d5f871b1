#pragma once
// Logging to the console and to logs/aurum_YYYYMMDD.log (all levels) and logs/error.log (errors).
#include <filesystem>

#include <spdlog/spdlog.h>

namespace aurum {

struct LogOptions {
    std::filesystem::path logs_dir; ///< empty: console only
    bool verbose = false;           ///< debug level on the console
    bool quiet = false;             ///< warnings and errors only on the console
};

/// Installs the default logger. Safe to call more than once (the last call wins).
void init_logging(const LogOptions& options);

} // namespace aurum
