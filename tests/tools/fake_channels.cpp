// aurum-fake-channels: the fake Telegram Bot API and SMTP server of the tests
// (tests/support/fake_alert_servers.*) as a program, to try alerts and the Telegram bot without
// accounts (docs/alerts.md, "Try it without accounts"). Everything listens on 127.0.0.1 only.
//
//   aurum-fake-channels serve [--telegram-port 8081] [--smtp-port 2525] [--token T] [--mail-dir D]
//       prints every message, button and email (with its MIME parts) as it arrives; Ctrl-C stops
//   aurum-fake-channels phone say "/stop reason"   a message from your "phone" to the bot
//   aurum-fake-channels phone press Approve        presses the newest button starting with it
//   aurum-fake-channels phone messages             what the bot has sent so far
#include <csignal>
#include <cstdio>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "support/fake_alert_servers.hpp"

namespace {

using nlohmann::json;
using aurum::test::FakeChatServer;
using aurum::test::FakeSmtpServer;

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop.store(true); }

int usage(const std::string& why) {
    std::cerr << "aurum-fake-channels: " << why << "\n"
              << "usage: aurum-fake-channels serve [--telegram-port 8081] [--smtp-port 2525] "
                 "[--token TOKEN] [--mail-dir DIR]\n"
              << "       aurum-fake-channels phone say TEXT | press LABEL | messages "
                 "[--url http://127.0.0.1:8081] [--user 1001]\n";
    return 2;
}

/// "--name value" options after the positional arguments.
struct Args {
    std::vector<std::string> positional;
    std::map<std::string, std::string> options;
};

bool parse(int argc, char** argv, Args* out, std::string* error) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a.rfind("--", 0) != 0) {
            out->positional.push_back(a);
        } else if (i + 1 >= argc) {
            *error = a + " needs a value";
            return false;
        } else {
            out->options[a.substr(2)] = argv[++i];
        }
    }
    return true;
}

int port_option(const Args& a, const std::string& name, int fallback) {
    const auto it = a.options.find(name);
    if (it == a.options.end()) return fallback;
    try {
        const int p = std::stoi(it->second);
        if (p > 0 && p < 65536) return p;
    } catch (...) {
    }
    throw std::invalid_argument("--" + name + ": expected a port in 1..65535, got '" + it->second + "'");
}

void indent(const std::string& text) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) std::cout << "    | " << line << "\n";
}

void print_message(const json& m) {
    const json chat = m.value("chat_id", json());
    std::cout << "[telegram] to chat " << (chat.is_string() ? chat.get<std::string>() : chat.dump()) << ":\n";
    indent(m.value("text", ""));
    if (!m.contains("reply_markup")) return;
    std::string buttons;
    for (const auto& row : m["reply_markup"].value("inline_keyboard", json::array()))
        for (const auto& b : row) buttons += " [" + b.value("text", "") + "]";
    std::cout << "    buttons:" << buttons << "\n";
}

/// The headers and parts of a message, in words.
void print_mail(const FakeSmtpServer::Mail& m, const std::filesystem::path& saved) {
    std::smatch sm;
    const std::regex subject("\r\nSubject: ([^\r\n]*)");
    std::string subj = std::regex_search(m.data, sm, subject) ? sm[1].str() : "(no subject)";
    char kb[32];
    std::snprintf(kb, sizeof kb, "%.1f KB", m.data.size() / 1024.0);
    std::cout << "[smtp] email from " << m.from << " to " << (m.to.empty() ? "" : m.to.front())
              << ", " << kb << ": " << subj << "\n";
    const std::regex part(R"(Content-Type: ([a-z]+/[a-z+.-]+)[^\r\n]*(?:\r\n[ \t][^\r\n]*)*)",
                          std::regex::icase);
    const std::regex cid(R"(^Content-ID: (<[^>]+>))", std::regex::icase | std::regex::multiline);
    for (auto it = std::sregex_iterator(m.data.begin(), m.data.end(), part);
         it != std::sregex_iterator(); ++it) {
        std::cout << "    part " << (*it)[1].str();
        // The part's Content-ID, when it is among the headers that follow.
        const std::string tail = m.data.substr(static_cast<std::size_t>(it->position()), 400);
        const auto end = tail.find("\r\n\r\n");
        std::smatch c;
        const std::string headers = tail.substr(0, end);
        if (std::regex_search(headers, c, cid)) std::cout << " Content-ID " << c[1].str();
        std::cout << "\n";
    }
    if (!saved.empty()) std::cout << "    saved as " << saved.string() << "\n";
}

int serve(const Args& a) {
    const int tg_port = port_option(a, "telegram-port", 8081);
    const int smtp_port = port_option(a, "smtp-port", 2525);
    const std::string token = a.options.count("token") ? a.options.at("token") : "123456:fake-token";
    const std::filesystem::path mail_dir = a.options.count("mail-dir") ? a.options.at("mail-dir") : "";
    if (!mail_dir.empty()) std::filesystem::create_directories(mail_dir);
    FakeChatServer tg("telegram", token, tg_port);
    FakeSmtpServer smtp(FakeSmtpServer::Tls::None, smtp_port);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::cout << "fake Telegram Bot API on " << tg.url() << " (token " << token << ")\n"
              << "fake SMTP server on smtp://127.0.0.1:" << smtp.port() << " (no TLS)\n"
              << "Ctrl-C stops them.\n"
              << std::flush;
    std::size_t shown_msgs = 0, shown_answers = 0, shown_mails = 0;
    while (!g_stop.load()) {
        const auto msgs = tg.calls("sendMessage");
        for (; shown_msgs < msgs.size(); ++shown_msgs) print_message(msgs[shown_msgs]);
        const auto answers = tg.calls("answerCallbackQuery");
        for (; shown_answers < answers.size(); ++shown_answers)
            std::cout << "[telegram] button answered: " << answers[shown_answers].value("text", "") << "\n";
        const auto mails = smtp.mails();
        for (; shown_mails < mails.size(); ++shown_mails) {
            std::filesystem::path saved;
            if (!mail_dir.empty()) {
                saved = mail_dir / ("mail-" + std::to_string(shown_mails + 1) + ".eml");
                std::ofstream(saved, std::ios::binary) << mails[shown_mails].data;
            }
            print_mail(mails[shown_mails], saved);
        }
        std::cout << std::flush;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    std::cout << "stopped\n";
    return 0;
}

int phone(const Args& a) {
    if (a.positional.size() < 2) return usage("phone: say TEXT, press LABEL or messages");
    const std::string url = a.options.count("url") ? a.options.at("url") : "http://127.0.0.1:8081";
    std::int64_t user = 1001;
    if (a.options.count("user")) {
        const std::string& u = a.options.at("user");
        if (u.empty() || u.find_first_not_of("0123456789") != std::string::npos)
            return usage("--user: expected a Telegram user id (digits), got '" + u + "'");
        user = std::stoll(u);
    }
    httplib::Client cli(url);
    cli.set_connection_timeout(5);
    const std::string& verb = a.positional[1];
    const bool read = verb == "messages";
    if (!read && !((verb == "say" || verb == "press") && a.positional.size() == 3))
        return usage("phone: say TEXT, press LABEL or messages");
    const httplib::Result r =
        read ? cli.Get("/fake/messages")
             : cli.Post("/fake/" + verb,
                        json{{verb == "say" ? "text" : "button", a.positional[2]}, {"user", user}}.dump(),
                        "application/json");
    if (!r) {
        std::cerr << "aurum-fake-channels: no fake Telegram at " << url
                  << " (start it with `aurum-fake-channels serve` or `make fake-channels`)\n";
        return 1;
    }
    if (verb == "messages") {
        for (const auto& m : json::parse(r->body, nullptr, false)) print_message(m);
        return 0;
    }
    std::cout << r->body << "\n";
    return r->status == 200 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    Args a;
    std::string error;
    if (!parse(argc, argv, &a, &error)) return usage(error);
    if (a.positional.empty()) return usage("serve or phone?");
    try {
        if (a.positional[0] == "serve" && a.positional.size() == 1) return serve(a);
        if (a.positional[0] == "phone") return phone(a);
    } catch (const std::exception& e) {
        return usage(e.what());
    }
    return usage("unknown command '" + a.positional[0] + "'");
}
