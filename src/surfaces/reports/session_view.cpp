#include "surfaces/reports/session_view.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/timeframe.hpp"

namespace aurum {

double SessionView::equity_at(TimeMs t) const {
    // Point k holds the equity at the close of the bar opening at equity[k].first.
    // (compared as p.first + tf > t: t may be INT64_MIN, "before everything")
    auto it = std::upper_bound(equity.begin(), equity.end(), t,
                               [this](TimeMs x, const auto& p) { return x < p.first + tf; });
    return it == equity.begin() ? session.capital : std::prev(it)->second;
}

TimeMs SessionView::first_day() const { return floor_to(session.trade_from, kMsPerDay); }

SessionView load_session_view(StateStore& store, const std::string& id, TimeMs wall_now) {
    std::optional<SessionRecord> current;
    if (auto active = store.get_kv("active_session")) current = store.session(*active);
    if (!current) current = store.latest_session();
    SessionView v;
    if (id.empty()) {
        if (!current)
            throw InputError("no trading session yet: start one with `aurum run --mode paper`");
        v.session = *current;
    } else {
        auto s = store.session(id);
        if (!s)
            throw InputError("--session: no session '" + id + "' in the database" +
                             (current ? " (the current one is '" + current->id + "')" : ""));
        v.session = *s;
    }
    v.is_current = current && current->id == v.session.id;
    v.snapshot = store.snapshot(v.session.id).value_or(SessionSnapshot{});
    v.tf = Timeframe::parse(v.session.timeframe).value_or(Timeframe(kMsPerHour)).ms();
    v.now = v.session.clock == "replay"
                ? (v.snapshot.last_bar ? v.snapshot.last_bar + v.tf : v.session.trade_from)
                : wall_now;
    for (std::size_t a = 0; a <= v.session.symbols.size();) {
        const std::size_t b = std::min(v.session.symbols.find(',', a), v.session.symbols.size());
        if (b > a) v.symbols.push_back(v.session.symbols.substr(a, b - a));
        a = b + 1;
    }
    const std::string& sid = v.session.id;
    v.equity = store.equity(sid, INT64_MIN, INT64_MAX);
    v.orders = store.orders(sid);
    for (auto& r : store.reports(sid))
        if (r.kind == "fill") v.fills.push_back(std::move(r));
    v.trades = store.trades(sid);
    v.decisions = store.decisions(sid, 1 << 30);
    std::reverse(v.decisions.begin(), v.decisions.end());
    for (auto& s : store.signals("all", 1 << 30))
        if (s.session_id == sid) v.signals.push_back(std::move(s));
    std::reverse(v.signals.begin(), v.signals.end());
    v.predictions = store.predictions(sid);
    return v;
}

TimeMs resolve_report_day(const SessionView& v, const std::string& text, const std::string& flag) {
    if (text.empty()) return v.current_day();
    const auto t = parse_time(text);
    if (!t || floor_to(*t, kMsPerDay) != *t)
        throw InputError(flag + ": '" + text + "' is not a date (expected YYYY-MM-DD)");
    if (*t < v.first_day() || *t > v.current_day())
        throw InputError(flag + ": " + text + " is outside session '" + v.session.id +
                         "' (it covers " + format_date(v.first_day()) + " to " +
                         format_date(v.current_day()) + ")");
    return *t;
}

BacktestResult period_result(const SessionView& v, TimeMs from, TimeMs to,
                             const std::vector<Instrument>& instruments) {
    BacktestResult r;
    r.instruments = instruments;
    r.timeframe = Timeframe(v.tf);
    r.initial_capital = v.equity_at(from);
    for (const auto& [t, e] : v.equity) {
        if (t + v.tf <= from || t + v.tf > to) continue;
        r.curve.time.push_back(t);
        r.curve.equity.push_back(e);
        r.curve.cash.push_back(0);
        r.curve.exposure.push_back(0);
    }
    r.final_equity = r.curve.size() ? r.curve.equity.back() : r.initial_capital;
    for (const auto& t : v.trades) {
        if (t.exit_time < from || t.exit_time >= to) continue;
        Trade x;
        x.direction = t.direction;
        x.entry_time = t.entry_time;
        x.exit_time = t.exit_time;
        x.entry_step = static_cast<std::size_t>(t.entry_time / v.tf);
        x.exit_step = static_cast<std::size_t>(t.exit_time / v.tf);
        x.entry_price = t.entry_price;
        x.exit_price = t.exit_price;
        x.qty = t.qty;
        x.fees = t.fees;
        x.gross_pnl = t.pnl + t.fees;
        const double notional = std::fabs(t.entry_price * t.qty);
        x.return_pct = notional > 0 ? t.pnl / notional : 0;
        r.trades.push_back(x);
    }
    for (const auto& f : v.fills) {
        const TimeMs ft = f.time ? f.time : f.bar_time;
        if (ft < from || ft >= to) continue;
        r.fees += f.fee;
        r.spread_cost += f.spread_cost;
        r.slippage_cost += f.slippage_cost;
        r.traded_notional += std::fabs(f.qty * f.price);
        ++r.fills_count;
    }
    return r;
}

Metrics period_metrics(const SessionView& v, TimeMs from, TimeMs to,
                       const std::vector<Instrument>& instruments,
                       const std::vector<const BarSeries*>& data) {
    return compute_metrics(period_result(v, from, to, instruments), data);
}

std::vector<PositionAt> positions_at(const SessionView& v, TimeMs t) {
    std::map<std::string, PositionAt> pos;
    for (const auto& f : v.fills) {
        if ((f.time ? f.time : f.bar_time) >= t) continue;
        PositionAt& p = pos[f.symbol];
        p.symbol = f.symbol;
        const double d = f.side == "buy" ? f.qty : -f.qty;
        if (p.qty == 0 || (p.qty > 0) == (d > 0)) {
            p.avg_price = (p.avg_price * std::fabs(p.qty) + f.price * std::fabs(d)) /
                          (std::fabs(p.qty) + std::fabs(d));
        } else if (std::fabs(d) > std::fabs(p.qty)) {
            p.avg_price = f.price; // crossed through flat: the rest opens at this price
        }
        p.qty += d;
        if (std::fabs(p.qty) < 1e-12) p = PositionAt{f.symbol, 0, 0};
    }
    std::vector<PositionAt> out;
    for (auto& [_, p] : pos)
        if (p.qty != 0) out.push_back(p);
    return out;
}

} // namespace aurum
