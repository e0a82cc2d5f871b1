// config/alerts.yaml and credentials: every mistake names file:line and key (exit 2 at the CLI),
// secrets only from a 0600 file or the environment, never echoed.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>

#include "core/error.hpp"
#include "support/test_support.hpp"
#include "surfaces/alerts/alerts_config.hpp"

namespace aurum {
namespace {

struct Ws {
    test::TempDir home;
    std::map<std::string, std::string> env;
    std::filesystem::path yaml() const { return home / "config" / "alerts.yaml"; }
    void write(const std::string& text) {
        std::filesystem::create_directories(home / "config");
        std::ofstream(yaml()) << text;
    }
    void secrets(const std::string& json, int mode) {
        std::filesystem::create_directories(home / "secrets");
        const auto p = home / "secrets" / "alerts.json";
        std::ofstream(p) << json;
        ::chmod(p.c_str(), static_cast<mode_t>(mode));
    }
    AlertsConfig load() const {
        return load_alerts_config(yaml(), home.path(), [this](const std::string& k) -> std::optional<std::string> {
            auto it = env.find(k);
            if (it == env.end()) return std::nullopt;
            return it->second;
        });
    }
    std::string error() const {
        try {
            load();
        } catch (const InputError& e) {
            return e.what();
        }
        return "";
    }
};

const char* kTelegram = R"(alerts:
  enabled: true
  quiet_hours: {start: "22:30", end: "06:00"}
  channels:
    telegram:
      base_url: http://127.0.0.1:9/
      chat_ids: [12345]
      commands:
        users: {"12345": operator, "777": viewer}
)";

TEST(AlertsConfig, a_missing_file_means_alerts_off) {
    Ws w;
    const auto c = w.load();
    EXPECT_FALSE(c.enabled);
    EXPECT_FALSE(c.any_channel());
}

TEST(AlertsConfig, the_shipped_default_parses_and_is_off) {
    Ws w;
    std::ifstream in(std::string(AURUM_SOURCE_DIR) + "/config/alerts.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    w.write(ss.str());
    EXPECT_FALSE(w.load().enabled);
    // Enabled with every channel off: valid, nothing to send.
    std::string on = ss.str();
    on.replace(on.find("enabled: false"), 14, "enabled: true");
    w.write(on);
    const auto c = w.load();
    EXPECT_TRUE(c.enabled);
    EXPECT_FALSE(c.any_channel());
}

TEST(AlertsConfig, telegram_with_token_from_a_0600_file) {
    Ws w;
    w.write(kTelegram);
    w.secrets(R"({"telegram_bot_token": "123:ABC"})", 0600);
    const auto c = w.load();
    EXPECT_TRUE(c.telegram.enabled);
    EXPECT_EQ(c.telegram_token, "123:ABC");
    EXPECT_EQ(c.telegram_base_url, "http://127.0.0.1:9");
    EXPECT_EQ(c.telegram_chats, (std::vector<std::string>{"12345"}));
    EXPECT_EQ(c.commands.users.at("777"), TelegramRole::Viewer);
    EXPECT_EQ(c.policy.quiet_start_min, 22 * 60 + 30);
    EXPECT_EQ(make_channel_routes(c).size(), 1u);
    // The environment wins over the file.
    w.env["AURUM_TELEGRAM_BOT_TOKEN"] = "999:ENV";
    EXPECT_EQ(w.load().telegram_token, "999:ENV");
}

TEST(AlertsConfig, a_token_file_readable_by_others_is_refused_naming_it) {
    Ws w;
    w.write(kTelegram);
    w.secrets(R"({"telegram_bot_token": "123:SECRET"})", 0644);
    const std::string e = w.error();
    EXPECT_NE(e.find("alerts.json has mode 0644"), std::string::npos) << e;
    EXPECT_NE(e.find("chmod 600"), std::string::npos) << e;
    EXPECT_EQ(e.find("SECRET"), std::string::npos) << "a secret was echoed: " << e;
}

TEST(AlertsConfig, a_missing_token_names_the_channel_and_where_to_put_it) {
    Ws w;
    w.write(kTelegram);
    const std::string e = w.error();
    EXPECT_NE(e.find("alerts.yaml:6: alerts.channels.telegram"), std::string::npos) << e;
    EXPECT_NE(e.find("telegram_bot_token"), std::string::npos) << e;
    EXPECT_NE(e.find("AURUM_TELEGRAM_BOT_TOKEN"), std::string::npos) << e;
}

TEST(AlertsConfig, unknown_channels_keys_and_bad_values_name_file_line_and_key) {
    Ws w;
    w.env["AURUM_SLACK_WEBHOOK_URL"] = "http://127.0.0.1:9/hook";
    w.env["AURUM_TELEGRAM_BOT_TOKEN"] = "1:X";
    struct Case {
        std::string yaml, want;
    } cases[] = {
        {"alerts:\n  enabled: true\n  channels:\n    pager: {enabled: true}\n", "alerts.yaml:4"},
        {"alerts:\n  enabled: true\n  channels:\n    slack: {enabled: true, colour: red}\n", "colour"},
        {"alerts:\n  enabled: true\n  dedup_windw: 5m\n", "dedup_window"},
        {"alerts:\n  enabled: true\n  digest_interval: soon\n", "digest_interval"},
        {"alerts:\n  enabled: true\n  quiet_hours: {start: \"25:00\", end: \"06:00\"}\n", "quiet_hours.start"},
        {"alerts:\n  enabled: true\n  channels:\n    slack: {min_severity: loud}\n", "min_severity"},
        {"alerts:\n  enabled: true\n  channels:\n    email: {url: \"smtp://h:25\", security: tls, from: a@b, to: [c@d]}\n", "smtps://"},
        {"alerts:\n  enabled: true\n  channels:\n    telegram:\n      chat_ids: [1]\n      commands: {users: {\"1\": admin}}\n", "viewer or operator"},
    };
    for (const auto& c : cases) {
        w.write(c.yaml);
        const std::string e = w.error();
        EXPECT_NE(e.find("alerts.yaml:"), std::string::npos) << c.yaml << " -> " << e;
        EXPECT_NE(e.find(c.want), std::string::npos) << c.yaml << " -> " << e;
    }
}

TEST(AlertsConfig, a_webhook_url_error_never_prints_the_url) {
    Ws w;
    w.env["AURUM_DISCORD_WEBHOOK_URL"] = "ftp://secret-token-here";
    w.write("alerts:\n  enabled: true\n  channels:\n    discord: {enabled: true}\n");
    const std::string e = w.error();
    EXPECT_NE(e.find("discord"), std::string::npos) << e;
    EXPECT_EQ(e.find("secret-token-here"), std::string::npos) << e;
}

} // namespace
} // namespace aurum
