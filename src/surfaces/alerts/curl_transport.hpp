#pragma once
// The alert channels' one transport: libcurl for HTTPS (Telegram, Discord, Slack) and SMTP
// (email), with bounded timeouts so a hanging channel costs the delivery worker at most the
// timeout and never the trading loop.
#include <atomic>
#include <string>
#include <utility>
#include <vector>

namespace aurum {

/// An HTTP answer; status 0 when there was none (see error, timed_out).
struct CurlResponse {
    int status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers; ///< names lower-cased
    std::string error;      ///< transport error in words (the URL's secrets removed)
    bool timed_out = false;

    std::string header(const std::string& lower_name) const;
};

/// POSTs `body` (Content-Type `content_type`) to `url`; GET when `body` is empty and
/// `content_type` is empty. Never throws for a transport failure. Setting `*abort` ends a
/// request in progress (a long poll when the daemon stops).
CurlResponse curl_http(const std::string& url, const std::string& body,
                       const std::string& content_type, long timeout_ms,
                       const std::atomic<bool>* abort = nullptr);

/// SMTP settings of one send.
struct SmtpRequest {
    std::string url;        ///< "smtp://host:587" (STARTTLS when `starttls`) or "smtps://host:465"
    bool starttls = true;   ///< with smtp://: require STARTTLS (CURLUSESSL_ALL)
    std::string ca_file;    ///< extra CA bundle (a test's self-signed certificate); "" = system
    std::string username, password; ///< "" = no AUTH
    std::string from;
    std::vector<std::string> to;
    std::string message;    ///< the full RFC 5322 message (headers + MIME body)
    long timeout_ms = 30000;
};

/// Sends one message. Returns "" on success, else the error in words (with the SMTP reply code
/// when the server gave one, e.g. "SMTP 421 ...").
struct SmtpResult {
    bool ok = false;
    long reply_code = 0;
    std::string error;
    bool timed_out = false;
};
SmtpResult curl_smtp_send(const SmtpRequest& request);

/// `url` with a Telegram bot token or webhook path replaced by "***" (for logs and errors).
std::string redact_url(const std::string& url);

} // namespace aurum
