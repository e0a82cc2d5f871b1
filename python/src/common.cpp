#include "common.hpp"

#include <cmath>
#include <filesystem>
#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_map>
#include <type_traits>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "backtest/costs.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "runtime/engine_stack.hpp"

namespace aurum::py {

namespace {

pyb::object error_class(const char* name) {
    return pyb::module_::import("aurum.errors").attr(name);
}

template <class T> T get(const pyb::dict& d, const char* key, T fallback) {
    if (!d.contains(key) || d[key].is_none())
        return fallback;
    try {
        return d[key].cast<T>();
    } catch (const pyb::cast_error&) {
        throw InputError(fmt::format("{}: expected a {}, got {}", key,
                                     std::is_same_v<T, std::string> ? "string" : "number",
                                     pyb::repr(d[key]).cast<std::string>()));
    }
}

TimeMs parse_date(const char* key, const std::string& text) {
    const auto t = parse_time(text);
    if (!t)
        throw InputError(std::string(key) + ": '" + text +
                         "' is not a date (use 2024-01-31 or 2024-01-31 12:00)");
    return *t;
}

} // namespace

void register_errors() {
    pyb::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p)
                std::rethrow_exception(p);
        } catch (const InputError& e) {
            PyErr_SetString(error_class("InputError").ptr(), e.what());
        } catch (const CheckFailed& e) {
            PyErr_SetString(error_class("CheckFailed").ptr(), e.what());
        } catch (const SystemError& e) {
            PyErr_SetString(error_class("SystemFailure").ptr(), e.what());
        } catch (const std::filesystem::filesystem_error& e) {
            PyErr_SetString(error_class("SystemFailure").ptr(), e.what());
        } catch (const InvariantError& e) {
            PyErr_SetString(error_class("InvariantError").ptr(), e.what());
        }
    });
}

pyb::object to_python(const nlohmann::json& j) {
    // Not cached in a static: a Python object must not outlive the interpreter.
    return pyb::module_::import("json").attr("loads")(j.dump());
}

namespace {

/// As the CLI opens it: the SQLite default creates the workspace's directories first.
std::unique_ptr<MarketStore> open_store(const Workspace& ws, const std::string& db,
                                        const std::string& spec) {
    if (db.empty())
        ws.ensure_dirs();
    return open_market_store(spec);
}

} // namespace

WorkspaceHandle::WorkspaceHandle(const std::string& home, const std::string& db)
    : ws_(home), db_spec_(db.empty() ? ws_.default_db() : db),
      store_(open_store(ws_, db, db_spec_)),
      instruments_(InstrumentRegistry::load(ws_.config_file("instruments.yaml").string())) {}

BacktestRequest backtest_request(WorkspaceHandle& ws, const pyb::dict& o) {
    BacktestRequest req;
    req.strategy.name = get<std::string>(o, "strategy", "sma-cross");
    if (o.contains("params") && !o["params"].is_none())
        req.strategy.params = o["params"].cast<std::map<std::string, double>>();
    if (o.contains("symbols") && !o["symbols"].is_none())
        req.symbols = o["symbols"].cast<std::vector<std::string>>();
    req.timeframe = Timeframe::parse_or_throw(get<std::string>(o, "timeframe", "1h"));
    const std::string start = get<std::string>(o, "start_date", "");
    const std::string end = get<std::string>(o, "end_date", "");
    if (!start.empty())
        req.range.from = parse_date("start_date", start);
    if (!end.empty())
        req.range.to = parse_date("end_date", end);

    const double fee = get<double>(o, "transaction_cost", 0.001);
    if (fee < 0)
        throw InputError("transaction_cost must be >= 0 (got " + std::to_string(fee) + ")");
    req.config.initial_capital = get<double>(o, "initial_capital", 10000);
    req.config.fill.fees.maker = get<double>(o, "maker_fee", fee);
    req.config.fill.fees.taker = get<double>(o, "taker_fee", fee);
    const std::string spread = get<std::string>(o, "spread", "");
    if (!spread.empty()) {
        req.config.fill.spread = parse_spread(spread);
        req.spread_set = true;
    }
    req.config.fill.slippage = parse_slippage(get<std::string>(o, "slippage", "0"));
    req.config.fill.latency_ms = get<long long>(o, "latency_ms", 0);
    req.config.fill.max_participation = get<double>(o, "participation", 0);
    const std::string intrabar = get<std::string>(o, "intrabar", "stop-first");
    if (intrabar == "stop-first")
        req.config.fill.intrabar = IntrabarPriority::StopFirst;
    else if (intrabar == "tp-first")
        req.config.fill.intrabar = IntrabarPriority::TakeProfitFirst;
    else
        throw InputError("intrabar must be stop-first or tp-first (got '" + intrabar + "')");
    req.config.allow_short = get<bool>(o, "allow_short", false);

    // Sizing exactly as `aurum backtest` labels it (the label is part of the run id).
    const double frac = get<double>(o, "position_size", 0);
    if (frac < 0)
        throw InputError("position_size must be positive (got " + std::to_string(frac) + ")");
    SizingConfig& sz = req.strategy.sizing;
    sz.mode = SizingConfig::Mode::EquityFraction;
    const double n = std::max<std::size_t>(1, req.symbols.size());
    sz.fraction = frac > 0 ? frac : 1.0 / n;
    req.sizing_label = fmt::format("fraction {:g} of equity", sz.fraction);

    req.regimes_csv = get<std::string>(o, "regimes", "");
    req.reports_root = ws.workspace().reports_dir() / "backtests";
    return req;
}

std::shared_ptr<BacktestRun> run_backtest(WorkspaceHandle& ws, BacktestRequest req,
                                          const pyb::dict& o) {
    // risk: None/"off" (the CLI's default), "" or True (the workspace's risk.yaml), or a file.
    std::string risk = "off";
    if (o.contains("risk") && !o["risk"].is_none()) {
        if (pyb::isinstance<pyb::bool_>(o["risk"]))
            risk = o["risk"].cast<bool>() ? "" : "off";
        else
            risk = get<std::string>(o, "risk", "off");
    }
    const SpecBacktestRunner runner(
        parse_risk_option("risk", risk, ws.workspace().config_file("risk.yaml").string()));
    req.runner = &runner;
    auto run = std::make_shared<BacktestRun>();
    {
        pyb::gil_scoped_release nogil;
        run->outcome = run_backtest_request(ws.store(), ws.instruments(), std::move(req));
    }
    return run;
}

namespace {

/// Why each position ended, as codes into kExitReasons: a stop-loss or take-profit order filled
/// on its exit bar, else the strategy's target changed ("signal"). One pass over the fills.
const std::vector<std::string> kExitReasons = {"signal", "stop_loss", "take_profit"};

std::vector<std::uint8_t> exit_reasons(const BacktestResult& r) {
    std::map<std::pair<InstrumentId, TimeMs>, OrderRole> bracket;
    for (const Fill& f : r.fills)
        if (f.role != OrderRole::Standalone)
            bracket[{f.instrument, f.time}] = f.role;
    std::vector<std::uint8_t> out;
    out.reserve(r.trades.size());
    for (const Trade& t : r.trades) {
        const auto it = bracket.find({t.instrument, t.exit_time});
        out.push_back(it == bracket.end() ? 0 : it->second == OrderRole::StopLoss ? 1 : 2);
    }
    return out;
}

/// Columns of the closed trades (trades.csv's, with string columns as codes + names so a
/// DataFrame of 100k trades is built without a Python string per row).
pyb::dict trade_columns(const BacktestRun& run) {
    const BacktestResult& r = run.outcome.result;
    const RegimeTimeline& regimes = run.outcome.regimes;
    const std::size_t n = r.trades.size();
    std::vector<std::int64_t> entry(n), exit(n), held(n);
    std::vector<std::int32_t> instrument(n), direction(n), regime(n);
    std::vector<double> entry_price(n), exit_price(n), qty(n), gross(n), fees(n), net(n), ret(n);
    std::vector<std::string> regime_names;
    std::unordered_map<std::string_view, std::int32_t> regime_code;
    for (std::size_t k = 0; k < n; ++k) {
        const Trade& t = r.trades[k];
        instrument[k] = static_cast<std::int32_t>(t.instrument);
        direction[k] = t.direction;
        entry[k] = t.entry_time;
        exit[k] = t.exit_time;
        held[k] = static_cast<std::int64_t>(t.exit_step - t.entry_step);
        entry_price[k] = t.entry_price;
        exit_price[k] = t.exit_price;
        qty[k] = t.qty;
        gross[k] = t.gross_pnl;
        fees[k] = t.fees;
        net[k] = t.net_pnl();
        ret[k] = t.return_pct;
        // The regime in force when the trade was entered, as trades.csv reports it
        // (RegimeTimeline::at without copying the label).
        static const std::string none;
        const auto pos = std::upper_bound(regimes.time.begin(), regimes.time.end(),
                                          t.entry_time - 1);
        const std::string& label = pos == regimes.time.begin()
                                       ? none
                                       : regimes.label[static_cast<std::size_t>(
                                             pos - regimes.time.begin() - 1)];
        auto [it, added] =
            regime_code.emplace(label, static_cast<std::int32_t>(regime_names.size()));
        if (added)
            regime_names.push_back(label);
        regime[k] = it->second;
    }
    pyb::dict d;
    std::vector<std::string> symbols;
    for (const auto& i : r.instruments)
        symbols.push_back(i.symbol);
    d["symbols"] = symbols;
    d["instrument"] = to_numpy(std::move(instrument));
    d["direction"] = to_numpy(std::move(direction));
    d["entry_time"] = to_numpy(std::move(entry));
    d["exit_time"] = to_numpy(std::move(exit));
    d["entry_price"] = to_numpy(std::move(entry_price));
    d["exit_price"] = to_numpy(std::move(exit_price));
    d["qty"] = to_numpy(std::move(qty));
    d["gross_pnl"] = to_numpy(std::move(gross));
    d["fees"] = to_numpy(std::move(fees));
    d["pnl"] = to_numpy(std::move(net));
    d["return_pct"] = to_numpy(std::move(ret));
    d["bars_held"] = to_numpy(std::move(held));
    d["reason"] = to_numpy(exit_reasons(r));
    d["reason_names"] = kExitReasons;
    d["regime"] = to_numpy(std::move(regime));
    d["regime_names"] = regime_names;
    return d;
}

pyb::array_t<double> view(const std::vector<double>& v, pyb::handle owner) {
    return pyb::array_t<double>(static_cast<pyb::ssize_t>(v.size()), v.data(), owner);
}

} // namespace

void register_common(pyb::module_& m) {
    pyb::class_<WorkspaceHandle>(m, "WorkspaceHandle", pyb::module_local())
        .def(pyb::init<const std::string&, const std::string&>(), pyb::arg("home"),
             pyb::arg("db") = "")
        .def_property_readonly("db_spec", &WorkspaceHandle::db_spec)
        .def_property_readonly("home",
                               [](const WorkspaceHandle& w) { return w.workspace().home().string(); });

    // Arrays of the result are views into it (the result object keeps them alive).
    pyb::class_<BacktestRun, std::shared_ptr<BacktestRun>>(m, "BacktestRun", pyb::module_local())
        .def_property_readonly("summary_json",
                               [](const BacktestRun& r) {
                                   const auto& o = r.outcome;
                                   auto j = summary_json(o.info, o.metrics, o.result);
                                   j["report_dir"] = o.report_dir.string();
                                   return to_python(j);
                               })
        .def_property_readonly("summary_text",
                               [](const BacktestRun& r) {
                                   const auto& o = r.outcome;
                                   return summary_text(o.info, o.metrics, o.result);
                               })
        .def_property_readonly("report_dir",
                               [](const BacktestRun& r) { return r.outcome.report_dir.string(); })
        .def_property_readonly(
            "equity_time",
            [](pyb::object self) {
                const auto& c = self.cast<const BacktestRun&>().outcome.result.curve;
                return pyb::array_t<std::int64_t>(static_cast<pyb::ssize_t>(c.time.size()),
                                                  c.time.data(), self);
            })
        .def_property_readonly("equity",
                               [](pyb::object self) {
                                   return view(self.cast<const BacktestRun&>().outcome.result.curve.equity,
                                               self);
                               })
        .def_property_readonly("cash",
                               [](pyb::object self) {
                                   return view(self.cast<const BacktestRun&>().outcome.result.curve.cash,
                                               self);
                               })
        .def_property_readonly(
            "exposure",
            [](pyb::object self) {
                return view(self.cast<const BacktestRun&>().outcome.result.curve.exposure, self);
            })
        .def("trades", &trade_columns)
        .def("predictions", [](const BacktestRun& r) -> pyb::object {
            if (!r.predictions)
                return pyb::none();
            const PredictionColumns& p = *r.predictions;
            pyb::dict d;
            d["time"] = pyb::array_t<std::int64_t>(static_cast<pyb::ssize_t>(p.time.size()),
                                                   p.time.data());
            d["symbol"] = p.symbol;
            d["model"] = p.model;
            d["p_up"] = pyb::array_t<double>(static_cast<pyb::ssize_t>(p.p_up.size()), p.p_up.data());
            d["target"] =
                pyb::array_t<double>(static_cast<pyb::ssize_t>(p.target.size()), p.target.data());
            d["expected_value"] = pyb::array_t<double>(
                static_cast<pyb::ssize_t>(p.expected_value.size()), p.expected_value.data());
            d["top_features"] = p.top;
            return d;
        });
}

} // namespace aurum::py
