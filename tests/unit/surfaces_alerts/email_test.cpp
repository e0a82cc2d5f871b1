// Email: the MIME message (multipart/alternative text + HTML, PNG charts by Content-ID, small),
// and delivery over SMTP to a fake server on 127.0.0.1 with STARTTLS, implicit TLS and plain.
#include <gtest/gtest.h>

#include <regex>

#include <fmt/format.h>

#include "data/database.hpp"
#include "live/session_alerts.hpp"
#include "support/fake_alert_servers.hpp"
#include "support/test_support.hpp"
#include "surfaces/alerts/alert_dispatcher.hpp"
#include "surfaces/alerts/mime.hpp"
#include "surfaces/alerts/report_email.hpp"
#include <fstream>

namespace aurum {
namespace {

/// The value of header `name` in a MIME part (unfolded), or "".
std::string header_of(const std::string& folded, const std::string& name) {
    const std::string part = std::regex_replace(folded, std::regex("\r\n[ \t]+"), " ");
    const std::regex re("(^|\r\n)" + name + ": ([^\r\n]*)", std::regex::icase);
    std::smatch m;
    return std::regex_search(part, m, re) ? m[2].str() : "";
}

/// The parts between `--boundary` lines.
std::vector<std::string> parts(const std::string& body, const std::string& boundary) {
    std::vector<std::string> out;
    const std::string sep = "--" + boundary;
    std::size_t pos = body.find(sep);
    while (pos != std::string::npos) {
        const std::size_t start = pos + sep.size();
        if (body.compare(start, 2, "--") == 0) break;
        const std::size_t next = body.find(sep, start);
        out.push_back(body.substr(start, next - start));
        pos = next;
    }
    return out;
}

std::string boundary_of(const std::string& content_type) {
    const auto b = content_type.find("boundary=\"");
    return content_type.substr(b + 10, content_type.find('"', b + 10) - b - 10);
}

TEST(Mime, report_email_has_text_html_and_inline_png_by_content_id) {
    EmailContent c;
    c.from = "aurum@example.com";
    c.to = {"me@example.com", "ops@example.com"};
    c.subject = "Daily report 2024-05-01 – équité";
    c.text = "Equity $10,382.15 (+3.8%)\n.leading dot line\ntrailing space \n";
    c.html = "<html><body><p>Equity</p><img src=\"cid:equity@aurum\"></body></html>";
    std::string png("\x89PNG\r\n\x1a\n", 8);
    for (int i = 0; i < 3000; ++i) png += static_cast<char>(i * 37 % 256);
    c.images = {{"equity@aurum", "equity.png", png}};
    c.message_id = "<report-1@aurum-edge>";
    const std::string m = build_mime_message(c);
    EXPECT_LT(m.size(), 100u * 1024u);
    EXPECT_EQ(header_of(m, "MIME-Version"), "1.0");
    EXPECT_EQ(header_of(m, "Message-ID"), "<report-1@aurum-edge>");
    EXPECT_EQ(header_of(m, "To"), "me@example.com, ops@example.com");
    EXPECT_EQ(header_of(m, "Subject").rfind("=?UTF-8?B?", 0), 0u); // non-ASCII encoded
    const std::string top = header_of(m, "Content-Type");
    ASSERT_EQ(top.rfind("multipart/related", 0), 0u) << top;
    const auto rel = parts(m, boundary_of(top));
    ASSERT_EQ(rel.size(), 2u);
    const std::string alt_type = header_of(rel[0], "Content-Type");
    ASSERT_EQ(alt_type.rfind("multipart/alternative", 0), 0u);
    const auto alt = parts(rel[0], boundary_of(alt_type));
    ASSERT_EQ(alt.size(), 2u);
    EXPECT_EQ(header_of(alt[0], "Content-Type"), "text/plain; charset=utf-8");
    EXPECT_EQ(header_of(alt[1], "Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(alt[0].find("=2Eleading dot"), std::string::npos); // never a bare "." line
    EXPECT_NE(alt[0].find("trailing space=20"), std::string::npos);
    EXPECT_NE(alt[1].find("cid:equity@aurum"), std::string::npos);
    EXPECT_EQ(header_of(rel[1], "Content-ID"), "<equity@aurum>");
    EXPECT_EQ(header_of(rel[1], "Content-Type"), "image/png; name=\"equity.png\"");
    EXPECT_EQ(header_of(rel[1], "Content-Transfer-Encoding"), "base64");
    // Every line within RFC 5322's 998 limit, and base64 at 76 columns.
    std::size_t longest = 0, start = 0;
    for (std::size_t e; (e = m.find("\r\n", start)) != std::string::npos; start = e + 2)
        longest = std::max(longest, e - start);
    EXPECT_LE(longest, 78u);
}

TEST(Mime, base64_round_trips_known_vectors) {
    EXPECT_EQ(base64_encode("Man"), "TWFu\r\n");
    EXPECT_EQ(base64_encode("Ma"), "TWE=\r\n");
    EXPECT_EQ(base64_encode("M"), "TQ==\r\n");
}

struct SmtpCase {
    test::FakeSmtpServer::Tls tls;
    const char* security;
    const char* scheme;
};

class EmailDelivery : public ::testing::TestWithParam<SmtpCase> {};

INSTANTIATE_TEST_SUITE_P(Smtp, EmailDelivery,
                         ::testing::Values(SmtpCase{test::FakeSmtpServer::Tls::StartTls, "starttls", "smtp"},
                                           SmtpCase{test::FakeSmtpServer::Tls::Implicit, "tls", "smtps"},
                                           SmtpCase{test::FakeSmtpServer::Tls::None, "none", "smtp"}),
                         [](const auto& i) { return std::string(i.param.security); });

TEST_P(EmailDelivery, an_alert_arrives_as_one_mail_over_the_configured_security) {
    test::FakeSmtpServer smtp(GetParam().tls);
    test::TempDir dir;
    auto db = open_database((dir / "a.db").string());
    AlertStore store(*db);
    {
        Transaction tx(*db);
        store.insert(make_alert(make_time(2024, 5, 1), "kill_switch", AlertSeverity::Critical,
                                "KILL SWITCH tripped", "drawdown 15.2% (limit 15%)"));
        tx.commit();
    }
    EmailSettings s;
    s.url = fmt::format("{}://127.0.0.1:{}", GetParam().scheme, smtp.port());
    s.security = GetParam().security;
    s.ca_file = smtp.ca_file().string();
    s.username = "aurum";
    s.password = "s3cret";
    s.from = "aurum@example.com";
    s.to = {"me@example.com"};
    s.timeout_ms = 5000;
    std::vector<ChannelRoute> routes;
    routes.push_back({make_email_channel(s), AlertSeverity::Info, false});
    AlertDispatcher d(*db, std::move(routes), {});
    d.run_once(make_time(2024, 5, 1));
    ASSERT_TRUE(smtp.wait_mails(1)) << store.delivery_status().dump();
    const auto mail = smtp.mails()[0];
    EXPECT_EQ(mail.from, "aurum@example.com");
    EXPECT_EQ(mail.to, (std::vector<std::string>{"me@example.com"}));
    EXPECT_EQ(mail.tls, GetParam().tls != test::FakeSmtpServer::Tls::None);
    EXPECT_EQ(mail.auth, "PLAIN aurum");
    EXPECT_EQ(header_of(mail.data, "Subject"), "[Aurum CRITICAL] KILL SWITCH tripped");
    EXPECT_EQ(header_of(mail.data, "Message-ID"), "<alert-1-r0@aurum-edge>");
    EXPECT_EQ(header_of(mail.data, "Content-Type").rfind("multipart/alternative", 0), 0u);
    EXPECT_NE(mail.data.find("drawdown 15.2%"), std::string::npos);
    EXPECT_EQ(store.delivery(1, "email")->status, "repeating"); // critical: until acknowledged
}

TEST(EmailDelivery, starttls_required_refuses_a_server_without_it) {
    test::FakeSmtpServer smtp(test::FakeSmtpServer::Tls::None);
    EmailSettings s;
    s.url = fmt::format("smtp://127.0.0.1:{}", smtp.port());
    s.security = "starttls";
    s.from = "a@example.com";
    s.to = {"b@example.com"};
    s.timeout_ms = 3000;
    auto ch = make_email_channel(s);
    AlertRecord a;
    a.id = 1;
    a.title = "x";
    const SendResult r = ch->send(AlertMessage{{a}, false, 0});
    EXPECT_NE(r.kind, SendResult::Kind::Sent);
    EXPECT_TRUE(smtp.mails().empty()); // nothing in clear text
}

} // namespace
} // namespace aurum

namespace aurum {
namespace {

std::string fake_png(std::size_t n, int seed) {
    std::string p("\x89PNG\r\n\x1a\n", 8);
    std::uint32_t x = static_cast<std::uint32_t>(seed) * 2654435761u + 1;
    while (p.size() < n) {
        x = x * 1664525u + 1013904223u;
        p += static_cast<char>(x >> 24); // incompressible, like real chart bytes
    }
    return p;
}

struct ReportFiles {
    test::TempDir dir;
    std::filesystem::path html = dir / "daily_report_2024_05_01.html";
    std::filesystem::path txt = dir / "daily_report_2024_05_01.txt";
    explicit ReportFiles(std::size_t big_png = 0) {
        std::ofstream(dir / "drawdown.png", std::ios::binary) << fake_png(9000, 2);
        std::string h = "<html><body><h1>Daily report</h1><img alt=\"equity\" src=\"data:image/png;base64," +
                        [] {
                            std::string b = base64_encode(fake_png(12000, 1));
                            std::string out;
                            for (char c : b)
                                if (c != '\r' && c != '\n') out += c;
                            return out;
                        }() +
                        "\"><img src=\"drawdown.png\">";
        if (big_png) {
            std::ofstream(dir / "big.png", std::ios::binary) << fake_png(big_png, 3);
            h += "<img src=\"big.png\">";
        }
        std::ofstream(html) << h + "</body></html>";
        std::ofstream(txt) << "Daily report 2024-05-01\nEquity $10,382.15 (+0.4%)\n";
    }
};

TEST(ReportEmail, charts_become_inline_parts_referenced_by_content_id_under_100_kb) {
    ReportFiles f;
    EmailContent c = report_email(f.html, f.txt, "[Aurum] Daily report 2024-05-01");
    c.from = "a@example.com";
    c.to = {"b@example.com"};
    ASSERT_EQ(c.images.size(), 2u);
    EXPECT_NE(c.html.find("src=\"cid:chart1@aurum-edge\""), std::string::npos);
    EXPECT_NE(c.html.find("src=\"cid:chart2@aurum-edge\""), std::string::npos);
    EXPECT_EQ(c.html.find("data:image"), std::string::npos);
    EXPECT_EQ(c.images[1].png, fake_png(9000, 2));
    EXPECT_NE(c.text.find("Equity $10,382.15"), std::string::npos);
    const std::string m = build_mime_message(c);
    EXPECT_LT(m.size(), 100u * 1024u);
    EXPECT_NE(m.find("Content-ID: <chart1@aurum-edge>"), std::string::npos);
}

TEST(ReportEmail, a_chart_that_does_not_fit_is_left_out_and_said_so) {
    ReportFiles f(150 * 1024);
    EmailContent c = report_email(f.html, f.txt, "r");
    EXPECT_EQ(c.images.size(), 2u);
    EXPECT_NE(c.html.find("1 chart left out to keep this email under 100 KB"), std::string::npos);
    c.from = "a@example.com";
    c.to = {"b@example.com"};
    EXPECT_LT(build_mime_message(c).size(), 100u * 1024u);
}

TEST(ReportEmail, inline_svg_charts_become_png_parts_and_the_html_refers_to_them) {
    // The reports draw their charts as inline SVG, which mail clients drop.
    test::TempDir dir;
    const auto html = dir / "weekly_analysis_2024_05_05.html";
    std::ofstream(html) << "<html><body><h1>Weekly</h1><svg viewBox='0 0 400 100' width='400' "
                           "height='100' class='chart'><rect x='0' y='0' width='400' height='100' "
                           "fill='#fafafa'/><path d='M0,90L200,10L400,50' fill='none' "
                           "stroke='#1565c0'/><text x='5' y='15' font-size='11'>equity</text></svg>"
                           "<p>after</p><svg>not a chart</svg></body></html>";
    EmailContent c = report_email(html, dir / "missing.txt", "[Aurum] Weekly report 2024-05-05");
    ASSERT_EQ(c.images.size(), 1u);
    EXPECT_EQ(c.images[0].png.rfind("\x89PNG\r\n\x1a\n", 0), 0u);
    EXPECT_GT(c.images[0].png.size(), 200u);
    EXPECT_NE(c.html.find("src=\"cid:chart1@aurum-edge\""), std::string::npos) << c.html;
    EXPECT_EQ(c.html.find("viewBox='0 0 400 100'"), std::string::npos) << "the SVG is replaced";
    EXPECT_NE(c.html.find("<p>after</p>"), std::string::npos);
    c.from = "a@example.com";
    c.to = {"b@example.com"};
    const std::string m = build_mime_message(c);
    EXPECT_NE(m.find("Content-Type: image/png"), std::string::npos);
    EXPECT_LT(m.size(), 100u * 1024u);
}

/// A report alert (`kind`) through the email channel: the mail that arrives.
std::string email_report_alert(const std::string& kind, const std::string& title,
                               AlertSeverity min_severity) {
    ReportFiles f;
    test::FakeSmtpServer smtp(test::FakeSmtpServer::Tls::StartTls);
    test::TempDir dir;
    auto db = open_database((dir / "a.db").string());
    AlertStore store(*db);
    {
        Transaction tx(*db);
        store.insert(report_alert(make_time(2024, 5, 1) + 8 * kMsPerHour, kind, title,
                                  "Equity $10,382.15\nFull report: " + f.html.string(),
                                  f.html.string(), f.txt.string()));
        tx.commit();
    }
    EmailSettings s;
    s.url = fmt::format("smtp://127.0.0.1:{}", smtp.port());
    s.ca_file = smtp.ca_file().string();
    s.from = "aurum@example.com";
    s.to = {"me@example.com"};
    std::vector<ChannelRoute> routes;
    routes.push_back({make_email_channel(s), min_severity, true}); // digests on: not for reports
    AlertDispatcher d(*db, std::move(routes), {});
    d.run_once(make_time(2024, 5, 1) + 8 * kMsPerHour);
    EXPECT_TRUE(smtp.wait_mails(1));
    return smtp.mails().empty() ? "" : smtp.mails()[0].data;
}

TEST(ReportEmail, the_daily_report_alert_is_emailed_as_the_report) {
    const std::string data = email_report_alert("daily_report", "Daily report 2024-05-01", AlertSeverity::Info);
    EXPECT_EQ(header_of(data, "Subject"), "[Aurum] Daily report 2024-05-01");
    EXPECT_EQ(header_of(data, "Content-Type").rfind("multipart/related", 0), 0u);
    EXPECT_NE(data.find("Content-ID: <chart1@aurum-edge>"), std::string::npos);
    EXPECT_NE(data.find("Content-ID: <chart2@aurum-edge>"), std::string::npos);
    EXPECT_LT(data.size(), 100u * 1024u);
}

TEST(ReportEmail, the_weekly_report_is_emailed_the_same_way_whatever_the_channels_min_severity) {
    // A channel for critical alerts only still gets the reports: they are what it is for.
    const std::string data = email_report_alert("weekly_report", "Weekly report 2024-05-05",
                                                AlertSeverity::Critical);
    EXPECT_EQ(header_of(data, "Subject"), "[Aurum] Weekly report 2024-05-05");
    EXPECT_EQ(header_of(data, "Content-Type").rfind("multipart/related", 0), 0u);
    EXPECT_NE(data.find("Content-ID: <chart1@aurum-edge>"), std::string::npos);
    EXPECT_NE(data.find("Content-Type: text/plain"), std::string::npos);
    EXPECT_NE(data.find("Content-Type: text/html"), std::string::npos);
    EXPECT_LT(data.size(), 100u * 1024u);
}

} // namespace
} // namespace aurum
