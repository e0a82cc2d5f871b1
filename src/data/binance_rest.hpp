#pragma once
// The one Binance spot REST transport of a session: market data and orders share it, so one key
// and one IP have one view of the exchange's limits (../shared/data/docs/binance/rest-api.md,
// "LIMITS"): request weight per window (X-MBX-USED-WEIGHT-(n)(letter)), orders per window
// (X-MBX-ORDER-COUNT-(n)(letter)), 429 and 418 with Retry-After, server time and recvWindow for
// SIGNED requests. Callers keep their own policy for 5xx and timeouts (a read may be retried, an
// order's outcome is unknown).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "data/http_client.hpp"

namespace aurum {

/// One entry of exchangeInfo.rateLimits.
struct BinanceRateLimit {
    enum class Type { RequestWeight, Orders, RawRequests } type = Type::RequestWeight;
    std::string interval = "MINUTE"; ///< SECOND, MINUTE, HOUR or DAY
    int interval_num = 1;
    std::int64_t limit = 0;

    /// Length of one window (SECOND x 10 -> 10,000 ms).
    TimeMs window_ms() const;
    /// "1M", "10S", "1D": the suffix of the X-MBX-USED-WEIGHT- / X-MBX-ORDER-COUNT- headers.
    std::string header_suffix() const;
    /// "6000 weight per 1 MINUTE", for messages.
    std::string describe() const;
};

/// Parses exchangeInfo.rateLimits. Every entry must have a known rateLimitType and interval, an
/// intervalNum >= 1 and a limit >= 1; anything else throws SystemError naming the entry
/// (`what` says where the JSON came from) -- a malformed limit is never silently "no limit".
std::vector<BinanceRateLimit> parse_rate_limits(const nlohmann::json& rate_limits,
                                                const std::string& what);

/// Binance's documented spot limits: 6,000 weight / 1 minute, 50 orders / 10 s, 160,000 orders /
/// day. Used until exchangeInfo has been read.
std::vector<BinanceRateLimit> default_binance_rate_limits();

/// What a request is, for the limiters.
enum class BinanceRequestKind {
    Public, ///< market data, server time, exchangeInfo: weight only
    Signed, ///< account, order queries and cancels: weight, timestamp, signature
    Order   ///< a new order (POST /api/v3/order): also counts against the ORDERS limits
};

/// The transport refused a request without sending it: an IP ban that has not expired, or an
/// order that would pass a limit whose window ends too late to wait for (the daily order count).
class BinanceLimitError : public SystemError {
  public:
    using SystemError::SystemError;
};

/// Settings of BinanceRest.
struct BinanceRestOptions {
    std::string base_url; ///< required: "https://api.binance.com" or a fake server's URL
    TimeMs connect_timeout_ms = 5000;
    TimeMs read_timeout_ms = 10000;
    int recv_window_ms = 5000; ///< SIGNED requests; the exchange allows at most 60,000
    /// Share of each REQUEST_WEIGHT limit this process may use; the rest is left to other
    /// processes on the same IP.
    double weight_budget = 0.9;
    /// A limiter or a Retry-After wait at most this long is waited out; a longer one (a ban of
    /// hours, the daily order count) refuses the request with BinanceLimitError.
    TimeMs max_wait_ms = 5 * kMsPerMinute;
    int max_rate_limit_retries = 5; ///< 429/418 answers waited out per request before giving up
    RetryPolicy backoff;            ///< wait after a 429/418 that carries no Retry-After
};

/// Credentials of SIGNED requests (the secret never leaves this process).
struct BinanceKey {
    std::string api_key;
    std::string api_secret;
};

/// Counters of what the transport did (status displays, tests, benchmarks).
struct BinanceRestStats {
    std::int64_t requests = 0;         ///< HTTP requests sent
    std::int64_t orders = 0;           ///< of those, new orders
    std::int64_t weight_waits = 0;     ///< waits chosen before passing a REQUEST_WEIGHT limit
    std::int64_t order_waits = 0;      ///< waits chosen before passing an ORDERS limit
    std::int64_t rate_limit_waits = 0; ///< waits ordered by a 429 or 418
    std::int64_t refused = 0;          ///< requests refused locally (BinanceLimitError)
    std::int64_t time_syncs = 0;
    TimeMs waited_ms = 0;           ///< total time slept for all of the above
    std::optional<int> used_weight; ///< X-MBX-USED-WEIGHT-1M of the last response
    /// When the last signed, ready request was handed to the socket (latency benchmarks).
    std::chrono::steady_clock::time_point last_sent{};
};

/// Binance spot REST transport. Single-threaded (the engine thread), like its clients.
class BinanceRest {
  public:
    /// `clock` places requests in the limit windows; `sleeper` does every wait.
    BinanceRest(std::unique_ptr<HttpClient> http, const Clock& clock, Sleeper sleeper,
                BinanceRestOptions options);
    /// Builds the cpp-httplib client from options.base_url and the timeouts.
    BinanceRest(BinanceRestOptions options, const Clock& clock, Sleeper sleeper);

    /// Sends one request after the limiters allow it, signing it for Signed/Order; waits out
    /// 429/418 per Retry-After and resends (the exchange refused those before processing them);
    /// resyncs the server time once on -1021. Returns the response whatever its status (a 429/418
    /// that could not be waited out too). Throws HttpTransportError when there is no response and
    /// BinanceLimitError when it refuses to send.
    HttpResponse send(HttpRequest request, int weight, BinanceRequestKind kind);

    /// Replaces the limits (from exchangeInfo.rateLimits); keeps the counts of open windows.
    void set_rate_limits(std::vector<BinanceRateLimit> limits);
    const std::vector<BinanceRateLimit>& rate_limits() const { return limits_; }
    /// Takes GET /api/v3/exchangeInfo's rateLimits (throws when one is malformed). A missing list,
    /// or one without REQUEST_WEIGHT or ORDERS entries, keeps the documented limits of that kind.
    void apply_exchange_info(const nlohmann::json& exchange_info);

    void set_key(BinanceKey key) { key_ = std::move(key); }
    bool has_key() const { return key_.has_value(); }

    /// GET /api/v3/time: the server's time and the offset added to SIGNED timestamps.
    TimeMs sync_time();
    TimeMs time_offset() const { return offset_; }
    /// The local clock plus the server offset.
    TimeMs exchange_now() const { return clock_.now() + offset_; }

    /// Sleeps `ms` through the injected sleeper, counted in stats().waited_ms (callers' own
    /// back-off after a 5xx or a timeout).
    void wait(TimeMs ms);

    /// Used count of a limit's current window (0 when the window has rolled over).
    std::int64_t used(const BinanceRateLimit& limit) const;
    /// End of the IP ban or 429 back-off the exchange ordered (0: none).
    TimeMs blocked_until() const { return blocked_until_; }

    const BinanceRestStats& stats() const { return stats_; }
    const BinanceRestOptions& options() const { return options_; }
    const Clock& clock() const { return clock_; }
    const BaseUrl& base_url() const { return http_->base_url(); }

  private:
    struct Window {
        TimeMs start = -1;
        std::int64_t count = 0;
    };
    /// Window of limit `i` containing `now`, opened (count 0) when the old one has ended.
    Window& window_of(std::size_t i, TimeMs now);
    /// Count of limit `i` at time `at` without opening a window.
    std::int64_t count_at(std::size_t i, TimeMs at) const;
    /// The part of a limit this process may use (weight_budget of REQUEST_WEIGHT limits).
    std::int64_t cap_of(const BinanceRateLimit& limit) const;
    /// Waits until every limit (and any ban) allows `weight` (and one order), or throws.
    void admit(int weight, bool order, const std::string& what);
    void reserve(int weight, bool order);
    void note_headers(const HttpResponse& response);
    /// A 429/418: pauses every request until Retry-After; throws BinanceLimitError when that is
    /// longer than max_wait_ms or the request has been refused too often.
    void back_off(const HttpResponse& response, int attempt, const std::string& what);
    void sign(HttpRequest& request) const;

    std::unique_ptr<HttpClient> http_;
    const Clock& clock_;
    Sleeper sleeper_;
    BinanceRestOptions options_;
    std::optional<BinanceKey> key_;
    std::vector<BinanceRateLimit> limits_;
    std::vector<Window> windows_; ///< by limit index
    std::atomic<TimeMs> offset_{0}; ///< read by the user data stream's thread too
    TimeMs blocked_until_ = 0; ///< local clock time until which the exchange wants silence
    int blocked_status_ = 0;   ///< 429 or 418: what ordered that pause
    BinanceRestStats stats_;
};

/// Binance's {"code": -1121, "msg": "..."} of an error response; code 0 when the body is not one.
struct BinanceErrorBody {
    int code = 0;
    std::string msg;
};
BinanceErrorBody parse_binance_error(std::string_view body);

/// A Binance decimal-string field of `object` ("0.0010"): nullopt when it is missing, not a
/// string, or not a finite number written out whole.
std::optional<double> binance_decimal(const nlohmann::json& object, const char* key);

/// Lower-case hex HMAC-SHA256 of `data` keyed with `key` (the `signature` of SIGNED requests).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

} // namespace aurum
