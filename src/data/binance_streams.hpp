#pragma once
// Binance's WebSocket market streams (../shared/data/docs/binance/web-socket-streams.md): one
// combined-stream connection carrying <symbol>@kline_<interval> and <symbol>@bookTicker of the
// session's symbols. Closed candles are queued for the engine thread, which is woken at once; the
// owner backfills over REST after every (re)connect, since candles may have closed while the
// connection was down.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bar_series.hpp"
#include "core/timeframe.hpp"
#include "data/websocket_client.hpp"

namespace aurum {

/// Binance's market stream endpoints.
inline constexpr const char* kBinanceStreamUrl = "wss://stream.binance.com:9443";
inline constexpr const char* kBinanceTestnetStreamUrl = "wss://stream.testnet.binance.vision";
/// Binance's WebSocket API (the user data stream is subscribed there).
inline constexpr const char* kBinanceWsApiUrl = "wss://ws-api.binance.com:443/ws-api/v3";
inline constexpr const char* kBinanceTestnetWsApiUrl = "wss://ws-api.testnet.binance.vision/ws-api/v3";

/// A closed candle received on a kline stream.
struct StreamedBar {
    std::string symbol; ///< "BTC/USDT"
    Bar bar;
};

/// The best bid and ask of one symbol (bookTicker).
struct BookTop {
    double bid = 0, bid_qty = 0, ask = 0, ask_qty = 0;
    std::int64_t update_id = 0;
};

/// One decoded market stream message.
struct MarketStreamEvent {
    enum class Kind { Kline, BookTicker, ServerShutdown, Other } kind = Kind::Other;
    std::string symbol; ///< "BTC/USDT"
    Bar bar;            ///< Kline
    bool closed = false;///< Kline: the candle is final (k.x)
    BookTop book;       ///< BookTicker
};

/// Decodes a combined-stream message ({"stream":..., "data":...}) or a raw payload. A kline whose
/// interval is not `tf`, or with prices that are not finite numbers, OHLC out of order or a close
/// time other than open + interval - 1, throws SystemError naming the field and the message.
MarketStreamEvent parse_market_stream_message(std::string_view text, Timeframe tf);

/// "/stream?streams=btcusdt@kline_4h/btcusdt@bookTicker/..." for these symbols ("BTC/USDT").
std::string market_stream_target(const std::vector<std::string>& symbols, Timeframe tf);

/// Counters of a market stream (status displays, tests).
struct MarketStreamStats {
    std::int64_t klines_closed = 0, book_updates = 0, malformed = 0;
    WebSocketStats connection;
};

/// The session's market stream. Callbacks and the queue are thread-safe; take_*() are for the
/// engine thread.
class BinanceMarketStream {
  public:
    /// `base_url`: "wss://stream.binance.com:9443" or a fake's "ws://127.0.0.1:PORT"; `wake` runs
    /// on the stream's thread after each reconnect and once the closed candles of all `symbols`
    /// for an open time have come (or a later one has: the missing one is late).
    BinanceMarketStream(std::string base_url, std::vector<std::string> symbols, Timeframe tf,
                        WebSocketOptions tuning, std::function<void()> wake);
    ~BinanceMarketStream();

    void start();
    void stop();
    /// Closed candles received since the last call, in arrival order.
    std::vector<StreamedBar> take_bars();
    /// True once after each (re)connect (the first included): candles may have been missed.
    bool take_resync();
    /// True while a complete bar (every symbol's candle) or a resync waits for take_*().
    bool pending() const;
    bool connected() const { return ws_->connected(); }
    std::optional<BookTop> book(const std::string& symbol) const;
    MarketStreamStats stats() const;

  private:
    void on_message(std::string_view text);

    Timeframe tf_;
    std::function<void()> wake_;
    mutable std::mutex mu_;
    std::vector<StreamedBar> bars_;
    std::size_t symbols_ = 0;
    std::map<TimeMs, std::size_t> arrived_; ///< open time -> closed candles come so far
    bool complete_ = false;                 ///< bars_ holds a complete (or overdue) bar
    std::map<std::string, BookTop> books_;
    bool resync_ = false;
    MarketStreamStats stats_;
    std::unique_ptr<WebSocketClient> ws_;
};

} // namespace aurum
