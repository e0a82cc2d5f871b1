#include "live/daemon_app.hpp"

#include <signal.h>

#include <cctype>
#include <cstdint>

#include <spdlog/spdlog.h>

#include "core/config.hpp"
#include "data/binance_market_data.hpp"
#include "data/http_client.hpp"
#include "data/validation.hpp"

namespace aurum {

LiveFileConfig load_live_config(const std::filesystem::path& path) {
    LiveFileConfig c;
    c.jobs = {parse_schedule("daily_summary", "daily 08:00", "default"),
              parse_schedule("gap_check", "every 4h", "default")};
    if (!std::filesystem::exists(path)) return c;
    const ConfigNode root = ConfigNode::load_file(path.string());
    root.allow_keys({"live"});
    const ConfigNode l = root.child("live");
    l.allow_keys({"symbols", "timeframe", "capital", "strategy", "fees", "slippage_bps",
                  "approval", "warmup_bars", "port", "jobs", "exchange"});
    if (l.has("symbols")) c.symbols = l.get_strings("symbols");
    c.timeframe = l.get_string("timeframe", c.timeframe);
    c.capital = l.get_positive("capital", c.capital);
    const ConfigNode s = l.child("strategy");
    if (s.defined()) {
        c.strategy = s.get_string("name", c.strategy);
        c.fraction = s.get_in_range("fraction", c.fraction, 1e-6, 10.0);
        for (const auto& k : s.keys())
            if (k != "name" && k != "fraction" && k != "model" && k != "version" && k != "kind")
                c.params[k] = s.get_double(k);
        c.model.model = s.get_string("model", c.model.model);
        c.model.version = static_cast<int>(s.get_int("version", 0));
        if (c.model.version < 0) s.fail("version", "must be a positive version number");
        c.model.kind = s.get_string("kind", c.model.kind);
        if (c.model.kind != "gbdt" && c.model.kind != "lstm" && c.model.kind != "gnn" &&
            c.model.kind != "ensemble")
            s.fail("kind", "expected gbdt, lstm, gnn or ensemble");
    }
    const ConfigNode f = l.child("fees");
    f.allow_keys({"taker"});
    c.fee = f.get_in_range("taker", c.fee, 0.0, 0.1);
    c.slippage_bps = l.get_non_negative("slippage_bps", c.slippage_bps);
    const ConfigNode a = l.child("approval");
    a.allow_keys({"enabled", "expiry"});
    c.approval = a.get_bool("enabled", c.approval);
    if (a.has("expiry")) {
        const auto d = parse_duration(a.get_string("expiry"));
        if (!d || *d <= 0) a.fail("expiry", "expected a duration such as 4h");
        c.approval_expiry = *d;
    }
    c.warmup_bars = static_cast<int>(l.get_int("warmup_bars", c.warmup_bars));
    if (c.warmup_bars < 0) l.fail("warmup_bars", "must be >= 0");
    c.port = static_cast<int>(l.get_int("port", c.port));
    const ConfigNode ex = l.child("exchange");
    if (ex.defined()) {
        ex.allow_keys({"name", "base_url", "recv_window_ms"});
        c.exchange = ex.get_string("name", c.exchange);
        if (c.exchange != "binance") ex.fail("name", "supported exchanges: binance");
        c.exchange_url = ex.get_string("base_url", c.exchange_url);
        BaseUrl::parse(c.exchange_url); // a bad URL fails here, naming it
        c.recv_window_ms = static_cast<int>(ex.get_int("recv_window_ms", c.recv_window_ms));
        if (c.recv_window_ms < 1 || c.recv_window_ms > 60000)
            ex.fail("recv_window_ms", "must be in 1..60000 (the exchange's maximum)");
    }
    const ConfigNode jobs = l.child("jobs");
    if (jobs.defined()) {
        jobs.allow_keys({"daily_summary", "gap_check", "weekly_retrain"});
        c.jobs.clear();
        for (const auto& k : jobs.keys())
            c.jobs.push_back(parse_schedule(k, jobs.get_string(k), path.string() + ": live.jobs." + k));
    }
    return c;
}

namespace {
std::atomic<bool> g_daemon_stop{false};
extern "C" void on_stop_signal(int) { g_daemon_stop.store(true); }
} // namespace

std::atomic<bool>& daemon_stop_flag() { return g_daemon_stop; }

void install_stop_signals() {
    ::signal(SIGINT, on_stop_signal);
    ::signal(SIGTERM, on_stop_signal);
}

std::filesystem::path daily_report_path(const std::filesystem::path& reports_dir, TimeMs due,
                                        const std::string& session_id) {
    std::string id = session_id;
    for (char& c : id) // the id becomes part of a file name
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    return reports_dir / "daily" / (format_date(due) + "_" + id + ".txt");
}

std::vector<DataGap> find_open_market_gaps(const BarSeries& bars, const TradingSessions& sessions,
                                           TimeMs reported_until) {
    std::vector<DataGap> out;
    const TimeMs step = bars.timeframe.ms();
    if (step <= 0) return out;
    for (std::size_t k = 1; k < bars.size(); ++k) {
        const TimeMs prev = bars.time[k - 1], t = bars.time[k];
        if (t - prev <= step || t <= reported_until) continue;
        std::int64_t missing = 0;
        for (TimeMs u = prev + step; u < t; u += step)
            if (session_expects_bar(sessions, u, bars.timeframe)) ++missing;
        if (missing > 0) out.push_back(DataGap{prev, t, missing});
    }
    return out;
}

std::string gap_repair_advice(const Instrument& in, const std::string& timeframe) {
    if (in.venue == "mt5" || in.asset_class == AssetClass::MetalCfd)
        return fmt::format("re-export {} {} from MetaTrader 5 and run `aurum data import <file>`",
                           in.symbol, timeframe);
    return fmt::format("repair with `aurum data backfill --symbol {} --timeframe {}`", in.symbol,
                       timeframe);
}

std::vector<DataGap> GapChecker::check(const std::string& symbol, const BarSeries& bars) {
    const std::optional<Instrument> in = instruments_.find(symbol);
    const TradingSessions sessions = in ? in->sessions : TradingSessions::crypto();
    const auto it = reported_until_.try_emplace(symbol, INT64_MIN).first;
    std::vector<DataGap> gaps = find_open_market_gaps(bars, sessions, it->second);
    const std::string tf = bars.timeframe.name();
    Instrument fallback;
    fallback.symbol = symbol;
    const std::string advice = gap_repair_advice(in ? *in : fallback, tf);
    for (const auto& g : gaps) {
        spdlog::warn("data gap in {} {}: {} bar{} missing in open market, {} -> {}; {}", symbol, tf,
                     g.missing, g.missing == 1 ? "" : "s", format_time(g.after),
                     format_time(g.until), advice);
        it->second = std::max(it->second, g.until);
    }
    return gaps;
}

void GapChecker::run(LiveSession& session, MarketStore& store, const LiveOptions& o) {
    // New bars first, then any hole in what the session trades on.
    session.poll_store();
    for (const auto& sym : o.symbols)
        check(sym, store.load_bars(sym, o.timeframe,
                                   TimeRange{session.last_bar() - 7 * kMsPerDay, INT64_MAX}));
}

} // namespace aurum
