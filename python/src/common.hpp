#pragma once
// What both extension modules share: errors as the Python exceptions of aurum/errors.py, columns
// handed to numpy without a copy, JSON as Python objects, and the backtest request and result
// (aurum._core runs rule strategies, aurum._models the registry models; one code path).
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "backtest/backtest_run.hpp"
#include "core/instrument.hpp"
#include "core/workspace.hpp"
#include "data/market_store.hpp"

namespace aurum::py {

namespace pyb = pybind11;

/// Maps aurum's typed errors to aurum.InputError, aurum.CheckFailed, aurum.SystemFailure and
/// aurum.InvariantError, carrying the CLI's message.
void register_errors();

/// A numpy array that owns `v` (moved, not copied) through a capsule.
template <class T> pyb::array_t<T> to_numpy(std::vector<T>&& v) {
    auto* heap = new std::vector<T>(std::move(v));
    pyb::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
    return pyb::array_t<T>(static_cast<pyb::ssize_t>(heap->size()), heap->data(), owner);
}

/// nlohmann::json as Python objects (dict, list, float, ...).
pyb::object to_python(const nlohmann::json& j);

/// A workspace opened the way the CLI opens it: home, database (--db or data/aurum.db),
/// instruments.yaml. One store per handle; not shared between threads.
class WorkspaceHandle {
  public:
    WorkspaceHandle(const std::string& home, const std::string& db);
    const Workspace& workspace() const { return ws_; }
    MarketStore& store() { return *store_; }
    const InstrumentRegistry& instruments() const { return instruments_; }
    const std::string& db_spec() const { return db_spec_; }

  private:
    Workspace ws_;
    std::string db_spec_;
    std::unique_ptr<MarketStore> store_;
    InstrumentRegistry instruments_;
};

/// The predictions a model made during a backtest, column by column.
struct PredictionColumns {
    std::vector<std::int64_t> time;
    std::vector<std::string> symbol, model, top;
    std::vector<double> p_up, target, expected_value;
};

/// A finished backtest as the Python BacktestResults reads it.
struct BacktestRun {
    BacktestOutcome outcome;
    std::shared_ptr<PredictionColumns> predictions; ///< model runs only
};

/// Python keyword options -> the request `aurum backtest` builds from its flags (same checks,
/// same messages naming the option). `strategy` is the rule strategy's name; `params` its
/// parameters; the caller sets `strategy.build` for a model.
BacktestRequest backtest_request(WorkspaceHandle& ws, const pyb::dict& options);

/// Runs the request through the runtime's engine stack (risk per options["risk"]) with the GIL
/// released: the same `run_backtest_request` as `aurum backtest`.
std::shared_ptr<BacktestRun> run_backtest(WorkspaceHandle& ws, BacktestRequest request,
                                          const pyb::dict& options);

/// aurum._core's sweep data, row ranking and task results (research_tasks.cpp).
void register_research_tasks(pyb::module_& m);

/// Registers WorkspaceHandle and BacktestRun (module-local: both modules register them).
void register_common(pyb::module_& m);

} // namespace aurum::py
