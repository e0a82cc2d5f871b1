#include "core/html.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

namespace aurum {

namespace {

std::string axis_pct(double x) {
    if (!std::isfinite(x)) return "n/a";
    // Small moves (a week's return) need a decimal to tell the grid lines apart.
    return std::fabs(x) < 0.1 ? fmt::format("{:.1f}%", x * 100) : fmt::format("{:.0f}%", x * 100);
}

std::string axis_money(double x) {
    // 12345.6 -> "12,346": axis labels need no cents.
    std::string s = fmt::format("{:.0f}", std::abs(x));
    std::string out;
    for (std::size_t k = 0; k < s.size(); ++k) {
        if (k && (s.size() - k) % 3 == 0) out += ',';
        out += s[k];
    }
    return (x < 0 && s != "0" ? "-" : "") + out;
}

} // namespace

std::string html_escape(const std::string& s) {
    std::string o;
    o.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '&': o += "&amp;"; break;
        case '"': o += "&quot;"; break;
        default: o += c;
        }
    }
    return o;
}

const char* const kReportCss =
    R"(body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1150px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
.sub{color:#666;margin-bottom:16px}.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:120px}.card b{display:block;font-size:18px}
.card span{color:#666;font-size:12px}table{border-collapse:collapse;font-size:12.5px}
td,th{border:1px solid #ddd;padding:3px 7px;text-align:right}th{background:#f3f3f3;cursor:pointer;user-select:none}
td.l,th.l{text-align:left}tr.loss td{color:#b00020}.pos{color:#1b7a1b}.neg{color:#b00020}
.heat td{min-width:46px}.chart{display:block;margin:8px 0}.note{color:#666;font-size:12px}
.ok{color:#1b7a1b}.warn{color:#b36b00}.bad{color:#b00020}pre{background:#f7f7f7;padding:8px;font-size:12.5px})";

std::string html_page(const std::string& title, const std::string& body,
                      const std::string& head_extra) {
    return "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>" +
           html_escape(title) + "</title><style>" + kReportCss + "</style>" + head_extra +
           "</head><body>" + body + "</body></html>\n";
}

std::string svg_line_chart(const std::vector<TimeMs>& t, const std::vector<ChartLine>& lines,
                           const ChartStyle& style) {
    const int w = style.width, h = style.height;
    const double ml = 70, mr = 15, mt = 12, mb = 28;
    const std::size_t n = t.size();
    std::ostringstream o;
    o << "<svg viewBox='0 0 " << w << " " << h << "' width='" << w << "' height='" << h
      << "' class='chart'>";
    if (n < 2) {
        o << "<text x='10' y='20'>not enough points to chart</text></svg>";
        return o.str();
    }
    auto tr = [&](double v) { return style.log_scale ? std::log(std::max(v, 1e-12)) : v; };
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& l : lines)
        for (double v : *l.y) {
            if (!std::isfinite(v)) continue;
            lo = std::min(lo, tr(v));
            hi = std::max(hi, tr(v));
        }
    if (!std::isfinite(lo)) lo = hi = 0;
    if (lines.size() == 1 && lines[0].fill) hi = std::max(hi, 0.0);
    if (hi - lo < 1e-12) hi = lo + 1;
    const double pw = w - ml - mr, ph = h - mt - mb;
    auto X = [&](std::size_t k) {
        return ml + pw * static_cast<double>(k) / static_cast<double>(n - 1);
    };
    auto Y = [&](double v) { return mt + ph * (1 - (tr(v) - lo) / (hi - lo)); };
    o << "<rect x='" << ml << "' y='" << mt << "' width='" << pw << "' height='" << ph
      << "' fill='#fafafa' stroke='#ccc'/>";
    for (int g = 0; g <= 4; ++g) {
        const double tv = lo + (hi - lo) * g / 4.0;
        const double v = style.log_scale ? std::exp(tv) : tv;
        const double y = mt + ph * (1 - g / 4.0);
        o << "<line x1='" << ml << "' x2='" << ml + pw << "' y1='" << y << "' y2='" << y
          << "' stroke='#e4e4e4'/><text x='" << ml - 6 << "' y='" << y + 4
          << "' text-anchor='end' font-size='11'>"
          << (style.percent_axis ? axis_pct(v) : axis_money(v)) << "</text>";
    }
    for (int g = 0; g <= 4; ++g) {
        const std::size_t k = (n - 1) * static_cast<std::size_t>(g) / 4;
        o << "<text x='" << X(k) << "' y='" << h - 8 << "' text-anchor='middle' font-size='11'>"
          << format_date(t[k]) << "</text>";
    }
    const std::size_t buckets = std::min<std::size_t>(n, 750);
    for (const auto& l : lines) {
        std::ostringstream path;
        bool first = true;
        for (std::size_t b = 0; b < buckets; ++b) {
            const std::size_t a = b * n / buckets, e = std::max(a + 1, (b + 1) * n / buckets);
            std::size_t kmin = a, kmax = a;
            for (std::size_t k = a; k < e; ++k) {
                if ((*l.y)[k] < (*l.y)[kmin]) kmin = k;
                if ((*l.y)[k] > (*l.y)[kmax]) kmax = k;
            }
            for (std::size_t k : {std::min(kmin, kmax), std::max(kmin, kmax)}) {
                if (!std::isfinite((*l.y)[k])) continue;
                path << (first ? "M" : "L") << fmt::format("{:.1f},{:.1f}", X(k), Y((*l.y)[k]));
                first = false;
            }
        }
        if (first) continue; // nothing finite to draw
        if (l.fill)
            o << "<path d='" << path.str()
              << fmt::format("L{:.1f},{:.1f}L{:.1f},{:.1f}Z", X(n - 1), Y(0), X(0), Y(0))
              << "' fill='" << l.color << "' fill-opacity='0.35' stroke='" << l.color << "'/>";
        else
            o << "<path d='" << path.str() << "' fill='none' stroke='" << l.color
              << "' stroke-width='1.4'/>";
    }
    double lx = ml + 10;
    for (const auto& l : lines) {
        o << "<rect x='" << lx << "' y='" << mt + 6 << "' width='12' height='4' fill='" << l.color
          << "'/><text x='" << lx + 16 << "' y='" << mt + 12 << "' font-size='12'>"
          << html_escape(l.name) << "</text>";
        lx += 30 + 7.0 * static_cast<double>(l.name.size());
    }
    o << "</svg>";
    return o.str();
}

std::string svg_bar_chart(const std::vector<std::pair<std::string, double>>& bars, int width,
                          bool percent) {
    const double label_w = 220, value_w = 70, row = 20;
    const int h = static_cast<int>(row * static_cast<double>(bars.size()) + 10);
    std::ostringstream o;
    o << "<svg viewBox='0 0 " << width << " " << h << "' width='" << width << "' height='" << h
      << "' class='chart'>";
    double lo = 0, hi = 0;
    for (const auto& [_, v] : bars) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    if (hi - lo < 1e-12) hi = lo + 1;
    const double pw = width - label_w - value_w;
    auto X = [&](double v) { return label_w + pw * (v - lo) / (hi - lo); };
    double y = 5;
    for (const auto& [name, v] : bars) {
        const double x0 = X(std::min(0.0, v)), x1 = X(std::max(0.0, v));
        o << "<text x='" << label_w - 6 << "' y='" << y + 14
          << "' text-anchor='end' font-size='12'>" << html_escape(name) << "</text><rect x='"
          << x0 << "' y='" << y + 3 << "' width='" << std::max(1.0, x1 - x0)
          << "' height='14' fill='" << (v >= 0 ? "#1f5fbf" : "#c0392b") << "'/><text x='"
          << X(hi) + 6 << "' y='" << y + 14 << "' font-size='12'>"
          << (percent ? fmt::format("{:.1f}%", v * 100) : fmt::format("{:.4g}", v)) << "</text>";
        y += row;
    }
    o << "</svg>";
    return o.str();
}

} // namespace aurum
