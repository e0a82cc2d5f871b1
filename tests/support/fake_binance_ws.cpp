#include "support/fake_binance_ws.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace aurum::test {

using nlohmann::json;

namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// The stream names of "/stream?streams=a/b/c".
std::set<std::string> streams_of(const std::string& target) {
    std::set<std::string> out;
    const auto q = target.find("streams=");
    if (q == std::string::npos) return out;
    std::string list = target.substr(q + 8);
    list = list.substr(0, list.find('&'));
    std::size_t start = 0;
    while (start <= list.size()) {
        const auto slash = list.find('/', start);
        const std::string one = list.substr(start, slash == std::string::npos ? std::string::npos
                                                                              : slash - start);
        if (!one.empty()) out.insert(one);
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return out;
}

std::string error_reply(const json& id, int status, int code, const std::string& msg) {
    return json{{"id", id}, {"status", status}, {"error", {{"code", code}, {"msg", msg}}}}.dump();
}

} // namespace

FakeBinanceWs::FakeBinanceWs(const Clock& clock, FakeSpotExchange* exchange, std::string api_key,
                             std::string api_secret)
    : clock_(clock), exchange_(exchange), key_(std::move(api_key)),
      secret_(std::move(api_secret)) {
    FakeWsHandlers h;
    h.on_connect = [this](std::uint64_t conn, const std::string& target) {
        std::lock_guard lock(mu_);
        if (target.rfind("/stream", 0) == 0) {
            market_[conn] = streams_of(target);
            return true;
        }
        if (target.rfind("/ws-api/v3", 0) == 0 && exchange_) {
            api_.insert(conn);
            return true;
        }
        return false;
    };
    h.on_message = [this](std::uint64_t conn, std::string_view text) { on_message(conn, text); };
    h.on_disconnect = [this](std::uint64_t conn) {
        std::lock_guard lock(mu_);
        market_.erase(conn);
        api_.erase(conn);
        subscribed_.erase(conn);
    };
    server_ = std::make_unique<FakeWsServer>(std::move(h));
    if (exchange_)
        exchange_->set_user_event_listener([this](const std::string& e) { on_user_event(e); });
}

FakeBinanceWs::~FakeBinanceWs() {
    if (exchange_) exchange_->set_user_event_listener(nullptr);
    server_.reset();
}

std::string FakeBinanceWs::stream_url() const { return server_->url(); }
std::string FakeBinanceWs::ws_api_url() const { return server_->url() + "/ws-api/v3"; }

void FakeBinanceWs::push_kline(const std::string& symbol, Timeframe tf, const Bar& b, bool closed) {
    const std::string name = lower(symbol) + "@kline_" + tf.name();
    const json data{{"e", "kline"},
                    {"E", clock_.now()},
                    {"s", symbol},
                    {"k",
                     {{"t", b.time}, {"T", b.time + tf.ms() - 1}, {"s", symbol},
                      {"i", tf.name()}, {"f", 100}, {"L", 200},
                      {"o", fmt::format("{:.8f}", b.open)}, {"c", fmt::format("{:.8f}", b.close)},
                      {"h", fmt::format("{:.8f}", b.high)}, {"l", fmt::format("{:.8f}", b.low)},
                      {"v", fmt::format("{:.8f}", b.volume)}, {"n", 100}, {"x", closed},
                      {"q", "0"}, {"V", "0"}, {"Q", "0"}, {"B", "0"}}}};
    const std::string text = json{{"stream", name}, {"data", data}}.dump();
    std::lock_guard lock(mu_);
    for (const auto& [conn, names] : market_)
        if (names.count(name)) server_->send(conn, text);
}

void FakeBinanceWs::push_book_ticker(const std::string& symbol, double bid, double ask) {
    const std::string name = lower(symbol) + "@bookTicker";
    std::lock_guard lock(mu_);
    const json data{{"u", ++book_updates_}, {"s", symbol}, {"b", fmt::format("{:.8f}", bid)},
                    {"B", "1.0"}, {"a", fmt::format("{:.8f}", ask)}, {"A", "1.0"}};
    const std::string text = json{{"stream", name}, {"data", data}}.dump();
    for (const auto& [conn, names] : market_)
        if (names.count(name)) server_->send(conn, text);
}

void FakeBinanceWs::push_raw(const std::string& text) {
    std::lock_guard lock(mu_);
    for (const auto& [conn, names] : market_) server_->send(conn, text);
}

void FakeBinanceWs::server_shutdown() {
    push_raw(json{{"stream", "serverShutdown"},
                  {"data", {{"e", "serverShutdown"}, {"E", clock_.now()}}}}
                 .dump());
}

void FakeBinanceWs::on_message(std::uint64_t conn, std::string_view text) {
    json req;
    try {
        req = json::parse(text);
    } catch (const json::exception&) {
        server_->send(conn, error_reply(nullptr, 400, -1100, "Malformed request."));
        return;
    }
    const json id = req.value("id", json(nullptr));
    const std::string method = req.value("method", "");
    const json params = req.value("params", json::object());
    if (method == "ping") {
        server_->send(conn, json{{"id", id}, {"status", 200}, {"result", json::object()}}.dump());
        return;
    }
    if (method == "time") {
        server_->send(conn, json{{"id", id}, {"status", 200},
                                 {"result", {{"serverTime", clock_.now()}}}}.dump());
        return;
    }
    if (method != "userDataStream.subscribe.signature") {
        server_->send(conn, error_reply(id, 400, -1100, "Unknown method: " + method));
        return;
    }
    // Signed like REST: the params but the signature, sorted by name, as key=value&...
    std::vector<std::string> parts;
    std::string signature;
    for (const auto& [k, v] : params.items()) {
        const std::string value = v.is_string() ? v.get<std::string>() : v.dump();
        if (k == "signature") signature = value;
        else parts.push_back(k + "=" + value);
    }
    std::sort(parts.begin(), parts.end());
    std::string payload;
    for (const auto& p : parts) payload += (payload.empty() ? "" : "&") + p;
    std::lock_guard lock(mu_);
    if (params.value("apiKey", "") != key_) {
        ++refused_;
        server_->send(conn, error_reply(id, 401, -2015,
                                        "Invalid API-key, IP, or permissions for action."));
        return;
    }
    if (lower(signature) != fake_hmac_hex(secret_, payload)) {
        ++refused_;
        server_->send(conn, error_reply(id, 400, -1022, "Signature for this request is not valid."));
        return;
    }
    const TimeMs ts = params.value("timestamp", std::int64_t{0});
    const TimeMs window = params.value("recvWindow", std::int64_t{5000});
    const TimeMs now = clock_.now();
    if (!(ts < now + 1000 && now - ts <= window)) {
        ++refused_;
        server_->send(conn, error_reply(id, 400, -1021,
                                        "Timestamp for this request is outside of the recvWindow."));
        return;
    }
    const int sub = next_subscription_++;
    subscribed_[conn] = sub;
    server_->send(conn, json{{"id", id}, {"status", 200}, {"result", {{"subscriptionId", sub}}}}.dump());
}

void FakeBinanceWs::send_event(std::uint64_t conn, int subscription, const std::string& event) {
    server_->send(conn, fmt::format(R"({{"subscriptionId":{},"event":{}}})", subscription, event));
}

void FakeBinanceWs::on_user_event(const std::string& event) {
    std::lock_guard lock(mu_);
    const bool report = event.find("\"executionReport\"") != std::string::npos;
    if (report) reports_.push_back(event);
    if (report && hold_) {
        held_.push_back(event);
        return;
    }
    for (const auto& [conn, sub] : subscribed_) {
        send_event(conn, sub, event);
        if (report && duplicate_) send_event(conn, sub, event);
    }
}

void FakeBinanceWs::terminate_user_streams() {
    std::lock_guard lock(mu_);
    const std::string e =
        json{{"e", "eventStreamTerminated"}, {"E", clock_.now()}}.dump();
    for (const auto& [conn, sub] : subscribed_) send_event(conn, sub, e);
    subscribed_.clear();
}

void FakeBinanceWs::set_duplicate_reports(bool on) {
    std::lock_guard lock(mu_);
    duplicate_ = on;
}

void FakeBinanceWs::hold_reports(bool on) {
    std::lock_guard lock(mu_);
    hold_ = on;
}

void FakeBinanceWs::release_reports() {
    std::lock_guard lock(mu_);
    hold_ = false;
    for (auto it = held_.rbegin(); it != held_.rend(); ++it)
        for (const auto& [conn, sub] : subscribed_) send_event(conn, sub, *it);
    held_.clear();
}

int FakeBinanceWs::market_connections() const {
    std::lock_guard lock(mu_);
    return static_cast<int>(market_.size());
}

int FakeBinanceWs::user_subscriptions() const {
    std::lock_guard lock(mu_);
    return static_cast<int>(subscribed_.size());
}

int FakeBinanceWs::refused_subscriptions() const {
    std::lock_guard lock(mu_);
    return refused_;
}

std::vector<std::string> FakeBinanceWs::reports() const {
    std::lock_guard lock(mu_);
    return reports_;
}

} // namespace aurum::test
