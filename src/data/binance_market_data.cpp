#include "data/binance_market_data.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "data/binance_errors.hpp"
#include "core/error.hpp"
#include "core/instrument.hpp"

namespace aurum {

namespace {

struct IntervalName {
    TimeMs ms;
    const char* name;
};

// Every fixed-length interval of GET /api/v3/klines ("1M" has no fixed length; "1s" is too fine
// for a Timeframe).
constexpr std::array<IntervalName, 14> kIntervals{{{kMsPerMinute, "1m"},
                                                   {3 * kMsPerMinute, "3m"},
                                                   {5 * kMsPerMinute, "5m"},
                                                   {15 * kMsPerMinute, "15m"},
                                                   {30 * kMsPerMinute, "30m"},
                                                   {kMsPerHour, "1h"},
                                                   {2 * kMsPerHour, "2h"},
                                                   {4 * kMsPerHour, "4h"},
                                                   {6 * kMsPerHour, "6h"},
                                                   {8 * kMsPerHour, "8h"},
                                                   {12 * kMsPerHour, "12h"},
                                                   {kMsPerDay, "1d"},
                                                   {3 * kMsPerDay, "3d"},
                                                   {kMsPerWeek, "1w"}}};

// Timestamps at or above this are microseconds (in milliseconds it would be the year 5138).
constexpr std::int64_t kMicrosecondThreshold = 100'000'000'000'000LL;

using nlohmann::json;

} // namespace

std::string to_binance_symbol(const std::string& symbol) {
    const std::string norm = normalize_symbol(symbol);
    const auto fail = [&](const std::string& why) -> std::string {
        throw InputError(
            fmt::format("symbol '{}': {} (expected e.g. BTC/USDT or BTCUSDT)", symbol, why));
    };
    if (norm.empty())
        return fail("empty");
    std::string out;
    int slashes = 0;
    for (char c : norm) {
        if (c == '/') {
            ++slashes;
            continue;
        }
        if (!std::isalnum(static_cast<unsigned char>(c)))
            return fail(fmt::format("invalid character '{}'", c));
        out += c;
    }
    if (slashes > 1)
        return fail("more than one '/'");
    if (slashes == 1 && (norm.front() == '/' || norm.back() == '/'))
        return fail("base or quote currency missing");
    if (out.size() < 2 || out.size() > 20)
        return fail("must have 2 to 20 letters or digits");
    return out;
}

std::string from_binance_symbol(std::string_view binance_symbol) {
    return normalize_symbol(std::string(binance_symbol));
}

std::string binance_interval(Timeframe tf) {
    for (const auto& i : kIntervals)
        if (i.ms == tf.ms())
            return i.name;
    std::string known;
    for (const auto& i : kIntervals)
        known += (known.empty() ? "" : ", ") + std::string(i.name);
    throw InputError(fmt::format(
        "timeframe '{}': Binance has no such kline interval (supported: {})", tf.name(), known));
}

namespace {

/// Checks one kline; names it and the request in any error.
class KlineReader {
  public:
    KlineReader(const std::string& what, Timeframe tf) : what_(what), tf_(tf) {}

    [[noreturn]] void fail(std::size_t index, std::optional<TimeMs> open,
                           const std::string& why) const {
        throw SystemError(fmt::format(
            "binance: invalid kline #{}{} in response to {}: {}", index + 1,
            open ? " (open time " + format_time(*open) + ")" : std::string{}, what_, why));
    }

    TimeMs time_at(const json& k, std::size_t field, std::size_t index, const char* name) const {
        const json& v = k[field];
        std::int64_t t = 0;
        if (v.is_number_integer())
            t = v.get<std::int64_t>();
        else
            fail(index, std::nullopt, fmt::format("{} must be an integer, got {}", name, v.dump()));
        if (t < 0)
            fail(index, std::nullopt, fmt::format("{} is negative: {}", name, t));
        return t >= kMicrosecondThreshold ? t / 1000 : t; // microseconds (timeUnit) -> ms
    }

    double number_at(const json& k, std::size_t field, std::size_t index, TimeMs open,
                     const char* name) const {
        const json& v = k[field];
        double x = 0;
        if (v.is_string()) {
            const std::string& s = v.get_ref<const std::string&>();
            const char* end = s.data() + s.size();
            const auto [ptr, ec] = std::from_chars(s.data(), end, x);
            if (ec != std::errc{} || ptr != end || s.empty())
                fail(index, open, fmt::format("{} is not a number: \"{}\"", name, s));
        } else if (v.is_number()) {
            x = v.get<double>();
        } else {
            fail(index, open, fmt::format("{} must be a decimal string, got {}", name, v.dump()));
        }
        if (!std::isfinite(x))
            fail(index, open, fmt::format("{} is not finite", name));
        return x;
    }

    const std::string& what_;
    Timeframe tf_;
};

} // namespace

KlinePage parse_klines(std::string_view body, const std::string& symbol, Timeframe tf, TimeMs now,
                       TimeRange expected, const std::string& what) {
    json doc;
    try {
        doc = json::parse(body.begin(), body.end());
    } catch (const json::exception& e) { // parse_error, or out_of_range for a number like 1e9999
        throw SystemError(fmt::format("binance: malformed JSON in response to {}: {} (body: {})",
                                      what, e.what(), body_excerpt(body)));
    }
    if (!doc.is_array())
        throw SystemError(fmt::format("binance: expected a JSON array of klines in response to {}, "
                                      "got a {} (body: {})",
                                      what, doc.type_name(), body_excerpt(body)));
    KlineReader r(what, tf);
    KlinePage page;
    page.bars.symbol = symbol;
    page.bars.timeframe = tf;
    page.bars.reserve(doc.size());
    page.received = doc.size();
    std::optional<TimeMs> prev;
    for (std::size_t i = 0; i < doc.size(); ++i) {
        const json& k = doc[i];
        if (!k.is_array() || k.size() < 7)
            r.fail(i, std::nullopt,
                   fmt::format("expected an array of 12 fields [open time, open, high, low, close, "
                               "volume, close time, ...], got {}",
                               body_excerpt(k.dump(), 80)));
        const TimeMs open_time = r.time_at(k, 0, i, "open time");
        const TimeMs close_time = r.time_at(k, 6, i, "close time");
        Bar b;
        b.time = open_time;
        b.open = r.number_at(k, 1, i, open_time, "open");
        b.high = r.number_at(k, 2, i, open_time, "high");
        b.low = r.number_at(k, 3, i, open_time, "low");
        b.close = r.number_at(k, 4, i, open_time, "close");
        b.volume = r.number_at(k, 5, i, open_time, "volume");
        if (!expected.contains(open_time))
            r.fail(i, open_time,
                   fmt::format("outside the requested range [{}, {})", format_time(expected.from),
                               format_time(expected.to)));
        if (prev && open_time <= *prev)
            r.fail(i, open_time,
                   fmt::format("not after the previous kline ({}): duplicate or out of order",
                               format_time(*prev)));
        if (close_time != open_time + tf.ms() - 1)
            r.fail(i, open_time,
                   fmt::format("close time {} does not match a {} interval (expected {})",
                               format_time(close_time), tf.name(),
                               format_time(open_time + tf.ms() - 1)));
        if (b.open <= 0 || b.high <= 0 || b.low <= 0 || b.close <= 0)
            r.fail(i, open_time, "prices must be positive");
        if (b.volume < 0)
            r.fail(i, open_time, fmt::format("negative volume {}", b.volume));
        if (b.high < b.low)
            r.fail(i, open_time, fmt::format("high {} < low {}", b.high, b.low));
        if (b.high < std::max(b.open, b.close) || b.low > std::min(b.open, b.close))
            r.fail(i, open_time,
                   fmt::format("open {} / close {} outside [low {}, high {}]", b.open, b.close,
                               b.low, b.high));
        prev = open_time;
        page.last_open = open_time;
        // Binance serves the current candle while it is still forming; it is not a bar yet.
        if (close_time >= now) {
            ++page.dropped_open;
            continue;
        }
        page.bars.push_back(b);
    }
    return page;
}

namespace {

BinanceRestOptions rest_options(const BinanceOptions& o) {
    BinanceRestOptions r;
    r.base_url = o.base_url;
    r.connect_timeout_ms = o.connect_timeout_ms;
    r.read_timeout_ms = o.read_timeout_ms;
    r.weight_budget = o.weight_budget;
    r.max_wait_ms = o.max_retry_after_ms;
    r.max_rate_limit_retries = o.max_rate_limit_retries;
    r.backoff = o.retry;
    return r;
}

std::unique_ptr<HttpClient> required(std::unique_ptr<HttpClient> http) {
    if (!http)
        throw SystemError("BinanceMarketDataClient: no HTTP transport");
    return http;
}

/// A transport of the client's own (no sharing): `http` when given, else cpp-httplib.
std::shared_ptr<BinanceRest> own_rest(std::unique_ptr<HttpClient> http, const Clock& clock,
                                      Sleeper sleeper, const BinanceOptions& o) {
    if (o.weight_limit < 1)
        throw InputError(fmt::format("binance weight limit must be positive, got {}", o.weight_limit));
    auto rest = http ? std::make_shared<BinanceRest>(std::move(http), clock, std::move(sleeper),
                                                     rest_options(o))
                     : std::make_shared<BinanceRest>(rest_options(o), clock, std::move(sleeper));
    auto limits = default_binance_rate_limits();
    for (auto& l : limits)
        if (l.type == BinanceRateLimit::Type::RequestWeight)
            l.limit = o.weight_limit;
    rest->set_rate_limits(std::move(limits));
    return rest;
}

} // namespace

BinanceMarketDataClient::BinanceMarketDataClient(std::shared_ptr<BinanceRest> rest,
                                                 BinanceOptions options)
    : rest_(std::move(rest)), options_(std::move(options)) {
    if (!rest_)
        throw SystemError("BinanceMarketDataClient: no Binance transport");
    if (options_.page_limit < 1 || options_.page_limit > 1000)
        throw InputError(
            fmt::format("binance page limit must be in 1..1000, got {}", options_.page_limit));
    if (options_.retry.max_retries < 0)
        throw InputError(
            fmt::format("max retries must be >= 0, got {}", options_.retry.max_retries));
}

BinanceMarketDataClient::BinanceMarketDataClient(std::unique_ptr<HttpClient> http,
                                                 const Clock& clock, Sleeper sleeper,
                                                 BinanceOptions options)
    : BinanceMarketDataClient(
          own_rest(required(std::move(http)), clock, std::move(sleeper), options),
          options) {}

BinanceMarketDataClient::BinanceMarketDataClient(BinanceOptions options, const Clock& clock,
                                                 Sleeper sleeper)
    : BinanceMarketDataClient(own_rest(nullptr, clock, std::move(sleeper), options), options) {}

BinanceRequestStats BinanceMarketDataClient::stats() const {
    const BinanceRestStats& t = rest_->stats();
    BinanceRequestStats s;
    s.requests = t.requests;
    s.retries = retries_;
    s.rate_limit_waits = t.rate_limit_waits;
    s.weight_waits = t.weight_waits;
    s.waited_ms = t.waited_ms;
    s.used_weight = t.used_weight;
    return s;
}

HttpResponse BinanceMarketDataClient::send(const HttpRequest& request, int weight,
                                           const std::string& symbol) {
    const std::string what =
        fmt::format("{} {}{}", request.method, rest_->base_url().to_string(), request.target());
    for (int transient = 0;; ++transient) {
        std::string problem;
        try {
            HttpResponse resp = rest_->send(request, weight, BinanceRequestKind::Public);
            if (resp.status == 200)
                return resp;
            if (resp.status < 500)
                fail_client_error(resp, what, symbol);
            problem = fmt::format("HTTP {} (body: {})", resp.status, body_excerpt(resp.body));
        } catch (const HttpTransportError& e) {
            if (e.kind() == HttpFailure::ConnectionRefused)
                throw SystemError(
                    fmt::format("binance: {} (check --base-url or binance.base_url in "
                                "config/exchanges.yaml)",
                                e.what()));
            problem = e.what();
        }
        // 5xx or timeout: Binance says the outcome is unknown, which is harmless for a read.
        if (transient >= options_.retry.max_retries)
            throw SystemError(fmt::format("binance: {} failed after {} attempts; last error: {}",
                                          what, transient + 1, problem));
        ++retries_;
        const TimeMs delay = options_.retry.backoff(transient + 1);
        spdlog::warn("binance: {}; retry {}/{} in {} ms", problem, transient + 1,
                     options_.retry.max_retries, delay);
        rest_->wait(delay);
    }
}

void BinanceMarketDataClient::fail_client_error(const HttpResponse& response,
                                                const std::string& what,
                                                const std::string& symbol) {
    const BinanceErrorBody e = parse_binance_error(response.body);
    const std::optional<int> code = e.code ? std::optional<int>(e.code) : std::nullopt;
    const std::string msg = e.code ? e.msg : std::string();
    if (code && *code == binance_error::kBadSymbol)
        throw InputError(
            fmt::format("unknown symbol '{}' on binance (sent as {}): \"{}\" (code -1121)", symbol,
                        to_binance_symbol(symbol), msg));
    if (code && *code == binance_error::kBadInterval)
        throw InputError(
            fmt::format("binance rejected the interval of {}: \"{}\" (code -1120)", what, msg));
    if (code)
        throw SystemError(fmt::format("binance rejected {}: HTTP {}, code {}: \"{}\"", what,
                                      response.status, *code, msg));
    throw SystemError(fmt::format("binance: unexpected HTTP {} for {} (body: {})", response.status,
                                  what, body_excerpt(response.body)));
}

KlinePage BinanceMarketDataClient::fetch_klines(const std::string& symbol, Timeframe tf,
                                                TimeMs start, TimeMs end, int limit) {
    if (limit == 0)
        limit = options_.page_limit;
    if (limit < 1 || limit > 1000)
        throw InputError(fmt::format("binance klines limit must be in 1..1000, got {}", limit));
    const std::string norm = normalize_symbol(symbol);
    HttpRequest req;
    req.path = "/api/v3/klines";
    req.query = {{"symbol", to_binance_symbol(symbol)},
                 {"interval", binance_interval(tf)},
                 {"startTime", std::to_string(start)},
                 {"endTime", std::to_string(end - 1)}, // inclusive on Binance's side
                 {"limit", std::to_string(limit)}};
    if (options_.microsecond_timestamps)
        req.headers.emplace_back("X-MBX-TIME-UNIT", "MICROSECOND");
    if (end <= start) {
        KlinePage empty;
        empty.bars.symbol = norm;
        empty.bars.timeframe = tf;
        return empty;
    }
    const HttpResponse resp = send(req, options_.klines_weight, norm);
    const std::string what = fmt::format("GET {}{}", rest_->base_url().to_string(), req.target());
    KlinePage page = parse_klines(resp.body, norm, tf, rest_->clock().now(), TimeRange{start, end}, what);
    if (page.received > static_cast<std::size_t>(limit))
        throw SystemError(
            fmt::format("binance: {} klines in response to {}, more than the limit {}",
                        page.received, what, limit));
    return page;
}

void BinanceMarketDataClient::ping() {
    HttpRequest req;
    req.path = "/api/v3/ping";
    send(req, 1, "");
}

TimeMs BinanceMarketDataClient::server_time() {
    HttpRequest req;
    req.path = "/api/v3/time";
    const HttpResponse resp = send(req, 1, "");
    const std::string what = fmt::format("GET {}{}", rest_->base_url().to_string(), req.target());
    try {
        const json j = json::parse(resp.body);
        if (j.is_object() && j.contains("serverTime") && j["serverTime"].is_number_integer())
            return j["serverTime"].get<TimeMs>();
    } catch (const json::exception&) {
    }
    throw SystemError(
        fmt::format("binance: malformed response to {}: expected {{\"serverTime\": ms}}, "
                    "got {}",
                    what, body_excerpt(resp.body)));
}

} // namespace aurum
