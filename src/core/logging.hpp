#pragma once
// Logging to the console and to logs/aurum_edge_YYYYMMDD.log (all levels) and logs/error.log
// (errors). File lines read "2026-01-05 12:00:00.123 UTC WARNING message" (upper-case levels,
// as the runbooks grep them).
#include <filesystem>

#include <spdlog/spdlog.h>

#include "core/time.hpp"

namespace aurum {

struct LogOptions {
    std::filesystem::path logs_dir; ///< empty: console only
    bool verbose = false;           ///< debug level on the console
    bool quiet = false;             ///< warnings and errors only on the console
};

/// Installs the default logger. Safe to call more than once (the last call wins).
void init_logging(const LogOptions& options);

/// A logger writing to the log files only (not the console), for records of what a command did
/// that its own output already shows the user. Discards when logging is console-only.
spdlog::logger& file_logger();

/// The daily log file of the UTC day of `when`: <logs_dir>/aurum_edge_YYYYMMDD.log.
std::filesystem::path daily_log_file(const std::filesystem::path& logs_dir, TimeMs when);

/// The text between the time and the message of a file log line at `level`: " UTC WARNING ".
std::string log_level_tag(spdlog::level::level_enum level);

} // namespace aurum
