#include "support/fake_binance.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "core/stable_hash.hpp"

namespace aurum::test {

namespace {

constexpr std::int64_t kMicrosecondThreshold = 100'000'000'000'000LL;

std::optional<std::string> first_of(const std::multimap<std::string, std::string>& m,
                                    const std::string& key) {
    const auto it = m.find(key);
    if (it == m.end())
        return std::nullopt;
    return it->second;
}

std::optional<long long> to_int(const std::string& s) {
    long long v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty())
        return std::nullopt;
    return v;
}

std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

double unit(std::uint64_t h) {
    return static_cast<double>(h >> 11) * 0x1.0p-53;
}

std::uint64_t hash_str(const std::string& s) {
    return fnv1a_short_basis64(s);
}

double round_to(double x, double scale) {
    return std::round(x * scale) / scale;
}

struct IntervalName {
    TimeMs ms;
    const char* name;
};
constexpr IntervalName kIntervals[] = {
    {kMsPerMinute, "1m"},       {3 * kMsPerMinute, "3m"},   {5 * kMsPerMinute, "5m"},
    {15 * kMsPerMinute, "15m"}, {30 * kMsPerMinute, "30m"}, {kMsPerHour, "1h"},
    {2 * kMsPerHour, "2h"},     {4 * kMsPerHour, "4h"},     {6 * kMsPerHour, "6h"},
    {8 * kMsPerHour, "8h"},     {12 * kMsPerHour, "12h"},   {kMsPerDay, "1d"},
    {3 * kMsPerDay, "3d"},      {kMsPerWeek, "1w"}};

std::optional<Timeframe> parse_interval(const std::string& s) {
    for (const auto& i : kIntervals)
        if (s == i.name)
            return Timeframe(i.ms);
    return std::nullopt;
}

// Binance weeks open on Monday; 1970-01-05 was the first Monday after the epoch.
TimeMs grid_offset(Timeframe tf) {
    return tf.ms() == kMsPerWeek ? 4 * kMsPerDay : 0;
}
TimeMs align_up(TimeMs t, Timeframe tf) {
    const TimeMs off = grid_offset(tf);
    const TimeMs f = floor_to(t - off, tf.ms()) + off;
    return f == t ? t : f + tf.ms();
}
TimeMs align_down(TimeMs t, Timeframe tf) {
    const TimeMs off = grid_offset(tf);
    return floor_to(t - off, tf.ms()) + off;
}

} // namespace

std::optional<std::string> FakeRequest::param(const std::string& name) const {
    return first_of(params, name);
}

std::optional<std::string> FakeRequest::header(const std::string& name) const {
    for (const auto& [k, v] : headers)
        if (k.size() == name.size() &&
            std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            }))
            return v;
    return std::nullopt;
}

FakeResponse FakeResponse::json(int status, std::string body) {
    FakeResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

FakeResponse FakeResponse::error(int status, int code, const std::string& msg) {
    return json(status, fmt::format(R"({{"code":{},"msg":"{}"}})", code, msg));
}

FakeResponse FakeResponse::rate_limited(int retry_after_s) {
    FakeResponse r = error(429, -1003,
                           "Too much request weight used; current limit is 6000 request "
                           "weight per 1 MINUTE. Please use WebSocket Streams for live "
                           "updates to avoid polling the API.");
    r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
    return r;
}

FakeResponse FakeResponse::banned(int retry_after_s) {
    FakeResponse r = error(418, -1003,
                           "Way too much request weight used; IP banned until later. "
                           "Please use WebSocket Streams for live updates to avoid bans.");
    r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
    return r;
}

FakeResponse FakeResponse::server_error(int status) {
    FakeResponse r =
        error(status, -1001, "Internal error; unable to process your request. Please try again.");
    return r;
}

FakeResponse FakeResponse::malformed(std::string body) {
    return json(200, std::move(body));
}

FakeResponse FakeResponse::slow(long long delay_ms) {
    FakeResponse r;
    r.delay_ms = delay_ms;
    r.then_normal = true;
    return r;
}

struct FakeBinance::State {
    explicit State(const Clock& c) : clock(c) {}

    struct Listing {
        bool generated = true;
        TimeMs listed_at = 0;
        double base_price = 30000;
        std::vector<TimeRange> gaps;
        BarSeries recorded;
    };
    struct Scheduled {
        std::string path;
        int first = 0, last = 0; // request numbers (per path, 1-based) that get the fault
        FakeResponse response;
    };
    struct Route {
        int weight = 1;
        Handler handler;
    };

    const Clock& clock;
    httplib::Server server;
    std::thread thread;
    int port = 0;

    mutable std::mutex mu;
    std::condition_variable stop_cv;
    bool stopping = false;
    std::map<std::string, Listing> listings;
    int used_weight = 0;
    TimeMs weight_minute = INT64_MIN;
    int weight_limit = 6000;
    int limit_hits = 0;
    std::vector<Scheduled> faults;
    std::map<std::string, int> counts;
    std::vector<FakeRequest> log;
    std::map<std::pair<std::string, std::string>, Route> routes;

    // --- caller holds mu ---
    void roll_window(TimeMs now) {
        const TimeMs minute = floor_to(now, kMsPerMinute);
        if (minute != weight_minute) {
            weight_minute = minute;
            used_weight = 0;
        }
    }

    Bar make_bar(const std::string& sym, const Listing& l, Timeframe tf, TimeMs open,
                 TimeMs now) const {
        const auto level = [&](TimeMs t) {
            const double x = static_cast<double>(t) / static_cast<double>(kMsPerDay);
            const double phase = static_cast<double>(hash_str(sym) % 1000) / 1000.0 * 6.283;
            return l.base_price * std::exp(0.2 * std::sin(x / 37.0 * 6.283 + phase) +
                                           0.05 * std::sin(x / 3.3 * 6.283));
        };
        const std::uint64_t h = splitmix(hash_str(sym) ^ static_cast<std::uint64_t>(open) ^
                                         (static_cast<std::uint64_t>(tf.ms()) << 20));
        const bool open_candle = open + tf.ms() > now;
        Bar b;
        b.time = open;
        b.open = round_to(level(open), 100);
        b.close = round_to(
            level(open_candle ? now : open + tf.ms()) * (1 + 0.002 * (unit(h) - 0.5)), 100);
        b.high = round_to(std::max(b.open, b.close) * (1 + 0.004 * unit(splitmix(h + 1))), 100);
        b.low = round_to(std::min(b.open, b.close) * (1 - 0.004 * unit(splitmix(h + 2))), 100);
        b.volume = round_to(1 + 100 * unit(splitmix(h + 3)) * (open_candle ? 0.3 : 1.0), 10000);
        return b;
    }

    bool in_gap(const Listing& l, TimeMs t) const {
        for (const auto& g : l.gaps)
            if (g.contains(t))
                return true;
        return false;
    }

    /// Bars (open candle included) with open time in [from, to], oldest first, at most limit;
    /// newest_first picks the most recent `limit` instead (no startTime given).
    std::vector<Bar> select(const std::string& sym, const Listing& l, Timeframe tf, TimeMs from,
                            TimeMs to, int limit, bool newest_first, TimeMs now) const {
        std::vector<Bar> out;
        to = std::min(to, now); // candles open at or before now exist
        if (!l.generated) {
            if (l.recorded.timeframe != tf)
                return out;
            std::size_t i = l.recorded.lower_bound(from);
            std::size_t j = l.recorded.lower_bound(to == INT64_MAX ? to : to + 1);
            if (newest_first && j - i > static_cast<std::size_t>(limit))
                i = j - static_cast<std::size_t>(limit);
            for (; i < j && out.size() < static_cast<std::size_t>(limit); ++i)
                out.push_back(l.recorded.at(i));
            return out;
        }
        const TimeMs first = align_up(std::max(from, l.listed_at), tf);
        const TimeMs last = align_down(to, tf);
        if (first > last)
            return out;
        if (newest_first) {
            for (TimeMs t = last; t >= first && out.size() < static_cast<std::size_t>(limit);
                 t -= tf.ms())
                if (!in_gap(l, t))
                    out.push_back(make_bar(sym, l, tf, t, now));
            std::reverse(out.begin(), out.end());
        } else {
            for (TimeMs t = first; t <= last && out.size() < static_cast<std::size_t>(limit);
                 t += tf.ms())
                if (!in_gap(l, t))
                    out.push_back(make_bar(sym, l, tf, t, now));
        }
        return out;
    }

    FakeResponse klines(const FakeRequest& r) {
        const auto sym = r.param("symbol");
        if (!sym || sym->empty())
            return FakeResponse::error(400, -1102,
                                       "Mandatory parameter 'symbol' was not sent, was "
                                       "empty/null, or malformed.");
        const auto interval_text = r.param("interval");
        if (!interval_text)
            return FakeResponse::error(400, -1102,
                                       "Mandatory parameter 'interval' was not sent, was "
                                       "empty/null, or malformed.");
        const auto tf = parse_interval(*interval_text);
        if (!tf)
            return FakeResponse::error(400, -1120, "Invalid interval.");
        int limit = 500;
        if (const auto l = r.param("limit")) {
            const auto v = to_int(*l);
            if (!v || *v < 1 || *v > 1000)
                return FakeResponse::error(400, -1130,
                                           "Data sent for parameter 'limit' is not valid.");
            limit = static_cast<int>(*v);
        }
        const auto time_param = [&](const char* name) -> std::optional<std::optional<TimeMs>> {
            const auto p = r.param(name);
            if (!p)
                return std::optional<TimeMs>{};
            const auto v = to_int(*p);
            if (!v || *v < 0)
                return std::nullopt;
            return std::optional<TimeMs>{*v >= kMicrosecondThreshold ? *v / 1000 : *v};
        };
        const auto start = time_param("startTime");
        const auto end = time_param("endTime");
        if (!start || !end)
            return FakeResponse::error(400, -1100, "Illegal characters found in a parameter.");
        const auto tu = r.header("X-MBX-TIME-UNIT");
        const bool micro = tu && (*tu == "MICROSECOND" || *tu == "microsecond");

        std::lock_guard lock(mu);
        const auto it = listings.find(*sym);
        if (it == listings.end())
            return FakeResponse::error(400, -1121, "Invalid symbol.");
        const TimeMs now = clock.now();
        const TimeMs from = start->value_or(INT64_MIN);
        const TimeMs to = end->value_or(INT64_MAX);
        const std::vector<Bar> bars =
            select(*sym, it->second, *tf, from, to, limit, !start->has_value(), now);
        std::string body = "[";
        body.reserve(bars.size() * 160 + 2);
        const std::int64_t scale = micro ? 1000 : 1;
        for (std::size_t i = 0; i < bars.size(); ++i) {
            const Bar& b = bars[i];
            const std::uint64_t h = splitmix(static_cast<std::uint64_t>(b.time));
            fmt::format_to(
                std::back_inserter(body),
                R"({}[{},"{:.8f}","{:.8f}","{:.8f}","{:.8f}","{:.8f}",{},"{:.8f}",{},"{:.8f}","{:.8f}","0"])",
                i ? "," : "", b.time * scale, b.open, b.high, b.low, b.close, b.volume,
                (b.time + tf->ms()) * scale - 1, b.volume * b.close, 100 + h % 5000, b.volume * 0.5,
                b.volume * 0.5 * b.close);
        }
        body += "]";
        return FakeResponse::json(200, std::move(body));
    }

    void dispatch(const httplib::Request& req, httplib::Response& res) {
        FakeRequest fr;
        fr.method = req.method;
        fr.path = req.path;
        fr.target = req.target;
        for (const auto& [k, v] : req.params)
            fr.params.emplace(k, v);
        for (const auto& [k, v] : req.headers)
            fr.headers.emplace(k, v);
        fr.body = req.body;

        Handler handler;
        std::optional<FakeResponse> fault;
        FakeResponse out;
        bool answered = false;
        int weight_now = 0;
        {
            std::lock_guard lock(mu);
            const TimeMs now = clock.now();
            fr.time = now;
            roll_window(now);
            const int n = ++counts[fr.path];
            const auto rit = routes.find({fr.method, fr.path});
            if (rit == routes.end()) {
                out = FakeResponse::error(404, -1000,
                                          "Unknown endpoint " + fr.method + " " + fr.path);
                answered = true;
            } else {
                used_weight += rit->second.weight;
                handler = rit->second.handler;
                for (const auto& f : faults)
                    if (f.path == fr.path && n >= f.first && n <= f.last) {
                        fault = f.response;
                        break;
                    }
                if (fault && !fault->then_normal) {
                    out = *fault;
                    answered = true;
                } else if (used_weight > weight_limit) {
                    const TimeMs next = weight_minute + kMsPerMinute;
                    out = FakeResponse::rate_limited(
                        static_cast<int>((next - now + kMsPerSecond - 1) / kMsPerSecond));
                    ++limit_hits;
                    answered = true;
                }
            }
            weight_now = used_weight;
        }
        if (fault && fault->delay_ms > 0) {
            std::unique_lock lock(mu);
            stop_cv.wait_for(lock, std::chrono::milliseconds(fault->delay_ms),
                             [this] { return stopping; });
        }
        if (!answered)
            out = handler(fr);
        res.status = out.status;
        res.set_content(out.body, out.content_type.c_str());
        res.set_header("X-MBX-USED-WEIGHT-1M", std::to_string(weight_now));
        for (const auto& [k, v] : out.headers)
            res.set_header(k.c_str(), v);
        fr.status = out.status;
        std::lock_guard lock(mu);
        log.push_back(std::move(fr));
    }
};

FakeBinance::FakeBinance(const Clock& clock) : state_(std::make_unique<State>(clock)) {
    State* s = state_.get();
    s->routes[{"GET", "/api/v3/ping"}] = {
        1, [](const FakeRequest&) { return FakeResponse::json(200, "{}"); }};
    s->routes[{"GET", "/api/v3/time"}] = {
        1, [s](const FakeRequest&) {
            return FakeResponse::json(200, fmt::format(R"({{"serverTime":{}}})", s->clock.now()));
        }};
    s->routes[{"GET", "/api/v3/klines"}] = {2, [s](const FakeRequest& r) { return s->klines(r); }};

    const auto handle = [s](const httplib::Request& req, httplib::Response& res) {
        s->dispatch(req, res);
    };
    s->server.Get(".*", handle);
    s->server.Post(".*", handle);
    s->server.Put(".*", handle);
    s->server.Delete(".*", handle);
    s->server.set_keep_alive_timeout(1);
    s->server.set_tcp_nodelay(true); // answer at once, like the exchange (no 40 ms Nagle wait)
    s->port = s->server.bind_to_any_port("127.0.0.1");
    if (s->port <= 0)
        throw std::runtime_error("FakeBinance: cannot bind a port on 127.0.0.1");
    s->thread = std::thread([s] { s->server.listen_after_bind(); });
    for (int i = 0; i < 5000 && !s->server.is_running(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeBinance::~FakeBinance() {
    {
        std::lock_guard lock(state_->mu);
        state_->stopping = true;
    }
    state_->stop_cv.notify_all();
    state_->server.stop();
    if (state_->thread.joinable())
        state_->thread.join();
}

std::string FakeBinance::base_url() const {
    return fmt::format("http://127.0.0.1:{}", state_->port);
}
int FakeBinance::port() const {
    return state_->port;
}

void FakeBinance::add_symbol(const std::string& binance_symbol, TimeMs listed_at,
                             double base_price) {
    std::lock_guard lock(state_->mu);
    State::Listing l;
    l.listed_at = listed_at;
    l.base_price = base_price;
    state_->listings[binance_symbol] = std::move(l);
}

void FakeBinance::add_recorded(const std::string& binance_symbol, const BarSeries& bars) {
    std::lock_guard lock(state_->mu);
    State::Listing l;
    l.generated = false;
    l.recorded = bars;
    state_->listings[binance_symbol] = std::move(l);
}

void FakeBinance::add_gap(const std::string& binance_symbol, TimeMs from, TimeMs to) {
    std::lock_guard lock(state_->mu);
    state_->listings.at(binance_symbol).gaps.push_back({from, to});
}

Bar FakeBinance::generated_bar(const std::string& binance_symbol, Timeframe tf, TimeMs open) const {
    std::lock_guard lock(state_->mu);
    return state_->make_bar(binance_symbol, state_->listings.at(binance_symbol), tf, open,
                            INT64_MAX);
}

std::vector<TimeMs> FakeBinance::served_open_times(const std::string& binance_symbol, Timeframe tf,
                                                   TimeMs from, TimeMs to) const {
    std::lock_guard lock(state_->mu);
    const auto& l = state_->listings.at(binance_symbol);
    const TimeMs now = state_->clock.now();
    std::vector<TimeMs> out;
    for (const Bar& b : state_->select(binance_symbol, l, tf, from, to - 1, INT32_MAX, false, now))
        if (b.time + tf.ms() <= now)
            out.push_back(b.time); // closed candles only
    return out;
}

void FakeBinance::set_used_weight(int weight) {
    std::lock_guard lock(state_->mu);
    state_->roll_window(state_->clock.now());
    state_->used_weight = weight;
}

int FakeBinance::used_weight() const {
    std::lock_guard lock(state_->mu);
    return state_->used_weight;
}

void FakeBinance::set_weight_limit(int limit) {
    std::lock_guard lock(state_->mu);
    state_->weight_limit = limit;
}

int FakeBinance::weight_limit_hits() const {
    std::lock_guard lock(state_->mu);
    return state_->limit_hits;
}

void FakeBinance::inject(const std::string& path, FakeResponse fault, int times, int after) {
    std::lock_guard lock(state_->mu);
    const int base = state_->counts[path];
    state_->faults.push_back({path, base + after + 1, base + after + times, std::move(fault)});
}

void FakeBinance::route(const std::string& method, const std::string& path, int weight,
                        Handler handler) {
    std::lock_guard lock(state_->mu);
    state_->routes[{method, path}] = {weight, std::move(handler)};
}

int FakeBinance::request_count(const std::string& path) const {
    std::lock_guard lock(state_->mu);
    if (path.empty())
        return static_cast<int>(state_->log.size());
    const auto it = state_->counts.find(path);
    return it == state_->counts.end() ? 0 : it->second;
}

std::vector<FakeRequest> FakeBinance::requests() const {
    std::lock_guard lock(state_->mu);
    return state_->log;
}

BarSeries load_ohlcv_csv(const std::filesystem::path& path, const std::string& symbol,
                         Timeframe tf) {
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("cannot read " + path.string());
    BarSeries s;
    s.symbol = symbol;
    s.timeframe = tf;
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty())
            continue;
        std::vector<std::string> f;
        std::stringstream ss(line);
        for (std::string cell; std::getline(ss, cell, ',');)
            f.push_back(cell);
        if (f.size() < 6)
            throw std::runtime_error(
                fmt::format("{}:{}: expected 6 columns", path.string(), line_no));
        std::optional<TimeMs> t;
        if (const auto ms = to_int(f[0]))
            t = *ms;
        else
            t = parse_time(f[0]);
        if (!t) {
            if (line_no == 1)
                continue; // header
            throw std::runtime_error(
                fmt::format("{}:{}: bad timestamp '{}'", path.string(), line_no, f[0]));
        }
        Bar b;
        b.time = *t;
        b.open = std::stod(f[1]);
        b.high = std::stod(f[2]);
        b.low = std::stod(f[3]);
        b.close = std::stod(f[4]);
        b.volume = std::stod(f[5]);
        s.push_back(b);
    }
    return s;
}

} // namespace aurum::test
