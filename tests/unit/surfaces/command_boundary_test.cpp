// The control API parses every command at the boundary: a missing or mistyped field is a 400
// naming the field and the value, and never reaches the engine's queue.
#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "surfaces/control_api_server.hpp"

using namespace aurum;
using nlohmann::json;

TEST(ControlApiCommands, bad_fields_are_refused_at_the_boundary_naming_field_and_value) {
    CommandQueue queue;
    std::atomic<bool> stop{false};
    ControlApiServer server("tok", queue, [](const std::string&, const json&) { return json{}; },
                            stop);
    const int port = server.start(0);
    std::mutex m;
    std::vector<std::string> seen;
    std::thread engine([&] {
        while (!stop.load()) {
            queue.wait(20);
            queue.drain([&](const std::string& kind, const json& args) {
                std::lock_guard<std::mutex> lock(m);
                seen.push_back(kind + " " + args.dump());
                return CommandOutcome{0, "ok", {}};
            });
        }
    });
    httplib::Client c("127.0.0.1", port);
    const httplib::Headers auth{{"Authorization", "Bearer tok"}};
    struct Case {
        std::string kind, body, expect;
    };
    for (const Case& k : std::vector<Case>{
             {"trade", R"({"side":"long","amount":1})", "'symbol'"},
             {"trade", R"({"symbol":"BTC/USDT","side":"long","amount":"lots"})", "\"lots\""},
             {"pause", R"({"duration_ms":"24h"})", "'duration_ms'"},
             {"signal_approve", R"({"id":"x"})", "'id'"},
             {"nosuch", R"({})", "unknown command 'nosuch'"},
             {"pause", "{not json", "bad JSON body"}}) {
        auto r = c.Post("/api/commands/" + k.kind, auth, k.body, "application/json");
        ASSERT_TRUE(r) << k.kind;
        EXPECT_EQ(r->status, 400) << k.kind << ": " << r->body;
        const json body = json::parse(r->body);
        EXPECT_EQ(body["exit_code"], 2);
        EXPECT_NE(body["message"].get<std::string>().find(k.expect), std::string::npos)
            << body["message"];
        EXPECT_EQ(body["message"].get<std::string>().find("json.exception"), std::string::npos);
    }
    {
        std::lock_guard<std::mutex> lock(m);
        EXPECT_TRUE(seen.empty()); // nothing bad reached the engine
    }
    auto r = c.Post("/api/commands/resume", auth, R"({"reason":"over"})", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    {
        std::lock_guard<std::mutex> lock(m);
        ASSERT_EQ(seen.size(), 1u);
        EXPECT_EQ(seen[0], R"(resume {"reason":"over"})");
    }
    stop.store(true);
    engine.join();
    queue.close();
    server.stop();
}
