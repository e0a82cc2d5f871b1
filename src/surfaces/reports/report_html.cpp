#include "surfaces/reports/report_html.hpp"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/workspace.hpp"

namespace aurum {

void report_card(std::ostringstream& o, const std::string& name, const std::string& value,
                 double sign) {
    o << "<div class='card'><b class='" << (sign > 0 ? "pos" : sign < 0 ? "neg" : "") << "'>"
      << value << "</b><span>" << name << "</span></div>";
}

std::string signed_cell(const std::string& text, double value) {
    return std::string("<td class='") + (value > 0 ? "pos" : value < 0 ? "neg" : "") + "'>" + text +
           "</td>";
}

std::vector<double> drawdown_series(const std::vector<double>& equity, double start) {
    std::vector<double> dd(equity.size());
    double peak = start;
    for (std::size_t k = 0; k < equity.size(); ++k) {
        peak = std::max(peak, equity[k]);
        dd[k] = peak > 0 ? equity[k] / peak - 1 : 0;
    }
    return dd;
}

std::string report_file_name(const std::string& prefix, TimeMs day, const std::string& extension) {
    const CivilTime c = civil_from_time(day);
    return fmt::format("{}_{:04d}_{:02d}_{:02d}.{}", prefix, c.year, c.month, c.day, extension);
}

void check_report_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec || !std::filesystem::is_directory(dir))
        throw InputError("report directory " + dir.string() + " cannot be created" +
                         (ec ? " (" + ec.message() + ")" : ""));
    if (::access(dir.c_str(), W_OK) != 0)
        throw InputError("report directory " + dir.string() + " is not writable");
}

void write_report_files(const std::vector<std::pair<std::filesystem::path, std::string>>& files) {
    std::vector<std::filesystem::path> done;
    try {
        for (const auto& [path, content] : files) {
            write_file_atomic(path, content);
            done.push_back(path);
        }
    } catch (...) {
        std::error_code ec;
        for (const auto& p : done) std::filesystem::remove(p, ec);
        throw;
    }
}

} // namespace aurum
