#include "surfaces/alerts/report_email.hpp"

#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/time.hpp"
#include "surfaces/alerts/alert_channels.hpp"
#include "surfaces/alerts/svg_png.hpp"

namespace aurum {

namespace {

std::string read_all(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string base64_decode(const std::string& in) {
    static int table[256];
    static bool init = false;
    if (!init) {
        for (int& v : table) v = -1;
        const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(k[i])] = i;
        init = true;
    }
    std::string out;
    int val = 0, bits = -8;
    for (unsigned char c : in) {
        if (table[c] < 0) continue;
        val = (val << 6) + table[c];
        bits += 6;
        if (bits >= 0) {
            out += static_cast<char>((val >> bits) & 0xFF);
            bits -= 8;
        }
    }
    return out;
}

/// Inline SVG charts become `<img src="svg-png:K">` with their PNG in pngs[K] (mail clients
/// drop inline SVG); an SVG librsvg cannot read stays as it is.
std::string rasterize_svg_charts(const std::string& html, std::vector<std::string>* pngs) {
    std::string out;
    std::size_t pos = 0;
    for (;;) {
        const auto start = html.find("<svg", pos);
        const auto end = start == std::string::npos ? start : html.find("</svg>", start);
        if (end == std::string::npos) break;
        const std::string svg = html.substr(start, end + 6 - start);
        out += html.substr(pos, start - pos);
        pos = end + 6;
        if (auto png = svg_to_png(svg)) {
            out += fmt::format("<img alt=\"chart\" style=\"display:block;margin:8px 0;max-width:100%\" "
                               "src=\"svg-png:{}\">", pngs->size());
            pngs->push_back(std::move(*png));
        } else {
            out += svg;
        }
    }
    return out + html.substr(pos);
}

/// Size of an image once base64-encoded with line breaks, plus its part headers.
std::size_t encoded_size(const std::string& png) { return png.size() * 4 / 3 + png.size() / 57 * 2 + 300; }

} // namespace

EmailContent report_email(const std::filesystem::path& html_path,
                          const std::filesystem::path& txt_path, std::string subject,
                          std::size_t max_bytes) {
    const bool has_html = std::filesystem::exists(html_path);
    const bool has_txt = std::filesystem::exists(txt_path);
    if (!has_html && !has_txt)
        throw InputError("report email: neither " + html_path.string() + " nor " +
                         txt_path.string() + " exists");
    EmailContent c;
    c.subject = std::move(subject);
    c.text = has_txt ? read_all(txt_path) : "The report is attached as HTML.";
    std::vector<std::string> svg_pngs;
    std::string html = has_html ? rasterize_svg_charts(read_all(html_path), &svg_pngs)
                                : "<html><body><pre>" + html_escape(c.text) + "</pre></body></html>";
    // Budget: the text parts (quoted-printable grows them a little) first, images while they fit.
    std::size_t used = c.text.size() * 11 / 10 + html.size() * 11 / 10 + 2000;
    int n = 0, dropped = 0;
    const std::regex img(R"(<img([^>]*?)src=\"([^\"]+)\")", std::regex::icase);
    std::string out;
    auto it = std::sregex_iterator(html.begin(), html.end(), img);
    std::size_t last = 0;
    for (; it != std::sregex_iterator(); ++it) {
        const auto& m = *it;
        const std::string src = m[2].str();
        std::string png;
        if (src.rfind("svg-png:", 0) == 0) {
            png = std::move(svg_pngs.at(std::stoul(src.substr(8))));
        } else if (src.rfind("data:image/png;base64,", 0) == 0) {
            png = base64_decode(src.substr(22));
        } else if (src.find("://") == std::string::npos && src.size() > 4 &&
                   src.substr(src.size() - 4) == ".png") {
            const auto file = html_path.parent_path() / src;
            if (std::filesystem::exists(file)) png = read_all(file);
        }
        out += html.substr(last, static_cast<std::size_t>(m.position()) - last);
        last = static_cast<std::size_t>(m.position() + m.length());
        if (png.empty()) {
            out += m.str();
            continue;
        }
        // The data: URI leaves the HTML either way; the image joins only if it fits.
        used -= std::min(used, src.size());
        if (used + encoded_size(png) > max_bytes) {
            ++dropped;
            out += "<img" + m[1].str() + "alt=\"chart left out (size)\" src=\"\"";
            continue;
        }
        used += encoded_size(png);
        const std::string cid = fmt::format("chart{}@aurum-edge", ++n);
        c.images.push_back({cid, fmt::format("chart{}.png", n), std::move(png)});
        out += "<img" + m[1].str() + "src=\"cid:" + cid + "\"";
    }
    out += html.substr(last);
    if (dropped > 0) {
        const std::string note = fmt::format("<p><i>{} chart{} left out to keep this email under {} KB; the full "
                           "report is {}</i></p>",
                           dropped, dropped == 1 ? "" : "s", max_bytes / 1024, html_path.string());
        const auto body_end = out.rfind("</body>");
        out.insert(body_end == std::string::npos ? out.size() : body_end, note);
    }
    c.html = std::move(out);
    return c;
}

} // namespace aurum
