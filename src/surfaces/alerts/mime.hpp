#pragma once
// An RFC 5322 / MIME message for the email channel and the report emails: multipart/alternative
// (text + HTML), wrapped in multipart/related when the HTML shows PNG charts by Content-ID.
#include <string>
#include <vector>

namespace aurum {

/// A PNG shown inline by the HTML as <img src="cid:ID">.
struct InlineImage {
    std::string content_id; ///< "equity@aurum"
    std::string filename;   ///< "equity.png"
    std::string png;        ///< the bytes
};

struct EmailContent {
    std::string from;
    std::vector<std::string> to;
    std::string subject;
    std::string text;
    std::string html;
    std::vector<InlineImage> images;
    std::string message_id; ///< "<alert-12@aurum-edge>": lets mail clients drop a duplicate
    std::string date;       ///< RFC 5322 date; "" = now
};

/// The whole message, CRLF line ends, text parts quoted-printable, images base64 (76 columns).
std::string build_mime_message(const EmailContent& content);

std::string base64_encode(const std::string& bytes);
std::string quoted_printable(const std::string& text);

} // namespace aurum
