#include "support/fake_http_server.hpp"

#include <chrono>
#include <stdexcept>

namespace aurum::test {

void FakeHttpServer::start(int port) {
    if (port > 0)
        port_ = server_.bind_to_port("127.0.0.1", port) ? port : -1;
    else
        port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0)
        throw std::runtime_error(port > 0 ? "FakeHttpServer: cannot bind 127.0.0.1:" + std::to_string(port)
                                          : "FakeHttpServer: cannot bind a port on 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

FakeHttpServer::~FakeHttpServer() {
    server_.stop();
    if (thread_.joinable())
        thread_.join();
}

} // namespace aurum::test
