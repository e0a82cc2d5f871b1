#include "surfaces/bounded_http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include <spdlog/spdlog.h>

#include "core/error.hpp"

namespace aurum {

namespace {

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// Best effort, never blocking: a short status answer before closing (408, 411, 413, 431).
void send_status(int fd, int status, const char* text) {
    const std::string r = "HTTP/1.1 " + std::to_string(status) + " " + text +
                          "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    (void)::send(fd, r.data(), r.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

/// The request in `buf` is complete (head, and as many body bytes as Content-Length says), or
/// how it is refused. Returns nullopt while more bytes are needed.
struct Completeness {
    bool complete = false;
    int refuse = 0; ///< HTTP status refusing it (0: none)
    const char* why = "";
};

std::optional<Completeness> check_complete(const std::string& buf, std::size_t max_bytes) {
    const auto head_end = buf.find("\r\n\r\n");
    if (head_end == std::string::npos) {
        if (buf.size() > 64 * 1024) return Completeness{false, 431, "Request Header Fields Too Large"};
        return std::nullopt;
    }
    std::size_t length = 0;
    std::size_t line = buf.find("\r\n") + 2;
    while (line < head_end) {
        const std::size_t eol = buf.find("\r\n", line);
        const std::string h = buf.substr(line, eol - line);
        line = eol + 2;
        const auto colon = h.find(':');
        if (colon == std::string::npos) continue;
        std::string name = h.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        const std::string value = h.substr(colon + 1);
        if (name == "transfer-encoding") return Completeness{false, 411, "Length Required"};
        if (name == "content-length") {
            try {
                length = std::stoull(value);
            } catch (const std::exception&) {
                return Completeness{false, 400, "Bad Request"};
            }
        }
    }
    if (length > max_bytes || head_end + 4 > max_bytes)
        return Completeness{false, 413, "Payload Too Large"};
    if (buf.size() < head_end + 4 + length) return std::nullopt;
    return Completeness{true, 0, ""};
}

/// A request already read in full, answered on its socket: reads never wait, writes wait at
/// most the write timeout.
class BufferedStream final : public httplib::Stream {
  public:
    BufferedStream(int fd, std::string bytes, std::string peer, int peer_port, int write_ms)
        : fd_(fd), bytes_(std::move(bytes)), peer_(std::move(peer)), peer_port_(peer_port),
          write_deadline_(steady_ms() + write_ms) {}

    bool is_readable() const override { return pos_ < bytes_.size(); }
    bool is_writable() const override { return wait_writable(); }
    ssize_t read(char* ptr, size_t size) override {
        const size_t n = std::min(size, bytes_.size() - pos_);
        std::memcpy(ptr, bytes_.data() + pos_, n);
        pos_ += n;
        return static_cast<ssize_t>(n);
    }
    ssize_t write(const char* ptr, size_t size) override {
        for (;;) {
            const ssize_t n = ::send(fd_, ptr, size, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n >= 0) return n;
            if ((errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) || !wait_writable())
                return -1;
        }
    }
    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        ip = peer_;
        port = peer_port_;
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        sockaddr_in a{};
        socklen_t len = sizeof a;
        ip.clear();
        port = 0;
        if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) return;
        char text[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
        ip = text;
        port = ntohs(a.sin_port);
    }
    socket_t socket() const override { return fd_; }

  private:
    bool wait_writable() const {
        const std::int64_t left = write_deadline_ - steady_ms();
        if (left <= 0) return false;
        pollfd p{fd_, POLLOUT, 0};
        return ::poll(&p, 1, static_cast<int>(left)) > 0 && (p.revents & POLLOUT);
    }
    int fd_;
    std::string bytes_;
    std::size_t pos_ = 0;
    std::string peer_;
    int peer_port_;
    std::int64_t write_deadline_;
};

} // namespace

struct BoundedHttpServer::Reading {
    int fd = -1;
    std::int64_t deadline = 0;
    std::string bytes;
    std::string peer;
    int peer_port = 0;
};

BoundedHttpServer::BoundedHttpServer(HttpServerLimits limits) : limits_(limits) {}

BoundedHttpServer::~BoundedHttpServer() { shutdown(); }

int BoundedHttpServer::bind_and_serve(const std::string& host, int port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw SystemError("http server: socket() failed: " + std::string(std::strerror(errno)));
    const int yes = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1 ||
        ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_fd_, SOMAXCONN) != 0) {
        const std::string why = std::strerror(errno);
        ::close(listen_fd_);
        listen_fd_ = -1;
        throw SystemError("http server: cannot bind " + host + ":" + std::to_string(port) + " (" +
                          why + ")");
    }
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    if (::pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0)
        throw SystemError("http server: pipe2() failed: " + std::string(std::strerror(errno)));
    stopping_.store(false);
    reader_ = std::thread([this] { read_loop(); });
    for (int i = 0; i < limits_.workers; ++i) workers_.emplace_back([this] { work_loop(); });
    return ntohs(a.sin_port);
}

void BoundedHttpServer::shutdown() {
    if (stopping_.exchange(true)) return;
    if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
    cv_.notify_all();
    if (reader_.joinable()) reader_.join();
    for (auto& w : workers_)
        if (w.joinable()) w.join();
    workers_.clear();
    for (auto& r : ready_) close_connection(r.fd);
    ready_.clear();
    for (int* fd : {&listen_fd_, &wake_[0], &wake_[1]})
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
}

HttpServerCounters BoundedHttpServer::counters() const {
    std::lock_guard<std::mutex> lock(m_);
    return counters_;
}

void BoundedHttpServer::bump(std::uint64_t HttpServerCounters::*field) {
    std::lock_guard<std::mutex> lock(m_);
    ++(counters_.*field);
}

void BoundedHttpServer::close_connection(int fd) {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    open_.fetch_sub(1);
}

void BoundedHttpServer::accept_new(std::vector<Reading>& reading, std::int64_t now) {
    // A bounded batch per round, so connections already reading are served between batches.
    for (int k = 0; k < 64; ++k) {
        sockaddr_in a{};
        socklen_t len = sizeof a;
        const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) {
                // Out of descriptors: make room the same way as at the cap.
                if (reading.empty()) return;
                close_connection(reading.front().fd);
                reading.erase(reading.begin());
                bump(&HttpServerCounters::evicted);
                continue;
            }
            return; // EAGAIN: nothing more to accept now
        }
        bump(&HttpServerCounters::accepted);
        if (open_.load() >= limits_.max_connections) {
            if (reading.empty()) { // every open connection has a complete request
                ::close(fd);
                bump(&HttpServerCounters::refused);
                continue;
            }
            // The oldest unfinished request has had the longest to arrive: it goes.
            send_status(reading.front().fd, 503, "Service Unavailable");
            bump(&HttpServerCounters::evicted);
            close_connection(reading.front().fd);
            reading.erase(reading.begin());
        }
        const int open = open_.fetch_add(1) + 1;
        {
            std::lock_guard<std::mutex> lock(m_);
            counters_.peak_open = std::max<std::uint64_t>(counters_.peak_open, static_cast<std::uint64_t>(open));
        }
        char text[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
        reading.push_back(Reading{fd, now + limits_.request_deadline_ms, {}, text, ntohs(a.sin_port)});
    }
}

void BoundedHttpServer::read_loop() {
    std::vector<Reading> reading; // oldest first
    std::vector<pollfd> fds;
    while (!stopping_.load()) {
        fds.clear();
        fds.push_back({wake_[0], POLLIN, 0});
        fds.push_back({listen_fd_, POLLIN, 0});
        std::int64_t now = steady_ms();
        std::int64_t wait = 1000;
        for (const auto& r : reading) {
            fds.push_back({r.fd, POLLIN, 0});
            wait = std::min(wait, std::max<std::int64_t>(0, r.deadline - now));
        }
        if (::poll(fds.data(), fds.size(), static_cast<int>(wait)) < 0 && errno != EINTR) {
            spdlog::error("http server: poll failed: {}", std::strerror(errno));
            break;
        }
        if (stopping_.load()) break;
        now = steady_ms();
        // Reads first: a request that has arrived is never evicted by the accepts below.
        std::vector<Reading> still;
        still.reserve(reading.size());
        for (std::size_t i = 0; i < reading.size(); ++i) {
            Reading& r = reading[i];
            bool gone = false;
            if (fds[i + 2].revents != 0) {
                char buf[16384];
                for (;;) {
                    const ssize_t n = ::recv(r.fd, buf, sizeof buf, 0);
                    if (n > 0) {
                        r.bytes.append(buf, static_cast<std::size_t>(n));
                        if (r.bytes.size() > limits_.max_request_bytes + 65536) break;
                        continue;
                    }
                    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
                    if (n < 0 && errno == EINTR) continue;
                    gone = true; // closed by the client, or an error
                    break;
                }
            }
            // A client may half-close after its request: complete still counts.
            const auto c = check_complete(r.bytes, limits_.max_request_bytes);
            if (c && c->complete) {
                {
                    std::lock_guard<std::mutex> lock(m_);
                    ready_.push_back(Ready{r.fd, std::move(r.bytes), std::move(r.peer), r.peer_port});
                }
                cv_.notify_one();
            } else if (c) { // refused as it stands
                send_status(r.fd, c->refuse, c->why);
                close_connection(r.fd);
            } else if (gone) {
                close_connection(r.fd);
            } else if (r.deadline <= now) {
                send_status(r.fd, 408, "Request Timeout");
                bump(&HttpServerCounters::expired); // counted before the client can see the close
                close_connection(r.fd);
            } else {
                still.push_back(std::move(r));
            }
        }
        reading.swap(still);
        if (fds[1].revents & POLLIN) accept_new(reading, now);
        warn_if_abused(now);
    }
    for (const auto& r : reading) close_connection(r.fd);
}

void BoundedHttpServer::warn_if_abused(std::int64_t now) {
    // At most once a minute: what was dropped since the last warning, for the operator.
    if (now - last_warning_ < 60000) return;
    const HttpServerCounters c = counters();
    const std::uint64_t dropped = c.expired + c.evicted + c.refused;
    if (dropped == dropped_warned_) return;
    spdlog::warn("http server: {} connection(s) dropped (request not complete within {} ms: {}, "
                 "closed at the cap of {}: {}, refused: {}); a local program may be holding "
                 "connections open",
                 dropped - dropped_warned_, limits_.request_deadline_ms, c.expired,
                 limits_.max_connections, c.evicted, c.refused);
    dropped_warned_ = dropped;
    last_warning_ = now;
}

void BoundedHttpServer::work_loop() {
    for (;;) {
        Ready r;
        {
            std::unique_lock<std::mutex> lock(m_);
            cv_.wait(lock, [this] { return stopping_.load() || !ready_.empty(); });
            if (stopping_.load()) return;
            r = std::move(ready_.front());
            ready_.pop_front();
        }
        answer(r);
    }
}

void BoundedHttpServer::answer(Ready& r) {
    BufferedStream strm(r.fd, std::move(r.bytes), std::move(r.peer), r.peer_port,
                        limits_.write_timeout_ms);
    bool closed = true;
    bump(&HttpServerCounters::served); // counted before the client can see the answer
    try {
        process_request(strm, true, closed, nullptr);
    } catch (const std::exception& e) {
        spdlog::error("http server: request failed: {}", e.what());
    }
    close_connection(r.fd);
}

} // namespace aurum
