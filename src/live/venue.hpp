#pragma once
// Where live orders go and where live candles come from: the one place that picks the execution
// client by mode (paper: the backtest's simulation; live: the Binance spot adapter), so the
// session itself never branches on it.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backtest/costs.hpp"
#include "backtest/execution_client.hpp"
#include "core/clock.hpp"
#include "core/instrument.hpp"
#include "core/timeframe.hpp"
#include "data/binance_rest.hpp"
#include "data/http_client.hpp"
#include "data/market_store.hpp"
#include "data/websocket_client.hpp"
#include "execution/binance_auth.hpp"

namespace aurum {

/// The exchange a live session trades on.
struct LiveVenueOptions {
    std::string exchange = "binance";
    std::string base_url; ///< "https://api.binance.com" or a fake's loopback URL
    int recv_window_ms = 5000;
    double capital = 0; ///< the session's capital: a warning when the account holds less
    TimeMs read_timeout_ms = 10000;
    std::optional<BinanceCredentials> credentials;
    const Clock* clock = nullptr; ///< request timestamps and open candles (default: system clock)
    Sleeper sleeper;              ///< waits (default: really sleep)
    /// The one Binance REST transport of the session (one key, one IP): made by the first of
    /// connect_binance / KlineFeed and shared by the other, so market data and orders count
    /// against the same weight and order limits. Mutable: a cache filled on first use.
    mutable std::shared_ptr<BinanceRest> transport;
    /// Market streams base URL ("wss://stream.binance.com:9443"); empty: candles over REST only.
    std::string stream_url;
    /// WebSocket API URL ("wss://ws-api.binance.com:443/ws-api/v3") for the user data stream;
    /// empty: fills are learnt by asking over REST.
    std::string ws_api_url;
    WebSocketOptions stream_tuning; ///< reconnect, idle and rotation settings of both
    /// Runs on a stream's thread when something arrived for the engine (the daemon wakes).
    std::function<void()> wake;
};

class BinanceSpotClient;

/// The venue's shared transport (created on first use from base_url, timeouts, recv window,
/// clock and sleeper). Throws InputError when base_url is not set.
std::shared_ptr<BinanceRest> venue_transport(const LiveVenueOptions& venue);

/// The Binance spot client of `venue`, connected (server time, the symbols' rules, balances).
/// Throws InputError for what the user must fix (exchange not supported, no URL or credentials,
/// a symbol the exchange does not list, key refused).
std::unique_ptr<BinanceSpotClient> connect_binance(const LiveVenueOptions& venue,
                                                   const std::vector<Instrument>& instruments);

/// The execution client of a session's mode. Live: connects (server time, the symbols' rules,
/// balances) and replaces `instruments` by the exchange's tick/lot/notional rules, so the engine
/// rounds and refuses orders exactly as the exchange would. Throws InputError for what the user
/// must fix (no credentials, a symbol that is not a Binance spot pair, key refused).
std::unique_ptr<ExecutionClient> make_execution_client(const std::string& mode,
                                                       const LiveVenueOptions& venue,
                                                       std::vector<Instrument>& instruments,
                                                       const FillConfig& fill);

} // namespace aurum
