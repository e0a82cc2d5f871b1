// aurum._core: the workspace read side (bars, features, labels, regimes, validation, the
// session's trades, risk decisions, predictions and audit log) and rule-strategy backtests.
// Links no model code, so `import aurum` never loads XGBoost or libtorch (see aurum._models).
#include <pybind11/stl.h>

#include "common.hpp"
#include "core/error.hpp"
#include "data/validation.hpp"
#include "features/feature_store.hpp"
#include "features/regimes.hpp"
#include "live/state_store.hpp"

namespace aurum::py {

namespace {

TimeRange range_of(const std::string& start, const std::string& end) {
    TimeRange r;
    auto when = [](const char* key, const std::string& text) {
        const auto t = parse_time(text);
        if (!t)
            throw InputError(std::string(key) + ": '" + text +
                             "' is not a date (use 2024-01-31 or 2024-01-31 12:00)");
        return *t;
    };
    if (!start.empty())
        r.from = when("start", start);
    if (!end.empty())
        r.to = when("end", end);
    return r;
}

std::string stored_series(MarketStore& store) {
    std::string have;
    for (const auto& s : store.list_series())
        have += (have.empty() ? "" : ", ") + s.symbol + " " + s.timeframe.name();
    return have.empty() ? "nothing" : have;
}

pyb::list series(WorkspaceHandle& ws) {
    pyb::list out;
    for (const auto& s : ws.store().list_series()) {
        pyb::dict d;
        d["symbol"] = s.symbol;
        d["timeframe"] = s.timeframe.name();
        d["first"] = s.first;
        d["last"] = s.last;
        d["bars"] = s.rows;
        out.append(d);
    }
    return out;
}

pyb::dict bars(WorkspaceHandle& ws, const std::string& symbol, const std::string& timeframe,
               const std::string& start, const std::string& end) {
    const std::string sym = normalize_symbol(symbol);
    const Timeframe tf = Timeframe::parse_or_throw(timeframe);
    const TimeRange range = range_of(start, end);
    BarSeries b;
    {
        pyb::gil_scoped_release nogil;
        b = ws.store().load_bars(sym, tf, range);
    }
    if (b.empty())
        throw InputError("no " + tf.name() + " bars for " + sym +
                         (range.from != INT64_MIN || range.to != INT64_MAX
                              ? " in the requested date range"
                              : "") +
                         " in the store (stored: " + stored_series(ws.store()) +
                         "); import them with `aurum data import`");
    pyb::dict d;
    d["symbol"] = b.symbol;
    d["timeframe"] = tf.name();
    d["time"] = to_numpy(std::move(b.time));
    d["open"] = to_numpy(std::move(b.open));
    d["high"] = to_numpy(std::move(b.high));
    d["low"] = to_numpy(std::move(b.low));
    d["close"] = to_numpy(std::move(b.close));
    d["volume"] = to_numpy(std::move(b.volume));
    if (b.has_spread_column)
        d["spread"] = to_numpy(std::move(b.spread));
    return d;
}

FeatureStore feature_store(WorkspaceHandle& ws) {
    return FeatureStore(ws.store().database(), ws.workspace().data_dir() / "features");
}

pyb::dict features(WorkspaceHandle& ws, const std::string& symbol, const std::string& timeframe,
                   const std::string& set_name) {
    auto m = std::make_shared<FeatureMatrix>();
    {
        pyb::gil_scoped_release nogil;
        *m = feature_store(ws).load(normalize_symbol(symbol), Timeframe::parse_or_throw(timeframe),
                                    set_name);
    }
    pyb::dict d;
    d["feature_set"] = m->feature_set_name;
    d["feature_set_id"] = m->feature_set_id;
    d["names"] = m->names;
    d["time"] = pyb::array_t<std::int64_t>(static_cast<pyb::ssize_t>(m->rows()), m->time.data());
    // Column-major storage is a Fortran-order (rows x cols) array: a view, no copy.
    auto* keep = new std::shared_ptr<FeatureMatrix>(m);
    pyb::capsule owner(keep, [](void* p) { delete static_cast<std::shared_ptr<FeatureMatrix>*>(p); });
    const auto rows = static_cast<pyb::ssize_t>(m->rows()), cols = static_cast<pyb::ssize_t>(m->cols());
    d["values"] = pyb::array_t<double>({rows, cols},
                                       {static_cast<pyb::ssize_t>(sizeof(double)),
                                        static_cast<pyb::ssize_t>(sizeof(double)) * rows},
                                       m->values.data(), owner);
    return d;
}

pyb::dict labels(WorkspaceHandle& ws, const std::string& symbol, const std::string& timeframe,
                 const std::string& method) {
    LabelSet l;
    {
        pyb::gil_scoped_release nogil;
        l = feature_store(ws).load_labels(normalize_symbol(symbol),
                                          Timeframe::parse_or_throw(timeframe), method);
    }
    pyb::dict d;
    d["method"] = to_string(l.method);
    d["params"] = l.params;
    d["time"] = to_numpy(std::move(l.time));
    d["t1"] = to_numpy(std::move(l.t1));
    d["label"] = to_numpy(std::move(l.label));
    d["ret"] = to_numpy(std::move(l.ret));
    d["barrier"] = to_numpy(std::move(l.barrier));
    d["side"] = to_numpy(std::move(l.side));
    return d;
}

pyb::dict regime_dict(std::vector<TimeMs> time, const std::vector<Regime>& regimes) {
    std::vector<std::uint8_t> codes(regimes.size());
    for (std::size_t k = 0; k < regimes.size(); ++k)
        codes[k] = static_cast<std::uint8_t>(regimes[k]);
    std::vector<std::string> names;
    for (int r = 0; r < kRegimeCount; ++r)
        names.push_back(to_string(static_cast<Regime>(r)));
    pyb::dict d;
    d["time"] = to_numpy(std::move(time));
    d["code"] = to_numpy(std::move(codes));
    d["names"] = names;
    return d;
}

pyb::dict stored_regimes(WorkspaceHandle& ws, const std::string& symbol,
                         const std::string& timeframe, const std::string& method) {
    const std::string sym = normalize_symbol(symbol);
    const Timeframe tf = Timeframe::parse_or_throw(timeframe);
    RegimeSeries r = load_regimes(ws.store().database(), sym, tf, method);
    if (r.time.empty())
        throw InputError("no stored " + method + " regimes for " + sym + " " + tf.name() +
                         "; build them with `aurum regimes build --symbol " + sym +
                         " --timeframe " + tf.name() + "`");
    return regime_dict(std::move(r.time), r.regime);
}

/// The features layer's classifiers run over stored bars (what `aurum regimes build` stores).
pyb::dict classify(WorkspaceHandle& ws, const std::string& symbol, const std::string& timeframe,
                   const std::string& method) {
    if (method != "percentile" && method != "hmm")
        throw InputError("method must be percentile or hmm (got '" + method + "')");
    const std::string sym = normalize_symbol(symbol);
    const BarSeries b = ws.store().load_bars(sym, Timeframe::parse_or_throw(timeframe));
    if (b.empty())
        throw InputError("no " + timeframe + " bars for " + sym +
                         " in the store (stored: " + stored_series(ws.store()) + ")");
    std::vector<Regime> r;
    {
        pyb::gil_scoped_release nogil;
        r = method == "hmm" ? hmm_regimes(b) : classify_regimes(b);
    }
    return regime_dict(b.time, r);
}

pyb::list validate(WorkspaceHandle& ws, const std::string& symbol, const std::string& timeframe) {
    const ValidationConfig cfg =
        ValidationConfig::load(ws.workspace().config_file("validation.yaml").string());
    const std::string sym = symbol.empty() ? "" : normalize_symbol(symbol);
    std::optional<Timeframe> tf;
    if (!timeframe.empty())
        tf = Timeframe::parse_or_throw(timeframe);
    std::vector<nlohmann::json> reports;
    for (const SeriesInfo& s : ws.store().list_series()) {
        if ((!sym.empty() && s.symbol != sym) || (tf && s.timeframe != *tf))
            continue;
        const Instrument inst = ws.instruments().find(s.symbol).value_or([&] {
            Instrument i; // an unknown non-pair symbol: validated as a 24/7 market (as the CLI)
            i.symbol = s.symbol;
            return i;
        }());
        pyb::gil_scoped_release nogil;
        reports.push_back(report_to_json(validate_series(ws.store().load_bars(s.symbol, s.timeframe),
                                                         inst, cfg)));
    }
    if (reports.empty())
        throw InputError("no stored bars for " + (sym.empty() ? std::string("any symbol") : sym) +
                         (tf ? " " + tf->name() : std::string()) +
                         " (stored: " + stored_series(ws.store()) + ")");
    pyb::list out;
    for (const auto& j : reports)
        out.append(to_python(j));
    return out;
}

pyb::list stored_matrices(WorkspaceHandle& ws) {
    pyb::list out;
    for (const auto& i : feature_store(ws).list()) {
        pyb::dict d;
        d["symbol"] = i.symbol;
        d["timeframe"] = i.timeframe.name();
        d["feature_set"] = i.set_name;
        d["feature_set_id"] = i.feature_set_id;
        d["rows"] = i.rows;
        d["columns"] = i.columns;
        out.append(d);
    }
    return out;
}

std::string session_id(StateStore& st, const std::string& id) {
    if (!id.empty()) {
        if (!st.session(id))
            throw InputError("no session '" + id + "' in the workspace");
        return id;
    }
    const auto s = st.latest_session();
    if (!s)
        throw InputError("no paper or live session in the workspace (start one with `aurum run`)");
    return s->id;
}

pyb::list sessions(WorkspaceHandle& ws) {
    StateStore st(ws.store().database());
    pyb::list out;
    for (const auto& row : st.db().query("SELECT id FROM live_sessions ORDER BY created_at")) {
        const auto s = st.session(row.as_string(0));
        pyb::dict d;
        d["id"] = s->id;
        d["mode"] = s->mode;
        d["symbols"] = s->symbols;
        d["timeframe"] = s->timeframe;
        d["capital"] = s->capital;
        d["strategy"] = s->strategy;
        d["status"] = s->status;
        d["created_at"] = s->created_at;
        out.append(d);
    }
    return out;
}

pyb::dict session_trades(WorkspaceHandle& ws, const std::string& id) {
    StateStore st(ws.store().database());
    const std::string sid = session_id(st, id);
    pyb::dict d;
    std::vector<std::string> symbol;
    std::vector<std::int64_t> direction, entry, exit;
    std::vector<double> entry_price, exit_price, qty, pnl, fees;
    for (const auto& t : st.trades(sid)) {
        symbol.push_back(t.symbol);
        direction.push_back(t.direction);
        entry.push_back(t.entry_time);
        exit.push_back(t.exit_time);
        entry_price.push_back(t.entry_price);
        exit_price.push_back(t.exit_price);
        qty.push_back(t.qty);
        pnl.push_back(t.pnl);
        fees.push_back(t.fees);
    }
    d["session"] = sid;
    d["symbol"] = symbol;
    d["direction"] = to_numpy(std::move(direction));
    d["entry_time"] = to_numpy(std::move(entry));
    d["exit_time"] = to_numpy(std::move(exit));
    d["entry_price"] = to_numpy(std::move(entry_price));
    d["exit_price"] = to_numpy(std::move(exit_price));
    d["qty"] = to_numpy(std::move(qty));
    d["pnl"] = to_numpy(std::move(pnl));
    d["fees"] = to_numpy(std::move(fees));
    return d;
}

pyb::list risk_decisions(WorkspaceHandle& ws, const std::string& id, int limit) {
    StateStore st(ws.store().database());
    pyb::list out;
    for (const auto& r : st.decisions(session_id(st, id), limit)) {
        pyb::dict d;
        d["time"] = r.time;
        d["symbol"] = r.symbol;
        d["source"] = r.source;
        d["verdict"] = r.verdict;
        d["requested"] = r.requested;
        d["approved"] = r.approved;
        d["rule"] = r.rule;
        d["reason"] = r.reason;
        out.append(d);
    }
    return out;
}

pyb::list session_predictions(WorkspaceHandle& ws, const std::string& id) {
    StateStore st(ws.store().database());
    pyb::list out;
    for (const auto& p : st.predictions(session_id(st, id))) {
        pyb::dict d;
        d["time"] = p.time;
        d["symbol"] = p.symbol;
        d["p_up"] = p.value;
        d["detail"] = p.detail.empty() ? pyb::object(pyb::none())
                                       : to_python(nlohmann::json::parse(p.detail, nullptr, false));
        out.append(d);
    }
    return out;
}

pyb::list audit_log(WorkspaceHandle& ws, int limit) {
    StateStore st(ws.store().database());
    pyb::list out;
    for (const auto& a : st.audit_log(limit)) {
        pyb::dict d;
        d["time"] = a.time;
        d["action"] = a.action;
        d["reason"] = a.reason;
        d["details"] = a.details;
        d["result"] = a.result;
        out.append(d);
    }
    return out;
}

} // namespace

} // namespace aurum::py

PYBIND11_MODULE(_core, m) {
    using namespace aurum::py;
    m.doc() = "Aurum Edge core: workspace data and rule-strategy backtests (see aurum/__init__.py)";
    register_errors();
    register_common(m);
    m.def("series", &series);
    m.def("bars", &bars);
    m.def("features", &features);
    m.def("labels", &labels);
    m.def("regimes", &stored_regimes);
    m.def("classify_regimes", &classify);
    m.def("validate", &validate);
    m.def("stored_matrices", &stored_matrices);
    m.def("sessions", &sessions);
    m.def("session_trades", &session_trades);
    m.def("risk_decisions", &risk_decisions);
    m.def("session_predictions", &session_predictions);
    m.def("audit_log", &audit_log);
    register_research_tasks(m);
    m.def("run_backtest", [](WorkspaceHandle& ws, const pybind11::dict& options) {
        return run_backtest(ws, backtest_request(ws, options), options);
    });
}
