#include "execution/binance_user_stream.hpp"


#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/error.hpp"

namespace aurum {

using nlohmann::json;

namespace {

[[noreturn]] void bad(std::string_view text, const std::string& why) {
    throw SystemError(fmt::format("binance user data stream: {} (event: {})", why,
                                  text.substr(0, 300)));
}

double decimal(const json& e, const char* key, std::string_view text) {
    const auto v = binance_decimal(e, key);
    if (!v || *v < 0)
        bad(text, fmt::format("field '{}' is not a number >= 0: {}", key,
                              e.contains(key) ? e[key].dump() : "missing"));
    return *v;
}

std::string text_of(const json& e, const char* key) {
    const auto it = e.find(key);
    return it != e.end() && it->is_string() ? it->get<std::string>() : std::string();
}

ExecutionReport report_of(const json& e, std::string_view text) {
    ExecutionReport r;
    r.symbol = text_of(e, "s");
    r.exec_type = text_of(e, "x");
    r.status = text_of(e, "X");
    const std::string orig = text_of(e, "C");
    r.client_id = r.exec_type == "CANCELED" && !orig.empty() ? orig : text_of(e, "c");
    if (r.symbol.empty() || r.exec_type.empty() || r.status.empty() || r.client_id.empty())
        bad(text, "s, c, x and X are required");
    if (!e.contains("i") || !e["i"].is_number_integer()) bad(text, "field 'i' missing");
    r.order_id = e["i"].get<std::int64_t>();
    r.trade_id = e.contains("t") && e["t"].is_number_integer() ? e["t"].get<std::int64_t>() : -1;
    r.last_qty = decimal(e, "l", text);
    r.last_price = decimal(e, "L", text);
    r.cum_qty = decimal(e, "z", text);
    r.commission = decimal(e, "n", text);
    r.commission_asset = text_of(e, "N");
    r.maker = e.value("m", false);
    r.time = e.contains("T") && e["T"].is_number_integer() ? e["T"].get<TimeMs>() : 0;
    if (r.exec_type == "TRADE" && (r.trade_id < 0 || !(r.last_qty > 0) || !(r.last_price > 0)))
        bad(text, "a TRADE needs t, l > 0 and L > 0");
    return r;
}

} // namespace

ExecutionReport parse_execution_report(std::string_view event_json) {
    json e;
    try {
        e = json::parse(event_json);
    } catch (const json::exception& ex) {
        bad(event_json, std::string("malformed JSON: ") + ex.what());
    }
    if (!e.is_object() || e.value("e", "") != "executionReport") bad(event_json, "not an executionReport");
    return report_of(e, event_json);
}

BinanceUserStream::BinanceUserStream(std::string ws_api_url, BinanceCredentials credentials,
                                     std::function<TimeMs()> exchange_now, int recv_window_ms,
                                     WebSocketOptions tuning, std::function<void()> wake)
    : credentials_(std::move(credentials)), exchange_now_(std::move(exchange_now)),
      recv_window_ms_(recv_window_ms), wake_(std::move(wake)) {
    tuning.url = std::move(ws_api_url);
    WebSocketHandlers h;
    h.on_open = [this] { subscribe(); };
    h.on_message = [this](std::string_view text) { on_message(text); };
    h.on_close = [this](const std::string&) { subscribed_ = false; };
    ws_ = std::make_unique<WebSocketClient>(std::move(tuning), std::move(h));
}

BinanceUserStream::~BinanceUserStream() { stop(); }

void BinanceUserStream::start() { ws_->start(); }
void BinanceUserStream::stop() { ws_->stop(); }

void BinanceUserStream::subscribe() {
    const TimeMs ts = exchange_now_();
    // Signed like REST: every param but the signature, sorted by name (web-socket-api.md).
    const std::string payload = fmt::format("apiKey={}&recvWindow={}&timestamp={}",
                                            credentials_.api_key, recv_window_ms_, ts);
    std::int64_t id = 0;
    {
        std::lock_guard lock(mu_);
        id = next_id_++;
    }
    ws_->send(json{{"id", fmt::format("sub-{}", id)},
                   {"method", "userDataStream.subscribe.signature"},
                   {"params",
                    {{"apiKey", credentials_.api_key},
                     {"recvWindow", recv_window_ms_},
                     {"timestamp", ts},
                     {"signature", hmac_sha256_hex(credentials_.api_secret, payload)}}}}
                  .dump());
}

void BinanceUserStream::on_message(std::string_view text) {
    json m;
    try {
        m = json::parse(text);
    } catch (const json::exception&) {
        std::lock_guard lock(mu_);
        ++stats_.malformed;
        spdlog::warn("binance user data stream: malformed message ignored: {}", text.substr(0, 200));
        return;
    }
    if (m.contains("status") && m.contains("id")) { // an answer to our subscription
        const int status = m.value("status", 0);
        std::lock_guard lock(mu_);
        if (status == 200) {
            ++stats_.subscriptions;
            subscribed_ = true;
            resync_ = true;
        } else {
            ++stats_.refused;
            const json err = m.value("error", json::object());
            last_error_ = fmt::format("{} {}", err.value("code", 0), err.value("msg", ""));
            spdlog::error("binance user data stream: subscription refused: {}; fills are asked "
                          "for over REST meanwhile",
                          last_error_);
        }
        if (wake_) wake_();
        return;
    }
    const json& e = m.contains("event") ? m["event"] : m;
    const std::string type = e.is_object() ? e.value("e", "") : "";
    if (type == "executionReport") {
        try {
            ExecutionReport r = report_of(e, text);
            std::lock_guard lock(mu_);
            reports_.push_back(std::move(r));
            ++stats_.reports;
        } catch (const std::exception& ex) {
            // Dropped, and the order is asked for over REST: no fill rests on a bad message.
            spdlog::warn("{}", ex.what());
            std::lock_guard lock(mu_);
            ++stats_.malformed;
            resync_ = true;
        }
    } else if (type == "outboundAccountPosition" && e.contains("B") && e["B"].is_array()) {
        std::lock_guard lock(mu_);
        for (const auto& b : e["B"]) {
            try {
                balances_[b.at("a").get<std::string>()] = {
                    std::stod(b.at("f").get<std::string>()),
                    std::stod(b.at("l").get<std::string>())};
            } catch (const std::exception&) {
                ++stats_.malformed;
            }
        }
    } else if (type == "balanceUpdate") {
        spdlog::info("binance: balance update {}", e.dump());
        std::lock_guard lock(mu_);
        resync_ = true; // a deposit or transfer: the balances are read again
    } else if (type == "eventStreamTerminated") {
        spdlog::warn("binance user data stream: terminated by the exchange; subscribing again");
        {
            std::lock_guard lock(mu_);
            ++stats_.terminated;
        }
        subscribed_ = false;
        subscribe();
    } else {
        return;
    }
    if (wake_) wake_();
}

bool BinanceUserStream::has_reports() const {
    std::lock_guard lock(mu_);
    return !reports_.empty();
}

std::vector<ExecutionReport> BinanceUserStream::take_reports() {
    std::lock_guard lock(mu_);
    return std::exchange(reports_, {});
}

bool BinanceUserStream::take_resync() {
    std::lock_guard lock(mu_);
    return std::exchange(resync_, false);
}

std::map<std::string, std::pair<double, double>> BinanceUserStream::balances() const {
    std::lock_guard lock(mu_);
    return balances_;
}

std::string BinanceUserStream::last_error() const {
    std::lock_guard lock(mu_);
    return last_error_;
}

UserStreamStats BinanceUserStream::stats() const {
    std::lock_guard lock(mu_);
    UserStreamStats s = stats_;
    s.connection = ws_->stats();
    return s;
}

} // namespace aurum
