#include "support/fake_http_server.hpp"

#include <chrono>
#include <stdexcept>

namespace aurum::test {

void FakeHttpServer::start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0)
        throw std::runtime_error("FakeHttpServer: cannot bind a port on 127.0.0.1");
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
