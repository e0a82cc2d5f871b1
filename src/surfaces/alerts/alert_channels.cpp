#include "surfaces/alerts/alert_channels.hpp"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "surfaces/alerts/curl_transport.hpp"
#include "surfaces/alerts/mime.hpp"
#include "core/html.hpp"
#include "surfaces/alerts/report_email.hpp"

namespace aurum {

using nlohmann::json;

namespace {

std::string tag(AlertSeverity s) {
    switch (s) {
    case AlertSeverity::Critical: return "CRITICAL";
    case AlertSeverity::Warning: return "WARNING";
    default: return "INFO";
    }
}

std::string ack_hint(const AlertMessage& m) {
    if (m.digest || m.first().severity != AlertSeverity::Critical) return "";
    return fmt::format("{}Acknowledge with /ack {} or `aurum alerts ack {}`",
                       m.repeat > 0 ? fmt::format("Reminder {}: not acknowledged. ", m.repeat) : "",
                       m.first().id, m.first().id);
}

/// Cuts a text to `n` bytes without splitting a UTF-8 character.
std::string cut(std::string s, std::size_t n) {
    if (s.size() <= n) return s;
    std::size_t k = n - 3;
    while (k > 0 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
    return s.substr(0, k) + "...";
}

/// Seconds (Retry-After header, Telegram's parameters.retry_after, Discord's float) in ms.
TimeMs seconds_ms(double s) { return static_cast<TimeMs>(std::ceil(std::max(s, 0.0) * 1000.0)); }

SendResult transport_failure(const CurlResponse& r) {
    return {SendResult::Kind::Transient, 0,
            r.timed_out ? "timed out: " + r.error : r.error};
}

SendResult by_status(const CurlResponse& r, const std::string& what, TimeMs retry_after_ms) {
    const std::string err = fmt::format("{} HTTP {}: {}", what, r.status, cut(r.body, 200));
    if (r.status == 429) return {SendResult::Kind::RetryAfter, std::max<TimeMs>(retry_after_ms, 1000), err};
    if (r.status >= 500 || r.status == 408) return {SendResult::Kind::Transient, 0, err};
    if (r.status == 401 || r.status == 403 || r.status == 404 || r.status == 410)
        return {SendResult::Kind::Dead, 0, err};
    return {SendResult::Kind::Rejected, 0, err};
}

TimeMs header_retry_after(const CurlResponse& r) {
    const std::string h = r.header("retry-after");
    if (h.empty()) return 0;
    try {
        return seconds_ms(std::stod(h));
    } catch (...) {
        return 0;
    }
}

class TelegramChannel final : public AlertChannel {
public:
    TelegramChannel(std::string base, std::string token, std::string chat, long timeout)
        : name_("telegram:" + chat), url_(base + "/bot" + token + "/sendMessage"),
          chat_(std::move(chat)), timeout_(timeout) {}
    const std::string& name() const override { return name_; }
    // Telegram's FAQ: avoid more than one message per second in a single chat.
    ChannelPace pace() const override { return {1, 1000}; }
    SendResult send(const AlertMessage& m) override {
        json body{{"chat_id", chat_},
                  {"text", cut(alert_telegram_html(m), 4096)},
                  {"parse_mode", "HTML"},
                  {"disable_web_page_preview", true}};
        const AlertRecord& a = m.first();
        json rows = json::array();
        if (!m.digest && a.kind == "signal_pending" && a.data.contains("signal_id")) {
            const auto id = a.data["signal_id"].get<std::int64_t>();
            rows.push_back(json::array(
                {{{"text", fmt::format("Approve #{}", id)}, {"callback_data", fmt::format("approve:{}", id)}},
                 {{"text", fmt::format("Reject #{}", id)}, {"callback_data", fmt::format("reject:{}", id)}}}));
        }
        if (!m.digest && a.severity == AlertSeverity::Critical)
            rows.push_back(json::array({{{"text", fmt::format("Acknowledge #{}", a.id)},
                                         {"callback_data", fmt::format("ack:{}", a.id)}}}));
        if (!rows.empty()) body["reply_markup"] = {{"inline_keyboard", rows}};
        const CurlResponse r = curl_http(url_, body.dump(), "application/json", timeout_);
        if (r.status == 0) return transport_failure(r);
        const json j = json::parse(r.body, nullptr, false);
        if (r.status == 200 && j.is_object() && j.value("ok", false)) return {};
        TimeMs retry = 0;
        if (j.is_object() && j.contains("parameters") && j["parameters"].contains("retry_after"))
            retry = seconds_ms(j["parameters"]["retry_after"].get<double>());
        SendResult s = by_status(r, "Telegram sendMessage", retry);
        // "Bad Request: chat not found" is the chat gone, not this message's fault.
        if (r.status == 400 && r.body.find("chat not found") != std::string::npos)
            s.kind = SendResult::Kind::Dead;
        return s;
    }

private:
    std::string name_, url_, chat_;
    long timeout_;
};

class DiscordChannel final : public AlertChannel {
public:
    DiscordChannel(std::string url, long timeout)
        : url_(url + (url.find('?') == std::string::npos ? "?wait=true" : "&wait=true")),
          timeout_(timeout) {}
    const std::string& name() const override { return name_; }
    // Webhooks answer X-RateLimit-Limit: 5 with a 2 s reset window.
    ChannelPace pace() const override { return {5, 2000}; }
    SendResult send(const AlertMessage& m) override {
        const json body{{"content", cut(alert_plain_text(m), 2000)},
                        {"allowed_mentions", {{"parse", json::array()}}}};
        const CurlResponse r = curl_http(url_, body.dump(), "application/json", timeout_);
        if (r.status == 0) return transport_failure(r);
        if (r.status == 200 || r.status == 204) return {};
        TimeMs retry = header_retry_after(r);
        const json j = json::parse(r.body, nullptr, false);
        if (j.is_object() && j.contains("retry_after") && j["retry_after"].is_number())
            retry = std::max(retry, seconds_ms(j["retry_after"].get<double>()));
        return by_status(r, "Discord webhook", retry);
    }

private:
    std::string name_ = "discord", url_;
    long timeout_;
};

class SlackChannel final : public AlertChannel {
public:
    SlackChannel(std::string url, long timeout) : url_(std::move(url)), timeout_(timeout) {}
    const std::string& name() const override { return name_; }
    // Incoming webhooks: one message per second (short bursts tolerated).
    ChannelPace pace() const override { return {1, 1000}; }
    SendResult send(const AlertMessage& m) override {
        const json body{{"text", cut(alert_plain_text(m), 3000)}};
        const CurlResponse r = curl_http(url_, body.dump(), "application/json", timeout_);
        if (r.status == 0) return transport_failure(r);
        if (r.status == 200) return {};
        return by_status(r, "Slack webhook", header_retry_after(r));
    }

private:
    std::string name_ = "slack", url_;
    long timeout_;
};

class EmailChannel final : public AlertChannel {
public:
    explicit EmailChannel(EmailSettings s) : s_(std::move(s)) {}
    const std::string& name() const override { return name_; }
    ChannelPace pace() const override { return s_.pace; }
    SendResult send(const AlertMessage& m) override {
        EmailContent c;
        c.from = s_.from;
        c.to = s_.to;
        const AlertRecord& a = m.first();
        c.subject = m.digest ? fmt::format("[Aurum] Digest: {} alerts", m.alerts.size())
                             : fmt::format("[Aurum {}] {}", tag(a.severity), a.title);
        c.text = alert_plain_text(m);
        c.html = "<html><body><pre style=\"font-family:sans-serif;white-space:pre-wrap\">" +
                 html_escape(c.text) + "</pre></body></html>";
        c.message_id = fmt::format("<alert-{}-{}{}@aurum-edge>", a.id, m.digest ? "d" : "r",
                                   m.repeat);
        if (!m.digest && is_report_alert(a.kind)) {
            // The report itself: its text and HTML with the charts inline (Content-ID).
            try {
                EmailContent r = report_email(a.data.value("html", ""), a.data.value("txt", ""),
                                              "[Aurum] " + a.title);
                r.from = c.from;
                r.to = c.to;
                r.message_id = c.message_id;
                c = std::move(r);
            } catch (const std::exception&) {
                // Files gone: the alert's own words still go out.
            }
        }
        SmtpRequest rq;
        rq.url = s_.url;
        rq.starttls = s_.security == "starttls";
        rq.ca_file = s_.ca_file;
        rq.username = s_.username;
        rq.password = s_.password;
        rq.from = s_.from;
        rq.to = s_.to;
        rq.message = build_mime_message(c);
        rq.timeout_ms = s_.timeout_ms;
        const SmtpResult r = curl_smtp_send(rq);
        if (r.ok) return {};
        if (r.reply_code == 535 || r.reply_code == 530) return {SendResult::Kind::Dead, 0, r.error};
        if (r.reply_code >= 500) return {SendResult::Kind::Rejected, 0, r.error};
        return {SendResult::Kind::Transient, 0, r.error};
    }

private:
    std::string name_ = "email";
    EmailSettings s_;
};

} // namespace

std::string alert_plain_text(const AlertMessage& m) {
    if (m.digest) {
        std::string s = fmt::format("Digest: {} info alert{}", m.alerts.size(),
                                    m.alerts.size() == 1 ? "" : "s");
        for (const auto& a : m.alerts)
            s += fmt::format("\n- {} #{}: {}", format_time(a.time), a.id, a.title);
        return s;
    }
    const AlertRecord& a = m.first();
    std::string s = fmt::format("[{}] {} (#{})\n{}", tag(a.severity), a.title, a.id, a.text);
    const std::string hint = ack_hint(m);
    if (!hint.empty()) s += "\n" + hint;
    return s;
}

std::string alert_telegram_html(const AlertMessage& m) {
    if (m.digest) {
        std::string s = fmt::format("<b>Digest: {} info alert{}</b>", m.alerts.size(),
                                    m.alerts.size() == 1 ? "" : "s");
        for (const auto& a : m.alerts)
            s += fmt::format("\n• {} #{}: {}", html_escape(format_time(a.time)), a.id,
                             html_escape(a.title));
        return s;
    }
    const AlertRecord& a = m.first();
    std::string s = fmt::format("<b>[{}] {}</b> (#{})\n{}", tag(a.severity), html_escape(a.title),
                                a.id, html_escape(a.text));
    const std::string hint = ack_hint(m);
    if (!hint.empty()) s += "\n<i>" + html_escape(hint) + "</i>";
    return s;
}

std::unique_ptr<AlertChannel> make_telegram_channel(std::string base_url, std::string token,
                                                    std::string chat_id, long timeout_ms) {
    return std::make_unique<TelegramChannel>(std::move(base_url), std::move(token),
                                             std::move(chat_id), timeout_ms);
}
std::unique_ptr<AlertChannel> make_discord_channel(std::string webhook_url, long timeout_ms) {
    return std::make_unique<DiscordChannel>(std::move(webhook_url), timeout_ms);
}
std::unique_ptr<AlertChannel> make_slack_channel(std::string webhook_url, long timeout_ms) {
    return std::make_unique<SlackChannel>(std::move(webhook_url), timeout_ms);
}
std::unique_ptr<AlertChannel> make_email_channel(EmailSettings settings) {
    return std::make_unique<EmailChannel>(std::move(settings));
}

} // namespace aurum
