#include "support/fake_ws_server.hpp"

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility> // before Boost 1.74's awaitable.hpp, which uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace aurum::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {

struct Conn {
    explicit Conn(tcp::socket s)
        : ws(std::move(s)), wake(ws.get_executor(), asio::steady_timer::time_point::max()) {}
    websocket::stream<tcp::socket> ws;
    asio::steady_timer wake;
    std::deque<std::string> outbox;
    std::string target;
    bool alive = true;
};

} // namespace

struct FakeWsServer::Impl {
    FakeWsHandlers handlers;
    mutable std::mutex mu; ///< conns (the map; Conn internals are io-thread only)
    std::map<std::uint64_t, std::shared_ptr<Conn>> conns;
    std::atomic<std::uint64_t> next_id{1};
    std::atomic<std::int64_t> accepted{0};
    std::atomic<bool> frozen{false};
    std::thread thread;
    asio::io_context io;
    tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};

    awaitable<void> accept_loop() {
        for (;;) {
            tcp::socket socket = co_await acceptor.async_accept(use_awaitable);
            socket.set_option(tcp::no_delay(true)); // like the exchange: no Nagle wait
            asio::co_spawn(io, serve(std::make_shared<Conn>(std::move(socket))), asio::detached);
        }
    }

    awaitable<void> serve(std::shared_ptr<Conn> c) {
        const std::uint64_t id = next_id++;
        try {
            beast::flat_buffer buffer;
            http::request<http::string_body> req;
            co_await http::async_read(c->ws.next_layer(), buffer, req, use_awaitable);
            c->target = std::string(req.target());
            if (handlers.on_connect && !handlers.on_connect(id, c->target)) {
                http::response<http::string_body> res{http::status::not_found, req.version()};
                res.body() = "no such stream";
                res.prepare_payload();
                co_await http::async_write(c->ws.next_layer(), res, use_awaitable);
                co_return;
            }
            co_await c->ws.async_accept(req, use_awaitable);
            c->ws.text(true);
            {
                std::lock_guard lock(mu);
                conns[id] = c;
            }
            ++accepted;
            asio::co_spawn(io, writer(c), asio::detached);
            for (;;) {
                while (frozen) {
                    asio::steady_timer t(io, std::chrono::milliseconds(20));
                    co_await t.async_wait(use_awaitable);
                }
                buffer.consume(buffer.size());
                co_await c->ws.async_read(buffer, use_awaitable);
                const auto d = buffer.cdata();
                if (handlers.on_message)
                    handlers.on_message(
                        id, std::string_view(static_cast<const char*>(d.data()), d.size()));
            }
        } catch (const std::exception&) {
        }
        while (frozen) { // silent, not closed: the client must notice by itself
            asio::steady_timer t(io, std::chrono::milliseconds(20));
            co_await t.async_wait(use_awaitable);
        }
        c->alive = false;
        c->wake.cancel();
        beast::error_code ec;
        beast::get_lowest_layer(c->ws).close(ec);
        bool known = false;
        {
            std::lock_guard lock(mu);
            known = conns.erase(id) > 0;
        }
        if (known && handlers.on_disconnect) handlers.on_disconnect(id);
    }

    awaitable<void> writer(std::shared_ptr<Conn> c) {
        try {
            while (c->alive) {
                if (c->outbox.empty() || frozen) {
                    c->wake.expires_after(frozen ? std::chrono::milliseconds(20)
                                                 : std::chrono::hours(24));
                    beast::error_code ec;
                    co_await c->wake.async_wait(asio::redirect_error(use_awaitable, ec));
                    continue;
                }
                std::string text = std::move(c->outbox.front());
                c->outbox.pop_front();
                co_await c->ws.async_write(asio::buffer(text), use_awaitable);
            }
        } catch (const std::exception&) {
        }
    }
};

FakeWsServer::FakeWsServer(FakeWsHandlers handlers) : impl_(std::make_unique<Impl>()) {
    impl_->handlers = std::move(handlers);
    asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
    impl_->thread = std::thread([this] { impl_->io.run(); });
}

FakeWsServer::~FakeWsServer() {
    asio::post(impl_->io, [this] {
        beast::error_code ec;
        impl_->acceptor.close(ec);
        std::lock_guard lock(impl_->mu);
        for (auto& [id, c] : impl_->conns) beast::get_lowest_layer(c->ws).close(ec);
        impl_->io.stop();
    });
    impl_->thread.join();
    // The connections' streams go while their io_context (and Beast's service in it) still exists.
    std::lock_guard lock(impl_->mu);
    impl_->conns.clear();
}

int FakeWsServer::port() const { return impl_->acceptor.local_endpoint().port(); }

std::string FakeWsServer::url() const { return "ws://127.0.0.1:" + std::to_string(port()); }

void FakeWsServer::send(std::uint64_t conn, std::string text) {
    asio::post(impl_->io, [this, conn, text = std::move(text)]() mutable {
        std::shared_ptr<Conn> c;
        {
            std::lock_guard lock(impl_->mu);
            const auto it = impl_->conns.find(conn);
            if (it == impl_->conns.end()) return;
            c = it->second;
        }
        c->outbox.push_back(std::move(text));
        c->wake.cancel();
    });
}

void FakeWsServer::drop_all() {
    asio::post(impl_->io, [this] {
        std::lock_guard lock(impl_->mu);
        for (auto& [id, c] : impl_->conns) {
            beast::error_code ec;
            beast::get_lowest_layer(c->ws).close(ec);
        }
    });
}

void FakeWsServer::freeze(bool frozen) {
    impl_->frozen = frozen;
    if (!frozen) return;
    asio::post(impl_->io, [this] { // a pending read would still answer pings
        std::lock_guard lock(impl_->mu);
        for (auto& [id, c] : impl_->conns) {
            beast::error_code ec;
            beast::get_lowest_layer(c->ws).cancel(ec);
        }
    });
}

std::vector<std::pair<std::uint64_t, std::string>> FakeWsServer::connections() const {
    std::lock_guard lock(impl_->mu);
    std::vector<std::pair<std::uint64_t, std::string>> out;
    for (const auto& [id, c] : impl_->conns) out.emplace_back(id, c->target);
    return out;
}

std::int64_t FakeWsServer::accepted() const { return impl_->accepted; }

} // namespace aurum::test
