#pragma once
// A bare HTTP server on a free 127.0.0.1 port for tests of HTTP clients (CoinMetrics, Fear &
// Greed, ...): register handlers on server(), then start(). Never listens beyond loopback.
#include <string>
#include <thread>

#include <httplib.h>

namespace aurum::test {

/// An httplib server on a free loopback port, stopped and joined on destruction.
class FakeHttpServer {
  public:
    FakeHttpServer() = default;
    ~FakeHttpServer();
    FakeHttpServer(const FakeHttpServer&) = delete;
    FakeHttpServer& operator=(const FakeHttpServer&) = delete;

    /// Routes are added here before start().
    httplib::Server& server() { return server_; }
    /// Binds 127.0.0.1 on `port` (0: a free one) and serves on a thread; returns once it
    /// accepts requests. Throws std::runtime_error when the port cannot be bound.
    void start(int port = 0);
    /// http://127.0.0.1:<port> (valid after start()).
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    int port() const { return port_; }

  private:
    httplib::Server server_;
    std::thread thread_;
    int port_ = 0;
};

} // namespace aurum::test
