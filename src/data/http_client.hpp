#pragma once
// A small HTTP client over cpp-httplib for the REST clients (exchange market data, later the live
// exchange adapter, on-chain and sentiment feeds). Every client takes a base URL so tests point it
// at a fake server on 127.0.0.1; waiting goes through an injectable Sleeper so tests never wait.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"

namespace aurum {

/// Waits for a number of milliseconds. Production sleeps the thread; tests record the request
/// (and usually advance a SimulatedClock) so retry and rate-limit paths run instantly.
using Sleeper = std::function<void(TimeMs)>;

/// A Sleeper that really sleeps the calling thread.
Sleeper thread_sleeper();

/// "scheme://host[:port][/prefix]", parsed once so every request reuses it.
struct BaseUrl {
    std::string scheme; ///< "http" or "https"
    std::string host;   ///< "127.0.0.1", "api.binance.com"
    int port = 0;       ///< explicit or the scheme's default
    std::string prefix; ///< path prefix without trailing '/', usually empty

    /// Throws InputError naming the value when it is not an http(s) URL with a host.
    static BaseUrl parse(std::string_view text);
    /// "scheme://host:port" (what cpp-httplib connects to).
    std::string origin() const;
    /// origin() + prefix.
    std::string to_string() const;
};

/// Query or header parameters in the order they are sent.
using HttpParams = std::vector<std::pair<std::string, std::string>>;

/// One request relative to the client's base URL.
struct HttpRequest {
    std::string method = "GET";
    std::string path; ///< "/api/v3/klines" (the base URL prefix is added by the client)
    HttpParams query;
    HttpParams headers;
    std::string body;
    std::string content_type; ///< for POST/PUT bodies

    /// path + "?" + URL-encoded query, as written in messages and sent on the wire.
    std::string target() const;
};

/// A response with any status code (4xx/5xx are responses, not exceptions).
struct HttpResponse {
    int status = 0;
    std::string body;
    HttpParams headers;

    /// Value of a header (case-insensitive name), or nullopt.
    std::optional<std::string> header(std::string_view name) const;
};

/// Why a request produced no HTTP response at all.
enum class HttpFailure {
    ConnectionRefused, ///< nothing listens there, or the host cannot be resolved
    Timeout,           ///< connect or read timed out (the server may still be working)
    Other              ///< the connection broke, TLS failed, ...
};

/// A request that got no HTTP response. Maps to exit code 2 like any SystemError.
class HttpTransportError : public SystemError {
  public:
    HttpTransportError(HttpFailure kind, const std::string& message)
        : SystemError(message), kind_(kind) {}
    HttpFailure kind() const { return kind_; }

  private:
    HttpFailure kind_;
};

/// Connection settings of an HttpClient.
struct HttpClientOptions {
    std::string base_url; ///< "http://127.0.0.1:8080", "https://api.binance.com"
    TimeMs connect_timeout_ms = 5000;
    TimeMs read_timeout_ms = 10000; ///< also bounds a response that trickles in slowly
    TimeMs write_timeout_ms = 10000;
    std::string user_agent = "aurum-edge/0.1";
    bool keep_alive = true; ///< reuse one connection across requests (paginated downloads)
};

/// Sends requests to one base URL. Abstract so exchange adapters can be unit-tested with a mock;
/// make_http_client() gives the real cpp-httplib implementation.
class HttpClient {
  public:
    virtual ~HttpClient() = default;
    /// Sends one request; returns the response whatever its status. Throws HttpTransportError
    /// when there is no response (refused, timed out, dropped).
    virtual HttpResponse send(const HttpRequest& request) = 0;
    virtual const BaseUrl& base_url() const = 0;

    HttpResponse get(const std::string& path, HttpParams query = {}, HttpParams headers = {});
};

/// The cpp-httplib client. Throws InputError when options.base_url is malformed.
std::unique_ptr<HttpClient> make_http_client(const HttpClientOptions& options);

/// Capped exponential backoff for transient failures (5xx, timeouts).
struct RetryPolicy {
    int max_retries = 5;             ///< retries after the first attempt; 0 = fail at once
    TimeMs initial_backoff_ms = 500; ///< wait before the first retry
    TimeMs max_backoff_ms = 30000;   ///< cap of any single wait
    double multiplier = 2.0;

    /// Wait before retry number `retry` (1-based): initial * multiplier^(retry-1), capped.
    TimeMs backoff(int retry) const;
};

/// First `max_chars` of a body with control characters escaped, for error messages.
std::string body_excerpt(std::string_view body, std::size_t max_chars = 120);

} // namespace aurum
