#include "surfaces/alerts/alerts_config.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/config.hpp"
#include "core/error.hpp"

namespace aurum {

namespace {

TimeMs duration(const ConfigNode& n, const std::string& key, TimeMs fallback) {
    if (!n.has(key)) return fallback;
    const auto d = parse_duration(n.get_string(key));
    if (!d) n.fail(key, "expected a duration such as 30s, 10m or 1h");
    return *d;
}

int minute_of_day(const ConfigNode& n, const std::string& key) {
    const std::string s = n.get_string(key);
    int h = -1, m = -1;
    if (s.size() != 5 || s[2] != ':' || std::sscanf(s.c_str(), "%2d:%2d", &h, &m) != 2 || h < 0 ||
        h > 23 || m < 0 || m > 59)
        n.fail(key, "expected a UTC time of day HH:MM, got '" + s + "'");
    return h * 60 + m;
}

ChannelConfig channel_common(const ConfigNode& n) {
    ChannelConfig c;
    c.enabled = n.get_bool("enabled", true);
    if (n.has("min_severity")) {
        try {
            c.min_severity = parse_alert_severity(n.get_string("min_severity"));
        } catch (const InputError& e) {
            n.fail("min_severity", e.what());
        }
    }
    c.digest_info = n.get_bool("digest_info", c.digest_info);
    return c;
}

/// Everything in a scalar or a list of scalars as strings (chat ids may be written as numbers).
std::vector<std::string> id_list(const ConfigNode& n, const std::string& key) {
    std::vector<std::string> out;
    for (const auto& it : n.child(key).items()) out.push_back(it.raw().as<std::string>());
    return out;
}

struct Credentials {
    std::map<std::string, std::string> values;
    std::string source(const std::string& key) const {
        auto it = values.find(key);
        return it == values.end() ? "" : it->second;
    }
};

Credentials load_credentials(const std::filesystem::path& home, const EnvLookup& env) {
    Credentials c;
    const std::filesystem::path file = home / "secrets" / "alerts.json";
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0) {
        if ((st.st_mode & 077) != 0)
            throw InputError(fmt::format(
                "alerts: {} has mode {:04o}; it must be readable by its owner only. Run `chmod "
                "600 {}` (refusing to use secrets others can read; nothing was sent)",
                file.string(), st.st_mode & 07777, file.string()));
        std::ifstream in(file);
        std::stringstream ss;
        ss << in.rdbuf();
        nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
        if (!j.is_object())
            throw InputError("alerts: " + file.string() + ": not a JSON object");
        for (const auto& [k, v] : j.items()) {
            if (k != "telegram_bot_token" && k != "discord_webhook_url" &&
                k != "slack_webhook_url" && k != "smtp_username" && k != "smtp_password")
                throw InputError("alerts: " + file.string() + ": unknown key '" + k +
                                 "' (known: telegram_bot_token, discord_webhook_url, "
                                 "slack_webhook_url, smtp_username, smtp_password)");
            if (!v.is_string())
                throw InputError("alerts: " + file.string() + ": '" + k + "' must be a string");
            c.values[k] = v.get<std::string>();
        }
    }
    for (const char* k : {"telegram_bot_token", "discord_webhook_url", "slack_webhook_url",
                          "smtp_username", "smtp_password"}) {
        std::string var = std::string("AURUM_") + k;
        for (auto& ch : var) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (auto v = env(var); v && !v->empty()) c.values[k] = *v;
    }
    return c;
}

std::string need(const Credentials& cr, const ConfigNode& n, const std::string& key) {
    const std::string v = cr.source(key);
    if (v.empty()) {
        std::string var = "AURUM_" + key;
        for (auto& ch : var) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        n.fail("enabled", "needs " + key + " in secrets/alerts.json (mode 0600) or the "
                          "environment variable " + var + "; nothing was sent");
    }
    return v;
}

void check_url(const ConfigNode& n, const std::string& key, const std::string& url,
               std::initializer_list<const char*> schemes) {
    for (const char* s : schemes)
        if (url.rfind(std::string(s) + "://", 0) == 0 && url.size() > std::string(s).size() + 3)
            return;
    std::string list;
    for (const char* s : schemes) list += (list.empty() ? "" : ", ") + std::string(s) + "://";
    // Credentials are URLs too: name the key, never print the value.
    n.fail(key, "expected a URL starting with " + list);
}

void load_telegram(AlertsConfig& c, const ConfigNode& t, const Credentials& cr) {
    t.allow_keys({"enabled", "base_url", "chat_ids", "min_severity", "digest_info", "commands"});
    c.telegram = channel_common(t);
    c.telegram_base_url = t.get_string("base_url", c.telegram_base_url);
    while (!c.telegram_base_url.empty() && c.telegram_base_url.back() == '/')
        c.telegram_base_url.pop_back();
    check_url(t, "base_url", c.telegram_base_url, {"http", "https"});
    c.telegram_chats = id_list(t, "chat_ids");
    if (!c.telegram.enabled) return;
    if (c.telegram_chats.empty()) t.fail("chat_ids", "needs at least one chat id");
    c.telegram_token = need(cr, t, "telegram_bot_token");
    const ConfigNode cmd = t.child("commands");
    if (!cmd.defined()) return;
    cmd.allow_keys({"enabled", "users", "chats", "allow_groups", "rate_limit_per_minute",
                    "confirm_ttl", "poll_timeout"});
    auto& k = c.commands;
    k.enabled = cmd.get_bool("enabled", true);
    const ConfigNode users = cmd.child("users");
    for (const auto& id : users.keys()) {
        const std::string role = users.get_string(id);
        if (role == "viewer") k.users[id] = TelegramRole::Viewer;
        else if (role == "operator") k.users[id] = TelegramRole::Operator;
        else users.fail(id, "role must be viewer or operator, got '" + role + "'");
    }
    if (k.enabled && k.users.empty())
        cmd.fail("users", "needs at least one user id with a role (viewer or operator)");
    k.chats = cmd.has("chats") ? id_list(cmd, "chats") : c.telegram_chats;
    k.allow_groups = cmd.get_bool("allow_groups", false);
    k.rate_limit_per_minute = static_cast<int>(cmd.get_int("rate_limit_per_minute", 20));
    if (k.rate_limit_per_minute < 1) cmd.fail("rate_limit_per_minute", "must be >= 1");
    k.confirm_ttl_ms = duration(cmd, "confirm_ttl", k.confirm_ttl_ms);
    k.poll_timeout_s = duration(cmd, "poll_timeout", k.poll_timeout_s * 1000) / 1000;
}

void load_email(AlertsConfig& c, const ConfigNode& e, const Credentials& cr) {
    e.allow_keys({"enabled", "url", "security", "ca_file", "from", "to", "min_severity",
                  "digest_info", "per_minute"});
    c.email = channel_common(e);
    auto& s = c.smtp;
    s.url = e.get_string("url", "");
    s.security = e.get_string("security", "starttls");
    if (s.security != "starttls" && s.security != "tls" && s.security != "none")
        e.fail("security", "expected starttls, tls or none, got '" + s.security + "'");
    s.ca_file = e.get_string("ca_file", "");
    s.from = e.get_string("from", "");
    if (e.has("to")) s.to = e.get_strings("to");
    const int per_minute = static_cast<int>(e.get_int("per_minute", 30));
    if (per_minute < 1) e.fail("per_minute", "must be >= 1");
    s.pace = {per_minute, kMsPerMinute};
    if (!c.email.enabled) return;
    if (s.security == "tls") check_url(e, "url", s.url, {"smtps"});
    else check_url(e, "url", s.url, {"smtp"});
    if (s.from.empty()) e.fail("from", "needs the sender address");
    if (s.to.empty()) e.fail("to", "needs at least one recipient");
    s.username = cr.source("smtp_username");
    s.password = cr.source("smtp_password");
    if (!s.username.empty() && s.password.empty()) need(cr, e, "smtp_password");
}

} // namespace

EnvLookup process_env() {
    return [](const std::string& k) -> std::optional<std::string> {
        const char* v = std::getenv(k.c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    };
}

bool AlertsConfig::any_channel() const {
    return telegram.enabled || discord.enabled || slack.enabled || email.enabled;
}

AlertsConfig load_alerts_config(const std::filesystem::path& yaml,
                                const std::filesystem::path& home, const EnvLookup& env) {
    AlertsConfig c;
    c.telegram.enabled = c.discord.enabled = c.slack.enabled = c.email.enabled = false;
    if (!std::filesystem::exists(yaml)) return c;
    const ConfigNode root = ConfigNode::load_file(yaml.string());
    root.allow_keys({"alerts"});
    const ConfigNode a = root.child("alerts");
    if (!a.defined()) return c;
    a.allow_keys({"enabled", "dedup_window", "digest_interval", "critical_repeat", "max_repeats",
                  "quiet_hours", "retry", "timeout", "channels", "watchdog"});
    c.enabled = a.get_bool("enabled", false);
    auto& p = c.policy;
    p.dedup_window_ms = duration(a, "dedup_window", p.dedup_window_ms);
    p.digest_interval_ms = duration(a, "digest_interval", p.digest_interval_ms);
    p.critical_repeat_ms = duration(a, "critical_repeat", p.critical_repeat_ms);
    p.max_repeats = static_cast<int>(a.get_int("max_repeats", p.max_repeats));
    const ConfigNode q = a.child("quiet_hours");
    if (q.defined()) {
        q.allow_keys({"start", "end"});
        p.quiet_start_min = minute_of_day(q, "start");
        p.quiet_end_min = minute_of_day(q, "end");
    }
    const ConfigNode r = a.child("retry");
    if (r.defined()) {
        r.allow_keys({"max_attempts", "initial_backoff", "max_backoff"});
        p.max_attempts = static_cast<int>(r.get_int("max_attempts", p.max_attempts));
        if (p.max_attempts < 1) r.fail("max_attempts", "must be >= 1");
        p.initial_backoff_ms = duration(r, "initial_backoff", p.initial_backoff_ms);
        p.max_backoff_ms = duration(r, "max_backoff", p.max_backoff_ms);
    }
    c.timeout_ms = static_cast<long>(duration(a, "timeout", c.timeout_ms));
    c.smtp.timeout_ms = c.timeout_ms;
    const ConfigNode w = a.child("watchdog");
    if (w.defined()) {
        w.allow_keys({"stale_after"});
        c.watchdog_stale_ms = duration(w, "stale_after", c.watchdog_stale_ms);
    }
    const ConfigNode ch = a.child("channels");
    ch.allow_keys({"telegram", "discord", "slack", "email"});
    // Credentials are read only when a channel needs them, and always checked when present.
    const Credentials cr = c.enabled ? load_credentials(home, env) : Credentials{};
    if (!c.enabled) return c;
    if (ch.has("telegram")) load_telegram(c, ch.child("telegram"), cr);
    for (const char* name : {"discord", "slack"}) {
        if (!ch.has(name)) continue;
        const ConfigNode n = ch.child(name);
        n.allow_keys({"enabled", "min_severity", "digest_info"});
        ChannelConfig cc = channel_common(n);
        std::string url;
        if (cc.enabled) {
            const std::string key = std::string(name) + "_webhook_url";
            url = need(cr, n, key);
            check_url(n, "enabled", url, {"http", "https"});
        }
        if (std::string(name) == "discord") {
            c.discord = cc;
            c.discord_webhook_url = url;
        } else {
            c.slack = cc;
            c.slack_webhook_url = url;
        }
    }
    if (ch.has("email")) load_email(c, ch.child("email"), cr);
    return c;
}

std::vector<ChannelRoute> make_channel_routes(const AlertsConfig& c) {
    std::vector<ChannelRoute> out;
    if (!c.enabled) return out;
    if (c.telegram.enabled)
        for (const auto& chat : c.telegram_chats)
            out.push_back({make_telegram_channel(c.telegram_base_url, c.telegram_token, chat,
                                                 c.timeout_ms),
                           c.telegram.min_severity, c.telegram.digest_info});
    if (c.discord.enabled)
        out.push_back({make_discord_channel(c.discord_webhook_url, c.timeout_ms),
                       c.discord.min_severity, c.discord.digest_info});
    if (c.slack.enabled)
        out.push_back({make_slack_channel(c.slack_webhook_url, c.timeout_ms),
                       c.slack.min_severity, c.slack.digest_info});
    if (c.email.enabled)
        out.push_back({make_email_channel(c.smtp), c.email.min_severity, c.email.digest_info});
    return out;
}

} // namespace aurum
