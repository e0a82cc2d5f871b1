#pragma once
// The account's user data stream over Binance's WebSocket API
// (../shared/data/docs/binance/web-socket-api.md "userDataStream.subscribe.signature",
// user-data-stream.md): executionReport, outboundAccountPosition, balanceUpdate and
// eventStreamTerminated. The subscription is signed like a REST request (HMAC-SHA256 of the
// sorted params) on the exchange's clock, and made again after every reconnect and every
// eventStreamTerminated; each (re)subscription asks the owner to reconcile over REST, since
// events may have been missed in between.
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

#include "core/clock.hpp"
#include "data/websocket_client.hpp"
#include "execution/binance_auth.hpp"

namespace aurum {

/// One executionReport, the fields the adapter acts on.
struct ExecutionReport {
    std::string symbol;        ///< "BTCUSDT"
    std::string client_id;     ///< the order's client id (C of a cancel, else c)
    std::string exec_type;     ///< x: NEW, TRADE, CANCELED, EXPIRED, REJECTED, ...
    std::string status;        ///< X: NEW, PARTIALLY_FILLED, FILLED, CANCELED, ...
    std::int64_t order_id = 0; ///< i
    std::int64_t trade_id = -1;///< t (-1: not a trade)
    double last_qty = 0, last_price = 0, cum_qty = 0; ///< l, L, z
    double commission = 0;     ///< n
    std::string commission_asset; ///< N
    bool maker = false;        ///< m
    TimeMs time = 0;           ///< T
};

/// Parses the "event" object of an executionReport. Throws SystemError naming the field.
ExecutionReport parse_execution_report(std::string_view event_json);

/// Counters (status, tests).
struct UserStreamStats {
    std::int64_t subscriptions = 0, refused = 0, terminated = 0, reports = 0, malformed = 0;
    WebSocketStats connection;
};

class BinanceUserStream {
  public:
    /// `exchange_now` gives the subscription's timestamp (the REST transport's synced clock);
    /// `wake` runs on the stream's thread when reports arrive.
    BinanceUserStream(std::string ws_api_url, BinanceCredentials credentials,
                      std::function<TimeMs()> exchange_now, int recv_window_ms,
                      WebSocketOptions tuning, std::function<void()> wake);
    ~BinanceUserStream();

    void start();
    void stop();
    /// Execution reports received since the last call, in arrival order.
    std::vector<ExecutionReport> take_reports();
    /// Execution reports are waiting to be taken.
    bool has_reports() const;
    /// True once after each successful (re)subscription: reconcile over REST now.
    bool take_resync();
    /// A subscription is active: fills arrive here and REST need not poll resting orders.
    bool subscribed() const { return subscribed_.load(); }
    /// The last balances outboundAccountPosition reported: asset -> (free, locked).
    std::map<std::string, std::pair<double, double>> balances() const;
    /// The exchange's answer to the last refused subscription ("-2015 Invalid API-key...").
    std::string last_error() const;
    UserStreamStats stats() const;

  private:
    void subscribe();
    void on_message(std::string_view text);

    BinanceCredentials credentials_;
    std::function<TimeMs()> exchange_now_;
    int recv_window_ms_;
    std::function<void()> wake_;
    mutable std::mutex mu_;
    std::vector<ExecutionReport> reports_;
    std::map<std::string, std::pair<double, double>> balances_;
    std::string last_error_;
    bool resync_ = false;
    std::int64_t next_id_ = 1;
    std::atomic<bool> subscribed_{false};
    UserStreamStats stats_;
    std::unique_ptr<WebSocketClient> ws_;
};

} // namespace aurum
