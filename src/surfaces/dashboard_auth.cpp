#include "surfaces/dashboard_auth.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "live/control.hpp"

namespace aurum {

std::string random_hex(std::size_t bytes) {
    std::random_device rd;
    std::string out;
    for (std::size_t i = 0; i < bytes; i += 4) out += fmt::format("{:08x}", rd());
    return out.substr(0, bytes * 2);
}

std::filesystem::path login_tokens_path(const Workspace& ws) {
    return ws.data_dir() / "dashboard.tokens";
}

namespace {

/// The token file opened 0600 and locked for a read-modify-write (other processes mint too).
class TokenFile {
  public:
    explicit TokenFile(const std::filesystem::path& path) : path_(path) {
        std::filesystem::create_directories(path.parent_path());
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT, 0600);
        if (fd_ < 0) throw SystemError(path.string() + ": cannot open the dashboard login tokens");
        ::fchmod(fd_, 0600);
        ::flock(fd_, LOCK_EX);
    }
    ~TokenFile() {
        ::flock(fd_, LOCK_UN);
        ::close(fd_);
    }
    /// Unexpired lines "token expiry".
    std::vector<std::pair<std::string, TimeMs>> read(TimeMs now) const {
        std::vector<std::pair<std::string, TimeMs>> out;
        std::ifstream in(path_);
        std::string tok;
        TimeMs exp = 0;
        while (in >> tok >> exp)
            if (exp > now) out.emplace_back(tok, exp);
        return out;
    }
    void write(const std::vector<std::pair<std::string, TimeMs>>& tokens) const {
        std::string text;
        for (const auto& [t, e] : tokens) text += fmt::format("{} {}\n", t, e);
        if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, text.data(), text.size(), 0) !=
                                            static_cast<ssize_t>(text.size()))
            throw SystemError(path_.string() + ": cannot write the dashboard login tokens");
    }

  private:
    std::filesystem::path path_;
    int fd_ = -1;
};

} // namespace

std::string mint_login_token(const Workspace& ws, TimeMs now) {
    TokenFile f(login_tokens_path(ws));
    auto tokens = f.read(now);
    const std::string token = random_hex(24);
    tokens.emplace_back(token, now + kLoginTokenLifetime);
    if (tokens.size() > 100) tokens.erase(tokens.begin()); // the oldest unused ones go first
    f.write(tokens);
    return token;
}

bool consume_login_token(const Workspace& ws, const std::string& token, TimeMs now) {
    if (token.empty()) return false;
    TokenFile f(login_tokens_path(ws));
    auto tokens = f.read(now);
    bool found = false;
    std::vector<std::pair<std::string, TimeMs>> rest;
    for (auto& t : tokens) {
        if (t.first == token) found = true;
        else rest.push_back(std::move(t));
    }
    f.write(rest);
    return found;
}

std::filesystem::path dashboard_info_path(const Workspace& ws) {
    return ws.data_dir() / "dashboard.json";
}

void write_dashboard_info(const Workspace& ws, const DashboardInfo& d) {
    write_file_atomic(dashboard_info_path(ws),
                      nlohmann::json{{"pid", d.pid}, {"bind", d.bind}, {"port", d.port},
                                     {"mode", d.mode}}
                          .dump(2));
}

std::optional<DashboardInfo> read_dashboard_info(const Workspace& ws) {
    std::ifstream in(dashboard_info_path(ws));
    if (!in) return std::nullopt;
    try {
        const auto j = nlohmann::json::parse(in);
        DashboardInfo d{j.at("pid").get<int>(), j.at("bind").get<std::string>(),
                        j.at("port").get<int>(), j.value("mode", "")};
        if (!process_alive(d.pid)) return std::nullopt;
        return d;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

void remove_dashboard_info(const Workspace& ws) {
    std::ifstream in(dashboard_info_path(ws));
    if (!in) return;
    try {
        if (nlohmann::json::parse(in).value("pid", 0) != ::getpid()) return;
    } catch (const std::exception&) {
    }
    std::error_code ec;
    std::filesystem::remove(dashboard_info_path(ws), ec);
}

std::string dashboard_login_url(const DashboardInfo& d, const std::string& token) {
    const std::string host = d.bind == "0.0.0.0" || d.bind.empty() ? "127.0.0.1"
                             : d.bind.find(':') != std::string::npos ? "[" + d.bind + "]"
                                                                     : d.bind;
    return fmt::format("http://{}:{}/login?token={}", host, d.port, token);
}

DashboardSessions::Session DashboardSessions::create() {
    Session s{random_hex(32), random_hex(32)};
    std::lock_guard<std::mutex> lock(m_);
    if (sessions_.size() >= kMaxSessions) sessions_.erase(sessions_.begin());
    sessions_[s.cookie] = s.csrf;
    return s;
}

std::optional<std::string> DashboardSessions::csrf_for(const std::string& cookie) const {
    if (cookie.empty()) return std::nullopt;
    std::lock_guard<std::mutex> lock(m_);
    const auto it = sessions_.find(cookie);
    if (it == sessions_.end()) return std::nullopt;
    return it->second;
}

void DashboardSessions::remove(const std::string& cookie) {
    std::lock_guard<std::mutex> lock(m_);
    sessions_.erase(cookie);
}

std::string cookie_value(const std::string& header, const std::string& name) {
    std::stringstream ss(header);
    for (std::string part; std::getline(ss, part, ';');) {
        const auto b = part.find_first_not_of(' ');
        if (b == std::string::npos) continue;
        const auto eq = part.find('=', b);
        if (eq != std::string::npos && part.substr(b, eq - b) == name) return part.substr(eq + 1);
    }
    return "";
}

} // namespace aurum
