// aurum._core's side of aurum.distributed: a sweep's bars loaded once per worker process and one
// combination run per call (the same run_grid_row as `aurum backtest --grid`), the ranking of
// the rows, and the store's research_results table (idempotent task results).
#include <pybind11/stl.h>

#include "backtest/grid.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "core/clock.hpp"
#include "data/task_results.hpp"
#include "runtime/engine_stack.hpp"
#include "runtime/run_spec.hpp"

namespace aurum::py {

namespace {

nlohmann::json row_json(const GridRow& r) {
    auto finite = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); };
    return {{"params", r.params},          {"total_return", r.total_return},
            {"cagr", r.cagr},              {"sharpe", r.sharpe},
            {"sortino", r.sortino},        {"max_drawdown", r.max_drawdown},
            {"win_rate", r.win_rate},      {"trades", r.trades},
            {"profit_factor", finite(r.profit_factor)},
            {"fees", r.fees},              {"final_equity", r.final_equity}};
}

GridRow row_of(const std::string& text) {
    const auto j = nlohmann::json::parse(text);
    auto num = [&](const char* k, double missing) {
        return j.contains(k) && j[k].is_number() ? j[k].get<double>() : missing;
    };
    GridRow r;
    r.params = j.at("params").get<std::map<std::string, double>>();
    r.total_return = num("total_return", 0);
    r.cagr = num("cagr", 0);
    r.sharpe = num("sharpe", 0);
    r.sortino = num("sortino", 0);
    r.max_drawdown = num("max_drawdown", 0);
    r.win_rate = num("win_rate", 0);
    r.profit_factor = num("profit_factor", INFINITY); // JSON null: no losing trade
    r.fees = num("fees", 0);
    r.final_equity = num("final_equity", 0);
    r.trades = j.value("trades", std::size_t{0});
    return r;
}

/// One (symbols, timeframe) of a sweep in a worker: the request `aurum backtest --grid` builds,
/// its bars loaded once, the engine stack's runner.
class SweepData {
  public:
    SweepData(WorkspaceHandle& ws, const pyb::dict& options)
        : req_(backtest_request(ws, options)),
          runner_(parse_risk_option("risk", risk_text(options),
                                    ws.workspace().config_file("risk.yaml").string())) {
        if (options.contains("grid") && !options["grid"].is_none())
            req_.grid = options["grid"].cast<std::string>();
        axes_ = check_backtest_request(req_);
        pyb::gil_scoped_release nogil;
        data_ = load_backtest_data(ws.store(), ws.instruments(), req_);
        series_ = data_.series();
    }

    /// The grid's valid combinations in run_grid's order, and what was skipped.
    pyb::dict combinations() const {
        if (axes_.empty())
            throw InputError("grid: a sweep needs a grid, e.g. fast=5:50:5,slow=20:200:10");
        const GridCombinations c = grid_combinations(req_.strategy, axes_);
        if (c.specs.empty())
            throw InputError("--grid: no valid combination (" + c.first_skip_reason + ")");
        pyb::list params;
        for (const auto& s : c.specs)
            params.append(pyb::cast(s.params));
        pyb::dict d;
        d["params"] = params;
        d["skipped"] = c.skipped;
        d["first_skip_reason"] = c.first_skip_reason;
        return d;
    }

    /// One combination's row as JSON text (the GIL is released while it runs).
    std::string run(const std::map<std::string, double>& params) const {
        StrategySpec spec = req_.strategy;
        for (const auto& [k, v] : params)
            spec.params[k] = v;
        pyb::gil_scoped_release nogil;
        return row_json(run_grid_row(spec, data_.instruments, series_, req_.config, runner_)).dump();
    }

  private:
    static std::string risk_text(const pyb::dict& o) {
        if (!o.contains("risk") || o["risk"].is_none())
            return "off";
        if (pyb::isinstance<pyb::bool_>(o["risk"]))
            return o["risk"].cast<bool>() ? "" : "off";
        return o["risk"].cast<std::string>();
    }

    BacktestRequest req_;
    SpecBacktestRunner runner_;
    std::vector<GridAxis> axes_;
    BacktestData data_;
    std::vector<const BarSeries*> series_;
};

/// The rows' order best first by `rank_by`: run_grid's stable ranking by the same key.
std::vector<std::size_t> rank_rows(const std::vector<std::string>& rows, const std::string& rank_by) {
    check_grid_rank_key(rank_by);
    std::vector<double> key;
    for (const auto& text : rows)
        key.push_back(grid_rank_value(row_of(text), rank_by));
    std::vector<std::size_t> order(rows.size());
    for (std::size_t k = 0; k < order.size(); ++k)
        order[k] = k;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return key[a] > key[b]; });
    return order;
}

} // namespace

void register_research_tasks(pyb::module_& m) {
    pyb::class_<SweepData, std::shared_ptr<SweepData>>(m, "SweepData", pyb::module_local())
        .def(pyb::init<WorkspaceHandle&, const pyb::dict&>())
        .def("combinations", &SweepData::combinations)
        .def("run", &SweepData::run);
    m.def("rank_rows", &rank_rows);
    m.def("grid_rank_keys", &grid_rank_keys);
    m.def("normalize_symbol", [](const std::string& s) { return normalize_symbol(s); });
    m.def("results_put", [](WorkspaceHandle& ws, const std::string& job, const std::string& key,
                            const std::string& kind, const std::string& result) {
        pyb::gil_scoped_release nogil;
        return TaskResults(ws.store().database()).put(job, key, kind, result, SystemClock().now());
    });
    m.def("results_done", [](WorkspaceHandle& ws, const std::string& job) {
        pyb::gil_scoped_release nogil;
        return TaskResults(ws.store().database()).done_keys(job);
    });
    m.def("results", [](WorkspaceHandle& ws, const std::string& job) {
        std::vector<std::pair<std::string, std::string>> out;
        {
            pyb::gil_scoped_release nogil;
            for (auto& r : TaskResults(ws.store().database()).results(job))
                out.emplace_back(std::move(r.key), std::move(r.result));
        }
        return out;
    });
}

} // namespace aurum::py
