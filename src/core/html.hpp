#pragma once
// Building blocks of every self-contained HTML report (backtest, daily, weekly, monitor): escaping,
// the shared inline CSS, a page shell and inline SVG charts. Nothing loads from another host, so a
// report opens offline.
#include <string>
#include <utility>
#include <vector>

#include "core/time.hpp"

namespace aurum {

/// Escapes &, <, > and " for HTML text and attribute values.
std::string html_escape(const std::string& s);

/// The CSS every report inlines (cards, tables, charts, pos/neg colours).
extern const char* const kReportCss;

/// A whole page: doctype, charset, title, inline CSS (plus `head_extra`, e.g. a script), body.
std::string html_page(const std::string& title, const std::string& body,
                      const std::string& head_extra = "");

/// One series of a line chart (`y` has one value per time point).
struct ChartLine {
    const std::vector<double>* y = nullptr;
    std::string color;
    std::string name;
    bool fill = false; ///< filled area down to zero (drawdowns)
};

/// Size and axes of a chart.
struct ChartStyle {
    int width = 1100, height = 300;
    bool percent_axis = false; ///< y values are fractions, labelled "12%"
    bool log_scale = false;
};

/// A time-series line chart as inline SVG; at most ~1500 points per line (the min and max of
/// each bucket are kept, so spikes stay visible).
std::string svg_line_chart(const std::vector<TimeMs>& time, const std::vector<ChartLine>& lines,
                           const ChartStyle& style);

/// Horizontal bars, one per (label, value); negative values extend left of the axis.
/// `percent` labels the values as percentages of fractions.
std::string svg_bar_chart(const std::vector<std::pair<std::string, double>>& bars, int width,
                          bool percent);

} // namespace aurum
