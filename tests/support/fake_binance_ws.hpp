#pragma once
// Binance's WebSocket side for tests, on 127.0.0.1: the market streams
// (/stream?streams=<symbol>@kline_<interval>/<symbol>@bookTicker, web-socket-streams.md) and the
// WebSocket API (/ws-api/v3, web-socket-api.md) with the user data stream subscribed by
// `userDataStream.subscribe.signature` (HMAC-SHA256 over the sorted params, checked like the REST
// fake checks its requests). Executions of a FakeSpotExchange reach subscribers as
// executionReport / outboundAccountPosition events. Faults: drop every connection, go silent (no
// pongs), terminate the subscriptions (eventStreamTerminated), duplicate or hold back execution
// reports, skip a kline.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/bar_series.hpp"
#include "core/clock.hpp"
#include "core/timeframe.hpp"
#include "support/fake_binance_spot.hpp"
#include "support/fake_ws_server.hpp"

namespace aurum::test {

class FakeBinanceWs {
  public:
    /// Market streams only (`exchange` null), or with the WebSocket API of `exchange`, whose
    /// subscriptions must be signed with `api_key` / `api_secret`.
    FakeBinanceWs(const Clock& clock, FakeSpotExchange* exchange = nullptr,
                  std::string api_key = "", std::string api_secret = "");
    ~FakeBinanceWs();

    std::string stream_url() const; ///< "ws://127.0.0.1:PORT"
    std::string ws_api_url() const; ///< "ws://127.0.0.1:PORT/ws-api/v3"

    /// A kline event of `symbol` ("BTCUSDT") to every connection that subscribed to it.
    void push_kline(const std::string& symbol, Timeframe tf, const Bar& bar, bool closed);
    void push_book_ticker(const std::string& symbol, double bid, double ask);
    /// Any text to every market stream connection (malformed-message tests).
    void push_raw(const std::string& text);
    /// `serverShutdown` to every market stream connection.
    void server_shutdown();

    /// Closes every connection (market and API).
    void drop_all() { server_->drop_all(); }
    /// While frozen nothing is read or written: clients' pings go unanswered.
    void freeze(bool frozen) { server_->freeze(frozen); }
    /// eventStreamTerminated to every user data subscription, which then ends.
    void terminate_user_streams();
    /// Every executionReport is sent twice.
    void set_duplicate_reports(bool on);
    /// Execution reports are held back (not sent) until release_reports(), then sent newest first.
    void hold_reports(bool on);
    void release_reports();

    /// Market stream connections and user data subscriptions open now; connections ever made.
    int market_connections() const;
    int user_subscriptions() const;
    std::int64_t accepted() const { return server_->accepted(); }
    /// Subscription requests refused (bad key, signature, timestamp).
    int refused_subscriptions() const;
    /// Every executionReport published by the exchange so far (JSON text).
    std::vector<std::string> reports() const;

  private:
    void on_message(std::uint64_t conn, std::string_view text);
    void on_user_event(const std::string& event);
    void send_event(std::uint64_t conn, int subscription, const std::string& event);

    const Clock& clock_;
    FakeSpotExchange* exchange_;
    std::string key_, secret_;
    mutable std::mutex mu_;
    std::map<std::uint64_t, std::set<std::string>> market_; ///< conn -> lowercase stream names
    std::set<std::uint64_t> api_;                           ///< WebSocket API connections
    std::map<std::uint64_t, int> subscribed_;               ///< conn -> subscriptionId
    int next_subscription_ = 0, refused_ = 0;
    std::int64_t book_updates_ = 0; ///< the bookTicker update id
    bool duplicate_ = false, hold_ = false;
    std::vector<std::string> held_, reports_;
    std::unique_ptr<FakeWsServer> server_;
};

} // namespace aurum::test
