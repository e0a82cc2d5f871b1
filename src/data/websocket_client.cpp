#include "data/websocket_client.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <utility> // before Boost 1.74's awaitable.hpp, which uses std::exchange without it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <spdlog/spdlog.h>

#include "core/error.hpp"

namespace aurum {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

/// The window of the outbound pace: a second plus a margin, since the server counts arrivals and
/// a burst can reach it later than it left.
constexpr auto kPaceWindow = std::chrono::milliseconds(1100);

WebSocketUrl WebSocketUrl::parse(std::string_view text) {
    auto bad = [&](const std::string& why) {
        throw InputError("WebSocket URL '" + std::string(text) + "': " + why);
    };
    WebSocketUrl url;
    std::string_view rest;
    if (text.substr(0, 5) == "ws://") {
        rest = text.substr(5);
    } else if (text.substr(0, 6) == "wss://") {
        url.tls = true;
        rest = text.substr(6);
    } else {
        bad("scheme must be ws:// or wss://");
    }
    const auto slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (authority.empty()) bad("missing host");
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    url.port = url.tls ? 443 : 80;
    if (colon != std::string_view::npos) {
        const std::string port(authority.substr(colon + 1));
        if (port.empty() || port.size() > 5 ||
            !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
            bad("port must be a number");
        url.port = std::stoi(port);
        if (url.port < 1 || url.port > 65535) bad("port must be in 1..65535");
    }
    if (url.host.empty()) bad("missing host");
    return url;
}

std::string WebSocketUrl::to_string() const {
    return (tls ? "wss://" : "ws://") + host + ":" + std::to_string(port) + target;
}

/// One connection's state, shared by its reader and writer so neither outlives it.
template <class Stream>
struct WsConnection {
    template <class... Args>
    explicit WsConnection(asio::io_context& io, Args&... args)
        : ws(io, args...), wake(io, asio::steady_timer::time_point::max()), age(io) {}
    Stream ws;
    asio::steady_timer wake; ///< wakes the writer when the outbox gets a message
    asio::steady_timer age;  ///< rotation before the server's maximum connection age
    bool alive = true;
};
using PlainStream = websocket::stream<beast::tcp_stream>;
using TlsStream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

struct WebSocketClient::Impl {
    WebSocketOptions options;
    WebSocketHandlers handlers;
    WebSocketUrl url;
    asio::ssl::context tls{asio::ssl::context::tlsv12_client};
    std::thread thread;
    std::atomic<bool> stopping{false};
    std::atomic<bool> is_connected{false};
    std::mt19937_64 rng;

    mutable std::mutex stats_mutex;
    WebSocketStats stats;

    // io thread only: the outbound queue of the current connection and what wakes its writer.
    std::deque<std::string> outbox;
    std::function<void()> wake_writer;  ///< empty while not connected
    std::function<void()> drop_current; ///< closes the current connection's socket
    asio::io_context io;                ///< last: destroyed first, with the frames it holds

    Impl(WebSocketOptions o, WebSocketHandlers h)
        : options(std::move(o)), handlers(std::move(h)), url(WebSocketUrl::parse(options.url)),
          rng(options.jitter_seed
                  ? options.jitter_seed
                  : static_cast<std::uint64_t>(
                        std::chrono::steady_clock::now().time_since_epoch().count())) {
        tls.set_default_verify_paths();
        tls.set_verify_mode(asio::ssl::verify_peer);
    }

    void count(std::int64_t WebSocketStats::*field) {
        std::lock_guard lock(stats_mutex);
        ++(stats.*field);
    }

    TimeMs backoff(int attempt) {
        const double base = std::min<double>(static_cast<double>(options.reconnect_max_ms),
                                             static_cast<double>(options.reconnect_min_ms) *
                                                 std::pow(2.0, std::min(attempt, 20)));
        std::uniform_real_distribution<double> jitter(0.75, 1.25);
        return static_cast<TimeMs>(base * jitter(rng));
    }

    awaitable<void> run() {
        int attempt = 0;
        while (!stopping) {
            std::string why;
            bool opened = false;
            try {
                if (url.tls)
                    co_await session(std::make_shared<WsConnection<TlsStream>>(io, tls), opened);
                else
                    co_await session(std::make_shared<WsConnection<PlainStream>>(io), opened);
                why = "closed";
            } catch (const std::exception& e) {
                why = e.what();
            }
            is_connected = false;
            if (stopping) break;
            count(&WebSocketStats::drops);
            spdlog::warn("websocket {}: {}", url.to_string(), why);
            if (handlers.on_close) handlers.on_close(why);
            attempt = opened ? 0 : attempt + 1;
            asio::steady_timer wait(io, std::chrono::milliseconds(backoff(attempt)));
            co_await wait.async_wait(use_awaitable);
        }
    }

    template <class Stream>
    awaitable<void> open(WsConnection<Stream>& c) {
        tcp::resolver resolver(io);
        const auto endpoints =
            co_await resolver.async_resolve(url.host, std::to_string(url.port), use_awaitable);
        auto& layer = beast::get_lowest_layer(c.ws);
        layer.expires_after(std::chrono::milliseconds(options.connect_timeout_ms));
        co_await layer.async_connect(endpoints, use_awaitable);
        layer.socket().set_option(tcp::no_delay(true)); // a request goes out at once
        if constexpr (std::is_same_v<Stream, TlsStream>) {
            auto& ssl = c.ws.next_layer();
            if (!SSL_set_tlsext_host_name(ssl.native_handle(), url.host.c_str()))
                throw SystemError("websocket " + url.host + ": cannot set the TLS server name");
            ssl.set_verify_callback(asio::ssl::host_name_verification(url.host));
            co_await ssl.async_handshake(asio::ssl::stream_base::client, use_awaitable);
        }
        layer.expires_never();
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = std::chrono::milliseconds(options.connect_timeout_ms);
        timeouts.idle_timeout = std::chrono::milliseconds(options.idle_timeout_ms);
        timeouts.keep_alive_pings = true; // a ping at half the idle time; no pong = dead
        c.ws.set_option(timeouts);
        co_await c.ws.async_handshake(url.host, url.target, use_awaitable);
        c.ws.text(true);
    }

    template <class Stream>
    awaitable<void> session(std::shared_ptr<WsConnection<Stream>> c, bool& opened) {
        co_await open(*c);
        opened = true;
        is_connected = true;
        count(&WebSocketStats::connects);
        outbox.clear();
        auto* layer = &beast::get_lowest_layer(c->ws);
        drop_current = [layer] { beast::error_code ec; layer->socket().close(ec); };
        wake_writer = [raw = c.get()] { raw->wake.cancel(); };
        struct Cleanup {
            Impl* self;
            WsConnection<Stream>* c;
            ~Cleanup() {
                c->alive = false;
                self->wake_writer = nullptr;
                self->drop_current = nullptr;
                self->outbox.clear();
                c->wake.cancel();
                c->age.cancel();
            }
        } cleanup{this, c.get()};
        asio::co_spawn(io, writer(c), asio::detached);
        c->age.expires_after(std::chrono::milliseconds(options.max_connection_age_ms));
        c->age.async_wait([this, c](beast::error_code ec) {
            if (ec || !c->alive) return;
            count(&WebSocketStats::rotations);
            spdlog::info("websocket {}: rotating the connection before the server's maximum age",
                         url.to_string());
            beast::error_code ignored;
            beast::get_lowest_layer(c->ws).socket().close(ignored);
        });
        if (handlers.on_open) handlers.on_open();

        beast::flat_buffer buffer;
        while (!stopping) {
            co_await c->ws.async_read(buffer, use_awaitable);
            count(&WebSocketStats::received);
            const auto data = buffer.cdata();
            if (handlers.on_message)
                handlers.on_message(
                    std::string_view(static_cast<const char*>(data.data()), data.size()));
            buffer.consume(buffer.size());
        }
    }

    /// Sends the outbox in order, at most max_outbound_per_second in any second.
    template <class Stream>
    awaitable<void> writer(std::shared_ptr<WsConnection<Stream>> c) {
        std::deque<std::chrono::steady_clock::time_point> recent;
        const auto per_second =
            static_cast<std::size_t>(std::max(1, options.max_outbound_per_second));
        try {
            while (c->alive) {
                if (outbox.empty()) {
                    c->wake.expires_at(asio::steady_timer::time_point::max());
                    beast::error_code ec;
                    co_await c->wake.async_wait(asio::redirect_error(use_awaitable, ec));
                    continue;
                }
                const auto now = std::chrono::steady_clock::now();
                while (!recent.empty() && now - recent.front() >= kPaceWindow)
                    recent.pop_front();
                if (recent.size() >= per_second) {
                    c->wake.expires_at(recent.front() + kPaceWindow);
                    beast::error_code ec;
                    co_await c->wake.async_wait(asio::redirect_error(use_awaitable, ec));
                    continue;
                }
                std::string text = std::move(outbox.front());
                outbox.pop_front();
                recent.push_back(now);
                co_await c->ws.async_write(asio::buffer(text), use_awaitable);
                count(&WebSocketStats::sent);
            }
        } catch (const std::exception&) {
            // The reader sees the same broken connection and reconnects.
        }
    }
};

WebSocketClient::WebSocketClient(WebSocketOptions options, WebSocketHandlers handlers)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handlers))) {}

WebSocketClient::~WebSocketClient() { stop(); }

void WebSocketClient::start() {
    if (impl_->thread.joinable()) return;
    asio::co_spawn(impl_->io, impl_->run(), asio::detached);
    impl_->thread = std::thread([this] {
        try {
            impl_->io.run();
        } catch (const std::exception& e) {
            spdlog::error("websocket {}: {}", impl_->url.to_string(), e.what());
        }
    });
}

void WebSocketClient::stop() {
    if (!impl_->thread.joinable()) return;
    impl_->stopping = true;
    asio::post(impl_->io, [this] {
        if (impl_->drop_current) impl_->drop_current();
        impl_->io.stop();
    });
    impl_->thread.join();
}

void WebSocketClient::send(std::string text) {
    asio::post(impl_->io, [this, text = std::move(text)]() mutable {
        if (!impl_->wake_writer) return; // not connected: on_open re-sends what is needed
        impl_->outbox.push_back(std::move(text));
        impl_->wake_writer();
    });
}

void WebSocketClient::reconnect() {
    asio::post(impl_->io, [this] {
        if (impl_->drop_current) impl_->drop_current();
    });
}

bool WebSocketClient::connected() const { return impl_->is_connected; }

WebSocketStats WebSocketClient::stats() const {
    std::lock_guard lock(impl_->stats_mutex);
    return impl_->stats;
}

const WebSocketOptions& WebSocketClient::options() const { return impl_->options; }

} // namespace aurum
