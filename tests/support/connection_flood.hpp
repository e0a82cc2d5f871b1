#pragma once
// A local program's connection flood on a loopback port, as in issue 19: it holds `count` TCP
// connections open, each sending nothing or only the start of a request line and then one more
// byte at a time (a "slow loris"), and reconnects whichever the server closes, until destroyed.
// Header-only and free of gtest: the emergency-stop benchmark uses it too.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace aurum::test {

class ConnectionFlood {
  public:
    /// `drip`: send "GET /api/status HTTP/1.1\r\nX-" then one byte every 500 ms (never a whole
    /// request); otherwise connect and send nothing.
    ConnectionFlood(int port, int count, bool drip)
        : port_(port), drip_(drip), fds_(static_cast<std::size_t>(count), -1) {
        for (auto& fd : fds_) fd = open_one();
        thread_ = std::thread([this] { run(); });
    }
    ~ConnectionFlood() {
        stop_.store(true);
        thread_.join();
        for (const int fd : fds_)
            if (fd >= 0) ::close(fd);
    }
    ConnectionFlood(const ConnectionFlood&) = delete;
    ConnectionFlood& operator=(const ConnectionFlood&) = delete;

    /// Connections opened so far (the first `count` and every reconnect).
    std::uint64_t opened() const { return opened_.load(); }

  private:
    int open_one() {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port_));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            if (fd >= 0) ::close(fd);
            return -1;
        }
        ++opened_;
        if (drip_) {
            static const char start[] = "GET /api/status HTTP/1.1\r\nX-";
            (void)::send(fd, start, sizeof start - 1, MSG_NOSIGNAL);
        }
        return fd;
    }

    /// Every 500 ms: one more byte on each connection, and the closed ones reopened.
    void run() {
        while (!stop_.load()) {
            for (int i = 0; i < 10 && !stop_.load(); ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            for (auto& fd : fds_) {
                if (fd >= 0 && closed_by_server(fd)) {
                    ::close(fd);
                    fd = -1;
                }
                if (fd < 0) fd = open_one();
                else if (drip_) (void)::send(fd, "a", 1, MSG_NOSIGNAL);
            }
        }
    }

    static bool closed_by_server(int fd) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) return false;
        char buf[512];
        return ::recv(fd, buf, sizeof buf, MSG_DONTWAIT) <= 0 || (p.revents & (POLLHUP | POLLERR));
    }

    int port_;
    bool drip_;
    std::vector<int> fds_;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> opened_{0};
    std::thread thread_;
};

} // namespace aurum::test
