#include "live/venue.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "backtest/simulated_execution.hpp"
#include "core/error.hpp"
#include "execution/binance_spot_client.hpp"

namespace aurum {

namespace {
const Clock& clock_of(const LiveVenueOptions& v) {
    static const SystemClock system;
    return v.clock ? *v.clock : system;
}
Sleeper sleeper_of(const LiveVenueOptions& v) {
    return v.sleeper ? v.sleeper : thread_sleeper();
}
} // namespace

std::shared_ptr<BinanceRest> venue_transport(const LiveVenueOptions& venue) {
    if (venue.transport)
        return venue.transport;
    if (venue.base_url.empty())
        throw InputError("live: exchange.base_url is not set");
    BinanceRestOptions o;
    o.base_url = venue.base_url;
    o.read_timeout_ms = venue.read_timeout_ms;
    o.recv_window_ms = venue.recv_window_ms;
    venue.transport = std::make_shared<BinanceRest>(o, clock_of(venue), sleeper_of(venue));
    return venue.transport;
}

std::unique_ptr<BinanceSpotClient> connect_binance(const LiveVenueOptions& venue,
                                                   const std::vector<Instrument>& instruments) {
    if (venue.exchange != "binance")
        throw InputError("live: exchange '" + venue.exchange +
                         "' is not supported (supported: binance)");
    if (venue.base_url.empty())
        throw InputError("live: exchange.base_url is not set");
    if (!venue.credentials)
        throw InputError("live: no exchange credentials (see docs/live-trading.md)");
    BinanceSpotOptions o;
    o.base_url = venue.base_url;
    o.recv_window_ms = venue.recv_window_ms;
    o.read_timeout_ms = venue.read_timeout_ms;
    o.ws_api_url = venue.ws_api_url;
    o.stream_tuning = venue.stream_tuning;
    o.wake = venue.wake;
    auto client = std::make_unique<BinanceSpotClient>(venue_transport(venue), o,
                                                      *venue.credentials, instruments);
    client->connect();
    return client;
}

std::unique_ptr<ExecutionClient> make_execution_client(const std::string& mode,
                                                       const LiveVenueOptions& venue,
                                                       std::vector<Instrument>& instruments,
                                                       const FillConfig& fill) {
    if (mode != "live")
        return std::make_unique<SimulatedExecutionClient>(instruments, fill);
    auto client = connect_binance(venue, instruments);
    instruments = client->instruments();
    std::string bal;
    for (const auto& [asset, b] : client->balances())
        bal += fmt::format("{}{} {} (locked {})", bal.empty() ? "" : ", ", asset, b.free, b.locked);
    spdlog::info("live: connected to {} (clock offset {} ms); balances: {}", venue.base_url,
                 client->time_offset(), bal.empty() ? "none" : bal);
    // The engine manages `capital`; buys beyond what the account really holds come back -2010.
    const std::string quote = instruments.empty() ? "" : client->rules(0).quote;
    const auto it = client->balances().find(quote);
    const double have = it == client->balances().end() ? 0.0 : it->second.free;
    if (!quote.empty() && venue.capital > have)
        spdlog::warn("live: the session's capital is {} {} but the account holds {} {} free; "
                     "orders beyond that will be rejected by the exchange",
                     venue.capital, quote, have, quote);
    return client;
}

} // namespace aurum
