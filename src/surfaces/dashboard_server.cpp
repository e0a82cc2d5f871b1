#include "surfaces/dashboard_server.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "data/market_store.hpp"
#include "live/command.hpp"
#include "live/dashboard_queries.hpp"
#include "live/state_store.hpp"
#include "surfaces/control_api_server.hpp"

namespace aurum {

using nlohmann::json;

namespace {

constexpr const char* kCookie = "aurum_session";
constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' "
    "data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'";

/// Shown at / until the front end is built: says what is missing, never an error.
constexpr const char* kMissingPage = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Aurum Edge dashboard</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5">
<h1>Aurum Edge dashboard</h1>
<p>The server is running and you are signed in, but the web front end is not built on this
machine, so there are no pages to show yet.</p>
<p>Build it with <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code> (then rebuild
<code>aurum</code>, or set <code>AURUM_WEB_DIR=web/dist</code>) and reload. The JSON API answers
meanwhile, e.g.
<a href="/api/overview">/api/overview</a>.</p>
</body></html>
)";

constexpr const char* kLoginFailedPage = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Aurum Edge: sign-in link not valid</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.5">
<h1>This sign-in link is not valid</h1>
<p>Login links work once and expire after 24 hours. Get a new one with
<code>aurum dashboard --url</code> in the workspace.</p>
</body></html>
)";

void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
}

/// A 400 body naming the field the error names ("... field 'amount' must be ...").
json bad_input(const std::string& message) {
    json j{{"error", message}, {"exit_code", 2}, {"message", message}, {"ok", false}};
    static const std::regex field(R"(field '([A-Za-z_.]+)')");
    static const std::regex param(R"(parameter '([A-Za-z_]+)')");
    std::smatch m;
    if (std::regex_search(message, m, field) || std::regex_search(message, m, param))
        j["field"] = m[1].str();
    return j;
}

bool same(const std::string& a, const std::string& b) {
    // Constant time in the token's content: the CSRF token is a secret.
    if (a.size() != b.size()) return false;
    unsigned char d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
    return d == 0;
}

const char* content_type(const std::filesystem::path& p) {
    const std::string e = p.extension().string();
    if (e == ".html") return "text/html; charset=utf-8";
    if (e == ".js" || e == ".mjs") return "text/javascript; charset=utf-8";
    if (e == ".css") return "text/css; charset=utf-8";
    if (e == ".svg") return "image/svg+xml";
    if (e == ".png") return "image/png";
    if (e == ".ico") return "image/x-icon";
    if (e == ".woff2") return "font/woff2";
    if (e == ".json" || e == ".map") return "application/json";
    if (e == ".txt") return "text/plain; charset=utf-8";
    return "application/octet-stream";
}

std::string read_all(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool has_index(const std::filesystem::path& dir) {
    std::error_code ec;
    return !dir.empty() && std::filesystem::is_regular_file(dir / "index.html", ec);
}

TimeMs now_ms() { return SystemClock().now(); }

} // namespace

std::filesystem::path find_web_dir() {
    if (const char* env = std::getenv("AURUM_WEB_DIR"); env && *env) return env;
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const auto installed = exe.parent_path().parent_path() / "share" / "aurum" / "web";
        if (has_index(installed)) return installed;
    }
#ifdef AURUM_SOURCE_DIR
    const std::filesystem::path source = std::filesystem::path(AURUM_SOURCE_DIR) / "web" / "dist";
    if (has_index(source)) return source;
#endif
    return {};
}

DashboardServer::DashboardServer(DashboardServerOptions options) : o_(std::move(options)) {
    web_dir_ = o_.web_dir.empty() ? find_web_dir() : o_.web_dir;
}

DashboardServer::~DashboardServer() { stop(); }

json DashboardServer::base_query(const std::string& name, const json& params) {
    if (o_.base) return o_.base(name, params);
    // No daemon: the same router on this server's connection (caller holds db_mutex_).
    std::optional<RiskLimits> limits;
    std::optional<std::string> risk_error;
    try {
        limits = load_risk_limits(o_.ws.config_file("risk.yaml").string());
    } catch (const InputError& e) {
        risk_error = e.what();
    }
    if (name == "order_preview") throw InputError(o_.read_only_reason);
    QueryContext qc{*store_, o_.ws, limits ? &*limits : nullptr, risk_error,
                    read_daemon_info(o_.ws), daemon_running(o_.ws), now_ms()};
    return route_query(name, params, qc);
}

int DashboardServer::start(const std::string& bind, int port) {
    market_ = open_market_store(o_.db_spec);
    store_ = std::make_unique<StateStore>(market_->database());
    cache_ = std::make_unique<DashboardCache>();
    server_ = std::make_unique<httplib::Server>();
    auto& srv = *server_;
    srv.new_task_queue = [] { return new httplib::ThreadPool(kDashboardWorkers); };
    srv.set_read_timeout(5, 0);
    srv.set_write_timeout(5, 0);
    srv.set_keep_alive_timeout(5);
    // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a second server
    // (another daemon, `aurum dashboard`) share the port and split the page's requests.
    srv.set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    routes();
    const int bound = port == 0 ? srv.bind_to_any_port(bind)
                                : (srv.bind_to_port(bind, port) ? port : -1);
    if (bound <= 0)
        throw SystemError("dashboard: cannot listen on " + bind + ":" + std::to_string(port) +
                          " (in use? choose another with --dashboard-port or live.yaml "
                          "dashboard.port)");
    info_ = DashboardInfo{::getpid(), bind, bound, o_.mode};
    write_dashboard_info(o_.ws, info_);
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    for (int i = 0; i < 5000 && !server_->is_running(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (bind != "127.0.0.1" && bind != "localhost" && bind != "::1")
        spdlog::warn("dashboard listens on {}:{}, reachable from other machines: anyone with a "
                     "login link can steer trading; keep it behind a firewall or an SSH tunnel",
                     bind, bound);
    return bound;
}

void DashboardServer::stop() {
    stopping_.store(true);
    if (server_) server_->stop();
    if (thread_.joinable()) {
        thread_.join();
        remove_dashboard_info(o_.ws);
    }
}

std::string DashboardServer::login_url() {
    return dashboard_login_url(info_, mint_login_token(o_.ws, now_ms()));
}

void DashboardServer::routes() {
    auto& srv = *server_;
    srv.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        res.set_header("Content-Security-Policy", kCsp);
        res.set_header("X-Content-Type-Options", "nosniff");
        res.set_header("Referrer-Policy", "no-referrer");
        res.set_header("X-Frame-Options", "DENY");
        if (req.path.rfind("/api/", 0) != 0) return httplib::Server::HandlerResponse::Unhandled;
        const auto csrf = sessions_.csrf_for(cookie_value(req.get_header_value("Cookie"), kCookie));
        if (!csrf) {
            reply(res, 401, json{{"error", "not signed in: open the login link printed by the "
                                           "daemon or by `aurum dashboard --url`"}});
            return httplib::Server::HandlerResponse::Handled;
        }
        if (req.method != "GET" && req.method != "HEAD" &&
            !same(req.get_header_value("X-CSRF-Token"), *csrf)) {
            reply(res, 403, json{{"error", "missing or wrong X-CSRF-Token header (read it from "
                                           "GET /api/session); nothing was changed"}});
            spdlog::warn("dashboard: refused {} {} without a valid CSRF token", req.method,
                         req.path);
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    srv.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                                 std::exception_ptr ep) {
        try {
            std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            reply(res, 500, json{{"error", e.what()}});
        } catch (...) {
            reply(res, 500, json{{"error", "unknown error"}});
        }
    });
    srv.Get("/login", [this](const httplib::Request& req, httplib::Response& res) {
        if (!consume_login_token(o_.ws, req.get_param_value("token"), now_ms())) {
            res.status = 401;
            res.set_content(kLoginFailedPage, "text/html; charset=utf-8");
            return;
        }
        const auto s = sessions_.create();
        res.set_header("Set-Cookie", std::string(kCookie) + "=" + s.cookie +
                                         "; HttpOnly; SameSite=Strict; Path=/");
        res.set_header("Cache-Control", "no-store");
        res.set_redirect("/", 303);
    });
    srv.Get("/api/session", [this](const httplib::Request& req, httplib::Response& res) {
        const std::string cookie = cookie_value(req.get_header_value("Cookie"), kCookie);
        std::optional<SessionRecord> session;
        {
            std::lock_guard<std::mutex> lock(db_mutex_);
            session = shown_session(*store_);
        }
        const bool up = daemon_running(o_.ws);
        const auto d = read_daemon_info(o_.ws);
        reply(res, 200,
              json{{"as_of", now_ms()},
                   {"mode", o_.queue ? o_.mode : "offline"},
                   {"read_only", o_.queue == nullptr},
                   {"read_only_reason", o_.queue ? json(nullptr) : json(o_.read_only_reason)},
                   {"csrf", sessions_.csrf_for(cookie).value_or("")},
                   {"session_id", session ? json(session->id) : json(nullptr)},
                   {"daemon", {{"running", up}, {"pid", up && d ? d->pid : 0}}},
                   {"workspace", o_.ws.home().string()}});
    });
    srv.Post("/api/logout", [this](const httplib::Request& req, httplib::Response& res) {
        sessions_.remove(cookie_value(req.get_header_value("Cookie"), kCookie));
        res.set_header("Set-Cookie", std::string(kCookie) +
                                         "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
        reply(res, 200, json{{"ok", true}});
    });
    srv.Get("/api/events", [this](const httplib::Request&, httplib::Response& res) {
        serve_events(res);
    });
    srv.Get(R"(/api/trades/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
        httplib::Request r = req;
        r.params.emplace("id", req.matches[1]);
        serve_api_get("trade", r, res);
    });
    srv.Get(R"(/api/(overview|equity|predictions|trades|candles|risk|health|performance|signals|audit))",
            [this](const httplib::Request& req, httplib::Response& res) {
                serve_api_get(req.matches[1], req, res);
            });
    srv.Post(R"(/api/commands/([a-z_]+))",
             [this](const httplib::Request& req, httplib::Response& res) {
                 serve_command(req.matches[1], req, res);
             });
    srv.Post("/api/orders/preview", [this](const httplib::Request& req, httplib::Response& res) {
        serve_preview(req, res);
    });
    srv.Get(R"(/api/.*)", [](const httplib::Request& req, httplib::Response& res) {
        reply(res, 404, json{{"error", "no such endpoint: " + req.path}});
    });
    srv.Post(R"(/api/.*)", [](const httplib::Request& req, httplib::Response& res) {
        reply(res, 404, json{{"error", "no such endpoint: " + req.path}});
    });
    srv.Get(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
        serve_static(req, res);
    });
}

void DashboardServer::serve_api_get(const std::string& name, const httplib::Request& req,
                                    httplib::Response& res) {
    json params = json::object();
    for (const auto& [k, v] : req.params) params[k] = v;
    res.set_header("Cache-Control", "no-store");
    try {
        std::lock_guard<std::mutex> lock(db_mutex_);
        const DashboardReadContext ctx{
            *store_, *market_, o_.ws, o_.instruments,
            [this](const std::string& n, const json& p) { return base_query(n, p); }, now_ms(),
            cache_.get()};
        reply(res, 200, dashboard_query(name, params, ctx));
    } catch (const NotFoundError& e) {
        reply(res, 404, json{{"error", e.what()}});
    } catch (const InputError& e) {
        reply(res, 400, bad_input(e.what()));
    }
}

namespace {

/// The POST body as a JSON object; nullopt (after answering 400) otherwise.
std::optional<json> body_object(const httplib::Request& req, httplib::Response& res) {
    json args;
    try {
        args = req.body.empty() ? json::object() : json::parse(req.body);
    } catch (const std::exception&) {
        reply(res, 400, bad_input("bad JSON body: expected a JSON object of the command's fields"));
        return std::nullopt;
    }
    if (!args.is_object()) {
        reply(res, 400, bad_input("the body must be a JSON object of fields, got " + args.dump()));
        return std::nullopt;
    }
    return args;
}

} // namespace

void DashboardServer::serve_command(const std::string& kind, const httplib::Request& req,
                                    httplib::Response& res) {
    if (!o_.queue) {
        reply(res, 409, json{{"error", o_.read_only_reason}, {"ok", false}, {"exit_code", 1},
                             {"message", o_.read_only_reason}});
        return;
    }
    auto args = body_object(req, res);
    if (!args) return;
    // Parsed here, at the boundary, by the one parser: a bad field is a 400 naming it.
    Command cmd;
    try {
        args->erase("source"); // set by this surface, not by the page
        cmd = parse_command(kind, *args);
    } catch (const InputError& e) {
        reply(res, 400, bad_input(e.what()));
        return;
    }
    cmd.source = "dashboard";
    const CommandOutcome o = o_.queue->submit(to_string(cmd.kind), cmd.to_json());
    json body{{"ok", o.exit_code == 0}, {"exit_code", o.exit_code}, {"message", o.message},
              {"data", o.data}};
    if (o.exit_code == 2) body.update(bad_input(o.message));
    if (o.exit_code != 0) body["error"] = o.message;
    reply(res, http_status_of(o), body);
}

void DashboardServer::serve_preview(const httplib::Request& req, httplib::Response& res) {
    if (!o_.queue) {
        reply(res, 409, json{{"error", o_.read_only_reason}});
        return;
    }
    auto args = body_object(req, res);
    if (!args) return;
    try {
        parse_command(CommandKind::Trade, *args); // 400 naming the field
    } catch (const InputError& e) {
        reply(res, 400, bad_input(e.what()));
        return;
    }
    try {
        reply(res, 200, base_query("order_preview", *args));
    } catch (const InputError& e) {
        // An unknown symbol is bad input; "no price yet" or "nothing to close" is a refusal.
        const std::string m = e.what();
        if (m.rfind("unknown symbol", 0) == 0) {
            json b = bad_input(m);
            b["field"] = "symbol";
            reply(res, 400, b);
        } else {
            reply(res, 409, json{{"error", m}});
        }
    }
}

void DashboardServer::serve_events(httplib::Response& res) {
    if (streams_.fetch_add(1) >= kDashboardMaxStreams) {
        streams_.fetch_sub(1);
        reply(res, 503, json{{"error", "too many event streams open; close a dashboard tab"}});
        return;
    }
    struct Stream {
        std::shared_ptr<EventBus::Subscription> sub;
        TimeMs last_beat = 0;
        bool started = false;
    };
    auto st = std::make_shared<Stream>();
    if (o_.events) st->sub = o_.events->subscribe();
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, st](std::size_t, httplib::DataSink& sink) {
            auto send = [&](const std::string& name, const std::string& data) {
                const std::string text = "event: " + name + "\ndata: " + data + "\n\n";
                return sink.write(text.data(), text.size());
            };
            if (!st->started) {
                st->started = true;
                st->last_beat = now_ms();
                const std::string hello = "retry: 3000\n\n";
                if (!sink.write(hello.data(), hello.size())) return false;
                return send("heartbeat", json{{"as_of", st->last_beat}}.dump());
            }
            if (stopping_.load()) return false;
            if (st->sub) {
                // Drain what is buffered, then wait briefly (so stop() is noticed).
                for (int n = 0; n < 64; ++n) {
                    auto e = st->sub->next(n == 0 ? 250 : 0);
                    if (!e) break;
                    if (!send(e->name, e->data)) return false;
                }
                if (st->sub->dropped()) return false; // fell behind, or the bus closed
            } else {
                std::this_thread::sleep_for(std::chrono::milliseconds(250));
            }
            if (now_ms() - st->last_beat >= o_.heartbeat_ms) {
                st->last_beat = now_ms();
                if (!send("heartbeat", json{{"as_of", st->last_beat}}.dump())) return false;
            }
            return true;
        },
        [this, st](bool) {
            if (st->sub && o_.events) o_.events->unsubscribe(st->sub);
            streams_.fetch_sub(1);
        });
}

void DashboardServer::serve_static(const httplib::Request& req, httplib::Response& res) {
    if (!has_index(web_dir_)) {
        // Built since the server started? (A directory given explicitly is the only one used.)
        if (o_.web_dir.empty()) web_dir_ = find_web_dir();
        if (!has_index(web_dir_)) {
            res.set_header("Cache-Control", "no-cache");
            res.set_content(kMissingPage, "text/html; charset=utf-8");
            return;
        }
    }
    std::string rel = req.path.substr(1);
    if (rel.find("..") != std::string::npos || rel.find('\0') != std::string::npos) {
        reply(res, 404, json{{"error", "not found"}});
        return;
    }
    std::filesystem::path file = web_dir_ / rel;
    std::error_code ec;
    if (rel.empty() || !std::filesystem::is_regular_file(file, ec)) {
        // Client-side routes (no extension) get the app; a missing asset is a 404.
        if (!rel.empty() && std::filesystem::path(rel).has_extension()) {
            reply(res, 404, json{{"error", "not found: " + req.path}});
            return;
        }
        file = web_dir_ / "index.html";
    }
    const bool hashed = rel.rfind("assets/", 0) == 0 && file.filename() != "index.html";
    res.set_header("Cache-Control", hashed ? "public, max-age=31536000, immutable" : "no-cache");
    res.set_content(read_all(file), content_type(file));
}

} // namespace aurum
