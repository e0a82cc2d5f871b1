#pragma once
// The seam through which layers below the runtime (the grid and `aurum backtest` here, the
// walk-forward in models) are handed the engine stack of a RunSpec: they say what to run, the
// runtime layer (src/runtime) decides the risk hook and supervisor around it.
#include <string>
#include <vector>

#include "backtest/engine.hpp"

namespace aurum {

/// Runs one backtest over in-memory bars with an engine stack. Implementations are stateless
/// per call (the grid calls one from several threads).
class BacktestRunner {
  public:
    virtual ~BacktestRunner() = default;
    virtual BacktestResult run(const std::vector<Instrument>& instruments,
                               const std::vector<const BarSeries*>& data, Strategy& strategy,
                               const BacktestConfig& config) const = 0;
    /// The risk this runner trades with, in words for reports ("" = off: every order approved).
    virtual std::string risk_label() const = 0;
};

/// Risk off: the engine with the allow-all hook (today's plain backtest).
const BacktestRunner& risk_off_runner();

/// Steps `engine` over `data` merged by open time, setting `clock` to each step's close.
BacktestResult drive_backtest(Engine& engine, SimulatedClock& clock,
                              const std::vector<const BarSeries*>& data);

} // namespace aurum
