#pragma once
// `aurum exchange check`: everything a first live start depends on, asked of the exchange before
// any order (keys, trading permission, clock, the symbols' filters, balances, rate-limit
// headroom). Read-only: it sends no order.
#include <string>
#include <vector>

#include "core/instrument.hpp"
#include "live/venue.hpp"

namespace aurum {

/// One line of the check: PASS, WARN or FAIL with what was found.
struct ExchangeCheckLine {
    enum class Level { Pass, Warn, Fail } level = Level::Pass;
    std::string what; ///< "clock", "API key", "BTCUSDT", "balances", "rate limits"
    std::string text;
};

struct ExchangeCheckReport {
    std::string base_url;
    std::vector<ExchangeCheckLine> lines;
    bool failed() const;
};

/// Connects as a live session would (server time, exchangeInfo, account) and judges what it got.
/// Throws InputError for what stops the check itself (no credentials, a key the exchange refuses,
/// a symbol it does not list or that is not trading) and SystemError when the exchange cannot be
/// reached.
ExchangeCheckReport check_exchange(const LiveVenueOptions& venue,
                                   const std::vector<Instrument>& instruments);

std::string to_string(ExchangeCheckLine::Level level);

} // namespace aurum
