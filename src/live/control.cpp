#include "live/control.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/logging.hpp"
#include "live/alert_outbox.hpp"
#include "live/gold_desk.hpp"

namespace aurum {

using nlohmann::json;

std::filesystem::path daemon_info_path(const Workspace& ws) { return ws.data_dir() / "daemon.json"; }
std::filesystem::path token_path(const Workspace& ws) { return ws.data_dir() / "control.token"; }

void write_daemon_info(const Workspace& ws, const DaemonInfo& d) {
    json j{{"pid", d.pid}, {"port", d.port}, {"started", d.started}, {"session", d.session},
           {"mode", d.mode}, {"args", d.args}};
    write_file_atomic(daemon_info_path(ws), j.dump(2));
}

std::optional<DaemonInfo> read_daemon_info(const Workspace& ws) {
    std::ifstream in(daemon_info_path(ws));
    if (!in) return std::nullopt;
    try {
        json j = json::parse(in);
        DaemonInfo d;
        d.pid = j.at("pid").get<int>();
        d.port = j.at("port").get<int>();
        d.started = j.at("started").get<TimeMs>();
        d.session = j.value("session", "");
        d.mode = j.value("mode", "");
        d.args = j.value("args", std::vector<std::string>{});
        return d;
    } catch (const std::exception&) {
        return std::nullopt; // half-written by a crashed daemon: treat as absent
    }
}

void remove_daemon_info(const Workspace& ws) {
    std::error_code ec;
    std::filesystem::remove(daemon_info_path(ws), ec);
}

bool process_alive(int pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

std::filesystem::path daemon_lock_path(const Workspace& ws) { return ws.data_dir() / "daemon.lock"; }

std::optional<DaemonLock> DaemonLock::try_acquire(const Workspace& ws) {
    const auto path = daemon_lock_path(ws);
    std::filesystem::create_directories(path.parent_path());
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw SystemError(path.string() + ": cannot open the daemon lock file");
    // A `status` probing the lock holds it shared for an instant: retry briefly before refusing.
    for (int i = 0; i < 20; ++i) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return DaemonLock(fd);
        if (errno != EWOULDBLOCK && errno != EINTR) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::close(fd);
    return std::nullopt;
}

DaemonLock::DaemonLock(DaemonLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

DaemonLock::~DaemonLock() {
    if (fd_ >= 0) ::close(fd_); // closing the descriptor releases the lock
}

bool daemon_running(const Workspace& ws) {
    const int fd = ::open(daemon_lock_path(ws).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false; // no daemon ever ran here
    // A shared probe: it conflicts only with the daemon's exclusive lock.
    const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);
    return held;
}

bool wait_daemon_down(const Workspace& ws, int seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
        if (!daemon_running(ws)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return !daemon_running(ws);
}

RiskFile::RiskFile(std::filesystem::path path, RiskLimits initial)
    : path_(std::move(path)), limits_(std::move(initial)) {}

std::optional<RiskLimits> RiskFile::poll() {
    std::string text;
    {
        std::ifstream in(path_);
        std::stringstream ss;
        if (in) ss << in.rdbuf();
        text = in ? ss.str() : std::string();
    }
    std::lock_guard<std::mutex> lock(m_);
    if (read_once_ && text == last_text_) return std::nullopt;
    read_once_ = true;
    last_text_ = text;
    try {
        const RiskLimits l = text.empty() && !std::filesystem::exists(path_)
                                 ? RiskLimits{}
                                 : parse_risk_limits(text, path_.string());
        if (error_) spdlog::info("{} is valid again", path_.string());
        error_.reset();
        if (render_risk_yaml(l) == render_risk_yaml(limits_)) return std::nullopt;
        limits_ = l;
        return l;
    } catch (const std::exception& e) {
        const std::string msg = e.what();
        if (error_ != msg)
            spdlog::error("{} (the daemon keeps its last valid risk limits until the file is "
                          "fixed)", msg);
        error_ = msg;
        return std::nullopt;
    }
}

void RiskFile::set_limits(const RiskLimits& limits) {
    std::lock_guard<std::mutex> lock(m_);
    limits_ = limits;
}

RiskLimits RiskFile::limits() const {
    std::lock_guard<std::mutex> lock(m_);
    return limits_;
}

std::optional<std::string> RiskFile::error() const {
    std::lock_guard<std::mutex> lock(m_);
    return error_;
}

std::optional<std::string> read_token(const Workspace& ws) {
    std::ifstream in(token_path(ws));
    if (!in) return std::nullopt;
    std::string t;
    std::getline(in, t);
    if (t.empty()) return std::nullopt;
    return t;
}

std::string ensure_token(const Workspace& ws) {
    const auto path = token_path(ws);
    std::filesystem::create_directories(path.parent_path());
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if ((st.st_mode & 0077) != 0)
            throw SystemError(path.string() + ": the control token is readable by other users "
                                              "(mode " +
                              fmt::format("{:o}", st.st_mode & 0777) +
                              "); run `chmod 600 " + path.string() + "`");
        if (auto t = read_token(ws)) return *t;
    }
    std::random_device rd;
    std::string token;
    for (int i = 0; i < 8; ++i) token += fmt::format("{:08x}", rd());
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) throw SystemError(path.string() + ": cannot create the control token");
    ::fchmod(fd, 0600);
    const std::string line = token + "\n";
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        ::close(fd);
        throw SystemError(path.string() + ": cannot write the control token");
    }
    ::close(fd);
    return token;
}

// ---------------------------------------------------------------------------------------------

std::optional<SessionRecord> shown_session(StateStore& store) {
    std::optional<SessionRecord> s;
    if (auto id = store.get_kv("active_session")) s = store.session(*id);
    if (!s) s = store.latest_session();
    return s;
}

namespace {

struct Ctx {
    SessionRecord session;
    SessionSnapshot snap;
    TimeMs tf = 0;
    TimeMs now = 0; ///< session time: last bar close (replay) or wall clock (real time)
};

std::optional<Ctx> context(StateStore& store, TimeMs wall_now) {
    const std::optional<SessionRecord> s = shown_session(store);
    if (!s) return std::nullopt;
    Ctx c;
    c.session = *s;
    c.snap = store.snapshot(s->id).value_or(SessionSnapshot{});
    c.tf = Timeframe::parse(s->timeframe).value_or(Timeframe(kMsPerHour)).ms();
    c.now = s->clock == "replay" ? (c.snap.last_bar ? c.snap.last_bar + c.tf : s->trade_from)
                                 : wall_now;
    return c;
}

TradingState account_state(StateStore& store) {
    if (auto kv = store.get_kv("risk_runtime")) return RiskRuntime::from_json(*kv).state;
    return TradingState{};
}

std::string base_of(const std::string& symbol) {
    const auto slash = symbol.find('/');
    return slash == std::string::npos ? symbol : symbol.substr(0, slash);
}

json no_session() {
    return json{{"session", nullptr},
                {"message", "no trading session yet: start one with `aurum run --mode paper`"}};
}

} // namespace

json query_status(StateStore& store, TimeMs wall_now) {
    auto c = context(store, wall_now);
    if (!c) return no_session();
    const auto pos = store.positions(c->session.id);
    double gross = 0;
    json positions = json::array();
    for (const auto& p : pos) {
        gross += std::fabs(p.qty * p.mark);
        positions.push_back({{"symbol", p.symbol}, {"qty", p.qty}, {"mark", p.mark},
                             {"avg_price", p.avg_price}, {"unrealized", p.unrealized}});
    }
    const double eq = c->snap.equity > 0 ? c->snap.equity : c->session.capital;
    const TradingState st = account_state(store);
    json signals = json::array();
    for (const auto& p : store.latest_predictions(c->session.id)) {
        const json d = json::parse(p.detail);
        signals.push_back({{"symbol", p.symbol}, {"time", p.time}, {"p_up", p.value},
                           {"signal", d.value("signal", 0.0)}, {"model", d.value("model", "")}});
    }
    // Symbols the model strategy cannot trade (no production model): status must not call
    // the system operational when nothing can trade.
    json untradable = json::array();
    std::size_t symbol_count = 0;
    if (auto kv = store.get_kv("live_models")) {
        const json m = json::parse(*kv);
        if (m.value("session", "") == c->session.id)
            for (const auto& x : m["models"]) {
                ++symbol_count;
                if (x["model"].is_null()) untradable.push_back(x["symbol"]);
            }
    }
    return json{{"session", c->session.id},
                {"untradable", untradable},
                {"symbol_count", symbol_count},
                {"signals", signals},
                {"mode", c->session.mode},
                {"clock", c->session.clock},
                {"session_status", c->session.status},
                {"strategy", c->session.strategy},
                {"capital", c->session.capital},
                {"equity", eq},
                {"cash", c->snap.cash},
                {"return_pct", (eq / c->session.capital - 1.0) * 100.0},
                {"positions", positions},
                {"heat_pct", eq > 0 ? gross / eq * 100.0 : 0.0},
                {"last_bar", c->snap.last_bar},
                {"session_time", c->now},
                {"last_write_wall", c->snap.updated_wall},
                {"seconds_since_update",
                 c->snap.updated_wall ? (wall_now - c->snap.updated_wall) / 1000 : -1},
                {"trading_state", to_string(st.mode)},
                {"trading_state_text", st.describe()}};
}

void DaySummary::add_position(const std::string& symbol, double qty, double mark, double entry,
                              double u) {
    gross += std::fabs(qty * mark);
    unrealized += u;
    max_position = std::max(max_position, std::fabs(qty * mark) / equity);
    positions.push_back({{"symbol", symbol}, {"side", qty > 0 ? "LONG" : "SHORT"},
                         {"qty", std::fabs(qty)}, {"base", base_of(symbol)},
                         {"mark", mark}, {"entry", entry}, {"unrealized", u}});
}

void DaySummary::add_fill(const OrderRecord& o, TimeMs tf, std::optional<double> p_up) {
    // The model's confidence in the side it took (seed: "Opened BTC/USDT LONG (confidence:
    // 0.73)"); rule strategies make no predictions.
    const std::string conf =
        p_up ? fmt::format(" (confidence: {:.2f})", o.side == "buy" ? *p_up : 1 - *p_up) : "";
    trades_today.push_back(
        {{"time", o.bar_time + tf},
         {"text", fmt::format("{} {} {} ({}) @ ${:.2f}{}", o.side == "buy" ? "Bought" : "Sold",
                              format_qty(o.filled_qty), o.symbol, o.source, o.avg_price, conf)}});
}

void DaySummary::add_close(const TradeRecord& t) {
    realized_today += t.pnl;
    trades_today.push_back(
        {{"time", t.exit_time},
         {"text", fmt::format("Closed {} {} ({}: {}${:.2f})", t.symbol,
                              t.direction > 0 ? "LONG" : "SHORT", t.pnl >= 0 ? "profit" : "loss",
                              t.pnl >= 0 ? "+" : "-", std::fabs(t.pnl))}});
}

void DaySummary::count_decision(const RiskDecisionRecord& d) {
    denied += d.verdict == "deny" && d.reason.find("warm-up") == std::string::npos;
    reduced += d.verdict == "reduce";
}

json DaySummary::to_json(const RiskLimits& limits, const std::string& state, bool active,
                         const std::string& when) {
    std::stable_sort(trades_today.begin(), trades_today.end(),
                     [](const json& a, const json& b) { return a["time"] < b["time"]; });
    if (denied)
        alerts.push_back(fmt::format("{} order(s) denied by the risk manager {}", denied, when));
    if (reduced)
        alerts.push_back(fmt::format("{} order(s) reduced by the risk manager {}", reduced, when));
    const double eq = equity, daily = eq / day_start - 1.0;
    const bool healthy = active && gross / eq <= limits.max_portfolio_heat &&
                         max_position <= limits.max_position + 1e-9 &&
                         -daily < limits.daily_loss_limit;
    return json{{"session", session},
                {"date", format_date(day)},
                {"positions", positions},
                {"unrealized", unrealized},
                {"unrealized_pct", eq > 0 ? unrealized / eq * 100.0 : 0.0},
                {"realized_today", realized_today},
                {"pnl_today", eq - day_start},
                {"pnl_week", eq - week_start},
                {"pnl_week_pct", (eq / week_start - 1.0) * 100.0},
                {"trades_today", trades_today},
                {"trades", session_trades.trades},
                {"win_rate", session_trades.trades > 0
                                 ? json(static_cast<double>(session_trades.wins) /
                                        static_cast<double>(session_trades.trades))
                                 : json(nullptr)},
                {"realized", session_trades.realized},
                {"risk",
                 {{"healthy", healthy},
                  {"state", state},
                  {"heat_pct", gross / eq * 100.0},
                  {"heat_limit_pct", limits.max_portfolio_heat * 100.0},
                  {"max_position_pct", max_position * 100.0},
                  {"max_position_limit_pct", limits.max_position * 100.0},
                  {"daily_pct", daily * 100.0},
                  {"daily_limit_pct", limits.daily_loss_limit * 100.0}}},
                {"alerts", alerts},
                {"equity", eq}};
}

json query_summary(StateStore& store, const RiskLimits& limits, TimeMs wall_now) {
    auto c = context(store, wall_now);
    if (!c) return no_session();
    const std::string& sid = c->session.id;
    DaySummary s;
    s.session = sid;
    s.day = floor_to(c->now - 1, kMsPerDay);
    const TimeMs day = s.day;
    s.equity = c->snap.equity > 0 ? c->snap.equity : c->session.capital;
    for (const auto& p : store.positions(sid))
        s.add_position(p.symbol, p.qty, p.mark, p.avg_price, p.unrealized);
    for (const auto& o : store.orders_since(sid, day - c->tf)) {
        // Orders fill at the next bar's open; list the fills of today.
        if (o.bar_time + c->tf < day || o.filled_qty <= 0 || o.bar_time + c->tf >= day + kMsPerDay)
            continue;
        const auto pred = store.prediction_at(sid, o.symbol, o.bar_time);
        s.add_fill(o, c->tf, pred ? std::optional<double>(pred->value) : std::nullopt);
    }
    for (const auto& t : store.trades_exited(sid, day, day + kMsPerDay)) s.add_close(t);
    s.session_trades = store.trade_totals(sid);
    // Equity at the start of the day and of the week, from the snapshots.
    auto equity_before = [&](TimeMs t) {
        const auto pts = store.equity(sid, t - 8 * kMsPerDay, t);
        return pts.empty() ? c->session.capital : pts.back().second;
    };
    s.day_start = equity_before(day);
    s.week_start = equity_before(c->now - 7 * kMsPerDay);
    const TradingState st = account_state(store);
    if (st.mode != TradingMode::Active) s.alerts.push_back("Trading " + st.describe());
    for (const auto& d : store.decisions(sid, 500)) {
        if (d.time < day) break;
        s.count_decision(d);
    }
    return s.to_json(limits, st.describe(), st.mode == TradingMode::Active, "today");
}

json query_health(StateStore& store, const Workspace& ws, const std::optional<DaemonInfo>& daemon,
                  bool daemon_up, TimeMs wall_now) {
    json h;
    // A pid is named only while the daemon holds the lock: a stale daemon.json's pid may now
    // belong to any other process.
    h["daemon"] = {{"running", daemon_up},
                   {"uptime_ms", daemon_up && daemon ? wall_now - daemon->started : 0},
                   {"pid", daemon_up && daemon ? daemon->pid : 0}};
    auto c = context(store, wall_now);
    h["database"] = {{"connected", true},
                     {"describe", store.db().describe()},
                     {"last_write_ms_ago",
                      c && c->snap.updated_wall ? wall_now - c->snap.updated_wall : -1}};
    if (c) {
        h["data_feed"] = {{"symbols", c->session.symbols},
                          {"timeframe", c->session.timeframe},
                          {"clock", c->session.clock},
                          {"last_bar", c->snap.last_bar},
                          {"stale", c->session.clock == "realtime" &&
                                        wall_now - (c->snap.last_bar + c->tf) > 2 * c->tf}};
        if (auto kv = store.get_kv(kLiveFeedKey)) { // this session's, not an earlier one's
            auto feed = nlohmann::json::parse(*kv, nullptr, false);
            if (feed.is_object() && feed.value("session", "") == c->session.id)
                h["data_feed"]["stream"] = std::move(feed);
        }
        h["model"] = {{"loaded", false},
                      {"strategy", c->session.strategy},
                      {"last_decision", c->snap.last_bar ? c->snap.last_bar + c->tf : 0}};
        // The model strategy publishes what it loaded (and which symbols it cannot trade).
        if (auto kv = store.get_kv("live_models")) {
            const json m = json::parse(*kv);
            if (m.value("session", "") == c->session.id) {
                bool any = false;
                for (const auto& x : m["models"]) any = any || !x["model"].is_null();
                h["model"]["loaded"] = any;
                h["model"]["models"] = m["models"];
                h["model"]["notices"] = m["notices"];
            }
        }
        // The latest accuracy verdict (`aurum monitor accuracy`, the daemon's accuracy job).
        if (auto kv = store.get_kv("model_monitor")) {
            const json m = json::parse(*kv, nullptr, false);
            if (m.is_object() && m.value("session", "") == c->session.id)
                h["model"]["monitor"] = m["verdict"];
        }
        // The latest feature-drift verdict (`aurum monitor drift`, the weekly report).
        if (auto kv = store.get_kv("model_drift")) {
            const json m = json::parse(*kv, nullptr, false);
            if (m.is_object() && m.value("session", "") == c->session.id)
                h["model"]["drift"] = m["verdict"];
        }
        json last = nullptr;
        for (const auto& p : store.latest_predictions(c->session.id))
            if (last.is_null() || p.time > last["time"].get<TimeMs>())
                last = {{"time", p.time}, {"symbol", p.symbol}, {"p_up", p.value},
                        {"detail", json::parse(p.detail)}};
        h["model"]["last_prediction"] = last;
        TimeMs last_trade = 0;
        std::string last_trade_text;
        if (const auto o = store.last_filled_order(c->session.id)) {
            last_trade = o->bar_time + c->tf;
            last_trade_text = fmt::format("{} {} ({})", o->symbol, o->side, o->source);
        }
        h["last_trade"] = {{"time", last_trade}, {"text", last_trade_text},
                           {"session_time", c->now}};
    }
    const TradingState st = account_state(store);
    // The risk manager runs inside the daemon: with the daemon down nothing enforces limits.
    h["risk"] = {{"state", to_string(st.mode)}, {"text", st.describe()}, {"active", daemon_up}};
    struct statvfs vfs {};
    double used = 0;
    // As df reports it: used / (used + available to us); root's reserve counts as neither.
    if (::statvfs(ws.home().c_str(), &vfs) == 0 && vfs.f_blocks > vfs.f_bfree) {
        const double used_blocks = static_cast<double>(vfs.f_blocks - vfs.f_bfree);
        used = 100.0 * used_blocks / (used_blocks + static_cast<double>(vfs.f_bavail));
    }
    h["disk"] = {{"used_pct", used}, {"warning", used >= 80.0}};
    // Errors in logs/error.log of the last 24 hours; warnings in today's log.
    int errors = 0, warnings = 0;
    {
        std::ifstream in(ws.logs_dir() / "error.log");
        std::string line;
        const std::string since = format_time(wall_now - kMsPerDay);
        while (std::getline(in, line))
            if (line.size() >= 19 && line.substr(0, 19) >= since.substr(0, 19)) ++errors;
        std::ifstream log(daily_log_file(ws.logs_dir(), wall_now));
        while (std::getline(log, line))
            if (line.find(log_level_tag(spdlog::level::warn)) != std::string::npos) ++warnings;
    }
    h["recent"] = {{"errors", errors}, {"warnings", warnings}};
    h["alerts"] = AlertStore(store.db()).delivery_status(); // the outbox, per channel
    return h;
}

json query_risk(StateStore& store, const RiskLimits& limits) {
    json j;
    json lim = json::object();
    for (const auto& [k, v] : risk_limit_fields(limits)) lim[k] = v;
    j["limits"] = lim;
    RiskRuntime rt;
    if (auto kv = store.get_kv("risk_runtime")) rt = RiskRuntime::from_json(*kv);
    j["state"] = to_string(rt.state.mode);
    j["state_text"] = rt.state.describe();
    j["peak_equity"] = rt.peak_equity;
    j["day_start_equity"] = rt.day_start_equity;
    json cd = json::array();
    for (const auto& [s, v] : rt.symbols)
        if (v.cooldown_until > 0) cd.push_back({{"symbol", s}, {"until", v.cooldown_until}});
    j["cooldowns"] = cd;
    json dec = json::array();
    if (auto id = store.get_kv("active_session"))
        for (const auto& d : store.decisions(*id, 10))
            dec.push_back({{"time", d.time}, {"symbol", d.symbol}, {"verdict", d.verdict},
                           {"rule", d.rule}, {"reason", d.reason}});
    j["recent_decisions"] = dec;
    return j;
}

json query_signals(StateStore& store, const std::string& status) {
    json arr = json::array();
    for (const auto& s : store.signals(status, 200))
        arr.push_back({{"id", s.id}, {"time", s.time}, {"symbol", s.symbol},
                       {"quantity", s.quantity}, {"price", s.price}, {"status", s.status},
                       {"expires_at", s.expires_at}, {"note", s.note},
                       {"decision_reason", s.decision_reason}});
    return arr;
}

json query_tickets(StateStore& store, const std::string& status) {
    static const std::set<std::string> known{"open", "filled", "cancelled", "all"};
    if (!known.count(status))
        throw InputError("tickets: status must be open, filled, cancelled or all, got '" + status +
                         "'");
    json arr = json::array();
    for (const auto& t : store.tickets(status, 500)) arr.push_back(t.to_json());
    return arr;
}

namespace {

/// What `aurum health` counts as failed (it exits 1 when any is listed).
json health_failures(const json& h) {
    json f = json::array();
    if (!h["daemon"]["running"].get<bool>()) f.push_back("daemon not running");
    if (h["risk"].contains("config_error")) f.push_back("config/risk.yaml is invalid");
    // A pause is an operator's choice; a halt is a failed check.
    if (h["risk"]["state"] == "HALTED") f.push_back("trading HALTED");
    if (h.contains("data_feed") && h["data_feed"]["stale"].get<bool>()) f.push_back("data feed stale");
    // A symbol without a model is a warning; no model at all means nothing can trade.
    if (h.contains("model") && h["model"].contains("models") && !h["model"]["models"].empty() &&
        !h["model"].value("loaded", false))
        f.push_back("no symbol has a model to trade with");
    if (h["disk"]["warning"].get<bool>()) f.push_back("disk nearly full");
    if (h.contains("alerts"))
        for (const auto& c : h["alerts"]["channels"])
            if (c["state"] == "dead") f.push_back("alert channel " + c["channel"].get<std::string>() + " dead");
    return f;
}

} // namespace

json route_query(const std::string& name, const json& params, const QueryContext& c) {
    auto limits = [&]() -> const RiskLimits& {
        if (!c.limits) throw InputError(c.risk_error.value_or("no risk limits"));
        return *c.limits;
    };
    if (name == "status") {
        json s = query_status(c.store, c.wall_now);
        if (s.is_object() && c.risk_error) s["risk_config_error"] = *c.risk_error;
        return s;
    }
    if (name == "summary") return query_summary(c.store, limits(), c.wall_now);
    if (name == "risk") {
        json r = query_risk(c.store, limits());
        if (c.risk_error) r["config_error"] = *c.risk_error;
        return r;
    }
    if (name == "signals") return query_signals(c.store, params.value("status", "all"));
    if (name == "tickets") return query_tickets(c.store, params.value("status", "open"));
    if (name == "health") {
        json h = query_health(c.store, c.ws, c.daemon, c.daemon_up, c.wall_now);
        if (c.risk_error) h["risk"]["config_error"] = *c.risk_error;
        h["failures"] = health_failures(h);
        return h;
    }
    throw InputError("query: unknown query '" + name + "' (status, summary, health, risk, signals, tickets)");
}

CommandOutcome apply_offline(StateStore& store, const Workspace& ws, const Command& cmd,
                             TimeMs wall_now) {
    if (is_ticket_command(cmd.kind)) return apply_ticket_command(store, ws.home(), cmd, wall_now);
    const std::string kind = to_string(cmd.kind);
    switch (cmd.kind) {
    case CommandKind::Pause:
    case CommandKind::Resume:
    case CommandKind::KillswitchReset:
    case CommandKind::EmergencyStop:
    case CommandKind::RiskSet: break;
    case CommandKind::Trade:
    case CommandKind::SignalApprove:
    case CommandKind::SignalReject:
        throw InputError(kind + ": the daemon is not running (start it with `aurum run --mode "
                                "paper ...`); trades need live prices and the execution client");
    default:
        throw InputError(kind + ": needs the running daemon (start it with `aurum run`)");
    }
    const std::string risk_yaml = ws.config_file("risk.yaml").string();
    RiskManager rm(load_risk_limits(risk_yaml), InstrumentRegistry());
    if (auto kv = store.get_kv("risk_runtime")) rm.restore(RiskRuntime::from_json(*kv));
    std::optional<SessionRecord> session;
    if (auto id = store.get_kv("active_session")) session = store.session(*id);
    const auto snap = session ? store.snapshot(session->id) : std::nullopt;
    // The session's own clock: commands land after its last committed bar.
    const TimeMs tf = session ? Timeframe::parse(session->timeframe).value_or(Timeframe()).ms() : 0;
    const TimeMs last_bar = snap ? snap->last_bar : INT64_MIN;
    const TimeMs now = session && session->clock == "replay" && snap ? last_bar + tf : wall_now;
    Command c = cmd;
    c.at = now;
    // The same rules and transitions as the running daemon (command.cpp); nothing written
    // when they refuse.
    check_account_command(c, rm, now);
    const std::string text = *apply_account_command(c, rm, now);
    CommandOutcome out;
    switch (c.kind) {
    case CommandKind::Pause:
        out.message = text + " (daemon not running: applies when it starts)";
        break;
    case CommandKind::EmergencyStop:
        out.message = "EMERGENCY STOP recorded (daemon not running): positions are closed at the "
                      "next start, which needs `aurum run --acknowledge-stop`";
        break;
    case CommandKind::RiskSet: out.message = "Risk limits saved to config/risk.yaml: " + text; break;
    default: out.message = text; break;
    }
    Transaction tx(store.db());
    if (c.kind == CommandKind::RiskSet) write_file_atomic(risk_yaml, render_risk_yaml(rm.limits()));
    else if (session)
        store.insert_command({session->id, store.next_command_seq(session->id), last_bar, kind,
                              c.to_json().dump()});
    store.put_kv("risk_runtime", rm.runtime().to_json());
    Command shown = c;
    shown.at.reset();
    store.audit(wall_now, kind, c.audit_reason(), shown.to_json().dump(), "ok (offline)");
    tx.commit();
    return out;
}

CommandOutcome CommandQueue::submit(std::string kind, json args) {
    auto item = std::make_unique<Item>();
    item->kind = std::move(kind);
    item->args = std::move(args);
    auto fut = item->done.get_future();
    {
        std::lock_guard<std::mutex> lock(m_);
        if (closed_) return CommandOutcome{2, "the daemon is shutting down", {}};
        items_.push_back(std::move(item));
    }
    cv_.notify_all();
    return fut.get();
}

json CommandQueue::call(std::function<json()> task) {
    auto item = std::make_unique<Item>();
    item->task = std::move(task);
    auto fut = item->done.get_future();
    {
        std::lock_guard<std::mutex> lock(m_);
        if (closed_) throw InputError("the daemon is shutting down");
        items_.push_back(std::move(item));
    }
    cv_.notify_all();
    CommandOutcome o = fut.get();
    if (o.exit_code != 0) throw InputError(o.message);
    return std::move(o.data);
}

void CommandQueue::drain(
    const std::function<CommandOutcome(const std::string&, const json&)>& fn) {
    for (;;) {
        std::unique_ptr<Item> item;
        {
            std::lock_guard<std::mutex> lock(m_);
            if (items_.empty()) return;
            item = std::move(items_.front());
            items_.pop_front();
        }
        try {
            if (item->task) {
                CommandOutcome o;
                o.data = item->task();
                item->done.set_value(std::move(o));
                continue;
            }
            item->done.set_value(fn(item->kind, item->args));
        } catch (const InputError& e) {
            item->done.set_value(CommandOutcome{2, e.what(), {}});
        } catch (const std::exception& e) {
            item->done.set_value(CommandOutcome{2, e.what(), {}});
        }
    }
}

void CommandQueue::wait(int ms) {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait_for(lock, std::chrono::milliseconds(ms),
                 [this] { return !items_.empty() || closed_ || woken_; });
    woken_ = false;
}

void CommandQueue::notify() {
    {
        // Remembered until the next wait: a wake-up that comes before the wait is not lost.
        std::lock_guard<std::mutex> lock(m_);
        woken_ = true;
    }
    cv_.notify_all();
}

bool CommandQueue::empty() const {
    std::lock_guard<std::mutex> lock(m_);
    return items_.empty();
}

void CommandQueue::close() {
    std::deque<std::unique_ptr<Item>> rest;
    {
        std::lock_guard<std::mutex> lock(m_);
        closed_ = true;
        rest.swap(items_);
    }
    for (auto& i : rest) i->done.set_value(CommandOutcome{2, "the daemon is shutting down", {}});
    cv_.notify_all();
}

} // namespace aurum
