#include "surfaces/alerts/mime.hpp"

#include <ctime>
#include <random>

#include <fmt/format.h>

namespace aurum {

std::string base64_encode(const std::string& in) {
    static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4 + in.size() / 57 * 2 + 2);
    std::size_t line = 0;
    for (std::size_t i = 0; i < in.size(); i += 3) {
        const unsigned b0 = static_cast<unsigned char>(in[i]);
        const unsigned b1 = i + 1 < in.size() ? static_cast<unsigned char>(in[i + 1]) : 0;
        const unsigned b2 = i + 2 < in.size() ? static_cast<unsigned char>(in[i + 2]) : 0;
        out += k[b0 >> 2];
        out += k[((b0 & 3) << 4) | (b1 >> 4)];
        out += i + 1 < in.size() ? k[((b1 & 15) << 2) | (b2 >> 6)] : '=';
        out += i + 2 < in.size() ? k[b2 & 63] : '=';
        if ((line += 4) == 76) {
            out += "\r\n";
            line = 0;
        }
    }
    if (line) out += "\r\n";
    return out;
}

std::string quoted_printable(const std::string& text) {
    std::string out;
    std::size_t col = 0;
    auto put = [&](const std::string& s) {
        if (col + s.size() > 75) {
            out += "=\r\n";
            col = 0;
        }
        out += s;
        col += s.size();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '\n') {
            // A space or tab before a line end must be encoded (it would be stripped).
            if (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
                const char sp = out.back();
                out.pop_back();
                out += fmt::format("={:02X}", static_cast<unsigned>(sp));
            }
            out += "\r\n";
            col = 0;
        } else if (c == '\r') {
            continue;
        } else if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
            // A leading '.' would be read as SMTP's end of data by a naive server: encode it.
            if (col == 0 && c == '.') put("=2E");
            else put(std::string(1, static_cast<char>(c)));
        } else {
            put(fmt::format("={:02X}", static_cast<unsigned>(c)));
        }
    }
    return out;
}

namespace {

std::string boundary(const char* tag) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    return fmt::format("=_aurum_{}_{:016x}", tag, rng());
}

std::string now_rfc5322() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return buf;
}

/// Non-ASCII subjects as an RFC 2047 encoded word.
std::string encode_header(const std::string& s) {
    for (unsigned char c : s)
        if (c >= 128 || c < 32) return "=?UTF-8?B?" + [&] {
            std::string b = base64_encode(s);
            std::string out;
            for (char ch : b)
                if (ch != '\r' && ch != '\n') out += ch;
            return out;
        }() + "?=";
    return s;
}

std::string text_part(const char* type, const std::string& body) {
    return fmt::format("Content-Type: {}; charset=utf-8\r\nContent-Transfer-Encoding: "
                       "quoted-printable\r\n\r\n{}\r\n",
                       type, quoted_printable(body));
}

} // namespace

std::string build_mime_message(const EmailContent& c) {
    std::string to;
    for (const auto& t : c.to) to += (to.empty() ? "" : ", ") + t;
    std::string m = fmt::format("From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\n", c.from, to,
                                encode_header(c.subject), c.date.empty() ? now_rfc5322() : c.date);
    if (!c.message_id.empty()) m += "Message-ID: " + c.message_id + "\r\n";
    m += "MIME-Version: 1.0\r\n";
    const std::string alt = boundary("alt");
    std::string alternative = fmt::format("Content-Type: multipart/alternative;\r\n "
                                          "boundary=\"{}\"\r\n\r\n--{}\r\n{}--{}\r\n{}--{}--\r\n",
                                          alt, alt, text_part("text/plain", c.text), alt,
                                          text_part("text/html", c.html), alt);
    if (c.images.empty()) return m + alternative;
    const std::string rel = boundary("rel");
    m += fmt::format("Content-Type: multipart/related;\r\n type=\"multipart/alternative\";\r\n "
                     "boundary=\"{}\"\r\n\r\n--{}\r\n{}",
                     rel, rel, alternative);
    for (const auto& img : c.images)
        m += fmt::format("--{}\r\nContent-Type: image/png; name=\"{}\"\r\nContent-Transfer-Encoding: "
                         "base64\r\nContent-ID: <{}>\r\nContent-Disposition: inline;\r\n "
                         "filename=\"{}\"\r\n\r\n{}",
                         rel, img.filename, img.content_id, img.filename, base64_encode(img.png));
    m += "--" + rel + "--\r\n";
    return m;
}

} // namespace aurum
