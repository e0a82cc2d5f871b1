#include "runtime/engine_stack.hpp"

#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "core/enum_table.hpp"
#include "core/error.hpp"

namespace aurum {

namespace {

constexpr EnumTable<RunMode, 3> kModes{
    {{{RunMode::Backtest, "backtest"}, {RunMode::Paper, "paper"}, {RunMode::Live, "live"}}}};
constexpr EnumTable<ClockKind, 3> kClocks{{{{ClockKind::Historical, "historical"},
                                           {ClockKind::Replay, "replay"},
                                           {ClockKind::Realtime, "realtime"}}}};

} // namespace

std::string to_string(RunMode m) { return kModes.name(m); }

std::string to_string(ClockKind c) { return kClocks.name(c); }

std::string RiskSpec::label() const {
    if (!on()) return "";
    const auto p = [](double f) { return fmt::format("{:g}%", f * 100); };
    return fmt::format("account risk manager ({}: max position {}, heat {}, drawdown breaker {}, "
                       "daily loss {}, correlated exposure {})",
                       source.empty() ? "default limits" : source, p(limits.max_position),
                       p(limits.max_portfolio_heat), p(limits.max_drawdown),
                       p(limits.daily_loss_limit), p(limits.max_correlated_exposure));
}

RiskSpec parse_risk_option(const std::string& flag, const std::string& value,
                           const std::string& workspace_risk_yaml) {
    if (value == "off" || value == "none") return RiskSpec::off();
    const std::string path = value.empty() || value == "on" ? workspace_risk_yaml : value;
    if (value.empty() || value == "on") {
        // The workspace file may be absent: its defaults are the limits paper/live trade with.
        RiskLimits l = load_risk_limits(path);
        return RiskSpec::account(l, std::filesystem::exists(path) ? path : "default limits");
    }
    if (!std::filesystem::is_regular_file(path))
        throw InputError(fmt::format("{} '{}': no such risk file (expected off, or a risk.yaml)",
                                     flag, value));
    try {
        return RiskSpec::account(load_risk_limits(path), path);
    } catch (const InputError& e) {
        throw InputError(fmt::format("{} '{}': {}", flag, value, e.what()));
    }
}

EngineStack build_engine_stack(const RunSpec& spec, EngineParts parts) {
    if (parts.data.empty() || parts.instruments.size() != parts.data.size())
        throw InputError("engine stack: one bar series per instrument is required");
    EngineStack s;
    Strategy* strategy = parts.strategy;
    if (parts.owned_strategy) {
        s.strategy_owned = std::move(parts.owned_strategy);
        strategy = s.strategy_owned.get();
    }
    if (!strategy) throw InputError("engine stack: no strategy");

    const Clock* clock = parts.clock;
    if (!clock) {
        if (spec.clock == ClockKind::Realtime)
            throw InputError("engine stack: a real-time run needs the caller's clock");
        s.clock = std::make_unique<SimulatedClock>();
        clock = s.clock.get();
    }
    ExecutionClient* exec = parts.execution;
    if (!exec) {
        if (spec.mode == RunMode::Live)
            throw InputError("engine stack: live mode needs the venue's execution client");
        s.execution = std::make_unique<SimulatedExecutionClient>(parts.instruments, spec.engine.fill);
        exec = s.execution.get();
    }

    RiskHook* hook = parts.hook;
    Strategy* engine_strategy = strategy;
    if (spec.risk.on()) {
        RiskManager* rm = parts.risk_manager;
        if (!rm) {
            spec.risk.limits.validate(spec.risk.source.empty() ? "risk" : spec.risk.source);
            InstrumentRegistry reg;
            for (const auto& i : parts.instruments) reg.add(i);
            s.risk_manager = std::make_unique<RiskManager>(spec.risk.limits, std::move(reg));
            rm = s.risk_manager.get();
        }
        if (!hook) {
            s.hook = std::make_unique<AccountRiskHook>(*rm);
            hook = s.hook.get();
        }
        s.supervisor = s.strategy_owned
                           ? std::make_unique<AccountRiskSupervisor>(std::move(s.strategy_owned), *rm)
                           : std::make_unique<AccountRiskSupervisor>(*strategy, *rm);
        engine_strategy = s.supervisor.get();
    } else if (!hook) {
        s.hook = std::make_unique<AllowAllRiskHook>();
        hook = s.hook.get();
    }
    s.engine = std::make_unique<Engine>(parts.instruments, parts.data, *engine_strategy, *exec,
                                        *hook, *clock, spec.engine);
    return s;
}

BacktestResult run_spec_backtest(const RunSpec& spec, const std::vector<Instrument>& instruments,
                                 const std::vector<const BarSeries*>& data, Strategy& strategy) {
    EngineParts parts;
    parts.instruments = instruments;
    parts.data = data;
    parts.strategy = &strategy;
    EngineStack s = build_engine_stack(spec, std::move(parts));
    return drive_backtest(*s.engine, *s.clock, data);
}

BacktestResult SpecBacktestRunner::run(const std::vector<Instrument>& instruments,
                                       const std::vector<const BarSeries*>& data,
                                       Strategy& strategy, const BacktestConfig& config) const {
    RunSpec spec;
    spec.risk = risk_;
    spec.engine = config;
    return run_spec_backtest(spec, instruments, data, strategy);
}

} // namespace aurum
