#include "data/binance_streams.hpp"

#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "data/binance_market_data.hpp"
#include "data/binance_rest.hpp"

namespace aurum {

using nlohmann::json;

namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

[[noreturn]] void bad(std::string_view text, const std::string& why) {
    const std::string_view shown = text.substr(0, 300);
    throw SystemError(fmt::format("binance stream: {} (message: {}{})", why, shown,
                                  text.size() > shown.size() ? "..." : ""));
}

/// A decimal string field ("0.0010") of `o` as a finite number.
double number(const json& o, const char* key, std::string_view text) {
    if (const auto v = binance_decimal(o, key)) return *v;
    bad(text, fmt::format("field '{}' is not a number: {}", key,
                          o.contains(key) ? o[key].dump() : "missing"));
}

std::int64_t integer(const json& o, const char* key, std::string_view text) {
    const auto it = o.find(key);
    if (it == o.end() || !it->is_number_integer())
        bad(text, fmt::format("field '{}' missing or not an integer", key));
    return it->get<std::int64_t>();
}

void parse_kline(const json& data, Timeframe tf, std::string_view text, MarketStreamEvent& ev) {
    const auto k = data.find("k");
    if (k == data.end() || !k->is_object()) bad(text, "kline event without 'k'");
    const auto interval = k->find("i");
    if (interval == k->end() || !interval->is_string() ||
        interval->get_ref<const std::string&>() != binance_interval(tf))
        bad(text, fmt::format("kline interval is not {}", binance_interval(tf)));
    ev.kind = MarketStreamEvent::Kind::Kline;
    const auto sym = k->find("s");
    if (sym == k->end() || !sym->is_string()) bad(text, "field 's' missing");
    ev.symbol = from_binance_symbol(sym->get_ref<const std::string&>());
    Bar& b = ev.bar;
    b.time = integer(*k, "t", text);
    if (integer(*k, "T", text) != b.time + tf.ms() - 1)
        bad(text, fmt::format("close time is not open time + {} - 1 ms", tf.name()));
    b.open = number(*k, "o", text);
    b.high = number(*k, "h", text);
    b.low = number(*k, "l", text);
    b.close = number(*k, "c", text);
    b.volume = number(*k, "v", text);
    if (b.open <= 0 || b.high <= 0 || b.low <= 0 || b.close <= 0) bad(text, "prices must be positive");
    if (b.volume < 0) bad(text, "negative volume");
    if (b.high < std::max(b.open, b.close) || b.low > std::min(b.open, b.close))
        bad(text, "high/low do not contain open and close");
    const auto x = k->find("x");
    if (x == k->end() || !x->is_boolean()) bad(text, "field 'x' missing or not a boolean");
    ev.closed = x->get<bool>();
}

} // namespace

MarketStreamEvent parse_market_stream_message(std::string_view text, Timeframe tf) {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        bad(text, std::string("malformed JSON: ") + e.what());
    }
    if (!j.is_object()) bad(text, "expected a JSON object");
    const json& data = j.contains("data") && j.contains("stream") ? j["data"] : j;
    MarketStreamEvent ev;
    if (!data.is_object()) return ev;
    const auto e = data.find("e");
    if (e != data.end() && e->is_string()) {
        const std::string& type = e->get_ref<const std::string&>();
        if (type == "kline") parse_kline(data, tf, text, ev);
        else if (type == "serverShutdown") ev.kind = MarketStreamEvent::Kind::ServerShutdown;
        return ev;
    }
    if (data.contains("u") && data.contains("b") && data.contains("a")) { // bookTicker has no "e"
        ev.kind = MarketStreamEvent::Kind::BookTicker;
        const auto sym = data.find("s");
        if (sym == data.end() || !sym->is_string()) bad(text, "field 's' missing");
        ev.symbol = from_binance_symbol(sym->get_ref<const std::string&>());
        ev.book = BookTop{number(data, "b", text), number(data, "B", text), number(data, "a", text),
                          number(data, "A", text), integer(data, "u", text)};
    }
    return ev;
}

std::string market_stream_target(const std::vector<std::string>& symbols, Timeframe tf) {
    std::string t = "/stream?streams=";
    for (std::size_t i = 0; i < symbols.size(); ++i) {
        const std::string s = lower(to_binance_symbol(symbols[i]));
        t += fmt::format("{}{}@kline_{}/{}@bookTicker", i ? "/" : "", s, binance_interval(tf), s);
    }
    return t;
}

BinanceMarketStream::BinanceMarketStream(std::string base_url, std::vector<std::string> symbols,
                                         Timeframe tf, WebSocketOptions tuning,
                                         std::function<void()> wake)
    : tf_(tf), wake_(std::move(wake)), symbols_(symbols.size()) {
    while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
    tuning.url = base_url + market_stream_target(symbols, tf);
    WebSocketHandlers h;
    h.on_open = [this] {
        {
            std::lock_guard lock(mu_);
            resync_ = true;
        }
        if (wake_) wake_();
    };
    h.on_message = [this](std::string_view text) { on_message(text); };
    ws_ = std::make_unique<WebSocketClient>(std::move(tuning), std::move(h));
}

BinanceMarketStream::~BinanceMarketStream() { stop(); }

void BinanceMarketStream::start() { ws_->start(); }
void BinanceMarketStream::stop() { ws_->stop(); }

void BinanceMarketStream::on_message(std::string_view text) {
    MarketStreamEvent ev;
    try {
        ev = parse_market_stream_message(text, tf_);
    } catch (const std::exception& e) {
        // One bad message is not a reason to trade on guesses: it is dropped and the REST
        // backfill after the next resync fills the candle in if it was one.
        spdlog::warn("{}", e.what());
        std::lock_guard lock(mu_);
        ++stats_.malformed;
        resync_ = true;
        return;
    }
    switch (ev.kind) {
    case MarketStreamEvent::Kind::Kline:
        if (!ev.closed) return;
        {
            std::lock_guard lock(mu_);
            bars_.push_back(StreamedBar{ev.symbol, ev.bar});
            ++stats_.klines_closed;
            // The engine acts on a bar once: wake it when every symbol's candle has come, or a
            // later bar's has (the missing one is late; the feed asks REST for it).
            const TimeMs t = ev.bar.time;
            const std::size_t n = ++arrived_[t];
            const bool overdue = arrived_.begin()->first < t; // an older bar is incomplete
            if (n < symbols_ && !overdue) return;
            arrived_.erase(arrived_.begin(),
                           n >= symbols_ ? arrived_.upper_bound(t) : arrived_.lower_bound(t));
            complete_ = true;
        }
        if (wake_) wake_();
        return;
    case MarketStreamEvent::Kind::BookTicker: {
        std::lock_guard lock(mu_);
        books_[ev.symbol] = ev.book;
        ++stats_.book_updates;
        return;
    }
    case MarketStreamEvent::Kind::ServerShutdown:
        spdlog::info("binance stream: the server is shutting down; reconnecting now");
        ws_->reconnect();
        return;
    case MarketStreamEvent::Kind::Other:
        return;
    }
}

std::vector<StreamedBar> BinanceMarketStream::take_bars() {
    std::lock_guard lock(mu_);
    complete_ = false;
    return std::exchange(bars_, {});
}

bool BinanceMarketStream::take_resync() {
    std::lock_guard lock(mu_);
    return std::exchange(resync_, false);
}

bool BinanceMarketStream::pending() const {
    std::lock_guard lock(mu_);
    return complete_ || resync_;
}

std::optional<BookTop> BinanceMarketStream::book(const std::string& symbol) const {
    std::lock_guard lock(mu_);
    const auto it = books_.find(symbol);
    if (it == books_.end()) return std::nullopt;
    return it->second;
}

MarketStreamStats BinanceMarketStream::stats() const {
    std::lock_guard lock(mu_);
    MarketStreamStats s = stats_;
    s.connection = ws_->stats();
    return s;
}

} // namespace aurum
