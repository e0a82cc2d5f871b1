#pragma once
// The daily/weekly report as an email: the report's text and HTML files
// (reports/daily_report_YYYY_MM_DD.txt/.html) as multipart/alternative, its charts (inline SVG
// rasterized to PNG, data: URIs or .png files beside it) as inline PNG parts referenced by
// Content-ID, under a size budget.
#include <cstddef>
#include <filesystem>
#include <string>

#include "surfaces/alerts/mime.hpp"

namespace aurum {

/// Builds the email of a report. `html` or `txt` may be missing (the other is used for both).
/// Images that would push the message over `max_bytes` are left out, and the HTML says so.
/// Throws InputError when neither file exists.
EmailContent report_email(const std::filesystem::path& html, const std::filesystem::path& txt,
                          std::string subject, std::size_t max_bytes = 100 * 1024);

} // namespace aurum
