#include "data/binance_rest.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include "data/binance_errors.hpp"

namespace aurum {

using nlohmann::json;

namespace {

// Slack after the end of a limit window before the next request, for clock skew between us and
// the exchange (the windows are the exchange's).
constexpr TimeMs kWindowMarginMs = 1000;

struct IntervalUnit {
    const char* name;
    char letter;
    TimeMs ms;
};
constexpr IntervalUnit kUnits[] = {{"SECOND", 'S', kMsPerSecond},
                                   {"MINUTE", 'M', kMsPerMinute},
                                   {"HOUR", 'H', kMsPerHour},
                                   {"DAY", 'D', kMsPerDay}};

const IntervalUnit* unit_of(std::string_view interval) {
    for (const auto& u : kUnits)
        if (interval == u.name)
            return &u;
    return nullptr;
}

const char* type_name(BinanceRateLimit::Type t) {
    switch (t) {
    case BinanceRateLimit::Type::RequestWeight:
        return "REQUEST_WEIGHT";
    case BinanceRateLimit::Type::Orders:
        return "ORDERS";
    case BinanceRateLimit::Type::RawRequests:
        break;
    }
    return "RAW_REQUESTS";
}

std::optional<std::int64_t> parse_count(const std::optional<std::string>& h) {
    if (!h)
        return std::nullopt;
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(h->data(), h->data() + h->size(), v);
    if (ec != std::errc{} || ptr != h->data() + h->size() || v < 0)
        return std::nullopt;
    return v;
}

/// Retry-After in milliseconds (the header carries whole seconds), or nullopt.
std::optional<TimeMs> retry_after_ms(const HttpResponse& response) {
    const auto s = parse_count(response.header("Retry-After"));
    if (!s)
        return std::nullopt;
    return *s * kMsPerSecond;
}

} // namespace

TimeMs BinanceRateLimit::window_ms() const {
    const IntervalUnit* u = unit_of(interval);
    return (u ? u->ms : kMsPerMinute) * interval_num;
}

std::string BinanceRateLimit::header_suffix() const {
    const IntervalUnit* u = unit_of(interval);
    return fmt::format("{}{}", interval_num, u ? u->letter : 'M');
}

std::string BinanceRateLimit::describe() const {
    return fmt::format("{} {} per {} {}", type_name(type), limit, interval_num, interval);
}

std::vector<BinanceRateLimit> parse_rate_limits(const json& rate_limits, const std::string& what) {
    if (!rate_limits.is_array())
        throw SystemError(fmt::format("binance: {}: rateLimits must be an array, got {}", what,
                                      body_excerpt(rate_limits.dump())));
    std::vector<BinanceRateLimit> out;
    for (std::size_t i = 0; i < rate_limits.size(); ++i) {
        const json& e = rate_limits[i];
        const auto fail = [&](const std::string& why) {
            throw SystemError(fmt::format("binance: {}: rateLimits[{}] {}: {}", what, i, why,
                                          body_excerpt(e.dump(), 160)));
        };
        if (!e.is_object())
            fail("is not an object");
        BinanceRateLimit l;
        const json type = e.value("rateLimitType", json());
        if (type == "REQUEST_WEIGHT")
            l.type = BinanceRateLimit::Type::RequestWeight;
        else if (type == "ORDERS")
            l.type = BinanceRateLimit::Type::Orders;
        else if (type == "RAW_REQUESTS")
            l.type = BinanceRateLimit::Type::RawRequests;
        else
            fail("rateLimitType must be REQUEST_WEIGHT, ORDERS or RAW_REQUESTS");
        const json interval = e.value("interval", json());
        if (!interval.is_string() || !unit_of(interval.get<std::string>()))
            fail("interval must be SECOND, MINUTE, HOUR or DAY");
        l.interval = interval.get<std::string>();
        const json num = e.value("intervalNum", json());
        if (!num.is_number_integer() || num.get<std::int64_t>() < 1 ||
            num.get<std::int64_t>() > 1000)
            fail("intervalNum must be an integer >= 1");
        l.interval_num = num.get<int>();
        const json limit = e.value("limit", json());
        if (!limit.is_number_integer() || limit.get<std::int64_t>() < 1)
            fail("limit must be an integer >= 1");
        l.limit = limit.get<std::int64_t>();
        out.push_back(l);
    }
    return out;
}

std::vector<BinanceRateLimit> default_binance_rate_limits() {
    using T = BinanceRateLimit::Type;
    return {{T::RequestWeight, "MINUTE", 1, 6000},
            {T::Orders, "SECOND", 10, 50},
            {T::Orders, "DAY", 1, 160000},
            {T::RawRequests, "MINUTE", 5, 61000}};
}

BinanceErrorBody parse_binance_error(std::string_view body) {
    BinanceErrorBody out;
    try {
        const json j = json::parse(body.begin(), body.end());
        if (j.is_object() && j.contains("code") && j["code"].is_number_integer()) {
            out.code = j["code"].get<int>();
            if (j.contains("msg") && j["msg"].is_string())
                out.msg = j["msg"].get<std::string>();
            return out;
        }
    } catch (const json::exception&) {
        // Not Binance's error JSON.
    }
    out.msg = body_excerpt(body);
    return out;
}

std::optional<double> binance_decimal(const nlohmann::json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string()) return std::nullopt;
    const std::string& s = it->get_ref<const std::string&>();
    double v = 0;
    const char* end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, v);
    if (s.empty() || ec != std::errc{} || ptr != end || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(len * 2, '0');
    for (unsigned int i = 0; i < len; ++i) {
        out[2 * i] = kHex[mac[i] >> 4];
        out[2 * i + 1] = kHex[mac[i] & 0xf];
    }
    return out;
}

// --- BinanceRest -----------------------------------------------------------------------------

BinanceRest::BinanceRest(std::unique_ptr<HttpClient> http, const Clock& clock, Sleeper sleeper,
                         BinanceRestOptions options)
    : http_(std::move(http)), clock_(clock), sleeper_(std::move(sleeper)),
      options_(std::move(options)) {
    if (!http_)
        throw SystemError("BinanceRest: no HTTP transport");
    if (!sleeper_)
        sleeper_ = thread_sleeper();
    if (options_.recv_window_ms < 1 || options_.recv_window_ms > 60000)
        throw InputError(fmt::format("exchange.recv_window_ms must be in 1..60000 (the exchange's "
                                     "maximum), got {}",
                                     options_.recv_window_ms));
    if (!(options_.weight_budget > 0 && options_.weight_budget <= 1))
        throw InputError(
            fmt::format("binance weight budget must be in (0, 1], got {}", options_.weight_budget));
    set_rate_limits(default_binance_rate_limits());
}

namespace {
std::unique_ptr<HttpClient> make_transport(const BinanceRestOptions& o) {
    if (o.base_url.empty())
        throw InputError("binance: no base URL given");
    HttpClientOptions h;
    h.base_url = o.base_url;
    h.connect_timeout_ms = o.connect_timeout_ms;
    h.read_timeout_ms = o.read_timeout_ms;
    h.write_timeout_ms = o.read_timeout_ms;
    return make_http_client(h);
}
} // namespace

BinanceRest::BinanceRest(BinanceRestOptions options, const Clock& clock, Sleeper sleeper)
    : BinanceRest(make_transport(options), clock, std::move(sleeper), options) {}

void BinanceRest::set_rate_limits(std::vector<BinanceRateLimit> limits) {
    std::vector<Window> windows(limits.size());
    // Counts of a window already open carry over: the exchange does not forget them either.
    for (std::size_t i = 0; i < limits.size(); ++i)
        for (std::size_t k = 0; k < limits_.size(); ++k)
            if (limits_[k].type == limits[i].type && limits_[k].window_ms() == limits[i].window_ms())
                windows[i] = windows_[k];
    limits_ = std::move(limits);
    windows_ = std::move(windows);
}

void BinanceRest::apply_exchange_info(const json& exchange_info) {
    const std::string what = fmt::format("GET {}/api/v3/exchangeInfo", base_url().to_string());
    if (!exchange_info.is_object() || !exchange_info.contains("rateLimits")) {
        spdlog::warn("binance: {} lists no rateLimits; keeping the documented limits", what);
        return;
    }
    auto limits = parse_rate_limits(exchange_info.at("rateLimits"), what);
    // A kind the exchange does not list keeps its documented limits rather than none.
    for (const auto type : {BinanceRateLimit::Type::RequestWeight, BinanceRateLimit::Type::Orders}) {
        const auto same = [type](const BinanceRateLimit& l) { return l.type == type; };
        if (std::any_of(limits.begin(), limits.end(), same))
            continue;
        const auto defaults = default_binance_rate_limits();
        std::copy_if(defaults.begin(), defaults.end(), std::back_inserter(limits), same);
        spdlog::warn("binance: {} lists no {} limit; keeping the documented one", what,
                     type_name(type));
    }
    set_rate_limits(std::move(limits));
}

BinanceRest::Window& BinanceRest::window_of(std::size_t i, TimeMs now) {
    Window& w = windows_[i];
    const TimeMs start = floor_to(now, limits_[i].window_ms());
    if (w.start != start)
        w = Window{start, 0};
    return w;
}

std::int64_t BinanceRest::count_at(std::size_t i, TimeMs at) const {
    return windows_[i].start == floor_to(at, limits_[i].window_ms()) ? windows_[i].count : 0;
}

std::int64_t BinanceRest::used(const BinanceRateLimit& limit) const {
    const TimeMs now = exchange_now();
    for (std::size_t i = 0; i < limits_.size(); ++i)
        if (limits_[i].type == limit.type && limits_[i].window_ms() == limit.window_ms())
            return windows_[i].start == floor_to(now, limit.window_ms()) ? windows_[i].count : 0;
    return 0;
}

void BinanceRest::wait(TimeMs ms) {
    if (ms <= 0)
        return;
    stats_.waited_ms += ms;
    sleeper_(ms);
}

namespace {
/// How much of limit `l` one request of `weight` uses (0: that limiter does not count it).
std::int64_t amount_of(const BinanceRateLimit& l, int weight, bool order) {
    switch (l.type) {
    case BinanceRateLimit::Type::RequestWeight:
        return weight;
    case BinanceRateLimit::Type::Orders:
        return order ? 1 : 0;
    case BinanceRateLimit::Type::RawRequests:
        break;
    }
    return 1;
}
} // namespace

std::int64_t BinanceRest::cap_of(const BinanceRateLimit& l) const {
    if (l.type != BinanceRateLimit::Type::RequestWeight)
        return l.limit;
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(
                                         std::floor(static_cast<double>(l.limit) *
                                                    options_.weight_budget)));
}

void BinanceRest::admit(int weight, bool order, const std::string& what) {
    // Plans the whole wait first (ban, then every window that is full), then sleeps once: the
    // windows are judged at the time the request will really go out.
    const TimeMs start = exchange_now();
    TimeMs at = start;
    const auto refuse = [&](const std::string& why) {
        ++stats_.refused;
        throw BinanceLimitError(fmt::format("binance: {} not sent: {}", what, why));
    };
    const TimeMs ban = blocked_until_ + offset_;
    if (ban > at) {
        if (ban - at > options_.max_wait_ms)
            refuse(fmt::format("the exchange ordered a pause (HTTP {}, Retry-After) until {} UTC, "
                               "longer than the {} s this client waits",
                               blocked_status_, format_time(blocked_until_),
                               options_.max_wait_ms / kMsPerSecond));
        at = ban;
    }
    bool waited_weight = false, waited_order = false;
    for (bool moved = true; moved;) {
        moved = false;
        for (std::size_t i = 0; i < limits_.size(); ++i) {
            const BinanceRateLimit& l = limits_[i];
            const std::int64_t need = amount_of(l, weight, order);
            if (need == 0)
                continue;
            const std::int64_t cap = cap_of(l);
            const std::int64_t count = count_at(i, at);
            if (count + need <= cap)
                continue;
            const TimeMs next = floor_to(at, l.window_ms()) + l.window_ms() + kWindowMarginMs;
            if (need > cap || next - start > options_.max_wait_ms)
                refuse(fmt::format("{} used of {} (this process's share {}); the window ends at "
                                   "{} UTC",
                                   count, l.describe(), cap, format_time(next - offset_)));
            (l.type == BinanceRateLimit::Type::Orders ? waited_order : waited_weight) = true;
            at = next;
            moved = true;
        }
    }
    if (at == start)
        return;
    stats_.weight_waits += waited_weight ? 1 : 0;
    stats_.order_waits += waited_order ? 1 : 0;
    if (waited_weight || waited_order)
        spdlog::info("binance: waiting {} ms before {} to stay within the exchange's limits",
                     at - start, what);
    wait(at - start);
}

void BinanceRest::reserve(int weight, bool order) {
    const TimeMs now = exchange_now();
    for (std::size_t i = 0; i < limits_.size(); ++i)
        window_of(i, now).count += amount_of(limits_[i], weight, order);
}

void BinanceRest::note_headers(const HttpResponse& response) {
    const TimeMs now = exchange_now();
    for (std::size_t i = 0; i < limits_.size(); ++i) {
        const BinanceRateLimit& l = limits_[i];
        const char* prefix = l.type == BinanceRateLimit::Type::RequestWeight ? "X-MBX-USED-WEIGHT-"
                             : l.type == BinanceRateLimit::Type::Orders      ? "X-MBX-ORDER-COUNT-"
                                                                             : nullptr;
        if (!prefix)
            continue;
        const std::string name = prefix + l.header_suffix();
        const auto h = response.header(name);
        const auto v = parse_count(h);
        if (h && !v)
            spdlog::warn("binance: ignoring malformed {} header '{}'", name, *h);
        if (!v)
            continue;
        // The exchange's count is the truth: it includes other processes on the same IP/account.
        window_of(i, now).count = *v;
    }
    if (const auto w = parse_count(response.header("X-MBX-USED-WEIGHT-1M")))
        stats_.used_weight = static_cast<int>(*w);
}

void BinanceRest::back_off(const HttpResponse& response, int attempt, const std::string& what) {
    const bool ban = response.status == 418;
    const char* kind = ban ? "IP banned (HTTP 418)" : "rate limited (HTTP 429)";
    const auto after = retry_after_ms(response);
    const TimeMs delay = after.value_or(options_.backoff.backoff(attempt + 1));
    // Every request of this transport holds until then, not only this one: never hammer.
    blocked_until_ = std::max(blocked_until_, clock_.now() + delay);
    blocked_status_ = response.status;
    if (delay > options_.max_wait_ms)
        throw BinanceLimitError(fmt::format(
            "binance: {} on {}: Retry-After is {} s, longer than the {} s this client waits; "
            "try again after {} UTC",
            kind, what, delay / kMsPerSecond, options_.max_wait_ms / kMsPerSecond,
            format_time(blocked_until_)));
    if (attempt >= options_.max_rate_limit_retries)
        throw BinanceLimitError(
            fmt::format("binance: still {} after {} waits on {}", kind, attempt, what));
    ++stats_.rate_limit_waits;
    spdlog::log(ban ? spdlog::level::err : spdlog::level::warn,
                "binance: {}; no request for {} ms (Retry-After {}), then {} again", kind, delay,
                after ? "given" : "missing", what);
}

void BinanceRest::sign(HttpRequest& r) const {
    if (!key_)
        throw SystemError("binance: a SIGNED request (" + r.path + ") without an API key");
    r.query.emplace_back("recvWindow", std::to_string(options_.recv_window_ms));
    r.query.emplace_back("timestamp", std::to_string(exchange_now()));
    const std::string target = r.target();
    const auto q = target.find('?');
    const std::string payload = q == std::string::npos ? "" : target.substr(q + 1);
    r.query.emplace_back("signature", hmac_sha256_hex(key_->api_secret, payload + r.body));
    r.headers.emplace_back("X-MBX-APIKEY", key_->api_key);
}

HttpResponse BinanceRest::send(HttpRequest request, int weight, BinanceRequestKind kind) {
    const bool order = kind == BinanceRequestKind::Order;
    const bool sign_it = kind != BinanceRequestKind::Public;
    const std::string what = fmt::format("{} {}{}", request.method, base_url().to_string(),
                                         sign_it ? request.path : request.target());
    bool resynced = false;
    for (int attempt = 0;; ++attempt) {
        admit(weight, order, what);
        HttpRequest r = request;
        if (sign_it)
            sign(r);
        reserve(weight, order);
        ++stats_.requests;
        stats_.orders += order ? 1 : 0;
        stats_.last_sent = std::chrono::steady_clock::now();
        HttpResponse resp = http_->send(r);
        note_headers(resp);
        if (resp.status == 429 || resp.status == 418) {
            // Refused before processing (rest-api.md, LIMITS): resending after the wait is safe.
            back_off(resp, attempt, what);
            continue;
        }
        if (sign_it && resp.status != 200 && !resynced &&
            parse_binance_error(resp.body).code == binance_error::kInvalidTimestamp) {
            // Timestamp outside recvWindow: refused before processing; resync the clock once.
            resynced = true;
            sync_time();
            continue;
        }
        return resp;
    }
}

TimeMs BinanceRest::sync_time() {
    HttpRequest req;
    req.path = "/api/v3/time";
    const TimeMs t0 = clock_.now();
    const HttpResponse resp = send(req, 1, BinanceRequestKind::Public);
    const TimeMs t1 = clock_.now();
    const std::string what = fmt::format("GET {}{}", base_url().to_string(), req.path);
    if (resp.status != 200) {
        const BinanceErrorBody e = parse_binance_error(resp.body);
        throw SystemError(fmt::format("binance: {} failed: HTTP {} {}", what, resp.status, e.msg));
    }
    try {
        const json j = json::parse(resp.body);
        if (j.is_object() && j.contains("serverTime") && j["serverTime"].is_number_integer()) {
            const TimeMs server = j["serverTime"].get<TimeMs>();
            offset_ = server - (t0 + t1) / 2;
            ++stats_.time_syncs;
            return server;
        }
    } catch (const json::exception&) {
    }
    throw SystemError(fmt::format("binance: malformed response to {}: expected "
                                  "{{\"serverTime\": ms}}, got {}",
                                  what, body_excerpt(resp.body)));
}

} // namespace aurum
