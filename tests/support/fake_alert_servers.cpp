#include "support/fake_alert_servers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <ctime>
#include <fstream>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "support/test_support.hpp"

namespace aurum::test {

using nlohmann::json;

FakeChatServer::FakeChatServer(std::string kind, std::string token, int port)
    : kind_(std::move(kind)), token_(std::move(token)) {
    if (kind_ == "telegram") {
        http_.server().Post(R"(/bot([^/]+)/(\w+))", [this](const httplib::Request& req,
                                                          httplib::Response& res) {
            if (req.matches[1] != token_) {
                res.status = 401;
                res.set_content(R"({"ok":false,"error_code":401,"description":"Unauthorized"})",
                                "application/json");
                return;
            }
            handle(req.matches[2], req, res);
        });
        add_phone_routes();
    } else {
        http_.server().Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
            handle("hook", req, res);
        });
    }
    http_.start(port);
}

void FakeChatServer::add_phone_routes() {
    auto from = [](const json& rq) {
        const std::int64_t user = rq.value("user", std::int64_t{1001});
        return std::pair{json{{"id", user}, {"is_bot", false}, {"first_name", "Phone"}},
                         json{{"id", user}, {"type", "private"}}};
    };
    http_.server().Post("/fake/say", [this, from](const httplib::Request& req, httplib::Response& res) {
        const json rq = json::parse(req.body, nullptr, false);
        if (!rq.is_object() || !rq.contains("text") || !rq["text"].is_string()) {
            res.status = 400;
            res.set_content(R"({"error":"expected {\"text\": \"/status\", \"user\": 1001}"})", "application/json");
            return;
        }
        const auto [user, chat] = from(rq);
        push_update({{"message", {{"message_id", 1}, {"from", user}, {"chat", chat},
                                  {"date", std::time(nullptr)}, {"text", rq["text"]}}}});
        res.set_content(json{{"said", rq["text"]}}.dump(), "application/json");
    });
    http_.server().Post("/fake/press", [this](const httplib::Request& req, httplib::Response& res) {
        press(json::parse(req.body, nullptr, false), res);
    });
    http_.server().Get("/fake/messages", [this](const httplib::Request&, httplib::Response& res) {
        res.set_content(json(calls("sendMessage")).dump(), "application/json");
    });
}

namespace {
bool starts_with_nocase(const std::string& text, const std::string& prefix) {
    if (prefix.empty() || text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(text[i])) !=
            std::tolower(static_cast<unsigned char>(prefix[i])))
            return false;
    return true;
}
} // namespace

void FakeChatServer::press(const json& rq, httplib::Response& res) {
    if (!rq.is_object() || !rq.contains("button") || !rq["button"].is_string()) {
        res.status = 400;
        res.set_content(R"({"error":"expected {\"button\": \"Approve\", \"user\": 1001}"})", "application/json");
        return;
    }
    const std::string label = rq["button"];
    const auto sent = calls("sendMessage");
    for (auto m = sent.rbegin(); m != sent.rend(); ++m) {
        if (!m->contains("reply_markup")) continue;
        for (const auto& row : (*m)["reply_markup"].value("inline_keyboard", json::array()))
            for (const auto& b : row) {
                if (!starts_with_nocase(b.value("text", ""), label)) continue;
                const std::int64_t user = rq.value("user", std::int64_t{1001});
                static std::atomic<int> presses{0};
                push_update({{"callback_query",
                              {{"id", "press-" + std::to_string(++presses)},
                               {"from", {{"id", user}, {"is_bot", false}, {"first_name", "Phone"}}},
                               {"message", {{"message_id", 1}, {"chat", {{"id", user}, {"type", "private"}}}}},
                               {"data", b.value("callback_data", "")}}}});
                res.set_content(json{{"pressed", b["text"]}, {"data", b["callback_data"]}}.dump(),
                                "application/json");
                return;
            }
    }
    res.status = 404;
    res.set_content(json{{"error", "no message has a button starting with '" + label + "'"}}.dump(),
                    "application/json");
}

FakeChatServer::~FakeChatServer() {
    {
        std::lock_guard<std::mutex> lock(m_);
        closing_ = true;
    }
    cv_.notify_all();
}

std::string FakeChatServer::url() const {
    return kind_ == "telegram" ? http_.url() : http_.url() + "/hook";
}

void FakeChatServer::script(std::vector<FakeAnswer> answers) {
    std::lock_guard<std::mutex> lock(m_);
    for (auto& a : answers) script_.push_back(std::move(a));
}

void FakeChatServer::release() {
    {
        std::lock_guard<std::mutex> lock(m_);
        released_ = true;
    }
    cv_.notify_all();
}

std::vector<json> FakeChatServer::delivered() const {
    std::lock_guard<std::mutex> lock(m_);
    return delivered_;
}

int FakeChatServer::requests() const {
    std::lock_guard<std::mutex> lock(m_);
    return requests_;
}

void FakeChatServer::push_update(json update) {
    {
        std::lock_guard<std::mutex> lock(m_);
        update["update_id"] = next_update_++;
        updates_.push_back(std::move(update));
    }
    cv_.notify_all();
}

std::vector<json> FakeChatServer::calls(const std::string& method) const {
    std::lock_guard<std::mutex> lock(m_);
    auto it = calls_.find(method);
    return it == calls_.end() ? std::vector<json>{} : it->second;
}

bool FakeChatServer::wait_messages(std::size_t n, int ms) const {
    std::unique_lock<std::mutex> lock(m_);
    return cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] {
        auto it = calls_.find("sendMessage");
        return it != calls_.end() && it->second.size() >= n;
    });
}

void FakeChatServer::handle(const std::string& method, const httplib::Request& req,
                            httplib::Response& res) {
    const json body = json::parse(req.body, nullptr, false);
    std::unique_lock<std::mutex> lock(m_);
    calls_[method].push_back(body);
    cv_.notify_all();
    if (method == "getUpdates") {
        const auto offset = body.value("offset", std::int64_t{0});
        if (offset > 0)
            std::erase_if(updates_, [&](const json& u) { return u["update_id"] < offset; });
        // Long polling, kept short so tests stay fast.
        const int wait = std::min<int>(body.value("timeout", 0) * 1000, 300);
        if (updates_.empty() && wait > 0)
            cv_.wait_for(lock, std::chrono::milliseconds(wait),
                         [&] { return !updates_.empty() || closing_; });
        json result = json::array();
        if (offset < 0) {
            if (!updates_.empty()) result.push_back(updates_.back());
        } else {
            for (const auto& u : updates_) result.push_back(u);
        }
        res.set_content(json{{"ok", true}, {"result", result}}.dump(), "application/json");
        return;
    }
    if (method == "answerCallbackQuery") {
        res.set_content(R"({"ok":true,"result":true})", "application/json");
        return;
    }
    ++requests_;
    FakeAnswer a;
    if (!script_.empty()) {
        a = script_.front();
        script_.pop_front();
    } else if (kind_ == "telegram") {
        a.body = json{{"ok", true}, {"result", {{"message_id", requests_}}}}.dump();
    } else if (kind_ == "discord") {
        a.body = json{{"id", std::to_string(requests_)}}.dump();
    } else {
        a.body = "ok";
    }
    if (a.hang) {
        cv_.wait(lock, [&] { return released_ || closing_; });
        res.status = 503;
        return;
    }
    res.status = a.status;
    for (const auto& [k, v] : a.headers) res.set_header(k, v);
    res.set_content(a.body, kind_ == "slack" && a.status == 200 ? "text/plain" : "application/json");
    if (a.status >= 200 && a.status < 300) delivered_.push_back(body);
}

// ----- SMTP ---------------------------------------------------------------------------------

namespace {

/// A self-signed certificate for 127.0.0.1 (subjectAltName IP), written as PEM files.
void make_certificate(const std::filesystem::path& cert, const std::filesystem::path& key) {
    EVP_PKEY* pkey = EVP_RSA_gen(2048);
    X509* x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, pkey);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value);
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    X509_sign(x, pkey, EVP_sha256());
    FILE* f = std::fopen(cert.c_str(), "w");
    PEM_write_X509(f, x);
    std::fclose(f);
    f = std::fopen(key.c_str(), "w");
    PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(x);
    EVP_PKEY_free(pkey);
}

/// A connection that is plain until start_tls().
struct Conn {
    int fd;
    SSL* ssl = nullptr;
    std::string buf;
    bool send(const std::string& s) {
        return ssl ? SSL_write(ssl, s.data(), static_cast<int>(s.size())) > 0
                   : ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
    }
    bool line(std::string* out) {
        for (;;) {
            const auto eol = buf.find("\r\n");
            if (eol != std::string::npos) {
                *out = buf.substr(0, eol);
                buf.erase(0, eol + 2);
                return true;
            }
            char tmp[4096];
            const int n = ssl ? SSL_read(ssl, tmp, sizeof tmp)
                              : static_cast<int>(::recv(fd, tmp, sizeof tmp, 0));
            if (n <= 0) return false;
            buf.append(tmp, static_cast<std::size_t>(n));
        }
    }
    bool start_tls(SSL_CTX* ctx) {
        ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        buf.clear();
        return SSL_accept(ssl) == 1;
    }
};

std::string decode_b64(const std::string& s) {
    std::string out(s.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(s.data()),
                                  static_cast<int>(s.size()));
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!out.empty() && out.back() == '\0') out.pop_back();
    return out;
}

} // namespace

FakeSmtpServer::FakeSmtpServer(Tls tls, int port) : tls_(tls) {
    if (tls_ != Tls::None) {
        dir_ = std::filesystem::temp_directory_path() /
               ("aurum_smtp_" + std::to_string(::getpid()) + "_" +
                std::to_string(reinterpret_cast<std::uintptr_t>(this)));
        std::filesystem::create_directories(dir_);
        cert_ = dir_ / "cert.pem";
        key_ = dir_ / "key.pem";
        make_certificate(cert_, key_);
        SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
        SSL_CTX_use_certificate_file(ctx, cert_.c_str(), SSL_FILETYPE_PEM);
        SSL_CTX_use_PrivateKey_file(ctx, key_.c_str(), SSL_FILETYPE_PEM);
        ctx_ = ctx;
    }
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); // 127.0.0.1 only
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    const int one = 1; // a walk-through restarted at once gets its port back
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_fd_, 8) != 0)
        throw std::runtime_error("FakeSmtpServer: cannot listen on 127.0.0.1");
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
}

FakeSmtpServer::~FakeSmtpServer() {
    {
        std::lock_guard<std::mutex> lock(m_);
        stop_ = true;
    }
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    thread_.join();
    if (ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

std::vector<FakeSmtpServer::Mail> FakeSmtpServer::mails() const {
    std::lock_guard<std::mutex> lock(m_);
    return mails_;
}

bool FakeSmtpServer::wait_mails(std::size_t n, int ms) const {
    std::unique_lock<std::mutex> lock(m_);
    return cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return mails_.size() >= n; });
}

void FakeSmtpServer::serve() {
    for (;;) {
        const int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;
        session(fd); // one client at a time is all the tests need
        ::close(fd);
        std::lock_guard<std::mutex> lock(m_);
        if (stop_) return;
    }
}

void FakeSmtpServer::session(int fd) {
    Conn c{fd};
    SSL_CTX* ctx = static_cast<SSL_CTX*>(ctx_);
    if (tls_ == Tls::Implicit && !c.start_tls(ctx)) return;
    c.send("220 127.0.0.1 fake ESMTP\r\n");
    Mail mail;
    std::string l;
    while (c.line(&l)) {
        std::string verb = l.substr(0, l.find(' '));
        for (auto& ch : verb) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (verb == "EHLO" || verb == "HELO") {
            std::string caps = "250-127.0.0.1\r\n250-8BITMIME\r\n";
            if (tls_ == Tls::StartTls && !c.ssl) caps += "250-STARTTLS\r\n";
            c.send(caps + "250 AUTH PLAIN LOGIN\r\n");
        } else if (verb == "STARTTLS" && tls_ == Tls::StartTls && !c.ssl) {
            c.send("220 Ready to start TLS\r\n");
            if (!c.start_tls(ctx)) return;
        } else if (verb == "AUTH") {
            // AUTH PLAIN <base64 \0user\0pass> or a continuation.
            std::string arg = l.size() > 11 ? l.substr(11) : "";
            if (arg.empty()) {
                c.send("334 \r\n");
                if (!c.line(&arg)) return;
            }
            const std::string plain = decode_b64(arg);
            const auto z = plain.find('\0', 1);
            mail.auth = "PLAIN " + plain.substr(1, z == std::string::npos ? std::string::npos : z - 1);
            c.send("235 2.7.0 Authentication successful\r\n");
        } else if (verb == "MAIL") {
            mail.from = l.substr(l.find('<') + 1, l.find('>') - l.find('<') - 1);
            c.send("250 OK\r\n");
        } else if (verb == "RCPT") {
            mail.to.push_back(l.substr(l.find('<') + 1, l.find('>') - l.find('<') - 1));
            c.send("250 OK\r\n");
        } else if (verb == "DATA") {
            c.send("354 End data with <CR><LF>.<CR><LF>\r\n");
            std::string d;
            while (c.line(&l) && l != ".") d += (l.rfind("..", 0) == 0 ? l.substr(1) : l) + "\r\n";
            mail.tls = c.ssl != nullptr;
            mail.data = d;
            {
                std::lock_guard<std::mutex> lock(m_);
                mails_.push_back(mail);
            }
            cv_.notify_all();
            mail = Mail{};
            c.send("250 OK queued\r\n");
        } else if (verb == "RSET" || verb == "NOOP") {
            c.send("250 OK\r\n");
        } else if (verb == "QUIT") {
            c.send("221 Bye\r\n");
            break;
        } else {
            c.send("502 Command not implemented\r\n");
        }
    }
    if (c.ssl) {
        SSL_shutdown(c.ssl);
        SSL_free(c.ssl);
    }
}

} // namespace aurum::test
