#pragma once
// The composition root: RunSpec -> engine stack (clock, execution client, risk hook, account
// risk supervisor, engine). Diagram in docs/architecture.md ("Composition root").
#include <memory>
#include <vector>

#include "backtest/backtest_runner.hpp"
#include "backtest/simulated_execution.hpp"
#include "risk/account_risk_hook.hpp"
#include "risk/account_supervisor.hpp"
#include "runtime/run_spec.hpp"

namespace aurum {

/// What the caller brings to a stack. Null parts are built from the spec. The live layer passes
/// its own parts where they hold state it persists: the session's RiskManager, its hook (the
/// warm-up gate and approval queue around AccountRiskHook), the venue client wrapped in the
/// journal (both in live/, above this layer), and the clock it drives.
struct EngineParts {
    std::vector<Instrument> instruments;
    std::vector<const BarSeries*> data;
    Strategy* strategy = nullptr;             ///< the trading strategy, kept by the caller ...
    std::unique_ptr<Strategy> owned_strategy; ///< ... or handed over
    RiskManager* risk_manager = nullptr;      ///< risk on: the account's; else one from spec.risk
    RiskHook* hook = nullptr;                 ///< risk on: a hook over `risk_manager`
    ExecutionClient* execution = nullptr;     ///< else the simulation with spec.engine.fill
    const Clock* clock = nullptr;             ///< else a SimulatedClock (historical, replay)
};

/// The engine and everything it was built from (owned parts; borrowed ones stay the caller's).
struct EngineStack {
    std::unique_ptr<SimulatedClock> clock;
    std::unique_ptr<ExecutionClient> execution;
    std::unique_ptr<RiskManager> risk_manager;
    std::unique_ptr<RiskHook> hook;
    std::unique_ptr<Strategy> strategy_owned;
    std::unique_ptr<AccountRiskSupervisor> supervisor; ///< risk on: wraps the strategy
    std::unique_ptr<Engine> engine;
};

/// Builds the stack: risk off runs the strategy with the allow-all hook; risk on runs it inside
/// the account risk supervisor with the account risk hook on the order path. Throws InputError
/// for an invalid spec (no strategy, no bars, bad limits).
EngineStack build_engine_stack(const RunSpec& spec, EngineParts parts);

/// Builds a historical stack over `data` and runs it to the end (what every backtest runs).
BacktestResult run_spec_backtest(const RunSpec& spec, const std::vector<Instrument>& instruments,
                                 const std::vector<const BarSeries*>& data, Strategy& strategy);

/// The BacktestRunner handed to the grid, `aurum backtest` and the walk-forward: every run
/// gets a fresh stack from `risk` (own RiskManager, so runs on several threads never share one).
class SpecBacktestRunner final : public BacktestRunner {
  public:
    explicit SpecBacktestRunner(RiskSpec risk) : risk_(std::move(risk)) {}
    BacktestResult run(const std::vector<Instrument>& instruments,
                       const std::vector<const BarSeries*>& data, Strategy& strategy,
                       const BacktestConfig& config) const override;
    std::string risk_label() const override { return risk_.label(); }
    const RiskSpec& risk() const { return risk_; }

  private:
    RiskSpec risk_;
};

} // namespace aurum
