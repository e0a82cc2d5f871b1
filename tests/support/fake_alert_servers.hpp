#pragma once
// Fake alert endpoints on 127.0.0.1 that speak the documented protocols: the Telegram Bot API
// (sendMessage, getUpdates long polling, answerCallbackQuery), Discord and Slack webhooks, with
// scripted answers (429 with retry_after, 5xx, a hanging request, a deleted webhook); and an
// SMTP server (plain, STARTTLS or implicit TLS with a self-signed certificate for 127.0.0.1).
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/fake_http_server.hpp"

namespace aurum::test {

/// One scripted answer.
struct FakeAnswer {
    int status = 200;
    std::string body;
    std::map<std::string, std::string> headers;
    bool hang = false; ///< hold the request until release(), then answer 503
};
inline FakeAnswer answer(int status, std::string body,
                         std::map<std::string, std::string> headers = {}) {
    FakeAnswer a;
    a.status = status;
    a.body = std::move(body);
    a.headers = std::move(headers);
    return a;
}
inline FakeAnswer hang_answer() {
    FakeAnswer a;
    a.hang = true;
    return a;
}

/// A chat endpoint: "telegram" (POST /bot<token>/<method>), "discord" or "slack" (POST /hook).
/// Telegram also has the phone's side, for walk-throughs and end-to-end tests:
///   POST /fake/say   {"text": "/stop reason", "user": 1001}  a message from that user
///   POST /fake/press {"button": "Approve", "user": 1001}    presses the button of the newest
///        message whose label starts with "button", any case (404 when there is none)
///   GET  /fake/messages                                      every sendMessage body so far
class FakeChatServer {
  public:
    /// Listens on 127.0.0.1:`port` (0: a free port).
    explicit FakeChatServer(std::string kind, std::string token = "T0KEN", int port = 0);
    ~FakeChatServer();

    /// Base URL (telegram) or the webhook URL (discord, slack).
    std::string url() const;
    /// Answers the next requests with these, in order; afterwards the protocol's success.
    void script(std::vector<FakeAnswer> answers);
    /// Lets a hanging request go (it answers 503).
    void release();
    /// Bodies of the requests answered with success, in arrival order (sendMessage for
    /// telegram).
    std::vector<nlohmann::json> delivered() const;
    /// Every request to a method/path, answered or not.
    int requests() const;
    /// Telegram: an update for getUpdates (update_id assigned).
    void push_update(nlohmann::json update);
    /// Telegram: calls of a method (sendMessage, answerCallbackQuery), bodies in order.
    std::vector<nlohmann::json> calls(const std::string& method) const;
    /// Telegram: waits until `n` sendMessage calls arrived (or 5 s).
    bool wait_messages(std::size_t n, int ms = 5000) const;

  private:
    void handle(const std::string& method, const httplib::Request& req, httplib::Response& res);
    void add_phone_routes();
    void press(const nlohmann::json& rq, httplib::Response& res);
    std::string kind_, token_;
    mutable std::mutex m_;
    mutable std::condition_variable cv_;
    std::deque<FakeAnswer> script_;
    std::vector<nlohmann::json> delivered_;
    std::map<std::string, std::vector<nlohmann::json>> calls_;
    std::vector<nlohmann::json> updates_;
    std::int64_t next_update_ = 100;
    int requests_ = 0;
    bool released_ = false, closing_ = false;
    FakeHttpServer http_; ///< last: stopped before the state its handlers use
};

/// An SMTP server speaking EHLO, STARTTLS, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, RSET, QUIT.
class FakeSmtpServer {
  public:
    enum class Tls { None, StartTls, Implicit };
    /// Listens on 127.0.0.1:`port` (0: a free port).
    explicit FakeSmtpServer(Tls tls, int port = 0);
    ~FakeSmtpServer();
    int port() const { return port_; }
    /// The self-signed certificate (PEM) clients must trust; empty for Tls::None.
    const std::filesystem::path& ca_file() const { return cert_; }
    struct Mail {
        std::string from;
        std::vector<std::string> to;
        std::string data; ///< the message as received (dot-stuffing undone)
        bool tls = false; ///< arrived over TLS
        std::string auth; ///< "PLAIN user" when the client authenticated
    };
    std::vector<Mail> mails() const;
    bool wait_mails(std::size_t n, int ms = 5000) const;

  private:
    void serve();
    void session(int fd);
    Tls tls_;
    int listen_fd_ = -1, port_ = 0;
    std::filesystem::path dir_, cert_, key_;
    void* ctx_ = nullptr; ///< SSL_CTX
    std::thread thread_;
    mutable std::mutex m_;
    mutable std::condition_variable cv_;
    std::vector<Mail> mails_;
    bool stop_ = false;
};

} // namespace aurum::test
