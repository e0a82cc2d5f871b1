#include "live/dashboard_queries.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <fstream>
#include <sstream>
#include <map>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/logging.hpp"
#include "live/control.hpp"
#include "live/daemon_app.hpp"
#include "risk/risk_manager.hpp"

namespace aurum {

using nlohmann::json;

double days_per_year(AssetClass c) { return c == AssetClass::CryptoSpot ? 365.0 : 252.0; }

void DashboardCache::reset_for(const std::string& sid) {
    if (sid == session_) return;
    session_ = sid;
    trades_.clear();
    equity_.clear();
}

const std::vector<TradeRecord>& DashboardCache::trades(StateStore& store, const std::string& sid) {
    reset_for(sid);
    for (auto& t : store.trades_from(sid, static_cast<std::int64_t>(trades_.size())))
        trades_.push_back(std::move(t));
    return trades_;
}

const std::vector<std::pair<TimeMs, double>>& DashboardCache::equity(StateStore& store,
                                                                     const std::string& sid) {
    reset_for(sid);
    // The last point is read again: a crash recovery may rewrite it.
    const TimeMs from = equity_.empty() ? INT64_MIN : equity_.back().first;
    if (!equity_.empty()) equity_.pop_back();
    for (const auto& p : store.equity(sid, from, INT64_MAX)) equity_.push_back(p);
    return equity_;
}

namespace {

constexpr double kTargetSharpe = 1.5;  // the seeds' targets, shown next to the live figures
constexpr double kTargetWinRate = 0.55;

// ----- parameters ---------------------------------------------------------------------------

/// The query-string values arrive as text; each reader names the parameter in its error.
struct Params {
    const json& j;
    bool has(const char* k) const {
        return j.contains(k) && j.at(k).is_string() && !j.at(k).get<std::string>().empty();
    }
    std::string text(const char* k, const std::string& def = {}) const {
        return has(k) ? j.at(k).get<std::string>() : def;
    }
    std::int64_t integer(const char* k, std::int64_t def, std::int64_t lo, std::int64_t hi) const {
        if (!has(k)) return def;
        const std::string v = j.at(k).get<std::string>();
        std::size_t used = 0;
        std::int64_t x = 0;
        try {
            x = std::stoll(v, &used);
        } catch (...) {
            used = 0;
        }
        if (used != v.size())
            throw InputError(fmt::format("parameter '{}' must be an integer, got '{}'", k, v));
        if (x < lo || x > hi)
            throw InputError(fmt::format("parameter '{}' must be in {}..{}, got {}", k, lo, hi, x));
        return x;
    }
    std::string one_of(const char* k, const std::string& def,
                       std::initializer_list<const char*> allowed) const {
        const std::string v = text(k, def);
        std::string list;
        for (const char* a : allowed) {
            if (v == a) return v;
            list += (list.empty() ? "" : ", ") + std::string(a);
        }
        throw InputError(fmt::format("parameter '{}' must be one of {}, got '{}'", k, list, v));
    }
};

// ----- the session --------------------------------------------------------------------------

/// The shown session with what every page needs from it.
struct Shown {
    SessionRecord s;
    SessionSnapshot snap;
    TimeMs tf = 0;
    std::vector<std::string> symbols;
    TimeMs data_time() const { return snap.last_bar ? snap.last_bar + tf : 0; }
    double equity() const { return snap.equity > 0 ? snap.equity : s.capital; }
};

std::optional<Shown> shown(StateStore& store) {
    const auto s = shown_session(store);
    if (!s) return std::nullopt;
    Shown out;
    out.s = *s;
    out.snap = store.snapshot(s->id).value_or(SessionSnapshot{});
    out.tf = Timeframe::parse(s->timeframe).value_or(Timeframe(kMsPerHour)).ms();
    std::stringstream ss(s->symbols);
    for (std::string one; std::getline(ss, one, ',');)
        if (!one.empty()) out.symbols.push_back(one);
    return out;
}

json empty_page(const DashboardReadContext& c) {
    return json{{"as_of", c.wall_now}, {"data_time", 0}, {"session_id", nullptr}};
}

json stamp(const DashboardReadContext& c, const Shown& sh) {
    return json{{"as_of", c.wall_now}, {"data_time", sh.data_time()}, {"session_id", sh.s.id}};
}

// ----- trades -------------------------------------------------------------------------------

struct Row {
    int id = 0;
    TradeRecord t;
    double contract = 1;
    std::string unit;
    double notional() const { return std::fabs(t.entry_price * t.qty * contract); }
    double pnl_pct() const { return notional() > 0 ? t.pnl / notional() : 0.0; }
    TimeMs hold() const { return t.exit_time - t.entry_time; }
};

const std::vector<TradeRecord>& all_trades(const DashboardReadContext& c, const Shown& sh,
                                           DashboardCache& local) {
    return (c.cache ? *c.cache : local).trades(c.store, sh.s.id);
}

const std::vector<std::pair<TimeMs, double>>& all_equity(const DashboardReadContext& c,
                                                         const Shown& sh, DashboardCache& local) {
    return (c.cache ? *c.cache : local).equity(c.store, sh.s.id);
}

std::vector<Row> trade_rows(const DashboardReadContext& c, const Shown& sh) {
    std::vector<Row> rows;
    int id = 0;
    std::map<std::string, std::pair<double, std::string>> units;
    DashboardCache local;
    const auto& trades = all_trades(c, sh, local);
    rows.reserve(trades.size());
    for (const auto& t : trades) {
        auto it = units.find(t.symbol);
        if (it == units.end()) {
            const auto in = c.instruments.find(t.symbol);
            it = units.emplace(t.symbol, std::make_pair(in ? in->contract_size : 1.0,
                                                        in && !in->base.empty() ? in->base
                                                                                : t.symbol))
                     .first;
        }
        rows.push_back(Row{id++, t, it->second.first, it->second.second});
    }
    return rows;
}

/// A stored prediction's part of a trade's "why": the model's P(up) and reason, or an rl
/// agent's decision in its own words ("RL agent: target 25.0 % (level 2); ...").
std::string prediction_why(double value, const std::string& detail) {
    const json d = json::parse(detail, nullptr, false);
    if (d.is_object() && d.value("kind", std::string()) == "rl")
        return fmt::format("{} ({})", d.value("reason", std::string("RL agent")),
                           d.value("model", std::string("rl agent")));
    std::string why = fmt::format("P(up) {:.2f} ({})", value,
                                  d.is_object() ? d.value("model", std::string("model")) : "model");
    if (d.is_object() && !d.value("reason", std::string()).empty())
        why += ": " + d.value("reason", std::string());
    return why;
}

/// The entry's "why" in one line: the model's view (if any) and the risk decision.
std::string trade_reason(const DashboardReadContext& c, const Shown& sh, const Row& r) {
    std::string why;
    if (auto p = c.store.prediction_at(sh.s.id, r.t.symbol, r.t.entry_time - sh.tf))
        why = prediction_why(p->value, p->detail);
    for (const auto& d : c.store.decisions_for(sh.s.id, r.t.symbol, r.t.entry_time, r.t.entry_time)) {
        if ((d.requested > 0) != (r.t.direction > 0)) continue;
        why += (why.empty() ? "" : "; ") + d.source + ": " + d.reason;
        break;
    }
    return why.empty() ? "strategy " + sh.s.strategy : why;
}

/// The "why" of many trades with two queries (their entries' decisions and predictions), not
/// two per trade: a page of the trade log is one request.
std::vector<std::string> trade_reasons(const DashboardReadContext& c, const Shown& sh,
                                       const std::vector<const Row*>& rows) {
    std::vector<std::string> out(rows.size());
    if (rows.empty()) return out;
    std::string entries, decided;
    for (const Row* r : rows) {
        entries += fmt::format("{}{}", entries.empty() ? "" : ",", r->t.entry_time);
        decided += fmt::format("{}{}", decided.empty() ? "" : ",", r->t.entry_time - sh.tf);
    }
    const std::array<SqlValue, 1> sid = {SqlValue{sh.s.id}};
    // Integers only in the IN lists (formatted here, never text from a request).
    std::map<std::pair<std::string, TimeMs>, std::vector<std::pair<double, std::string>>> dec;
    for (const auto& r : c.store.db().query(
             "SELECT symbol, time, requested, source, reason FROM live_risk_decisions WHERE "
             "session_id = $1 AND time IN (" + entries + ") ORDER BY time, seq", sid))
        dec[{r.as_string(0), r.as_int(1)}].emplace_back(r.as_double(2),
                                                        r.as_string(3) + ": " + r.as_string(4));
    std::map<std::pair<std::string, TimeMs>, std::pair<double, std::string>> pred;
    for (const auto& r : c.store.db().query(
             "SELECT symbol, time, value, top_features FROM live_predictions WHERE session_id = "
             "$1 AND time IN (" + decided + ")", sid))
        pred[{r.as_string(0), r.as_int(1)}] = {r.as_double(2), r.as_string(3)};
    for (std::size_t k = 0; k < rows.size(); ++k) {
        const TradeRecord& t = rows[k]->t;
        std::string why;
        if (auto it = pred.find({t.symbol, t.entry_time - sh.tf}); it != pred.end())
            why = prediction_why(it->second.first, it->second.second);
        if (auto it = dec.find({t.symbol, t.entry_time}); it != dec.end())
            for (const auto& [requested, text] : it->second)
                if ((requested > 0) == (t.direction > 0)) {
                    why += (why.empty() ? "" : "; ") + text;
                    break;
                }
        out[k] = why.empty() ? "strategy " + sh.s.strategy : why;
    }
    return out;
}

json row_json(const Row& r, const std::string& reason) {
    return json{{"id", r.id},
                {"symbol", r.t.symbol},
                {"side", r.t.direction > 0 ? "long" : "short"},
                {"qty", r.t.qty * r.contract},
                {"unit", r.unit},
                {"entry_time", r.t.entry_time},
                {"entry_price", r.t.entry_price},
                {"exit_time", r.t.exit_time},
                {"exit_price", r.t.exit_price},
                {"pnl", r.t.pnl},
                {"pnl_pct", r.pnl_pct()},
                {"fees", r.t.fees},
                {"hold_ms", r.hold()},
                {"reason", reason}};
}

json q_trades(const DashboardReadContext& c, const Params& p) {
    const std::string sort = p.one_of("sort", "entry_time",
                                      {"entry_time", "exit_time", "pnl", "pnl_pct", "symbol",
                                       "hold_ms", "qty"});
    const std::string order = p.one_of("order", "desc", {"asc", "desc"});
    const std::string outcome = p.one_of("outcome", "all", {"all", "win", "loss"});
    const auto limit = p.integer("limit", 100, 1, 1000);
    const auto offset = p.integer("offset", 0, 0, INT64_MAX);
    const auto from = p.integer("from", INT64_MIN, INT64_MIN, INT64_MAX);
    const auto to = p.integer("to", INT64_MAX, INT64_MIN, INT64_MAX);
    const std::string symbol = p.text("symbol");
    auto sh = shown(c.store);
    if (!sh) {
        json j = empty_page(c);
        j.update({{"total", 0}, {"offset", offset}, {"limit", limit}, {"trades", json::array()}});
        return j;
    }
    std::vector<Row> rows;
    for (auto& r : trade_rows(c, *sh)) {
        if (!symbol.empty() && r.t.symbol != symbol) continue;
        if (r.t.entry_time < from || r.t.entry_time >= to) continue;
        if (outcome == "win" && !(r.t.pnl > 0)) continue;
        if (outcome == "loss" && r.t.pnl > 0) continue;
        rows.push_back(std::move(r));
    }
    auto key = [&](const Row& r) -> double {
        if (sort == "exit_time") return static_cast<double>(r.t.exit_time);
        if (sort == "pnl") return r.t.pnl;
        if (sort == "pnl_pct") return r.pnl_pct();
        if (sort == "hold_ms") return static_cast<double>(r.hold());
        if (sort == "qty") return r.t.qty * r.contract;
        return static_cast<double>(r.t.entry_time);
    };
    const bool asc = order == "asc";
    std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
        if (sort == "symbol")
            return asc ? std::tie(a.t.symbol, a.id) < std::tie(b.t.symbol, b.id)
                       : std::tie(a.t.symbol, a.id) > std::tie(b.t.symbol, b.id);
        const double ka = key(a), kb = key(b);
        if (ka != kb) return asc ? ka < kb : ka > kb;
        return asc ? a.id < b.id : a.id > b.id;
    });
    std::vector<const Row*> page;
    for (std::size_t k = static_cast<std::size_t>(offset);
         k < rows.size() && page.size() < static_cast<std::size_t>(limit); ++k)
        page.push_back(&rows[k]);
    const auto reasons = trade_reasons(c, *sh, page);
    json list = json::array();
    for (std::size_t k = 0; k < page.size(); ++k) list.push_back(row_json(*page[k], reasons[k]));
    json j = stamp(c, *sh);
    j.update({{"total", rows.size()}, {"offset", offset}, {"limit", limit}, {"trades", list}});
    return j;
}


/// Fraction of equity the strategy targets ("... fraction=0.3" in the session's strategy).
std::optional<double> strategy_fraction(const std::string& text) {
    const auto at = text.find("fraction=");
    if (at == std::string::npos) return std::nullopt;
    try {
        return std::stod(text.substr(at + 9));
    } catch (...) {
        return std::nullopt;
    }
}

json q_trade(const DashboardReadContext& c, const std::string& id_text) {
    const Params idp{json{{"id", id_text}}};
    const auto id = idp.integer("id", -1, 0, INT32_MAX);
    auto sh = shown(c.store);
    if (!sh) throw NotFoundError("no trading session yet");
    const auto rows = trade_rows(c, *sh);
    if (id >= static_cast<std::int64_t>(rows.size()))
        throw NotFoundError(fmt::format("no trade #{} in session {} ({} trades)", id, sh->s.id,
                                        rows.size()));
    const Row& r = rows[static_cast<std::size_t>(id)];
    const TradeRecord& t = r.t;
    json pred = nullptr, features = json::array();
    if (auto p = c.store.prediction_at(sh->s.id, t.symbol, t.entry_time - sh->tf)) {
        pred = prediction_json(*p);
        features = pred["top_features"];
    }
    json risk = json::array();
    const RiskDecisionRecord* entry_decision = nullptr;
    const auto decisions = c.store.decisions_for(sh->s.id, t.symbol, t.entry_time, t.exit_time);
    for (const auto& d : decisions) {
        risk.push_back({{"time", d.time}, {"rule", d.rule}, {"verdict", d.verdict},
                        {"requested", d.requested}, {"final", d.approved},
                        {"reason", d.reason}, {"source", d.source}});
        if (!entry_decision && d.time == t.entry_time && (d.requested > 0) == (t.direction > 0))
            entry_decision = &d;
    }
    json orders = json::array();
    for (const auto& o : c.store.orders_for(sh->s.id, t.symbol, t.entry_time - sh->tf,
                                            t.exit_time - sh->tf))
        orders.push_back({{"client_order_id", o.client_order_id}, {"side", o.side},
                          {"type", o.type}, {"stop_price", o.stop_price},
                          {"qty", o.qty}, {"filled_qty", o.filled_qty},
                          {"avg_price", o.avg_price}, {"source", o.source},
                          {"status", o.status}, {"bar_time", o.bar_time},
                          {"note", c.store.order_note(o.client_order_id).value_or("")}});
    // The sizing as the strategy did it: a fraction of the equity marked at the decision bar's
    // close, over that close.
    const TimeMs decided = t.entry_time - sh->tf;
    const auto eq = c.store.equity(sh->s.id, decided, decided + 1);
    const BarSeries bar = c.market.load_bars(t.symbol, Timeframe(sh->tf), TimeRange{decided, decided + 1});
    const double price = bar.empty() ? t.entry_price : bar.close[0];
    const auto fraction = strategy_fraction(sh->s.strategy);
    const double requested = entry_decision ? std::fabs(entry_decision->requested) : t.qty * r.contract;
    const double final_qty = entry_decision ? std::fabs(entry_decision->approved) : t.qty * r.contract;
    std::string arithmetic;
    if (fraction && !eq.empty())
        arithmetic = fmt::format("{} x equity {:.2f} / price {:.2f} = {} {} target", *fraction,
                                 eq.front().second, price,
                                 format_qty(*fraction * eq.front().second / price), r.unit);
    else
        arithmetic = fmt::format("strategy '{}' asked for {} {}", sh->s.strategy,
                                 format_qty(requested), r.unit);
    arithmetic += fmt::format("; order {} {}", format_qty(requested), r.unit);
    if (entry_decision && entry_decision->verdict == "reduce")
        arithmetic += fmt::format("; risk reduced it to {} {} ({})", format_qty(final_qty), r.unit,
                                  entry_decision->rule);
    else if (entry_decision)
        arithmetic += "; risk approved it";
    json j = stamp(c, *sh);
    j.update({{"trade", row_json(r, trade_reason(c, *sh, r))},
              {"prediction", pred},
              {"features", features},
              {"sizing",
               {{"fraction", fraction ? json(*fraction) : json(nullptr)},
                {"equity", eq.empty() ? json(nullptr) : json(eq.front().second)},
                {"price", price},
                {"requested_qty", requested},
                {"final_qty", final_qty},
                {"unit", r.unit},
                {"arithmetic", arithmetic}}},
              {"risk", risk},
              {"orders", orders},
              {"entry", {{"time", t.entry_time}, {"price", t.entry_price}}},
              {"exit", {{"time", t.exit_time}, {"price", t.exit_price}}},
              {"pnl", t.pnl},
              {"pnl_pct", r.pnl_pct()},
              {"fees", t.fees},
              {"hold_ms", r.hold()}});
    return j;
}

// ----- statistics -----------------------------------------------------------------------------

/// The UTC (year, month) of a time, by arithmetic (civil-from-days), for month buckets.
std::pair<int, int> year_month(TimeMs t) {
    const std::int64_t z = (t >= 0 ? t : t - kMsPerDay + 1) / kMsPerDay + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    return {static_cast<int>(yoe + era * 400 + (month <= 2)), month};
}

/// Annualised Sharpe of per-bar returns (no risk-free rate).
double sharpe_of(const std::vector<double>& rets, double periods_per_year) {
    if (rets.size() < 2) return 0;
    double m = 0;
    for (double r : rets) m += r;
    m /= static_cast<double>(rets.size());
    double v = 0;
    for (double r : rets) v += (r - m) * (r - m);
    v /= static_cast<double>(rets.size() - 1);
    return v > 0 ? m / std::sqrt(v) * std::sqrt(periods_per_year) : 0.0;
}

/// Bars per year of the session: crypto trades every day; a gold-only session its trading days.
double periods_per_year(const DashboardReadContext& c, const Shown& sh) {
    double days = 365;
    for (const auto& s : sh.symbols)
        if (auto in = c.instruments.find(s)) days = std::min(days, days_per_year(in->asset_class));
    return days * static_cast<double>(kMsPerDay) / static_cast<double>(sh.tf);
}

std::vector<double> returns_of(const std::vector<std::pair<TimeMs, double>>& eq, double start) {
    std::vector<double> r;
    r.reserve(eq.size());
    double prev = start;
    for (const auto& [t, e] : eq) {
        r.push_back(prev > 0 ? e / prev - 1 : 0.0);
        prev = e;
    }
    return r;
}

json q_overview(const DashboardReadContext& c) {
    auto sh = shown(c.store);
    const json health = c.base("health", json::object());
    json failed = health.value("failures", json::array());
    if (!sh) {
        json j = empty_page(c);
        j.update({{"health", {{"ok", failed.empty()}, {"failed", failed}}},
                  {"positions", json::array()}, {"recent_trades", json::array()},
                  {"predictions", json::array()}});
        return j;
    }
    const json status = c.base("status", json::object());
    json summary = nullptr;
    try {
        summary = c.base("summary", json::object());
    } catch (const InputError&) {
        // config/risk.yaml broken and no daemon: the rest of the page still renders.
    }
    const auto rows = trade_rows(c, *sh);
    double wins = 0, realized = 0;
    for (const auto& r : rows) {
        wins += r.t.pnl > 0;
        realized += r.t.pnl;
    }
    DashboardCache local;
    const auto& eq = all_equity(c, *sh, local);
    const double sharpe = sharpe_of(returns_of(eq, sh->s.capital), periods_per_year(c, *sh));
    std::map<std::string, PredictionRecord> latest;
    json preds = json::array();
    for (const auto& p : c.store.latest_predictions(sh->s.id)) {
        latest[p.symbol] = p;
        const json pj = prediction_json(p);
        preds.push_back({{"symbol", p.symbol}, {"time", p.time}, {"direction", pj["direction"]},
                         {"probability", p.value}, {"confidence", pj["confidence"]},
                         {"model", pj["model"]}});
    }
    const double equity = status.value("equity", sh->equity());
    json positions = json::array();
    double unrealized = 0;
    for (const auto& p : c.store.positions(sh->s.id)) {
        const auto in = c.instruments.find(p.symbol);
        const double contract = in ? in->contract_size : 1.0;
        unrealized += p.unrealized;
        const auto lp = latest.find(p.symbol);
        positions.push_back(
            {{"symbol", p.symbol}, {"side", p.qty > 0 ? "long" : "short"},
             {"qty", std::fabs(p.qty) * contract},
             {"unit", in && !in->base.empty() ? in->base : p.symbol},
             {"entry_price", p.avg_price}, {"mark_price", p.mark}, {"unrealized", p.unrealized},
             {"pct_equity", equity > 0 ? std::fabs(p.qty * p.mark * contract) / equity : 0.0},
             {"entry_time", p.entry_time},
             {"confidence", lp == latest.end() ? json(nullptr)
                                               : json(std::fabs(2 * lp->second.value - 1))}});
    }
    std::vector<const Row*> last;
    for (auto it = rows.rbegin(); it != rows.rend() && last.size() < 10; ++it) last.push_back(&*it);
    const auto reasons = trade_reasons(c, *sh, last);
    json recent = json::array();
    for (std::size_t k = 0; k < last.size(); ++k) recent.push_back(row_json(*last[k], reasons[k]));
    const std::string state = status.value("trading_state", "ACTIVE");
    json halt = nullptr;
    if (auto kv = c.store.get_kv("risk_runtime"); kv && state != "ACTIVE") {
        halt = trading_state_json(RiskRuntime::from_json(*kv).state);
    }
    json j = stamp(c, *sh);
    j.update({{"mode", sh->s.mode},
              {"clock", sh->s.clock},
              {"strategy", sh->s.strategy},
              {"session_status", sh->s.status},
              {"state", state},
              {"state_text", status.value("trading_state_text", "")},
              {"halt", halt},
              {"capital", sh->s.capital},
              {"equity", equity},
              {"cash", status.value("cash", 0.0)},
              {"return_pct", status.value("return_pct", 0.0)},
              {"pnl",
               {{"realized", realized},
                {"unrealized", unrealized},
                {"today", summary.is_object() ? summary["pnl_today"] : json(nullptr)},
                {"week", summary.is_object() ? summary["pnl_week"] : json(nullptr)},
                {"total", equity - sh->s.capital}}},
              {"sharpe", sharpe},
              {"win_rate", rows.empty() ? json(nullptr) : json(wins / static_cast<double>(rows.size()))},
              {"trades", rows.size()},
              {"targets", {{"sharpe", kTargetSharpe}, {"win_rate", kTargetWinRate}}},
              {"positions", positions},
              {"recent_trades", recent},
              {"predictions", preds},
              {"health", {{"ok", failed.empty()}, {"failed", failed}}},
              {"stale", health.contains("data_feed") && health["data_feed"].value("stale", false)}});
    return j;
}

json q_equity(const DashboardReadContext& c, const Params& p) {
    const auto from = p.integer("from", INT64_MIN, INT64_MIN, INT64_MAX);
    const auto to = p.integer("to", INT64_MAX, INT64_MIN, INT64_MAX);
    // A chart is a few thousand pixels wide: longer ranges are thinned evenly (the last point
    // always kept, drawdown from every point); a narrower from/to gives full resolution.
    const auto max_points = p.integer("max_points", 3000, 10, 1000000);
    auto sh = shown(c.store);
    json j = sh ? stamp(c, *sh) : empty_page(c);
    json times = json::array(), equity = json::array(), dd = json::array();
    json bench = json::object();
    if (!sh) {
        j.update({{"capital", 0}, {"times", times}, {"equity", equity}, {"drawdown", dd},
                  {"benchmarks", bench}});
        return j;
    }
    // The running peak starts from the whole history so a zoomed window keeps true drawdowns.
    double peak = sh->s.capital;
    DashboardCache local;
    const auto& eq = all_equity(c, *sh, local);
    std::size_t first = 0, end = 0;
    for (const auto& [t, e] : eq) {
        if (t >= to) break;
        if (t < from) ++first;
        ++end;
    }
    const std::size_t n = end > first ? end - first : 0;
    const std::size_t stride = (n + static_cast<std::size_t>(max_points) - 1) / static_cast<std::size_t>(max_points);
    std::vector<TimeMs> ts;
    double worst = 0; // the deepest drawdown since the last kept point
    for (std::size_t k = 0; k < end; ++k) {
        const auto& [t, e] = eq[k];
        peak = std::max(peak, e);
        if (k < first) continue;
        worst = std::min(worst, peak > 0 ? e / peak - 1 : 0.0);
        if ((k - first) % std::max<std::size_t>(1, stride) != 0 && k + 1 != end) continue;
        ts.push_back(t);
        times.push_back(t);
        equity.push_back(e);
        dd.push_back(std::round(worst * 1e6) / 1e6);
        worst = 0;
    }
    for (const char* sym : {"BTC/USDT", "ETH/USDT"}) {
        if (ts.empty()) break;
        const BarSeries b = c.market.load_bars(sym, Timeframe(sh->tf), TimeRange{ts.front(), ts.back() + 1});
        if (b.empty()) continue;
        json v = json::array();
        std::size_t k = 0;
        double base = 0;
        for (TimeMs t : ts) {
            while (k < b.size() && b.time[k] < t) ++k;
            if (k < b.size() && b.time[k] == t) {
                if (base == 0) base = b.close[k];
                v.push_back(std::round(sh->s.capital * b.close[k] / base * 100) / 100);
            } else {
                v.push_back(nullptr);
            }
        }
        bench[sym] = v;
    }
    j.update({{"capital", sh->s.capital}, {"times", times}, {"equity", equity}, {"drawdown", dd},
              {"benchmarks", bench}});
    return j;
}

json q_predictions(const DashboardReadContext& c, const Params& p) {
    const std::string symbol = p.text("symbol");
    const auto limit = p.integer("limit", 500, 1, 100000);
    auto sh = shown(c.store);
    json j = sh ? stamp(c, *sh) : empty_page(c);
    json latest = json::array(), history = json::array(), calib = json::array();
    std::vector<int> n(10, 0), hits(10, 0);
    std::vector<double> psum(10, 0.0);
    if (sh) {
        for (const auto& pr : c.store.latest_predictions(sh->s.id))
            if (symbol.empty() || pr.symbol == symbol) latest.push_back(prediction_json(pr));
        std::map<std::string, std::vector<PredictionRecord>> by_symbol;
        for (auto& pr : c.store.predictions(sh->s.id))
            if (symbol.empty() || pr.symbol == symbol) by_symbol[pr.symbol].push_back(std::move(pr));
        std::vector<json> all;
        for (const auto& [sym, list] : by_symbol) {
            if (list.empty()) continue;
            // Outcome: the decided bar's next bar closed above the decided bar's close.
            const BarSeries b = c.market.load_bars(
                sym, Timeframe(sh->tf), TimeRange{list.front().time, list.back().time + 2 * sh->tf});
            std::size_t k = 0;
            for (const auto& pr : list) {
                while (k < b.size() && b.time[k] < pr.time) ++k;
                json outcome = nullptr;
                if (k + 1 < b.size() && b.time[k] == pr.time) {
                    const int up = b.close[k + 1] > b.close[k] ? 1 : 0;
                    outcome = up;
                    const auto bucket = std::min<std::size_t>(9, static_cast<std::size_t>(pr.value * 10));
                    ++n[bucket];
                    hits[bucket] += up;
                    psum[bucket] += pr.value;
                }
                all.push_back({{"time", pr.time}, {"symbol", pr.symbol},
                               {"probability", pr.value}, {"outcome", outcome}});
            }
        }
        std::sort(all.begin(), all.end(),
                  [](const json& a, const json& b) { return a["time"] < b["time"]; });
        const std::size_t start = all.size() > static_cast<std::size_t>(limit)
                                      ? all.size() - static_cast<std::size_t>(limit) : 0;
        for (std::size_t k = start; k < all.size(); ++k) history.push_back(std::move(all[k]));
    }
    for (int b = 0; b < 10; ++b)
        calib.push_back({{"lo", b / 10.0}, {"hi", (b + 1) / 10.0}, {"n", n[b]},
                         {"hit_rate", n[b] ? json(static_cast<double>(hits[b]) / n[b]) : json(nullptr)},
                         {"mean_probability", n[b] ? json(psum[b] / n[b]) : json(nullptr)}});
    j.update({{"latest", latest}, {"calibration", calib}, {"history", history}});
    return j;
}

/// The protective stop orders of `symbol` live in [first, end): each a segment from the bar it
/// was placed in to the next stop of the same trade, the trade's exit, or `end` while it is live.
json stop_lines(const DashboardReadContext& c, const Shown& sh, const std::vector<Row>& rows,
                const std::string& symbol, TimeMs first, TimeMs end) {
    const std::vector<OrderRecord> placed = c.store.stop_orders(sh.s.id, symbol, end);
    std::vector<const Row*> mine;
    for (const auto& r : rows)
        if (r.t.symbol == symbol) mine.push_back(&r);
    json out = json::array();
    for (std::size_t k = 0; k < placed.size(); ++k) {
        const OrderRecord& o = placed[k];
        const Row* trade = nullptr;
        for (const Row* r : mine)
            if (r->t.entry_time <= o.bar_time && o.bar_time <= r->t.exit_time) trade = r;
        const bool live = o.status == "new" || o.status == "sent" || o.status == "partial";
        TimeMs to = trade ? trade->t.exit_time : (live ? end : o.bar_time);
        if (k + 1 < placed.size() && placed[k + 1].bar_time < to) to = placed[k + 1].bar_time;
        if (to < first || o.bar_time >= end) continue;
        out.push_back({{"price", o.stop_price}, {"from", o.bar_time}, {"to", to},
                       {"side", o.side}, {"qty", o.qty}, {"status", o.status},
                       {"trade_id", trade ? json(trade->id) : json(nullptr)}});
    }
    return out;
}

json q_candles(const DashboardReadContext& c, const Params& p) {
    if (!p.has("symbol")) throw InputError("parameter 'symbol' is required (e.g. BTC/USDT)");
    const std::string symbol = normalize_symbol(p.text("symbol"));
    auto sh = shown(c.store);
    const std::string tf_text = p.text("timeframe", sh ? sh->s.timeframe : "4h");
    const auto tf = Timeframe::parse(tf_text);
    if (!tf) throw InputError("parameter 'timeframe' must be a timeframe such as 1h or 4h, got '" + tf_text + "'");
    const auto from = p.integer("from", INT64_MIN, INT64_MIN, INT64_MAX);
    const auto to = p.integer("to", INT64_MAX, INT64_MIN, INT64_MAX);
    const auto limit = p.integer("limit", 1000, 1, 20000);
    BarSeries b;
    if (from == INT64_MIN && c.market.last_bar_time(symbol, *tf)) {
        // The newest `limit` bars without reading the whole history.
        const TimeMs last = std::min<TimeMs>(*c.market.last_bar_time(symbol, *tf), to - 1);
        b = c.market.load_bars(symbol, *tf, TimeRange{last - (limit + 2) * tf->ms(), to});
    } else {
        b = c.market.load_bars(symbol, *tf, TimeRange{from, to});
    }
    const std::size_t start = b.size() > static_cast<std::size_t>(limit) ? b.size() - static_cast<std::size_t>(limit) : 0;
    auto slice = [&](const std::vector<double>& v) {
        return json(std::vector<double>(v.begin() + static_cast<std::ptrdiff_t>(start), v.end()));
    };
    json j = sh ? stamp(c, *sh) : empty_page(c);
    const TimeMs first = start < b.size() ? b.time[start] : 0;
    const TimeMs end = b.empty() ? 0 : b.time.back() + tf->ms();
    json markers = json::array();
    json stops = json::array();
    if (sh && !b.empty()) {
        const auto rows = trade_rows(c, *sh);
        stops = stop_lines(c, *sh, rows, symbol, first, end);
        for (const auto& r : rows) {
            if (r.t.symbol != symbol) continue;
            const char* side = r.t.direction > 0 ? "long" : "short";
            if (r.t.entry_time >= first && r.t.entry_time < end)
                markers.push_back({{"time", r.t.entry_time}, {"kind", "entry"}, {"side", side},
                                   {"price", r.t.entry_price}, {"trade_id", r.id}});
            if (r.t.exit_time >= first && r.t.exit_time < end)
                markers.push_back({{"time", r.t.exit_time}, {"kind", "exit"}, {"side", side},
                                   {"price", r.t.exit_price}, {"trade_id", r.id}});
        }
        std::sort(markers.begin(), markers.end(),
                  [](const json& a, const json& b) { return a["time"] < b["time"]; });
    }
    j.update({{"symbol", symbol},
              {"timeframe", tf->name()},
              {"time", std::vector<TimeMs>(b.time.begin() + static_cast<std::ptrdiff_t>(start), b.time.end())},
              {"open", slice(b.open)},
              {"high", slice(b.high)},
              {"low", slice(b.low)},
              {"close", slice(b.close)},
              {"volume", slice(b.volume)},
              {"markers", markers},
              {"stops", stops}});
    return j;
}

/// Pearson correlation of the symbols' bar returns over the last `window` bars up to `until`.
json correlation_matrix(const DashboardReadContext& c, const std::vector<std::string>& symbols,
                        TimeMs tf, TimeMs until, int window) {
    std::vector<std::map<TimeMs, double>> rets(symbols.size());
    for (std::size_t i = 0; i < symbols.size(); ++i) {
        const BarSeries b = c.market.load_bars(symbols[i], Timeframe(tf),
                                               TimeRange{until - (window + 2) * tf, until});
        for (std::size_t k = 1; k < b.size(); ++k)
            if (b.close[k - 1] > 0) rets[i][b.time[k]] = b.close[k] / b.close[k - 1] - 1;
    }
    json m = json::array();
    for (std::size_t i = 0; i < symbols.size(); ++i) {
        json row = json::array();
        for (std::size_t j = 0; j < symbols.size(); ++j) {
            if (i == j) {
                row.push_back(1.0);
                continue;
            }
            double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, nn = 0;
            for (const auto& [t, a] : rets[i]) {
                const auto it = rets[j].find(t);
                if (it == rets[j].end()) continue;
                const double b = it->second;
                sa += a, sb += b, saa += a * a, sbb += b * b, sab += a * b, nn += 1;
            }
            const double va = saa - sa * sa / nn, vb = sbb - sb * sb / nn;
            row.push_back(nn >= 3 && va > 0 && vb > 0 ? json((sab - sa * sb / nn) / std::sqrt(va * vb))
                                                      : json(nullptr));
        }
        m.push_back(row);
    }
    return json{{"symbols", symbols}, {"matrix", m}, {"window", window}};
}

json breaker(const std::string& name, double value, double limit, const char* unit = "fraction") {
    return json{{"name", name},
                {"value", value},
                {"limit", limit},
                {"pct_used", limit > 0 ? std::max(0.0, value) / limit * 100.0 : 0.0},
                {"tripped", limit > 0 && value >= limit},
                {"unit", unit}};
}

json q_risk(const DashboardReadContext& c) {
    json base = c.base("risk", json::object());
    auto sh = shown(c.store);
    json j = sh ? stamp(c, *sh) : empty_page(c);
    j.update(base);
    RiskLimits limits;
    const json limit_text = base.value("limits", json::object());
    for (const auto& [k, v] : limit_text.items()) {
        try {
            set_risk_limit(limits, k, v.get<std::string>());
        } catch (const InputError&) {
            // Shown as text only (a duration such as "1d 0h 0m"); no gauge needs it.
        }
    }
    RiskRuntime rt;
    if (auto kv = c.store.get_kv("risk_runtime")) rt = RiskRuntime::from_json(*kv);
    const double equity = sh ? sh->equity() : 0.0;
    double gross = 0, max_pos = 0;
    json positions = json::array();
    if (sh)
        for (const auto& p : c.store.positions(sh->s.id)) {
            const auto in = c.instruments.find(p.symbol);
            const double notional = std::fabs(p.qty * p.mark * (in ? in->contract_size : 1.0));
            gross += notional;
            max_pos = std::max(max_pos, equity > 0 ? notional / equity : 0.0);
            positions.push_back({{"symbol", p.symbol}, {"notional", notional},
                                 {"pct_equity", equity > 0 ? notional / equity : 0.0}});
        }
    const double heat = equity > 0 ? gross / equity : 0.0;
    json breakers = json::array();
    const double day_start = rt.day_start_equity > 0 ? rt.day_start_equity : equity;
    breakers.push_back(breaker("daily_loss", day_start > 0 ? 1 - equity / day_start : 0.0,
                               limits.daily_loss_limit));
    const double peak = std::max(rt.peak_equity, equity);
    breakers.push_back(breaker("drawdown", peak > 0 ? 1 - equity / peak : 0.0, limits.max_drawdown));
    breakers.push_back(breaker("portfolio_heat", heat, limits.max_portfolio_heat));
    breakers.push_back(breaker("max_position", max_pos, limits.max_position));
    breakers.push_back(breaker("leverage", heat, limits.max_leverage));
    for (const auto& [sym, st] : rt.symbols)
        breakers.push_back(breaker("loss_streak:" + sym, st.losing_streak, limits.loss_streak, "count"));
    j.update({{"equity", equity},
              {"heat", heat},
              {"leverage", heat},
              {"positions", positions},
              {"correlation", sh ? correlation_matrix(c, sh->symbols, sh->tf, sh->data_time(),
                                                      limits.correlation_window)
                                 : json{{"symbols", json::array()}, {"matrix", json::array()},
                                        {"window", limits.correlation_window}}},
              {"breakers", breakers}});
    return j;
}

/// The last `n` lines of today's log as {time, level, text}.
json log_tail(const DashboardReadContext& c, std::size_t n) {
    std::ifstream in(daily_log_file(c.ws.logs_dir(), c.wall_now), std::ios::binary);
    // Only the end of a day's log (it may be megabytes): the last 64 KiB hold the tail.
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    constexpr std::streamoff kTail = 64 * 1024;
    in.seekg(size > kTail ? size - kTail : 0);
    std::deque<std::string> lines;
    if (size > kTail) {
        std::string partial;
        std::getline(in, partial); // a cut line
    }
    for (std::string line; std::getline(in, line);) {
        lines.push_back(std::move(line));
        if (lines.size() > n) lines.pop_front();
    }
    json out = json::array();
    for (const auto& l : lines) {
        // "2024-01-02 03:04:05.678 UTC WARNING text"
        const auto utc = l.find(" UTC ");
        if (utc == std::string::npos) {
            out.push_back({{"time", nullptr}, {"level", ""}, {"text", l}});
            continue;
        }
        const auto sp = l.find(' ', utc + 5);
        const auto t = parse_time(l.substr(0, std::min<std::size_t>(utc, 19)));
        out.push_back({{"time", t ? json(*t) : json(nullptr)},
                       {"level", l.substr(utc + 5, sp == std::string::npos ? std::string::npos : sp - utc - 5)},
                       {"text", sp == std::string::npos ? "" : l.substr(sp + 1)}});
    }
    return out;
}

json q_health(const DashboardReadContext& c) {
    json h = c.base("health", json::object());
    h["as_of"] = c.wall_now;
    const json& d = h["daemon"];
    h["uptime_s"] = d.value("running", false) ? d.value("uptime_ms", 0) / 1000 : 0;
    json jobs = json::array();
    try {
        for (const auto& job : load_live_config(c.ws.config_file("live.yaml")).jobs)
            jobs.push_back({{"name", job.name},
                            {"next_run", d.value("running", false) ? json(job.next_after(c.wall_now))
                                                                   : json(nullptr)}});
    } catch (const InputError& e) {
        h["jobs_error"] = e.what();
    }
    h["jobs"] = jobs;
    json data = json::array();
    if (auto sh = shown(c.store)) {
        h["data_time"] = sh->data_time();
        for (const auto& s : sh->symbols) {
            const auto last = c.market.last_bar_time(s, Timeframe(sh->tf));
            // A replay's "now" is its own clock; real time is the wall clock.
            const TimeMs now = sh->s.clock == "replay" ? sh->data_time() : c.wall_now;
            const TimeMs age = last ? now - (*last + sh->tf) : -1;
            data.push_back({{"symbol", s}, {"timeframe", sh->s.timeframe},
                            {"last_bar", last ? json(*last) : json(nullptr)},
                            {"age_s", last ? json(age / 1000) : json(nullptr)},
                            {"stale", !last || (sh->s.clock == "realtime" && age > 2 * sh->tf)}});
        }
    }
    h["data"] = data;
    h["models"] = h.contains("model") ? h["model"].value("models", json::array()) : json::array();
    std::uintmax_t bytes = 0;
    std::error_code ec;
    for (const char* f : {"aurum.db", "aurum.db-wal"}) {
        const auto sz = std::filesystem::file_size(c.ws.data_dir() / f, ec);
        if (!ec) bytes += sz;
    }
    h["db_bytes"] = bytes;
    h["log_tail"] = log_tail(c, 100);
    return h;
}

json q_performance(const DashboardReadContext& c) {
    auto sh = shown(c.store);
    json j = sh ? stamp(c, *sh) : empty_page(c);
    json rs_t = json::array(), rs_v = json::array(), by_asset = json::array();
    json monthly = json::array(), best = json::array(), worst = json::array();
    json edges = json::array(), counts = json::array();
    double sharpe = 0, gw = 0, gl = 0, nw = 0, nl = 0;
    std::size_t ntrades = 0;
    if (sh) {
        DashboardCache local;
        const auto& eq = all_equity(c, *sh, local);
        const auto rets = returns_of(eq, sh->s.capital);
        const double ppy = periods_per_year(c, *sh);
        sharpe = sharpe_of(rets, ppy);
        // Rolling 30-day Sharpe from running sums; at most ~1000 points are sent.
        const std::size_t w = std::max<std::size_t>(2, static_cast<std::size_t>(30 * kMsPerDay / sh->tf));
        const std::size_t stride = std::max<std::size_t>(1, rets.size() / 1000);
        double s1 = 0, s2 = 0;
        for (std::size_t k = 0; k < rets.size(); ++k) {
            s1 += rets[k], s2 += rets[k] * rets[k];
            if (k >= w) s1 -= rets[k - w], s2 -= rets[k - w] * rets[k - w];
            if (k + 1 < w || (rets.size() - 1 - k) % stride != 0) continue;
            const double m = s1 / static_cast<double>(w);
            const double v = (s2 - s1 * m) / static_cast<double>(w - 1);
            rs_t.push_back(eq[k].first);
            rs_v.push_back(v > 1e-18 ? m / std::sqrt(v) * std::sqrt(ppy) : 0.0);
        }
        // Monthly returns from month-end equity.
        double prev = sh->s.capital;
        for (std::size_t k = 0; k < eq.size(); ++k) {
            const auto ym = year_month(eq[k].first);
            if (k + 1 < eq.size() && year_month(eq[k + 1].first) == ym) continue;
            monthly.push_back({{"year", ym.first},
                               {"month", ym.second},
                               {"return", prev > 0 ? eq[k].second / prev - 1 : 0.0}});
            prev = eq[k].second;
        }
        auto rows = trade_rows(c, *sh);
        ntrades = rows.size();
        std::map<std::string, std::vector<const Row*>> per;
        double lo = 0, hi = 0;
        for (const auto& r : rows) {
            per[r.t.symbol].push_back(&r);
            if (r.t.pnl > 0) gw += r.t.pnl, ++nw;
            else gl -= r.t.pnl, ++nl;
            lo = std::min(lo, r.pnl_pct());
            hi = std::max(hi, r.pnl_pct());
        }
        const TimeMs span = eq.empty() ? 0 : eq.back().first - eq.front().first + sh->tf;
        for (const auto& [sym, list] : per) {
            const auto in = c.instruments.find(sym);
            const AssetClass ac = in ? in->asset_class : AssetClass::CryptoSpot;
            const double dpy = days_per_year(ac);
            double pnl = 0, w = 0, l = 0, wins = 0;
            for (const Row* r : list) {
                pnl += r->t.pnl;
                if (r->t.pnl > 0) w += r->t.pnl, ++wins;
                else l -= r->t.pnl;
            }
            // The days this asset could trade in the span: every day for crypto, its trading
            // days for gold; the return per such day compounds over `dpy` of them.
            const double days = static_cast<double>(span) / kMsPerDay * dpy / 365.0;
            const double total = sh->s.capital > 0 ? pnl / sh->s.capital : 0.0;
            by_asset.push_back({{"symbol", sym},
                                {"asset_class", to_string(ac)},
                                {"trades", list.size()},
                                {"win_rate", wins / static_cast<double>(list.size())},
                                {"pnl", pnl},
                                {"profit_factor", l > 0 ? json(w / l) : json(nullptr)},
                                {"annualised_return",
                                 days > 0 && total > -1 ? std::pow(1 + total, dpy / days) - 1 : 0.0},
                                {"days_per_year", dpy}});
        }
        auto by_pnl = rows;
        std::sort(by_pnl.begin(), by_pnl.end(),
                  [](const Row& a, const Row& b) { return a.t.pnl > b.t.pnl; });
        for (std::size_t k = 0; k < by_pnl.size() && k < 5; ++k) {
            best.push_back(row_json(by_pnl[k], ""));
            worst.push_back(row_json(by_pnl[by_pnl.size() - 1 - k], ""));
        }
        constexpr int kBins = 20;
        if (hi <= lo) hi = lo + 1e-9;
        std::vector<int> hist(kBins, 0);
        for (const auto& r : rows)
            ++hist[std::min(kBins - 1, static_cast<int>((r.pnl_pct() - lo) / (hi - lo) * kBins))];
        for (int k = 0; k <= kBins; ++k) edges.push_back(lo + (hi - lo) * k / kBins);
        counts = hist;
        if (rows.empty()) edges = json::array(), counts = json::array();
    }
    j.update({{"rolling_sharpe", {{"times", rs_t}, {"values", rs_v}, {"window_days", 30}}},
              {"sharpe", sharpe},
              {"trades", ntrades},
              {"win_rate", ntrades ? json(nw / static_cast<double>(ntrades)) : json(nullptr)},
              {"profit_factor", gl > 0 ? json(gw / gl) : json(nullptr)},
              {"avg_win", nw > 0 ? gw / nw : 0.0},
              {"avg_loss", nl > 0 ? -gl / nl : 0.0},
              {"by_asset", by_asset},
              {"best", best},
              {"worst", worst},
              {"monthly", monthly},
              {"distribution", {{"edges", edges}, {"counts", counts}}}});
    return j;
}

json q_signals(const DashboardReadContext& c, const Params& p) {
    const std::string status = p.one_of("status", "all", {"all", "pending", "approved", "rejected",
                                                          "expired", "executed", "refused"});
    json out = json::array();
    for (const auto& s : c.base("signals", json{{"status", status}})) {
        const double q = s.value("quantity", 0.0);
        out.push_back({{"id", s["id"]}, {"symbol", s["symbol"]}, {"side", q > 0 ? "long" : "short"},
                       {"quantity", std::fabs(q)}, {"price", s["price"]}, {"probability", nullptr},
                       {"created", s["time"]}, {"expires", s["expires_at"]},
                       {"status", s["status"]}, {"note", s["note"]},
                       {"decision_reason", s["decision_reason"]}});
    }
    return json{{"as_of", c.wall_now}, {"signals", out}};
}

json q_audit(const DashboardReadContext& c, const Params& p) {
    const auto limit = p.integer("limit", 100, 1, 1000);
    json out = json::array();
    for (const auto& a : c.store.audit_log(static_cast<int>(limit))) {
        json args = json::parse(a.details, nullptr, false);
        std::string source = "cli";
        if (args.is_object() && args.contains("source") && args["source"].is_string()) {
            source = args["source"].get<std::string>();
            args.erase("source");
        }
        if (args.is_discarded()) args = a.details;
        out.push_back({{"time", a.time}, {"who", source}, {"source", source},
                       {"command", a.action}, {"reason", a.reason}, {"args", args},
                       {"outcome", a.result}});
    }
    return json{{"as_of", c.wall_now}, {"entries", out}};
}

} // namespace

json prediction_json(const PredictionRecord& p) {
    const json d = json::parse(p.detail, nullptr, false);
    const auto get = [&](const char* k, json def) {
        return d.is_object() && d.contains(k) ? d.at(k) : def;
    };
    json top = json::array();
    for (const auto& f : get("top", json::array()))
        top.push_back({{"name", f.value("feature", "")}, {"value", f.value("value", 0.0)}});
    const double signal = get("signal", 0.0).get<double>();
    json members = json::array();
    for (const auto& m : get("members", json::array())) {
        const double mp = m.value("p", 0.5);
        members.push_back({{"model", m.value("model", "")},
                           {"probability", mp},
                           {"vote", mp >= 0.5 ? "up" : "down"},
                           {"weight", m.value("weight", 0.0)}});
    }
    json out{{"symbol", p.symbol},
                {"time", p.time},
                {"model", get("model", "")},
                {"probability", p.value},
                {"confidence", std::fabs(2 * p.value - 1)},
                {"direction", signal > 0 ? "up" : signal < 0 ? "down" : "flat"},
                {"signal", signal},
                {"expected_value", get("ev", 0.0)},
                {"reason", get("reason", "")},
                {"contributions", get("contributions", "importance")},
                {"top_features", top},
                {"members", members},
                {"agreement", get("agreement", nullptr)}};
    if (get("kind", "") == "rl") { // an rl agent's decision: its target and level, not a P(up)
        out["kind"] = "rl";
        for (const char* k : {"agent", "target", "level", "allocation", "regime"})
            if (d.contains(k)) out[k] = d.at(k);
    }
    return out;
}

json dashboard_query(const std::string& name, const json& params, const DashboardReadContext& c) {
    const Params p{params};
    if (name == "overview") return q_overview(c);
    if (name == "equity") return q_equity(c, p);
    if (name == "predictions") return q_predictions(c, p);
    if (name == "trades") return q_trades(c, p);
    if (name == "trade") return q_trade(c, p.text("id"));
    if (name == "candles") return q_candles(c, p);
    if (name == "risk") return q_risk(c);
    if (name == "health") return q_health(c);
    if (name == "performance") return q_performance(c);
    if (name == "signals") return q_signals(c, p);
    if (name == "audit") return q_audit(c, p);
    throw NotFoundError("no dashboard query '" + name + "'");
}

} // namespace aurum
