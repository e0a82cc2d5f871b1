#include "live/divergence.hpp"

#include <cmath>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/timeframe.hpp"
#include "live/daemon_app.hpp"
#include "live/live_session.hpp"
#include "live/session_strategy.hpp"

namespace aurum {

using nlohmann::json;

namespace {

/// `aurum run`'s flags for a session: its record's settings (strategy text "sma-cross fast=10
/// slow=30 fraction=0.3"), replaying its bars.
RunFlags flags_of(const SessionRecord& s, TimeMs to, bool approval) {
    RunFlags f;
    f.mode = "paper";
    f.capital = s.capital;
    f.symbols = s.symbols;
    f.timeframe = s.timeframe;
    std::istringstream words(s.strategy);
    words >> f.strategy;
    for (std::string w; words >> w;) {
        const auto eq = w.find('=');
        if (eq == std::string::npos) continue; // a model's name/version: live.yaml selects it
        if (w.compare(0, eq, "fraction") == 0) f.fraction = std::stod(w.substr(eq + 1));
        else if (w.compare(0, eq, "kind") != 0) f.params.push_back(w);
    }
    f.replay_from = format_iso(s.trade_from);
    f.replay_to = format_iso(to);
    f.approval = approval;
    return f;
}

struct ClosedTrade {
    std::string symbol;
    int direction = 1;
    TimeMs entry = 0, exit = 0;
    double qty = 0, entry_price = 0, exit_price = 0, pnl = 0;
    std::string text() const {
        return fmt::format("{} {:.6g} {} -> {} @ {:.2f} -> {:.2f}, net {:+.2f}",
                           direction > 0 ? "LONG" : "SHORT", qty, format_time(entry),
                           format_time(exit), entry_price, exit_price, pnl);
    }
};

/// What in the session's journal explains a difference around [from, to]: the latest manual
/// command, non-strategy order or human signal decision before `to`.
std::string reason_for(const std::vector<CommandRecord>& commands, const std::vector<OrderRecord>& orders,
                       const std::vector<SignalRecord>& signals, const std::string& symbol, TimeMs from,
                       TimeMs to, TimeMs first_difference) {
    // A position taken by hand stays out of the strategy's hands until it is closed: the latest
    // such order on the symbol before the difference explains it.
    const OrderRecord* by_hand = nullptr;
    for (const auto& o : orders)
        if (o.symbol == symbol && o.source != "strategy" && o.bar_time <= to) by_hand = &o;
    if (by_hand)
        return fmt::format("{} order {} {} at {} (not from the strategy)", by_hand->source,
                           by_hand->side, format_qty(by_hand->filled_qty),
                           format_time(by_hand->bar_time));
    for (const auto& s : signals)
        if (s.symbol == symbol && s.time >= from - 1 && s.time <= to &&
            (s.status == "rejected" || s.status == "expired"))
            return fmt::format("signal #{} {} ({})", s.id, s.status, s.decision_reason);
    const CommandRecord* last = nullptr;
    for (const auto& c : commands)
        if (c.after_bar <= to) last = &c;
    if (last) {
        const json p = json::parse(last->payload, nullptr, false);
        const std::string why = p.is_object() ? p.value("reason", std::string()) : std::string();
        return fmt::format("{} at {}{} (the replay has no manual command)", last->kind,
                           format_time(last->after_bar), why.empty() ? "" : ": " + why);
    }
    if (first_difference < from)
        return "equity diverged at " + format_time(first_difference) +
               ", so sizes and risk checks differ after it";
    return std::string(kUnexplainedDifference) + ": the session ran with other settings (costs, "
           "risk limits or model changed since, or restarted with other options)";
}

} // namespace

DivergenceReport find_divergence(StateStore& store, MarketStore& market, const Workspace& ws,
                                 const InstrumentRegistry& instruments, const std::string& id) {
    std::optional<SessionRecord> s;
    if (!id.empty()) s = store.session(id);
    else if (auto a = store.get_kv("active_session")) s = store.session(*a);
    if (!s && id.empty()) s = store.latest_session();
    if (!s) throw InputError(id.empty() ? "no trading session yet" : "--session: no session '" + id + "' in the database");
    const auto snap = store.snapshot(s->id).value_or(SessionSnapshot{});
    const TimeMs tf = Timeframe::parse(s->timeframe).value_or(Timeframe(kMsPerHour)).ms();
    const TimeMs to = s->clock == "replay" ? s->replay_to : snap.last_bar + tf;
    if (to <= s->trade_from) throw InputError("session '" + s->id + "' has not traded a bar yet");
    const LiveFileConfig file = load_live_config(ws.config_file("live.yaml"));
    DivergenceReport rep;
    rep.session_id = s->id;
    LiveOptions o;
    for (bool approval : {false, true}) {
        o = resolve_run_options(ws, instruments, file, flags_of(*s, to, approval));
        if (o.session_id() == s->id) {
            rep.settings_confirmed = true;
            break;
        }
    }
    rep.note = rep.settings_confirmed
                   ? "options rebuilt from the session and config/live.yaml match the session id"
                   : "could not confirm the session's options (config/live.yaml costs changed "
                     "since it ran, or a real-time session): the replay uses today's";
    o.approval = false; // the strategy alone: human decisions show up as differences
    o.new_session = true;
    o.follow_registry = false; // the versions the session pinned, whatever production is now
    const RiskLimits limits = load_risk_limits(ws.config_file("risk.yaml").string());
    // The replay: the same engine stack in a scratch database, bars from the market store.
    auto scratch = open_database(":memory:");
    // A model session replays with the versions it pinned at its start, not today's production.
    if (auto pin = store.get_kv(session_models_key(s->id)))
        StateStore(*scratch).put_kv(session_models_key(o.session_id()), *pin);
    spdlog::level::level_enum was = spdlog::get_level();
    spdlog::set_level(spdlog::level::err); // the replay's risk notes are the session's, not news
    std::vector<ClosedTrade> replay;
    {
        LiveSession r(*scratch, market, o, limits, instruments, ws.config_file("risk.yaml"));
        r.open(0, false, "");
        for (int n = 0; r.step(n) != LiveSession::StepResult::Finished; ++n) {}
        for (const auto& t : r.portfolio().trades())
            replay.push_back({r.portfolio().instrument(t.instrument).symbol, t.direction, t.entry_time,
                              t.exit_time, t.qty, t.entry_price, t.exit_price, t.net_pnl()});
    }
    spdlog::set_level(was);
    std::vector<ClosedTrade> actual;
    for (const auto& t : store.trades(s->id))
        actual.push_back({t.symbol, t.direction, t.entry_time, t.exit_time, t.qty, t.entry_price,
                          t.exit_price, t.pnl});
    rep.session_trades = actual.size();
    rep.replay_trades = replay.size();
    const auto commands = store.commands(s->id);
    const auto orders = store.orders(s->id);
    std::vector<SignalRecord> signals;
    for (auto& x : store.signals("all", 1 << 30))
        if (x.session_id == s->id) signals.push_back(std::move(x));
    // Match by symbol, side and entry bar; the same entry with another exit or size differs too.
    std::map<std::tuple<std::string, int, TimeMs>, const ClosedTrade*> by;
    for (const auto& t : replay) by[{t.symbol, t.direction, t.entry}] = &t;
    std::vector<std::pair<const ClosedTrade*, const ClosedTrade*>> diffs; // (session, replay)
    std::map<std::tuple<std::string, int, TimeMs>, bool> used;
    for (const auto& t : actual) {
        auto it = by.find({t.symbol, t.direction, t.entry});
        if (it == by.end()) {
            diffs.emplace_back(&t, nullptr);
            continue;
        }
        used[it->first] = true;
        const ClosedTrade& r = *it->second;
        if (r.exit == t.exit && std::fabs(r.qty - t.qty) <= 1e-9 * std::max(1.0, t.qty) &&
            std::fabs(r.pnl - t.pnl) <= 1e-6 * std::max(1.0, std::fabs(t.pnl)))
            ++rep.matched;
        else
            diffs.emplace_back(&t, &r);
    }
    for (const auto& t : replay)
        if (!used.count({t.symbol, t.direction, t.entry})) diffs.emplace_back(nullptr, &t);
    std::sort(diffs.begin(), diffs.end(), [](const auto& a, const auto& b) {
        const TimeMs ta = a.first ? a.first->entry : a.second->entry;
        const TimeMs tb = b.first ? b.first->entry : b.second->entry;
        return ta < tb;
    });
    const TimeMs first = diffs.empty() ? INT64_MAX
                                       : (diffs.front().first ? diffs.front().first->entry
                                                              : diffs.front().second->entry);
    for (const auto& [a, r] : diffs) {
        const ClosedTrade& any = a ? *a : *r;
        const TimeMs until = std::max(a ? a->exit : any.entry, r ? r->exit : any.entry);
        rep.differences.push_back({any.symbol, any.entry, a ? a->text() : "", r ? r->text() : "",
                                   reason_for(commands, orders, signals, any.symbol, any.entry - tf,
                                              until, first)});
    }
    return rep;
}

json DivergenceReport::to_json() const {
    json d = json::array();
    for (const auto& x : differences)
        d.push_back({{"symbol", x.symbol}, {"entry_time", x.entry_time},
                     {"session", x.session.empty() ? json(nullptr) : json(x.session)},
                     {"replay", x.replay.empty() ? json(nullptr) : json(x.replay)},
                     {"reason", x.reason}});
    return {{"session", session_id}, {"settings_confirmed", settings_confirmed}, {"note", note},
            {"session_trades", session_trades}, {"replay_trades", replay_trades},
            {"matched", matched}, {"differences", d}};
}

std::string DivergenceReport::to_text() const {
    std::string o = fmt::format("Session {} vs its clean replay: {} trades in the session, {} in the "
                                "replay, {} identical, {} different\n({})\n",
                                session_id, session_trades, replay_trades, matched,
                                differences.size(), note);
    for (const auto& x : differences)
        o += fmt::format("\n{} entry {}\n  session: {}\n  replay:  {}\n  reason:  {}\n", x.symbol,
                         format_time(x.entry_time), x.session.empty() ? "(no trade)" : x.session,
                         x.replay.empty() ? "(no trade)" : x.replay, x.reason);
    return o;
}

} // namespace aurum
