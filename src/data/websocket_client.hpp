#pragma once
// One WebSocket connection that stays up: Boost.Beast over TCP (ws://) or TLS (wss://), on a thread
// of its own. It reconnects after any drop with capped exponential backoff and jitter, rotates the
// connection before the server's maximum age (Binance closes every connection after 24 h), answers
// the server's pings and pings an idle server itself, and paces outbound messages (Binance allows
// 5 per second on a stream connection). What a connection means (subscriptions, a
// reconciliation) is the owner's business: on_open runs after every (re)connect.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace aurum {

/// "ws://host:port/path?query" or "wss://...", parsed once.
struct WebSocketUrl {
    bool tls = false;
    std::string host;
    int port = 0;        ///< explicit or the scheme's default (80, 443)
    std::string target;  ///< path and query, at least "/"

    /// Throws InputError naming the value when it is not a ws:// or wss:// URL with a host.
    static WebSocketUrl parse(std::string_view text);
    std::string to_string() const;
};

/// Settings of WebSocketClient.
struct WebSocketOptions {
    std::string url;                    ///< ws:// or wss://
    TimeMs connect_timeout_ms = 5000;   ///< TCP + TLS + WebSocket handshake
    /// A connection that sends nothing for this long (not even a pong to our ping, sent at half of
    /// it) is dead: it is dropped and re-opened.
    TimeMs idle_timeout_ms = 30000;
    TimeMs reconnect_min_ms = 100;      ///< first wait after a drop ...
    TimeMs reconnect_max_ms = 30000;    ///< ... doubling up to this, each with +-25 % jitter
    /// Re-open the connection after this long (Binance: a connection is closed at 24 h).
    TimeMs max_connection_age_ms = 23 * kMsPerHour + 30 * kMsPerMinute;
    int max_outbound_per_second = 5;    ///< Binance stream connections: 5 incoming messages/s
    std::uint64_t jitter_seed = 0;      ///< 0: from the clock
};

/// What a WebSocketClient tells its owner; every callback runs on the client's own thread.
struct WebSocketHandlers {
    std::function<void()> on_open;                          ///< after each (re)connect
    std::function<void(std::string_view text)> on_message;  ///< each text frame
    std::function<void(const std::string& why)> on_close;   ///< each drop (not after stop())
};

/// Counters (any thread).
struct WebSocketStats {
    std::int64_t connects = 0, drops = 0, received = 0, sent = 0, rotations = 0;
};

/// A self-healing client connection. start() returns at once; the thread connects and keeps
/// reconnecting until stop() or destruction.
class WebSocketClient {
  public:
    WebSocketClient(WebSocketOptions options, WebSocketHandlers handlers);
    ~WebSocketClient();
    WebSocketClient(const WebSocketClient&) = delete;
    WebSocketClient& operator=(const WebSocketClient&) = delete;

    void start();
    /// Closes the connection and joins the thread (idempotent).
    void stop();
    /// Queues a text message for the current connection, paced at max_outbound_per_second. Messages
    /// still queued when the connection drops are discarded: on_open re-sends what a new
    /// connection needs. Any thread.
    void send(std::string text);
    /// Drops the current connection now (it is re-opened as after any drop). Any thread.
    void reconnect();
    bool connected() const;
    WebSocketStats stats() const;
    const WebSocketOptions& options() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace aurum
