#include "surfaces/alerts/telegram_bot.hpp"

#include <chrono>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "surfaces/alerts/curl_transport.hpp"
#include "surfaces/status_format.hpp"

namespace aurum {

using nlohmann::json;

namespace {

std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    for (std::string w; ss >> w;) out.push_back(w);
    return out;
}

std::string rest_from(const std::vector<std::string>& w, std::size_t k) {
    std::string s;
    for (; k < w.size(); ++k) s += (s.empty() ? "" : " ") + w[k];
    return s;
}

std::string id_text(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
    return "";
}

std::int64_t parse_id(const std::string& cmd, const std::vector<std::string>& w) {
    if (w.size() < 2) throw InputError(cmd + " needs an id, e.g. " + cmd + " 12");
    try {
        std::size_t used = 0;
        const std::int64_t id = std::stoll(w[1], &used);
        if (used != w[1].size() || id <= 0) throw std::invalid_argument("id");
        return id;
    } catch (const std::exception&) {
        throw InputError(cmd + ": '" + w[1] + "' is not an id (a positive number)");
    }
}

const char* kHelp =
    "Commands:\n/status /summary /health /trades /risk /signals\n"
    "/pause 24h reason - pause trading (closes positions)\n/resume reason\n"
    "/stop reason - EMERGENCY STOP (asks for confirmation)\n"
    "/trade SYMBOL long|short|close AMOUNT reason\n/approve ID  /reject ID reason\n/ack ID";

bool viewer_command(const std::string& c) {
    return c == "/status" || c == "/summary" || c == "/health" || c == "/trades" ||
           c == "/risk" || c == "/signals" || c == "/help" || c == "/start";
}

} // namespace

std::string TelegramBot::Who::describe() const {
    return fmt::format("telegram user {}{} in chat {} ({})", user,
                       username.empty() ? "" : " (@" + username + ")", chat, chat_type);
}

json TelegramBot::Who::to_json() const {
    return {{"via", "telegram"}, {"user", user}, {"username", username}, {"chat", chat},
            {"chat_type", chat_type}};
}

TelegramBot::TelegramBot(std::string base_url, std::string token, TelegramCommandsConfig config,
                         TelegramBotHooks hooks, const Clock& clock, long timeout_ms)
    : base_(std::move(base_url) + "/bot" + std::move(token) + "/"), cfg_(std::move(config)),
      hooks_(std::move(hooks)), clock_(clock), timeout_ms_(timeout_ms) {}

json TelegramBot::call(const std::string& method, const json& body, long timeout_ms,
                       const std::atomic<bool>* abort) {
    const CurlResponse r = curl_http(base_ + method, body.dump(), "application/json", timeout_ms,
                                     abort);
    if (r.status == 0) throw SystemError("Telegram " + method + ": " + r.error);
    json j = json::parse(r.body, nullptr, false);
    if (r.status != 200 || !j.is_object() || !j.value("ok", false))
        throw SystemError(fmt::format("Telegram {}: HTTP {}: {}", method, r.status,
                                      r.body.substr(0, 200)));
    return j;
}

void TelegramBot::reply(const std::string& chat, const std::string& text, const json& keyboard) {
    json body{{"chat_id", chat}, {"text", text.substr(0, 4000)}, {"parse_mode", "HTML"},
              {"disable_web_page_preview", true}};
    if (!keyboard.is_null()) body["reply_markup"] = {{"inline_keyboard", keyboard}};
    try {
        call("sendMessage", body, timeout_ms_);
    } catch (const std::exception& e) {
        spdlog::warn("telegram bot: reply not sent: {}", e.what());
    }
}

void TelegramBot::drop_stale_updates() {
    const json j = call("getUpdates", {{"offset", -1}, {"timeout", 0}}, timeout_ms_);
    for (const auto& u : j["result"]) offset_ = std::max(offset_, u["update_id"].get<std::int64_t>() + 1);
    if (offset_ > 0) {
        // Confirms (and so discards) everything up to the last waiting update.
        call("getUpdates", {{"offset", offset_}, {"timeout", 0}}, timeout_ms_);
        spdlog::info("telegram bot: dropped updates sent while the daemon was down");
    }
}

bool TelegramBot::poll_once(const std::atomic<bool>* abort) {
    json j;
    try {
        j = call("getUpdates",
                 {{"offset", offset_},
                  {"timeout", cfg_.poll_timeout_s},
                  {"allowed_updates", {"message", "callback_query"}}},
                 static_cast<long>(cfg_.poll_timeout_s * 1000 + timeout_ms_), abort);
    } catch (const std::exception& e) {
        if (!abort || !abort->load()) spdlog::warn("telegram bot: {}", e.what());
        return false;
    }
    for (const auto& u : j["result"]) {
        offset_ = std::max(offset_, u["update_id"].get<std::int64_t>() + 1);
        try {
            handle_update(u);
        } catch (const std::exception& e) {
            spdlog::error("telegram bot: update {}: {}", u.value("update_id", 0), e.what());
        }
    }
    return true;
}

void TelegramBot::run(const std::atomic<bool>& stop) {
    while (!stop.load()) {
        if (!poll_once(&stop))
            for (int i = 0; i < 50 && !stop.load(); ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

void TelegramBot::handle_update(const json& u) {
    if (u.contains("message")) on_message(u["message"]);
    else if (u.contains("callback_query")) on_callback(u["callback_query"]);
}

std::optional<TelegramRole> TelegramBot::admit(const Who& who) const {
    const auto it = cfg_.users.find(who.user);
    if (it == cfg_.users.end()) return std::nullopt;
    bool chat_ok = false;
    for (const auto& c : cfg_.chats) chat_ok = chat_ok || c == who.chat;
    if (!chat_ok) return std::nullopt;
    if (who.chat_type != "private" && !cfg_.allow_groups) return std::nullopt;
    if (who.chat_type == "private" && who.chat != who.user) return std::nullopt;
    return it->second;
}

bool TelegramBot::rate_limited(const std::string& user) {
    auto& q = requests_[user];
    const TimeMs now = clock_.now();
    while (!q.empty() && q.front() <= now - kMsPerMinute) q.pop_front();
    if (static_cast<int>(q.size()) >= cfg_.rate_limit_per_minute) return true;
    q.push_back(now);
    return false;
}

void TelegramBot::on_message(const json& msg) {
    Who who{id_text(msg["from"]["id"]), msg["from"].value("username", ""),
            id_text(msg["chat"]["id"]), msg["chat"].value("type", "")};
    const std::string text = msg.value("text", "");
    const auto role = admit(who);
    if (!role) {
        // Nothing done and nothing said: an unknown user learns nothing about the bot.
        spdlog::warn("telegram bot: ignored a message from {} (not on the allowlist)",
                     who.describe());
        return;
    }
    if (text.empty() || text[0] != '/') return;
    if (rate_limited(who.user)) {
        if (clock_.now() - warned_[who.user] > kMsPerMinute) {
            warned_[who.user] = clock_.now();
            reply(who.chat, fmt::format("Rate limit: at most {} commands a minute; ignored.",
                                        cfg_.rate_limit_per_minute));
        }
        return;
    }
    json keyboard = nullptr;
    std::string answer;
    try {
        answer = run_command(who, *role, text, &keyboard);
    } catch (const InputError& e) {
        answer = html_escape(e.what());
    }
    reply(who.chat, answer, keyboard);
}

void TelegramBot::on_callback(const json& cb) {
    const json& msg = cb.contains("message") ? cb["message"] : json::object();
    Who who{id_text(cb["from"]["id"]), cb["from"].value("username", ""),
            msg.contains("chat") ? id_text(msg["chat"]["id"]) : "",
            msg.contains("chat") ? msg["chat"].value("type", "") : ""};
    const auto role = admit(who);
    if (!role) {
        spdlog::warn("telegram bot: ignored a button from {} (not on the allowlist)",
                     who.describe());
        return;
    }
    const std::string data = cb.value("data", "");
    std::string answer;
    if (rate_limited(who.user)) {
        answer = "Rate limit: ignored.";
    } else {
        try {
            const auto colon = data.find(':');
            const std::string verb = data.substr(0, colon);
            const std::string arg = colon == std::string::npos ? "" : data.substr(colon + 1);
            json kb = nullptr;
            if (verb == "stop") {
                if (*role != TelegramRole::Operator)
                    throw InputError("refused: viewers cannot stop trading");
                answer = confirm_stop(who, arg);
            } else if (verb == "approve" || verb == "reject" || verb == "ack") {
                answer = run_command(who, *role, "/" + verb + " " + arg, &kb);
            } else {
                answer = "Unknown button";
            }
        } catch (const InputError& e) {
            answer = html_escape(e.what());
        }
    }
    try {
        call("answerCallbackQuery",
             {{"callback_query_id", cb.value("id", "")}, {"text", answer.substr(0, 190)}},
             timeout_ms_);
    } catch (const std::exception& e) {
        spdlog::warn("telegram bot: {}", e.what());
    }
    if (!who.chat.empty()) reply(who.chat, answer);
}

std::string TelegramBot::run_command(const Who& who, TelegramRole role, const std::string& text,
                                     json* keyboard) {
    auto w = words(text);
    std::string cmd = w.empty() ? "" : w[0];
    if (const auto at = cmd.find('@'); at != std::string::npos) cmd.resize(at); // /status@bot
    if (!viewer_command(cmd) && role != TelegramRole::Operator) {
        hooks_.audit("telegram " + cmd, "", who.to_json().dump(), "refused: viewer");
        return "Refused: your role is viewer (read-only). " + cmd + " needs an operator.";
    }
    if (cmd == "/help" || cmd == "/start") return kHelp;
    if (cmd == "/status" || cmd == "/summary" || cmd == "/health" || cmd == "/risk" ||
        cmd == "/signals" || cmd == "/trades") {
        const std::string out = query_text(cmd.substr(1));
        hooks_.audit("telegram " + cmd, "", who.to_json().dump(), "ok");
        return out;
    }
    const std::string tag = " [" + who.describe() + "]";
    Command c;
    if (cmd == "/pause") {
        if (w.size() < 3) throw InputError("usage: /pause 24h reason");
        const auto d = parse_duration(w[1]);
        if (!d) throw InputError("/pause: '" + w[1] + "' is not a duration such as 24h or 90m");
        c.kind = CommandKind::Pause;
        c.duration = *d;
        c.reason = rest_from(w, 2) + tag;
        return submit(who, c, cmd);
    }
    if (cmd == "/resume") {
        c.kind = CommandKind::Resume;
        c.reason = (w.size() > 1 ? rest_from(w, 1) : std::string("resumed from Telegram")) + tag;
        return submit(who, c, cmd);
    }
    if (cmd == "/stop") {
        const std::string nonce = new_nonce();
        stops_[nonce] = {who.user, who.chat,
                         (w.size() > 1 ? rest_from(w, 1) : std::string("emergency stop")),
                         clock_.now() + cfg_.confirm_ttl_ms};
        *keyboard = json::array({json::array(
            {{{"text", "CONFIRM EMERGENCY STOP"}, {"callback_data", "stop:" + nonce}}})});
        hooks_.audit("telegram /stop", stops_[nonce].reason, who.to_json().dump(),
                     "awaiting confirmation");
        return fmt::format("<b>Emergency stop?</b> Every position is closed at market and the "
                           "daemon stops. Press the button within {} to confirm; nothing "
                           "happens otherwise.",
                           format_duration(cfg_.confirm_ttl_ms));
    }
    if (cmd == "/trade") {
        if (w.size() < 4) throw InputError("usage: /trade SYMBOL long|short|close AMOUNT reason");
        c.kind = CommandKind::Trade;
        c.symbol = w[1];
        c.side = parse_trade_side(w[2]);
        try {
            c.amount = std::stod(w[3]);
        } catch (const std::exception&) {
            throw InputError("/trade: amount '" + w[3] + "' is not a number");
        }
        c.reason = (w.size() > 4 ? rest_from(w, 4) : std::string("manual trade")) + tag;
        // The one parser checks the fields as at every other boundary.
        c = parse_command(CommandKind::Trade, c.to_json());
        c.reason = (w.size() > 4 ? rest_from(w, 4) : std::string("manual trade")) + tag;
        return submit(who, c, cmd);
    }
    if (cmd == "/approve" || cmd == "/reject") {
        c.kind = cmd == "/approve" ? CommandKind::SignalApprove : CommandKind::SignalReject;
        c.id = parse_id(cmd, w);
        c.reason = (w.size() > 2 ? rest_from(w, 2) : cmd.substr(1)) + tag;
        return submit(who, c, cmd);
    }
    if (cmd == "/ack") return ack(who, parse_id(cmd, w));
    return "Unknown command " + html_escape(cmd) + "\n" + kHelp;
}

std::string TelegramBot::submit(const Who& who, Command c, const std::string& action) {
    const CommandOutcome out = hooks_.submit(c);
    hooks_.audit("telegram " + action, c.reason, who.to_json().dump(),
                 out.exit_code == 0 ? "ok" : out.message);
    return (out.exit_code == 0 ? "" : "Refused: ") + html_escape(out.message);
}

std::string TelegramBot::ack(const Who& who, std::int64_t id) {
    const bool ok = hooks_.ack(id, who.describe());
    hooks_.audit("telegram /ack", "", who.to_json().dump(), ok ? "ok" : "no such alert");
    return ok ? fmt::format("Alert #{} acknowledged", id) : fmt::format("No alert #{}", id);
}

std::string TelegramBot::confirm_stop(const Who& who, const std::string& nonce) {
    const auto it = stops_.find(nonce);
    if (it == stops_.end()) {
        hooks_.audit("telegram /stop confirm", "", who.to_json().dump(),
                     "refused: unknown or already used confirmation");
        return "Refused: this confirmation is unknown or was already used. Send /stop again.";
    }
    const PendingStop p = it->second;
    stops_.erase(it); // one use, whatever happens next
    if (p.user != who.user || p.chat != who.chat) {
        hooks_.audit("telegram /stop confirm", "", who.to_json().dump(),
                     "refused: confirmation belongs to another user");
        return "Refused: only the user who asked for the stop can confirm it.";
    }
    if (clock_.now() > p.expires) {
        hooks_.audit("telegram /stop confirm", p.reason, who.to_json().dump(),
                     "refused: confirmation expired");
        return "Refused: the confirmation expired. Send /stop again.";
    }
    Command c;
    c.kind = CommandKind::EmergencyStop;
    c.reason = p.reason + " [" + who.describe() + "]";
    return submit(who, c, "/stop confirm");
}

std::string TelegramBot::new_nonce() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    return fmt::format("{:016x}{:016x}", rng(), rng());
}

std::string TelegramBot::query_text(const std::string& name) {
    if (name == "trades") {
        const json s = hooks_.query("summary", json::object());
        std::string out = "<b>Trades today</b>";
        if (!s.is_object() || !s.contains("trades_today") || s["trades_today"].empty())
            return out + "\nnone";
        for (const auto& t : s["trades_today"])
            out += "\n" + html_escape(format_time(t.value("time", TimeMs{0})).substr(11, 5) + " " +
                                      t.value("text", ""));
        return out;
    }
    const json j = hooks_.query(name, name == "signals" ? json{{"status", "pending"}} : json::object());
    std::string text;
    if (name == "status") text = format_status(j, true);
    else if (name == "summary") text = format_summary(j);
    else if (name == "health") text = format_health(j, clock_.now());
    else if (name == "risk") text = format_risk(j);
    else text = format_signals(j);
    return "<pre>" + html_escape(text) + "</pre>";
}

} // namespace aurum
