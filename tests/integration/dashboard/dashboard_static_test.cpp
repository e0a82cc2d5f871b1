// The dashboard server on its own (no daemon, an empty workspace): the built front end served
// with its content types and cache headers, client-side routes, no path escapes, the built-in
// page while the front end is not built, and every read answering an empty state (not an error)
// before any session exists.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "support/test_support.hpp"
#include "surfaces/dashboard_server.hpp"

using namespace aurum;
using nlohmann::json;

namespace {

DashboardServerOptions options(const std::filesystem::path& home, const std::filesystem::path& web) {
    DashboardServerOptions o;
    o.ws = Workspace(home);
    o.ws.ensure_dirs();
    o.db_spec = (home / "data" / "aurum.db").string();
    o.web_dir = web;
    return o;
}

std::string sign_in(httplib::Client& c, const Workspace& ws) {
    auto r = c.Get("/login?token=" + mint_login_token(ws, SystemClock().now()));
    EXPECT_TRUE(r && r->status == 303);
    const std::string set = r ? r->get_header_value("Set-Cookie") : "";
    return set.substr(0, set.find(';'));
}

} // namespace

TEST(DashboardServer, serves_the_built_front_end_with_types_and_cache_headers) {
    test::TempDir home, web;
    test::write_text(web / "index.html", "<!doctype html><script type=module src=/assets/app-1a2b.js></script>");
    test::write_text(web / "assets" / "app-1a2b.js", "console.log(1)");
    test::write_text(web / "assets" / "app-1a2b.css", "body{}");
    test::write_text(home / "secret.txt", "do not serve");
    DashboardServer server(options(home.path(), web.path()));
    httplib::Client c("127.0.0.1", server.start("127.0.0.1", 0));

    auto index = c.Get("/");
    ASSERT_TRUE(index);
    EXPECT_EQ(index->status, 200);
    EXPECT_EQ(index->get_header_value("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(index->get_header_value("Cache-Control"), "no-cache");
    EXPECT_NE(index->get_header_value("Content-Security-Policy").find("script-src 'self'"), std::string::npos);
    EXPECT_EQ(index->get_header_value("X-Content-Type-Options"), "nosniff");
    auto js = c.Get("/assets/app-1a2b.js");
    EXPECT_EQ(js->status, 200);
    EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(js->get_header_value("Cache-Control"), "public, max-age=31536000, immutable");
    EXPECT_EQ(c.Get("/assets/app-1a2b.css")->get_header_value("Content-Type"), "text/css; charset=utf-8");
    // A client-side route reloads the app; a missing file is a 404, never a path outside web/.
    auto route = c.Get("/trades/12");
    EXPECT_EQ(route->status, 200);
    EXPECT_EQ(route->body, index->body);
    EXPECT_EQ(c.Get("/assets/gone.js")->status, 404);
    EXPECT_EQ(c.Get("/../secret.txt")->body.find("do not serve"), std::string::npos);
    EXPECT_EQ(c.Get("/%2e%2e/secret.txt")->body.find("do not serve"), std::string::npos);
    server.stop();
}

TEST(DashboardServer, without_a_built_front_end_says_so_and_the_api_answers_empty_states) {
    test::TempDir home, empty_web;
    DashboardServer server(options(home.path(), empty_web.path()));
    const int port = server.start("127.0.0.1", 0);
    httplib::Client c("127.0.0.1", port);
    auto page = c.Get("/");
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200);
    EXPECT_NE(page->body.find("front end is not built"), std::string::npos);
    EXPECT_EQ(page->body.find("<script"), std::string::npos);

    const Workspace ws(home.path());
    const std::string cookie = sign_in(c, ws);
    const httplib::Headers auth{{"Cookie", cookie}};
    const json session = json::parse(c.Get("/api/session", auth)->body);
    EXPECT_EQ(session["mode"], "offline");
    EXPECT_EQ(session["read_only"], true);
    EXPECT_TRUE(session["session_id"].is_null());
    for (const char* path : {"/api/overview", "/api/equity", "/api/predictions", "/api/trades",
                             "/api/risk", "/api/health", "/api/performance", "/api/signals",
                             "/api/audit", "/api/candles?symbol=BTC/USDT"}) {
        auto r = c.Get(path, auth);
        ASSERT_TRUE(r) << path;
        EXPECT_EQ(r->status, 200) << path << ": " << r->body;
        EXPECT_TRUE(json::parse(r->body).contains("as_of")) << path;
    }
    EXPECT_EQ(json::parse(c.Get("/api/trades", auth)->body)["total"], 0);
    EXPECT_EQ(c.Get("/api/trades/0", auth)->status, 404);
    EXPECT_EQ(c.Get("/api/nothing", auth)->status, 404);
    // The login link is spent; logging out ends the session.
    httplib::Headers post = auth;
    post.emplace("X-CSRF-Token", session["csrf"].get<std::string>());
    EXPECT_EQ(c.Post("/api/logout", post, "", "application/json")->status, 200);
    EXPECT_EQ(c.Get("/api/overview", auth)->status, 401);
    server.stop();
}

TEST(DashboardServer, a_second_server_on_a_taken_port_fails_clearly) {
    test::TempDir home;
    DashboardServer a(options(home.path(), {}));
    const int port = a.start("127.0.0.1", 0);
    DashboardServer b(options(home.path(), {}));
    try {
        b.start("127.0.0.1", port);
        FAIL() << "bound a taken port";
    } catch (const SystemError& e) {
        EXPECT_NE(std::string(e.what()).find(std::to_string(port)), std::string::npos) << e.what();
    }
    a.stop();
}
