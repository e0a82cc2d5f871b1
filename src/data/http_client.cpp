#include "data/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

namespace aurum {

Sleeper thread_sleeper() {
    return [](TimeMs ms) {
        if (ms > 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    };
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

[[noreturn]] void bad_url(std::string_view text, const std::string& why) {
    throw InputError(
        fmt::format("base URL '{}': {} (expected e.g. http://127.0.0.1:8080)", text, why));
}

} // namespace

BaseUrl BaseUrl::parse(std::string_view text) {
    BaseUrl url;
    const auto sep = text.find("://");
    if (sep == std::string_view::npos)
        bad_url(text, "missing scheme");
    for (char c : text.substr(0, sep))
        url.scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (url.scheme != "http" && url.scheme != "https")
        bad_url(text, "scheme must be http or https, got '" + url.scheme + "'");
    std::string_view rest = text.substr(sep + 3);
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path =
        slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    if (authority.find('@') != std::string_view::npos)
        bad_url(text, "credentials in URLs are not supported");
    if (authority.empty())
        bad_url(text, "missing host");
    if (authority.front() == '[')
        bad_url(text, "IPv6 literals are not supported");
    const auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
        url.host = std::string(authority.substr(0, colon));
        const std::string_view port = authority.substr(colon + 1);
        if (port.empty() || port.size() > 5 ||
            !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
            bad_url(text, "port must be a number");
        url.port = std::stoi(std::string(port));
        if (url.port < 1 || url.port > 65535)
            bad_url(text, "port must be in 1..65535");
    } else {
        url.host = std::string(authority);
        url.port = url.scheme == "https" ? 443 : 80;
    }
    if (url.host.empty())
        bad_url(text, "missing host");
    for (char c : url.host)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'))
            bad_url(text, fmt::format("invalid character '{}' in host", c));
    if (path.find_first_of("?#") != std::string_view::npos)
        bad_url(text, "query or fragment not allowed");
    while (!path.empty() && path.back() == '/')
        path.remove_suffix(1);
    url.prefix = std::string(path);
    return url;
}

std::string BaseUrl::origin() const {
    return fmt::format("{}://{}:{}", scheme, host, port);
}

std::string BaseUrl::to_string() const {
    return origin() + prefix;
}

std::string HttpRequest::target() const {
    // Not httplib::Params (a sorted multimap): keep the caller's order, as messages show it.
    std::string out = path;
    char sep = '?';
    for (const auto& [k, v] : query) {
        out += sep;
        out += httplib::detail::encode_query_param(k);
        out += '=';
        out += httplib::detail::encode_query_param(v);
        sep = '&';
    }
    return out;
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (iequals(k, name))
            return v;
    return std::nullopt;
}

HttpResponse HttpClient::get(const std::string& path, HttpParams query, HttpParams headers) {
    HttpRequest req;
    req.method = "GET";
    req.path = path;
    req.query = std::move(query);
    req.headers = std::move(headers);
    return send(req);
}

namespace {

/// The real client: one httplib::Client per base URL, keeping the connection alive.
class HttplibClient final : public HttpClient {
  public:
    explicit HttplibClient(const HttpClientOptions& options)
        : options_(options), base_(BaseUrl::parse(options.base_url)),
          client_(std::make_unique<httplib::Client>(base_.origin())) {
        const auto set = [](TimeMs ms, auto&& setter) {
            const TimeMs clamped = std::max<TimeMs>(ms, 1);
            setter(static_cast<time_t>(clamped / 1000),
                   static_cast<time_t>((clamped % 1000) * 1000));
        };
        set(options.connect_timeout_ms,
            [this](time_t s, time_t us) { client_->set_connection_timeout(s, us); });
        set(options.read_timeout_ms,
            [this](time_t s, time_t us) { client_->set_read_timeout(s, us); });
        set(options.write_timeout_ms,
            [this](time_t s, time_t us) { client_->set_write_timeout(s, us); });
        client_->set_keep_alive(options.keep_alive);
        // Small requests go out at once: with Nagle a request written in two parts waits for
        // the peer's delayed ACK (40 ms per order round trip on loopback).
        client_->set_tcp_nodelay(true);
        client_->set_follow_location(false);
        client_->set_url_encode(false); // HttpRequest::target() already encodes the query
    }

    const BaseUrl& base_url() const override { return base_; }

    HttpResponse send(const HttpRequest& request) override {
        httplib::Request req;
        req.method = request.method;
        req.path = base_.prefix + request.target();
        req.headers.emplace("User-Agent", options_.user_agent);
        for (const auto& [k, v] : request.headers)
            req.headers.emplace(k, v);
        if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
            req.body = request.body;
            if (!request.content_type.empty())
                req.headers.emplace("Content-Type", request.content_type);
        }
        httplib::Result result = client_->send(req);
        if (!result) {
            const httplib::Error err = result.error();
            // After a timeout the connection may carry a late response: start afresh.
            client_->stop();
            const std::string where =
                fmt::format("{} {}{}", request.method, base_.to_string(), request.target());
            switch (err) {
            case httplib::Error::Connection:
                throw HttpTransportError(HttpFailure::ConnectionRefused,
                                         fmt::format("cannot connect to {} ({}): {}",
                                                     base_.origin(), httplib::to_string(err),
                                                     where));
            case httplib::Error::ConnectionTimeout:
                throw HttpTransportError(HttpFailure::Timeout,
                                         fmt::format("connect to {} timed out after {} ms: {}",
                                                     base_.origin(), options_.connect_timeout_ms,
                                                     where));
            case httplib::Error::Read:
                // cpp-httplib reports a read timeout as a read error; both mean "no answer in
                // time".
                throw HttpTransportError(HttpFailure::Timeout,
                                         fmt::format("no response within {} ms (read timeout or "
                                                     "connection closed): {}",
                                                     options_.read_timeout_ms, where));
            default:
                throw HttpTransportError(
                    HttpFailure::Other,
                    fmt::format("request failed ({}): {}", httplib::to_string(err), where));
            }
        }
        HttpResponse out;
        out.status = result->status;
        out.body = std::move(result->body);
        out.headers.reserve(result->headers.size());
        for (const auto& [k, v] : result->headers)
            out.headers.emplace_back(k, v);
        return out;
    }

  private:
    HttpClientOptions options_;
    BaseUrl base_;
    std::unique_ptr<httplib::Client> client_;
};

} // namespace

std::unique_ptr<HttpClient> make_http_client(const HttpClientOptions& options) {
    return std::make_unique<HttplibClient>(options);
}

TimeMs RetryPolicy::backoff(int retry) const {
    if (retry < 1)
        retry = 1;
    double delay = static_cast<double>(initial_backoff_ms);
    for (int i = 1; i < retry && delay < static_cast<double>(max_backoff_ms); ++i)
        delay *= multiplier;
    return std::min<TimeMs>(static_cast<TimeMs>(std::llround(delay)), max_backoff_ms);
}

std::string body_excerpt(std::string_view body, std::size_t max_chars) {
    std::string out;
    for (std::size_t i = 0; i < body.size() && i < max_chars; ++i) {
        const unsigned char c = static_cast<unsigned char>(body[i]);
        if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else if (c < 0x20 || c == 0x7f)
            out += fmt::format("\\x{:02x}", c);
        else
            out += static_cast<char>(c);
    }
    if (body.size() > max_chars)
        out += fmt::format("... ({} bytes)", body.size());
    if (body.empty())
        out = "<empty>";
    return out;
}

} // namespace aurum
