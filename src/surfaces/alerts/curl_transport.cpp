#include "surfaces/alerts/curl_transport.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>

#include <curl/curl.h>

namespace aurum {

namespace {

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
    auto* out = static_cast<CurlResponse*>(user);
    std::string line(data, size * n);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        std::string value = line.substr(colon + 1);
        while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
            value.erase(value.begin());
        while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
            value.pop_back();
        out->headers.emplace_back(std::move(name), std::move(value));
    }
    return size * n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const auto* abort = static_cast<const std::atomic<bool>*>(user);
    return abort && abort->load() ? 1 : 0;
}

struct ReadState {
    const std::string* text;
    std::size_t pos = 0;
};

size_t on_read(char* buf, size_t size, size_t n, void* user) {
    auto* st = static_cast<ReadState*>(user);
    const std::size_t left = st->text->size() - st->pos;
    const std::size_t k = std::min(left, size * n);
    std::memcpy(buf, st->text->data() + st->pos, k);
    st->pos += k;
    return k;
}

} // namespace

std::string CurlResponse::header(const std::string& lower_name) const {
    for (const auto& [k, v] : headers)
        if (k == lower_name) return v;
    return "";
}

std::string redact_url(const std::string& url) {
    // Telegram: .../bot<token>/method; Discord/Slack: the webhook path is the secret.
    const auto scheme = url.find("://");
    const auto path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    if (path == std::string::npos) return url;
    const auto bot = url.find("/bot", path);
    if (bot != std::string::npos) {
        const auto end = url.find('/', bot + 4);
        return url.substr(0, bot + 4) + "***" + (end == std::string::npos ? "" : url.substr(end));
    }
    return url.substr(0, path) + "/***";
}

CurlResponse curl_http(const std::string& url, const std::string& body,
                       const std::string& content_type, long timeout_ms,
                       const std::atomic<bool>* abort) {
    global_init();
    CurlResponse out;
    CURL* h = curl_easy_init();
    if (!h) {
        out.error = "curl_easy_init failed";
        return out;
    }
    curl_slist* headers = nullptr;
    if (!content_type.empty())
        headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
    headers = curl_slist_append(headers, "Expect:"); // no 100-continue round trip
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "aurum-edge/0.1");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 10000L));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!content_type.empty() || !body.empty()) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &out.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &out);
    if (abort) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(abort));
    }
    const CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        out.status = static_cast<int>(status);
    } else {
        out.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
        out.error = std::string(curl_easy_strerror(rc)) + " (" + redact_url(url) + ")";
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    return out;
}

SmtpResult curl_smtp_send(const SmtpRequest& r) {
    global_init();
    SmtpResult out;
    CURL* h = curl_easy_init();
    if (!h) {
        out.error = "curl_easy_init failed";
        return out;
    }
    curl_slist* rcpt = nullptr;
    for (const auto& t : r.to) rcpt = curl_slist_append(rcpt, ("<" + t + ">").c_str());
    ReadState st{&r.message};
    curl_easy_setopt(h, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min(r.timeout_ms, 10000L));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, r.timeout_ms);
    if (r.starttls) curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    if (!r.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, r.ca_file.c_str());
    if (!r.username.empty()) {
        curl_easy_setopt(h, CURLOPT_USERNAME, r.username.c_str());
        curl_easy_setopt(h, CURLOPT_PASSWORD, r.password.c_str());
    }
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, ("<" + r.from + ">").c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &st);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE, static_cast<long>(r.message.size()));
    const CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.reply_code);
    if (rc == CURLE_OK) {
        out.ok = true;
    } else {
        out.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
        out.error = std::string(curl_easy_strerror(rc)) +
                    (out.reply_code ? " (SMTP " + std::to_string(out.reply_code) + ")" : "");
    }
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(h);
    return out;
}

} // namespace aurum
