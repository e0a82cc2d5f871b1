#pragma once
// Small pieces the session reports share (cards, signed cells, drawdowns, file names) and the
// one way they reach disk: the report directory checked before anything is computed, every file
// of a report written atomically, all or none.
#include <filesystem>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/time.hpp"

namespace aurum {

/// A headline figure: `sign` > 0 green, < 0 red, 0 plain.
void report_card(std::ostringstream& o, const std::string& name, const std::string& value,
                 double sign = 0);
/// A table cell coloured by the sign of `value`.
std::string signed_cell(const std::string& text, double value);
/// Equity / running peak - 1 at each point (the peak starts at `start`).
std::vector<double> drawdown_series(const std::vector<double>& equity, double start);
/// "<prefix>_YYYY_MM_DD.<extension>" (the seeds' report names).
std::string report_file_name(const std::string& prefix, TimeMs day, const std::string& extension);

/// Refuses (InputError naming the directory) a report directory that cannot be created or
/// written; call it before computing a report.
void check_report_dir(const std::filesystem::path& dir);
/// Writes each (path, content) atomically; when one fails, removes those already written and
/// throws SystemError naming the path, so a failed report leaves nothing behind.
void write_report_files(const std::vector<std::pair<std::filesystem::path, std::string>>& files);

} // namespace aurum
