#include "live/exchange_check.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "core/error.hpp"
#include "data/binance_streams.hpp"
#include "execution/binance_spot_client.hpp"

namespace aurum {

namespace {

using Level = ExchangeCheckLine::Level;

ExchangeCheckLine clock_line(TimeMs offset, int recv_window_ms) {
    // Requests are stamped with the measured offset, so skew only hurts when it drifts between
    // syncs; a large one still says the machine's clock is not kept (NTP).
    const std::string where = offset >= 0 ? "behind" : "ahead of";
    const std::string text =
        fmt::format("this machine is {} ms {} the exchange (corrected per request; recvWindow "
                    "{} ms)",
                    std::llabs(offset), where, recv_window_ms);
    if (std::llabs(offset) >= recv_window_ms)
        return {Level::Warn, "clock", text + "; keep the clock synchronised (NTP)"};
    return {Level::Pass, "clock", text};
}

ExchangeCheckLine key_line(const BinanceAccountInfo& a) {
    if (!a.can_trade)
        return {Level::Fail, "API key",
                "accepted, but the account cannot trade (canTrade false): enable spot trading "
                "for this key on the exchange"};
    std::string fees;
    if (a.taker_rate >= 0)
        fees = fmt::format("; commission maker {:.4f} % taker {:.4f} %", a.maker_rate * 100,
                           a.taker_rate * 100);
    return {Level::Pass, "API key",
            fmt::format("accepted; the {} account can trade{}",
                        a.account_type.empty() ? "spot" : a.account_type, fees)};
}

/// (connect() already refused a symbol that is not TRADING.)
ExchangeCheckLine symbol_line(const BinanceSymbolRules& r) {
    return {Level::Pass, r.symbol,
            fmt::format("{}: tick {:g}, lot {:g} (min {:g}), min notional {:g} {}", r.status,
                        r.tick_size, r.step_size, r.min_qty, r.min_notional, r.quote)};
}

ExchangeCheckLine balance_line(const BinanceSpotClient& c, const std::string& quote) {
    std::string list;
    for (const auto& [asset, b] : c.balances())
        list += fmt::format("{}{} {:g} free, {:g} locked", list.empty() ? "" : "; ", asset,
                            b.free, b.locked);
    const auto it = c.balances().find(quote);
    if (it == c.balances().end() || it->second.free <= 0)
        return {Level::Warn, "balances",
                fmt::format("no free {} to buy with{}", quote, list.empty() ? "" : " (" + list + ")")};
    return {Level::Pass, "balances", list};
}

ExchangeCheckLine weight_line(int used, int limit) {
    if (used < 0 || limit <= 0)
        return {Level::Warn, "rate limits",
                "the exchange reported no request weight (X-MBX-USED-WEIGHT-1M) or limit"};
    const double share = static_cast<double>(used) / limit;
    const std::string text =
        fmt::format("request weight {} of {} used this minute ({:.1f} %)", used, limit, share * 100);
    // Other programs on the same IP share the weight: little headroom means 429s soon.
    if (share > 0.5) return {Level::Warn, "rate limits", text + "; something else uses this IP"};
    return {Level::Pass, "rate limits", text};
}

/// The ORDERS limits the transport will keep (exchangeInfo.rateLimits, else the documented ones).
ExchangeCheckLine order_limits_line(const std::vector<BinanceRateLimit>& limits) {
    std::string text;
    for (const auto& l : limits)
        if (l.type == BinanceRateLimit::Type::Orders)
            text += fmt::format("{}{} per {} {}", text.empty() ? "" : ", ", l.limit,
                                l.interval_num, l.interval);
    if (text.empty())
        return {Level::Warn, "order limits", "the exchange lists no ORDERS limit"};
    return {Level::Pass, "order limits",
            "new orders " + text + " (a short window is waited for; a full day refuses orders)"};
}

/// Waits up to 5 s for `done`; true when it came.
template <class Done>
bool within_5s(Done&& done) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
        if (std::chrono::steady_clock::now() >= end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

/// The market stream connects and the user data subscription is accepted (or why not).
std::vector<ExchangeCheckLine> stream_lines(const LiveVenueOptions& venue,
                                            const std::vector<Instrument>& instruments,
                                            const BinanceSpotClient& client) {
    using L = ExchangeCheckLine::Level;
    std::vector<ExchangeCheckLine> out;
    if (venue.stream_url.empty()) {
        out.push_back({L::Warn, "streams", "off: candles and fills over REST only (set "
                                           "exchange.stream_url and ws_api_url)"});
        return out;
    }
    std::vector<std::string> symbols;
    for (const auto& i : instruments) symbols.push_back(i.symbol);
    BinanceMarketStream market(venue.stream_url, symbols, Timeframe(kMsPerHour),
                               venue.stream_tuning, {});
    market.start();
    const bool up = within_5s([&] { return market.connected(); });
    out.push_back({up ? L::Pass : L::Fail, "market stream",
                   (up ? "connected to " : "no connection within 5 s to ") + venue.stream_url});
    const BinanceUserStream* user = client.user_stream();
    if (!user) {
        out.push_back({L::Warn, "user stream", "off: fills are asked for over REST at every bar"});
        return out;
    }
    within_5s([&] { return user->subscribed() || user->stats().refused > 0; });
    if (user->subscribed())
        out.push_back({L::Pass, "user stream", "subscription accepted at " + venue.ws_api_url});
    else
        out.push_back({L::Fail, "user stream",
                       user->stats().refused > 0
                           ? "subscription refused: " + user->last_error()
                           : "no subscription within 5 s at " + venue.ws_api_url});
    return out;
}

} // namespace

bool ExchangeCheckReport::failed() const {
    for (const auto& l : lines)
        if (l.level == Level::Fail) return true;
    return false;
}

std::string to_string(ExchangeCheckLine::Level level) {
    return level == Level::Pass ? "PASS" : level == Level::Warn ? "WARN" : "FAIL";
}

ExchangeCheckReport check_exchange(const LiveVenueOptions& venue,
                                   const std::vector<Instrument>& instruments) {
    const auto connected = connect_binance(venue, instruments);
    BinanceSpotClient& client = *connected;
    ExchangeCheckReport r;
    r.base_url = venue.base_url;
    r.lines.push_back(clock_line(client.time_offset(), venue.recv_window_ms));
    r.lines.push_back(key_line(client.account()));
    for (InstrumentId i = 0; i < instruments.size(); ++i)
        r.lines.push_back(symbol_line(client.rules(i)));
    r.lines.push_back(balance_line(client, instruments.empty() ? "" : client.rules(0).quote));
    r.lines.push_back(weight_line(client.used_weight_1m(), client.weight_limit_1m()));
    r.lines.push_back(order_limits_line(client.transport().rate_limits()));
    for (auto& l : stream_lines(venue, instruments, client)) r.lines.push_back(std::move(l));
    return r;
}

} // namespace aurum
