// The control surfaces' HTTP server under abuse from a local program: slow-loris and idle
// connections beyond the worker count and the connection cap never keep a real request from
// being answered; the cap holds; an unfinished request is closed at its deadline; malformed
// requests get a status. Waits are for states, with generous bounds; no timing is asserted.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "support/connection_flood.hpp"
#include "surfaces/bounded_http_server.hpp"

using namespace aurum;

namespace {

/// A server with `limits` answering GET /ping with "pong" and POST /echo with its body.
struct PingServer {
    explicit PingServer(HttpServerLimits limits) : srv(limits) {
        srv.Get("/ping", [](const httplib::Request&, httplib::Response& res) {
            res.set_content("pong", "text/plain");
        });
        srv.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
            res.set_content(req.body, "text/plain");
        });
        port = srv.bind_and_serve("127.0.0.1", 0);
    }
    httplib::Result get(const std::string& path) const {
        httplib::Client c("127.0.0.1", port);
        c.set_connection_timeout(5);
        c.set_read_timeout(30);
        return c.Get(path);
    }
    BoundedHttpServer srv;
    int port = 0;
};

int connect_to(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    return fd;
}

/// Sends `request` on a fresh connection and returns everything the server sends until it
/// closes (bounded by a 30 s receive timeout).
std::string exchange(int port, const std::string& request) {
    const int fd = connect_to(port);
    timeval tv{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string got;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) got.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return got;
}

} // namespace

TEST(BoundedHttpServer, answers_while_slow_clients_hold_more_connections_than_workers_and_cap) {
    HttpServerLimits l;
    l.workers = 2;
    l.max_connections = 32;
    PingServer s(l);
    test::ConnectionFlood drip(s.port, 100, true);
    test::ConnectionFlood idle(s.port, 50, false);
    for (int i = 0; i < 5; ++i) {
        const auto r = s.get("/ping");
        ASSERT_TRUE(r) << "request " << i << ": " << httplib::to_string(r.error());
        EXPECT_EQ(r->status, 200);
        EXPECT_EQ(r->body, "pong");
    }
    const HttpServerCounters c = s.srv.counters();
    EXPECT_LE(c.peak_open, 32u) << "the cap did not hold";
    EXPECT_GT(c.evicted, 0u) << "150 connections against a cap of 32 must evict";
    EXPECT_GE(c.served, 5u);
}

TEST(BoundedHttpServer, an_unfinished_request_is_closed_at_its_deadline) {
    HttpServerLimits l;
    l.request_deadline_ms = 300;
    PingServer s(l);
    const std::string got = exchange(s.port, "GET /ping HTTP/1.1\r\nHost: x\r\n");
    EXPECT_NE(got.find("408"), std::string::npos) << got;
    EXPECT_EQ(s.srv.counters().expired, 1u);
    // Whole requests on the same server are still answered, and the closed one is not counted.
    const auto r = s.get("/ping");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "pong");
    for (int i = 0; i < 100 && s.srv.open_connections() != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_EQ(s.srv.open_connections(), 0);
}

TEST(BoundedHttpServer, bodies_arrive_whole_and_bad_requests_get_a_status) {
    HttpServerLimits l;
    l.max_request_bytes = 1000;
    PingServer s(l);
    httplib::Client c("127.0.0.1", s.port);
    const std::string body(900, 'x');
    const auto r = c.Post("/echo", body, "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, body);
    // A request split over several sends (a slow but honest client) is answered once whole.
    const std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhe";
    const int fd = connect_to(s.port);
    (void)::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    (void)::send(fd, "llo", 3, MSG_NOSIGNAL);
    timeval tv{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string got;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) got.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    EXPECT_NE(got.find("200 OK"), std::string::npos) << got;
    EXPECT_NE(got.find("\r\n\r\nhello"), std::string::npos) << got;

    EXPECT_NE(exchange(s.port, "POST /echo HTTP/1.1\r\nContent-Length: 5000\r\n\r\n").find("413"),
              std::string::npos);
    EXPECT_NE(exchange(s.port, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
                  .find("411"),
              std::string::npos);
    EXPECT_NE(exchange(s.port, "POST /echo HTTP/1.1\r\nContent-Length: lots\r\n\r\n").find("400"),
              std::string::npos);
    EXPECT_NE(exchange(s.port, "garbage\r\n\r\n").find("400"), std::string::npos);
    EXPECT_NE(exchange(s.port, "GET /nowhere HTTP/1.1\r\n\r\n").find("404"), std::string::npos);
}

TEST(BoundedHttpServer, a_taken_port_is_a_clear_error) {
    PingServer s(HttpServerLimits{});
    BoundedHttpServer other;
    try {
        other.bind_and_serve("127.0.0.1", s.port);
        FAIL() << "bound a port already in use";
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find(std::to_string(s.port)), std::string::npos) << e.what();
    }
}
