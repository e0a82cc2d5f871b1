#include "live/exchange_check.hpp"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "core/error.hpp"
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
    return r;
}

} // namespace aurum
