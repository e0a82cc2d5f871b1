#pragma once
// A WebSocket server on 127.0.0.1 for tests (Boost.Beast, plain ws://): it accepts connections on
// any path, hands each text message to a handler, sends to one connection or to all of them, and
// can drop connections or stop answering (no reads, so no pongs) to test a client's recovery.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace aurum::test {

/// Handlers of FakeWsServer; they run on the server's thread.
struct FakeWsHandlers {
    /// A client connected on `target` (path and query); return false to refuse it (HTTP 404).
    std::function<bool(std::uint64_t conn, const std::string& target)> on_connect;
    std::function<void(std::uint64_t conn, std::string_view text)> on_message;
    std::function<void(std::uint64_t conn)> on_disconnect;
};

class FakeWsServer {
  public:
    explicit FakeWsServer(FakeWsHandlers handlers);
    ~FakeWsServer();
    FakeWsServer(const FakeWsServer&) = delete;
    FakeWsServer& operator=(const FakeWsServer&) = delete;

    int port() const;
    /// "ws://127.0.0.1:PORT"
    std::string url() const;

    /// Queues `text` to connection `conn` (dropped silently when it is gone). Any thread.
    void send(std::uint64_t conn, std::string text);
    /// Closes every connection's socket (the clients see a drop). Any thread.
    void drop_all();
    /// While frozen the server neither reads nor writes: a client's pings go unanswered.
    void freeze(bool frozen);
    /// Connections currently open, and their targets.
    std::vector<std::pair<std::uint64_t, std::string>> connections() const;
    /// Connections accepted since the start.
    std::int64_t accepted() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace aurum::test
