// aurum._models: the registry, model backtests, training and walk-forward. Loaded on first use
// (it links XGBoost and libtorch), so `import aurum` stays fast.
#include <pybind11/stl.h>

#include "common.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "features/feature_context.hpp"
#include "models/model_backtest.hpp"
#include "models/training_pipeline.hpp"
#include "runtime/engine_stack.hpp"

namespace aurum::py {

namespace {

ModelRegistry registry_of(WorkspaceHandle& ws) {
    return ModelRegistry(ws.workspace().models_dir() / "registry", &ws.store().database());
}

pyb::list registry_list(WorkspaceHandle& ws, const std::string& name) {
    pyb::list out;
    for (const auto& r : registry_of(ws).list(name))
        out.append(to_python(r.to_json()));
    return out;
}

/// `which`: "production", "latest", or a version number as text.
pyb::object registry_get(WorkspaceHandle& ws, const std::string& name, const std::string& which) {
    auto reg = registry_of(ws);
    if (which == "production") {
        const auto r = reg.production(name);
        if (!r) {
            (void)reg.get(name); // names the unknown model, with the known ones
            throw InputError("model '" + name + "' has no production version (promote one with "
                             "`aurum registry promote " + name + "`)");
        }
        return to_python(r->to_json());
    }
    int version = 0;
    if (which != "latest") {
        std::size_t pos = 0;
        try {
            version = std::stoi(which, &pos);
        } catch (...) {
            pos = 0;
        }
        if (pos != which.size() || version <= 0)
            throw InputError("version '" + which +
                             "': expected production, latest or a version number like 3");
    }
    return to_python(reg.get(name, version).to_json());
}

/// Global feature importance of a registered version (the trained model's own measure).
pyb::list importance(WorkspaceHandle& ws, const std::string& name, int version) {
    const ModelRecord rec = registry_of(ws).get(name, version);
    LoadedModel m = load_registered(rec, rec.feature_set_id);
    pyb::list out;
    for (const auto& f : m.trained.model->importance())
        out.append(pyb::make_tuple(f.feature, f.score));
    return out;
}

pyb::dict predict(WorkspaceHandle& ws, const std::string& which, const std::string& symbol,
                  const std::string& name, const std::string& timeframe) {
    std::optional<Timeframe> tf;
    if (!timeframe.empty())
        tf = Timeframe::parse_or_throw(timeframe);
    PredictionReport p;
    {
        pyb::gil_scoped_release nogil;
        p = predict_latest(ws.store(), ws.instruments(), ws.workspace(), which, symbol, name, tf);
    }
    pyb::dict d;
    d["model"] = p.model;
    d["symbol"] = p.symbol;
    d["bar_time"] = p.bar_time;
    d["p_up"] = p.p_up;
    d["target"] = p.decision.target;
    d["expected_value"] = p.decision.expected_value;
    d["reason"] = p.decision.reason;
    d["drivers"] = p.drivers;
    d["votes"] = p.votes;
    d["agreement"] = p.agreement;
    return d;
}

/// Keeps every prediction of a backtest with its top contributions.
class PredictionRecorder final : public PredictionSink {
  public:
    explicit PredictionRecorder(std::shared_ptr<PredictionColumns> out) : out_(std::move(out)) {}
    void on_prediction(const PredictionEvent& e) override {
        out_->time.push_back(e.time);
        out_->symbol.push_back(*e.symbol);
        out_->model.push_back(e.model->label());
        out_->p_up.push_back(e.p_up);
        out_->target.push_back(e.target);
        out_->expected_value.push_back(e.expected_value);
        nlohmann::json top = nlohmann::json::array();
        for (std::size_t k = 0; k < e.n_top; ++k)
            top.push_back({{"feature", *e.top[k].name}, {"value", e.top[k].value}});
        out_->top.push_back(top.dump());
    }
    bool wants_reasons() const override { return false; }

  private:
    std::shared_ptr<PredictionColumns> out_;
};

std::shared_ptr<BacktestRun> backtest_model(WorkspaceHandle& ws, pyb::dict options,
                                            const std::string& name, int version) {
    ModelSelection sel;
    sel.model = name;
    sel.version = version;
    std::vector<std::string> symbols;
    if (options.contains("symbols") && !options["symbols"].is_none())
        symbols = options["symbols"].cast<std::vector<std::string>>();
    std::string timeframe;
    if (options.contains("timeframe") && !options["timeframe"].is_none())
        timeframe = options["timeframe"].cast<std::string>();
    const BacktestModels models = load_backtest_models(ws.workspace(), symbols, timeframe, sel);
    options["symbols"] = models.symbols;
    options["timeframe"] = models.timeframe;
    if (options.contains("params") && !options["params"].is_none() &&
        pyb::len(options["params"]) > 0)
        throw InputError("a model backtest takes no strategy parameters");
    BacktestRequest req = backtest_request(ws, options);
    auto predictions = std::make_shared<PredictionColumns>();
    auto recorder = std::make_shared<PredictionRecorder>(predictions);
    req.strategy = model_strategy_spec(models, req.strategy.sizing, recorder.get());
    auto run = run_backtest(ws, std::move(req), options);
    // The strategy was built twice (once to check it, once to run): keep the run's predictions.
    run->predictions = predictions;
    return run;
}

TrainRequest train_request(const pyb::dict& o) {
    TrainRequest r;
    r.kind = o["model"].cast<std::string>();
    for (auto s : o["symbols"].cast<std::vector<std::string>>())
        r.symbols.push_back(s);
    if (r.symbols.empty())
        throw InputError("symbols: give at least one symbol, e.g. ['BTC/USDT']");
    r.timeframe = Timeframe::parse_or_throw(o["timeframe"].cast<std::string>());
    auto when = [](const char* key, const pyb::handle& v) {
        const std::string text = v.cast<std::string>();
        const auto t = parse_time(text);
        if (!t)
            throw InputError(std::string(key) + ": '" + text + "' is not a date (use 2024-01-31)");
        return *t;
    };
    if (!o["start"].is_none())
        r.range.from = when("start", o["start"]);
    if (!o["end"].is_none())
        r.range.to = when("end", o["end"]);
    r.name = o["name"].is_none() ? "" : o["name"].cast<std::string>();
    r.promote = o["promote"].cast<bool>();
    r.force = o["force"].cast<bool>();
    return r;
}

pyb::dict outcome_dict(const TrainOutcome& out) {
    const WalkForwardResult& wf = out.wf;
    pyb::dict d;
    d["report"] = to_python(train_outcome_json(out));
    d["record"] = out.record ? to_python(out.record->to_json()) : pyb::object(pyb::none());
    pyb::list folds;
    for (const auto& f : wf.folds) {
        pyb::dict row;
        row["fold"] = f.index;
        row["train_from"] = f.train_from;
        row["train_to"] = f.train_to;
        row["test_from"] = f.test_from;
        row["test_to"] = f.test_to;
        row["train_rows"] = f.train_rows;
        row["test_rows"] = f.test_rows;
        row["purged"] = f.purged;
        row["embargoed"] = f.embargoed;
        row["train_auc"] = f.train.auc;
        row["test_auc"] = f.test.auc;
        row["test_accuracy"] = f.test.accuracy;
        row["shuffled_auc"] = f.shuffled_auc;
        row["sharpe"] = f.backtest.sharpe;
        row["total_return"] = f.backtest.total_return;
        row["trades"] = f.backtest.trades;
        row["buy_hold_sharpe"] = f.buy_hold_sharpe;
        folds.append(row);
    }
    d["folds"] = folds;
    pyb::list imp;
    for (const auto& f : wf.importance)
        imp.append(pyb::make_tuple(f.feature, f.score));
    d["importance"] = imp;
    d["curve"] = pyb::dict(pyb::arg("metric") = wf.curve.metric, pyb::arg("train") = wf.curve.train,
                           pyb::arg("valid") = wf.curve.valid,
                           pyb::arg("best_iteration") = wf.curve.best_iteration);
    const auto& c = wf.oos;
    d["confusion"] = pyb::dict(pyb::arg("tp") = c.tp, pyb::arg("fp") = c.fp, pyb::arg("tn") = c.tn,
                               pyb::arg("fn") = c.fn, pyb::arg("accuracy") = c.accuracy,
                               pyb::arg("auc") = c.auc, pyb::arg("n") = c.n);
    d["oos_time"] = wf.oos_time;
    d["oos_p"] = wf.oos_p;
    d["equity_time"] = wf.equity.time;
    d["equity"] = wf.equity.equity;
    d["buy_hold_equity"] = wf.buy_hold_equity;
    d["passed"] = out.verdict.passed;
    return d;
}

/// `aurum train` / `aurum walkforward`: the same request, engine stack and reports.
pyb::dict train_or_validate(WorkspaceHandle& ws, const pyb::dict& o, bool train) {
    TrainRequest req = train_request(o);
    std::string risk = "";
    if (!o["risk"].is_none())
        risk = pyb::isinstance<pyb::bool_>(o["risk"]) ? (o["risk"].cast<bool>() ? "" : "off")
                                                       : o["risk"].cast<std::string>();
    const SpecBacktestRunner runner(
        parse_risk_option("risk", risk, ws.workspace().config_file("risk.yaml").string()));
    req.runner = &runner;
    TrainOutcome out;
    {
        pyb::gil_scoped_release nogil;
        SystemClock clock;
        out = train ? run_training(ws.store(), ws.instruments(), ws.workspace(), req, clock)
                    : run_walkforward_validation(ws.store(), ws.instruments(), ws.workspace(),
                                                 req, clock);
    }
    return outcome_dict(out);
}

} // namespace

} // namespace aurum::py

PYBIND11_MODULE(_models, m) {
    using namespace aurum::py;
    m.doc() = "Aurum Edge models: registry, model backtests, training, walk-forward";
    register_errors();
    register_common(m);
    m.def("registry_list", &registry_list, pybind11::arg("ws"), pybind11::arg("name") = "");
    m.def("registry_get", &registry_get);
    m.def("importance", &importance);
    m.def("predict", &predict);
    m.def("backtest_model", &backtest_model);
    m.def("train", [](WorkspaceHandle& ws, const pybind11::dict& o) {
        return train_or_validate(ws, o, true);
    });
    m.def("walkforward", [](WorkspaceHandle& ws, const pybind11::dict& o) {
        return train_or_validate(ws, o, false);
    });
}
