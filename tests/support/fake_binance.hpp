#pragma once
// A fake Binance spot REST server on 127.0.0.1 for tests: speaks the documented protocol
// (../shared/data/docs/binance/rest-api.md) for /api/v3/ping, /api/v3/time and /api/v3/klines,
// counts request weight per minute like the exchange, and injects faults (429/418 with
// Retry-After, 5xx, slow and malformed responses). Other endpoints (orders, account) can be added
// with route(). Never contacts anything; only listens on loopback.
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/bar_series.hpp"
#include "core/clock.hpp"
#include "core/timeframe.hpp"

namespace aurum::test {

/// A request as the fake saw it.
struct FakeRequest {
    std::string method;
    std::string path;
    std::string target; ///< path and query exactly as sent (what a signature covers)
    std::multimap<std::string, std::string> params; ///< query string (and form body) parameters
    std::multimap<std::string, std::string> headers;
    std::string body;
    int status = 0; ///< status the fake answered with
    TimeMs time = 0; ///< the fake's clock when the request arrived

    /// First value of a parameter, or nullopt.
    std::optional<std::string> param(const std::string& name) const;
    std::optional<std::string> header(const std::string& name) const;
};

/// A response the fake sends (or an injected fault).
struct FakeResponse {
    int status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string content_type = "application/json;charset=UTF-8";
    /// Wait this long before answering (a slow server; beyond the client's read timeout it is a
    /// timeout). The wait ends early when the server stops.
    long long delay_ms = 0;
    /// For faults: after the delay, answer normally instead of with this response.
    bool then_normal = false;

    static FakeResponse json(int status, std::string body);
    /// {"code": code, "msg": msg} with the given HTTP status, like Binance's error payload.
    static FakeResponse error(int status, int code, const std::string& msg);
    /// 429 with Retry-After (seconds).
    static FakeResponse rate_limited(int retry_after_s);
    /// 418 (IP auto-banned) with Retry-After (seconds).
    static FakeResponse banned(int retry_after_s);
    static FakeResponse server_error(int status = 500);
    static FakeResponse malformed(std::string body = "[[1499040000000,\"0.0163\",");
    /// Answers normally, but only after `delay_ms`.
    static FakeResponse slow(long long delay_ms);
};

/// The fake exchange. Starts listening on a free 127.0.0.1 port in the constructor, in a
/// background thread; stops in the destructor. Thread-safe.
class FakeBinance {
  public:
    /// `clock` decides which candles exist (open time <= now) and which is still open, and where
    /// the per-minute weight window is. Share the client's SimulatedClock in unit tests.
    explicit FakeBinance(const Clock& clock);
    ~FakeBinance();
    FakeBinance(const FakeBinance&) = delete;
    FakeBinance& operator=(const FakeBinance&) = delete;

    /// "http://127.0.0.1:<port>".
    std::string base_url() const;
    int port() const;

    // --- market data -------------------------------------------------------------------------
    /// Lists a symbol ("BTCUSDT") whose klines of every interval are generated deterministically
    /// from `listed_at` on (see generated_bar), up to the clock's now; the candle containing now
    /// is served as still open, like Binance does.
    void add_symbol(const std::string& binance_symbol, TimeMs listed_at, double base_price = 30000);
    /// Lists a symbol served from a recorded series for one interval (e.g. a
    /// ../shared/data/crypto/binance CSV loaded with load_ohlcv_csv); other intervals are empty.
    void add_recorded(const std::string& binance_symbol, const BarSeries& bars);
    /// Removes klines with open time in [from, to) of a generated symbol (an exchange outage).
    void add_gap(const std::string& binance_symbol, TimeMs from, TimeMs to);
    /// The kline the fake serves for a generated symbol at `open` (closed candle), exactly as the
    /// client parses it (prices rounded to cents).
    Bar generated_bar(const std::string& binance_symbol, Timeframe tf, TimeMs open) const;
    /// Open times the fake serves for [from, to) (closed candles), for expected-value checks.
    std::vector<TimeMs> served_open_times(const std::string& binance_symbol, Timeframe tf,
                                          TimeMs from, TimeMs to) const;

    // --- rate limits -------------------------------------------------------------------------
    /// Weight of the current minute; requests add their weight, the header reports it, and past
    /// `limit` the fake answers 429 with Retry-After (seconds to the next minute).
    void set_used_weight(int weight);
    int used_weight() const;
    void set_weight_limit(int limit);
    /// Responses that were 429 because the weight limit was passed (not injected ones).
    int weight_limit_hits() const;

    // --- faults ------------------------------------------------------------------------------
    /// The next `times` requests to `path`, after `after` more requests to it, get `fault`.
    void inject(const std::string& path, FakeResponse fault, int times = 1, int after = 0);

    // --- extension and inspection ------------------------------------------------------------
    using Handler = std::function<FakeResponse(const FakeRequest&)>;
    /// Serves `method path` with `handler` (weight counted as `weight`). Later routes for the
    /// same method and path replace earlier ones (including the built-in ones).
    void route(const std::string& method, const std::string& path, int weight, Handler handler);
    /// Requests received for `path` (all paths when empty).
    int request_count(const std::string& path = "") const;
    std::vector<FakeRequest> requests() const;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

/// Reads an OHLCV CSV "timestamp,open,high,low,close,volume" (the ../shared/data/crypto/binance
/// layout; timestamps as UTC date/datetime text or epoch ms) into a series.
BarSeries load_ohlcv_csv(const std::filesystem::path& path, const std::string& symbol,
                         Timeframe tf);

/// A Sleeper-compatible recorder for tests: remembers each wait and advances a SimulatedClock by
/// it, so code that waits for a window or a Retry-After sees time pass without waiting.
struct RecordingSleeper {
    SimulatedClock* clock = nullptr;
    std::shared_ptr<std::vector<long long>> waits = std::make_shared<std::vector<long long>>();
    void operator()(long long ms) const {
        waits->push_back(ms);
        if (clock)
            clock->advance(ms);
    }
    long long total() const {
        long long t = 0;
        for (long long w : *waits)
            t += w;
        return t;
    }
};

} // namespace aurum::test
