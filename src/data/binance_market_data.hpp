#pragma once
// Binance spot market data over REST: GET /api/v3/klines with the exchange's rate-limit rules
// (docs: ../shared/data/docs/binance/rest-api.md, "LIMITS" and "Kline/Candlestick data").
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/bar_series.hpp"
#include "core/clock.hpp"
#include "core/timeframe.hpp"
#include "data/binance_rest.hpp"
#include "data/http_client.hpp"

namespace aurum {

/// The public Binance spot REST endpoint. Only the CLI falls back to it; tests always pass a
/// 127.0.0.1 base URL of the fake server.
inline constexpr const char* kBinanceSpotBaseUrl = "https://api.binance.com";
/// Binance's spot test network (its own keys; no real money).
inline constexpr const char* kBinanceSpotTestnetUrl = "https://testnet.binance.vision";

/// "BTC/USDT", "btcusdt", "BTC-USDT" -> "BTCUSDT". Throws InputError naming the value when it is
/// not an exchange symbol (empty, more than one '/', characters other than letters and digits).
std::string to_binance_symbol(const std::string& symbol);
/// "BTCUSDT" -> "BTC/USDT" for quote currencies we recognise (see normalize_symbol).
std::string from_binance_symbol(std::string_view binance_symbol);
/// Binance kline interval ("1m", "4h", "1d", "1w"). Throws InputError listing the supported
/// intervals when Binance has none of that length (e.g. 10m).
std::string binance_interval(Timeframe tf);

/// Tuning of BinanceMarketDataClient; the defaults follow the documented spot limits. base_url,
/// the timeouts, weight_limit, weight_budget, max_rate_limit_retries and max_retry_after_ms set
/// up the client's own transport; a client sharing a BinanceRest uses that one's.
struct BinanceOptions {
    std::string base_url; ///< required: "https://api.binance.com" or a fake server's URL
    TimeMs connect_timeout_ms = 5000;
    TimeMs read_timeout_ms = 10000; ///< Binance itself gives up on a request after 10 s
    int page_limit = 1000;          ///< klines per request (documented maximum 1000)
    int weight_limit = 6000;        ///< spot REQUEST_WEIGHT per minute per IP
    /// Share of weight_limit this client may use; the rest is left to other processes on the same
    /// IP (the live engine). Before a request that would pass it, the client waits for the next
    /// minute window.
    double weight_budget = 0.9;
    int klines_weight = 2;          ///< documented weight of GET /api/v3/klines
    RetryPolicy retry;              ///< 5xx responses and timeouts
    int max_rate_limit_retries = 5; ///< 429/418 waits before giving up
    /// A Retry-After longer than this (an IP ban of hours) is reported as an error, not waited out.
    TimeMs max_retry_after_ms = 5 * kMsPerMinute;
    /// Ask Binance for microsecond timestamps (header X-MBX-TIME-UNIT). Either unit is parsed.
    bool microsecond_timestamps = false;
};

/// Counters of what a client did, for the CLI summary and tests.
struct BinanceRequestStats {
    std::int64_t requests = 0;         ///< HTTP requests sent by the transport (incl. retries)
    std::int64_t retries = 0;          ///< retries after a 5xx or a timeout
    std::int64_t rate_limit_waits = 0; ///< waits ordered by a 429 or 418
    std::int64_t weight_waits = 0;     ///< waits the client chose before reaching the weight limit
    TimeMs waited_ms = 0;              ///< total time slept for all of the above
    std::optional<int> used_weight;    ///< X-MBX-USED-WEIGHT-1M of the last response
};

/// One response of GET /api/v3/klines after validation.
struct KlinePage {
    BarSeries bars;                  ///< closed candles only, ascending open time
    std::size_t received = 0;        ///< klines in the response, including a dropped open candle
    std::size_t dropped_open = 0;    ///< candles still open at the clock's now (close time >= now)
    std::optional<TimeMs> last_open; ///< open time of the last kline received
};

/// Parses a klines response body (array of 12-element arrays; times in ms or us, prices as
/// strings) into bars of `symbol`/`tf`, dropping candles whose close time is >= now. Every kline
/// is checked (shape, numbers, OHLC consistency, close time = open + interval - 1, ascending, in
/// [start, end)); any problem throws SystemError naming `what` (the request) and the kline.
KlinePage parse_klines(std::string_view body, const std::string& symbol, Timeframe tf, TimeMs now,
                       TimeRange expected, const std::string& what);

/// Binance spot market-data client: klines, ping, server time. Requests go through a BinanceRest
/// transport (weight limiter, 429/418 per Retry-After), shared with the order client in a live
/// session; this client adds capped exponential retries of 5xx and timeouts (harmless for a read)
/// and maps Binance error JSON to InputError/SystemError. Single-threaded.
class BinanceMarketDataClient {
  public:
    /// Uses the given HTTP client (tests may pass a mock) in a transport of its own; `clock`
    /// decides which candle is still open and where the weight window ends; `sleeper` does every
    /// wait.
    BinanceMarketDataClient(std::unique_ptr<HttpClient> http, const Clock& clock, Sleeper sleeper,
                            BinanceOptions options);
    /// Builds the cpp-httplib transport from options.base_url and the timeouts.
    BinanceMarketDataClient(BinanceOptions options, const Clock& clock, Sleeper sleeper);
    /// Shares `rest` (the session's one transport per key and IP); options.base_url, the timeouts
    /// and the limit settings are the transport's, the rest of `options` applies.
    BinanceMarketDataClient(std::shared_ptr<BinanceRest> rest, BinanceOptions options);

    /// Closed klines of `symbol` ("BTC/USDT") with open time in [start, end), at most `limit`
    /// (1..1000, default options.page_limit).
    KlinePage fetch_klines(const std::string& symbol, Timeframe tf, TimeMs start, TimeMs end,
                           int limit = 0);
    /// GET /api/v3/ping; throws when the server does not answer.
    void ping();
    /// GET /api/v3/time.
    TimeMs server_time();

    /// This client's retries and the transport's counters (shared with other clients of it).
    BinanceRequestStats stats() const;
    const BinanceOptions& options() const { return options_; }
    const Clock& clock() const { return rest_->clock(); }
    std::string base_url() const { return rest_->base_url().to_string(); }
    BinanceRest& transport() { return *rest_; }

  private:
    /// Sends with the transport and retries 5xx/timeouts; returns a 200 response or throws.
    HttpResponse send(const HttpRequest& request, int weight, const std::string& symbol);
    [[noreturn]] void fail_client_error(const HttpResponse& response, const std::string& what,
                                        const std::string& symbol);

    std::shared_ptr<BinanceRest> rest_;
    BinanceOptions options_;
    std::int64_t retries_ = 0;
    TimeMs retry_waited_ms_ = 0;
};

} // namespace aurum
