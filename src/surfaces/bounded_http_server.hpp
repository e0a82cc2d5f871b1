#pragma once
// An HTTP server for the local control surfaces that idle, slow or flooding clients cannot
// starve. cpp-httplib 0.11's own listener hands every accepted socket to a worker that then
// waits on its reads (a client dripping one byte a second holds it for ever) and queues the rest
// without limit. Here one thread reads every request in full (poll over all connections, one
// deadline per request, not per read) before a worker sees it, so a worker never waits on a read;
// the open connections have a hard cap, and at the cap the oldest unfinished one is closed to
// make room, so a newcomer (the `aurum stop --emergency` of the owner) always gets in. HTTP
// parsing and routing stay cpp-httplib's: routes are added with Get/Post/... as usual.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

namespace aurum {

/// Limits of a BoundedHttpServer.
struct HttpServerLimits {
    int workers = 8;               ///< threads answering complete requests
    int max_connections = 128;     ///< open connections in every phase together (hard cap)
    int request_deadline_ms = 2000; ///< accept -> whole request read; then closed (408)
    int write_timeout_ms = 2000;   ///< a client that does not take its answer is dropped
    std::size_t max_request_bytes = 1 << 20; ///< head + body; larger is refused (413)
};

/// What the server did with connections (monotonic; for logs, tests and the benchmark).
struct HttpServerCounters {
    std::uint64_t accepted = 0; ///< connections accepted
    std::uint64_t served = 0;   ///< complete requests a worker took to answer
    std::uint64_t expired = 0;  ///< closed: the request was not complete by its deadline
    std::uint64_t evicted = 0;  ///< closed unfinished to make room at the cap
    std::uint64_t refused = 0;  ///< closed at once: at the cap with nothing to evict
    std::uint64_t peak_open = 0; ///< most connections open at one time
};

/// cpp-httplib routes served by a bounded reader thread and worker pool (see the file comment).
/// Use bind_and_serve/shutdown, never httplib's listen.
class BoundedHttpServer : public httplib::Server {
  public:
    explicit BoundedHttpServer(HttpServerLimits limits = {});
    ~BoundedHttpServer() override;
    BoundedHttpServer(const BoundedHttpServer&) = delete;
    BoundedHttpServer& operator=(const BoundedHttpServer&) = delete;

    /// Binds `host`:`port` (0: any free port) and serves on background threads. Returns the
    /// port; throws SystemError when it cannot bind.
    int bind_and_serve(const std::string& host, int port);
    /// Stops reading and answering; open connections are closed. Idempotent.
    void shutdown();
    HttpServerCounters counters() const;
    /// Connections open now (reading, queued or being answered).
    int open_connections() const { return open_.load(); }

  private:
    struct Reading; ///< a connection whose request is still arriving
    struct Ready {  ///< a complete request waiting for a worker
        int fd = -1;
        std::string bytes;
        std::string peer;
        int peer_port = 0;
    };
    void read_loop();
    void work_loop();
    void accept_new(std::vector<Reading>& reading, std::int64_t now);
    void answer(Ready& r);
    void close_connection(int fd);
    void bump(std::uint64_t HttpServerCounters::*field);
    void warn_if_abused(std::int64_t now);

    HttpServerLimits limits_;
    int listen_fd_ = -1;
    int wake_[2] = {-1, -1};
    std::atomic<bool> stopping_{false};
    std::atomic<int> open_{0};
    std::thread reader_;
    std::vector<std::thread> workers_;
    mutable std::mutex m_;
    std::condition_variable cv_;
    std::deque<Ready> ready_;
    HttpServerCounters counters_;
    std::int64_t last_warning_ = 0;        ///< reader thread only
    std::uint64_t dropped_warned_ = 0;     ///< reader thread only
};

} // namespace aurum
