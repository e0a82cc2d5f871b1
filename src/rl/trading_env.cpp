#include "rl/trading_env.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include <fmt/format.h>

#include "core/error.hpp"

namespace aurum {

EnvConfig default_env_config() {
    EnvConfig c;
    c.spec.mode = RunMode::Backtest;
    c.spec.clock = ClockKind::Historical;
    c.spec.risk = RiskSpec::account(RiskLimits{}, "default limits");
    c.spec.engine.fill.fees.taker = c.spec.engine.fill.fees.maker = 0.001;
    c.spec.engine.fill.slippage.fixed_bps = 2;
    c.spec.engine.record_fills = false;
    c.spec.engine.record_events = false;
    c.sizing.mode = SizingConfig::Mode::EquityFraction;
    c.sizing.fraction = 1.0;
    return c;
}

void check_env_config(const EnvConfig& config) {
    if (config.episode_bars < 1) throw InputError("rl: episode_bars must be at least 1");
    if (!config.spec.risk.on())
        throw InputError("rl: the environment needs risk on (the shield is the account risk "
                         "manager)");
    config.spec.risk.limits.validate(config.spec.risk.source);
}

TradingEnv::TradingEnv(EnvConfig config) : config_(std::move(config)), strategy_(config_.sizing) {
    check_env_config(config_);
}

void TradingEnv::reset(const MarketTape& tape, std::size_t start, std::span<float> obs) {
    const std::size_t n = config_.episode_bars + 1;
    if (start + n > tape.bars.size())
        throw InputError(fmt::format("rl: an episode of {} bars from bar {} does not fit {} ({} "
                                     "bars)",
                                     n, start, tape.bars.symbol, tape.bars.size()));
    tape_ = &tape;
    layout_.features = tape.columns;
    if (obs.size() != layout_.size())
        throw InputError(fmt::format("rl: observation buffer holds {} values, the layout needs {}",
                                     obs.size(), layout_.size()));
    start_ = start;
    copy_bar_window(slice_, tape.bars, start, n);

    // A fresh account per episode: its own risk manager (peak, daily loss, breaker state).
    InstrumentRegistry reg;
    reg.add(tape.instrument);
    stack_ = EngineStack{};
    hook_.reset();
    risk_manager_ = std::make_unique<RiskManager>(config_.spec.risk.limits, std::move(reg));
    hook_ = std::make_unique<ShieldHook>(*risk_manager_, stats_);
    EngineParts parts;
    parts.instruments = {tape.instrument};
    parts.data = {&slice_};
    parts.strategy = &strategy_;
    parts.risk_manager = risk_manager_.get();
    parts.hook = hook_.get();
    stack_ = build_engine_stack(config_.spec, std::move(parts));
    stack_.engine->reserve_steps(n);
    stack_.engine->start();
    k_ = 0;
    parent_ = Parent{};
    advance();
    account_.start(equity());
    write_obs(obs);
}

void TradingEnv::advance() {
    // As drive_backtest does for one instrument: the clock at the bar's close, then the step.
    static constexpr InstrumentId kOnly = 0;
    stack_.clock->set(slice_.time[k_] + slice_.timeframe.ms());
    stack_.engine->step(std::span<const InstrumentId>(&kOnly, 1));
}

double TradingEnv::order_qty(double action) {
    Engine& engine = *stack_.engine;
    if (strategy_.open_limit(engine, 0) || !std::isfinite(action)) return 0;
    return strategy_.order_qty(engine, 0, std::clamp(action, -1.0, 1.0));
}

bool TradingEnv::limit_open() {
    return strategy_.open_limit(*stack_.engine, 0) != 0;
}

double TradingEnv::notional_fraction(double qty) const {
    const double eq = equity();
    return eq > 0 ? std::fabs(qty) * slice_.close[k_] * tape_->instrument.contract_size / eq : 0.0;
}

void TradingEnv::send(double action, double limit_bps) {
    Engine& engine = *stack_.engine;
    if (strategy_.open_limit(engine, 0)) {
        // The forced fill: the limit had its bar; the rest goes at market toward its target.
        strategy_.cancel_limit(engine, 0);
        parent_.forced = true;
        // The parent becomes what the limit filled plus the market order for the rest (sized
        // at this close, as any order toward a target).
        const double filled = std::fabs(engine.account().position(0).qty - parent_.position);
        const bool sent = strategy_.apply(engine, 0, parent_.target);
        parent_.qty = filled + (sent ? hook_->approved_qty() : 0.0);
        if (!(parent_.qty > 0)) parent_ = Parent{};
        return;
    }
    const double cs = tape_->instrument.contract_size;
    const double q = strategy_.order_qty(engine, 0, action);
    Parent p{true,          limit_bps > 0,           false,
             action,        q > 0 ? 1.0 : -1.0,      0,
             slice_.close[k_] * cs, engine.account().cash(), engine.account().position(0).qty};
    // The parent is what the shield let through (a reduced order is not a shortfall).
    if (strategy_.apply(engine, 0, action, limit_bps) && q != 0) {
        p.qty = hook_->approved_qty();
        if (p.qty > 0) parent_ = p;
    }
}

ExecutionOutcome TradingEnv::finish_parent(bool at_end) {
    ExecutionOutcome out;
    Engine& engine = *stack_.engine;
    if (!parent_.active || (!at_end && strategy_.open_limit(engine, 0))) return out;
    // Shortfall = what the fills cost beyond the arrival price: -(cash change + position change
    // x arrival), fees included; the unfilled rest pays the move since arrival.
    const double dq = engine.account().position(0).qty - parent_.position;
    double cost = -(engine.account().cash() - parent_.cash + dq * parent_.arrival);
    const double rest = std::max(0.0, parent_.qty - std::fabs(dq));
    const double now = slice_.close[k_] * tape_->instrument.contract_size;
    cost += rest * parent_.side * (now - parent_.arrival);
    out.completed = true;
    out.limit = parent_.limit;
    out.forced = parent_.forced;
    out.shortfall = cost / (parent_.qty * parent_.arrival);
    parent_ = Parent{};
    return out;
}

StepOutcome TradingEnv::step(double action, std::span<float> obs, double limit_bps) {
    ++stats_.actions;
    if (!std::isfinite(action)) {
        ++stats_.invalid;
        action = 0; // the shield's answer to a broken policy: flat
    } else if (action < -1 || action > 1) {
        ++stats_.invalid;
        action = std::clamp(action, -1.0, 1.0);
    }
    Engine& engine = *stack_.engine;
    const double qty_before = engine.account().position(0).qty;
    const bool past_halt = account_.past_halt(equity(), config_.spec.risk.limits.max_drawdown);
    const double decision_drawdown = account_.drawdown(equity());
    const double fees_before = engine.account().fees_paid();
    send(action, limit_bps);

    ++k_;
    advance();
    const double qty = engine.account().position(0).qty;
    if (std::fabs(qty) > std::fabs(qty_before) + 1e-12) {
        // Market orders fill at this bar's open: measure the position there.
        const double px = slice_.open[k_] * tape_->instrument.contract_size;
        const double cash = engine.account().cash();
        const double eq_open = cash + qty * px; // spot/CFD long; shorts mark the same way
        if (eq_open > 0)
            stats_.max_entry_exposure =
                std::max(stats_.max_entry_exposure, std::fabs(qty) * px / eq_open);
        if (past_halt) ++stats_.entries_past_halt;
        stats_.max_entry_drawdown = std::max(stats_.max_entry_drawdown, decision_drawdown);
    }
    const double eq = equity();
    StepOutcome out;
    std::tie(out.reward, out.fees) =
        account_.step(eq, engine.account().fees_paid() - fees_before,
                      risk_manager_->state().allows_entries(), stats_);
    out.done = k_ + 1 >= slice_.size() || !(eq > 0);
    out.execution = finish_parent(out.done);
    write_obs(obs);
    return out;
}

void TradingEnv::write_obs(std::span<float> obs) {
    const std::size_t g = start_ + k_;
    const MarketTape& t = *tape_;
    std::copy_n(t.row(g), t.columns, obs.data());
    for (int r = 0; r < kRegimeCount; ++r)
        obs[layout_.regime() + static_cast<std::size_t>(r)] =
            static_cast<int>(t.regime[g]) == r ? 1.0f : 0.0f;
    obs[layout_.ready()] = t.ready[g] ? 1.0f : 0.0f;
    const Portfolio& p = stack_.engine->account();
    const double eq = p.equity();
    const double notional = p.position(0).qty * slice_.close[k_] * t.instrument.contract_size;
    obs[layout_.position()] = eq > 0 ? static_cast<float>(notional / eq) : 0.0f;
    obs[layout_.drawdown()] = static_cast<float>(account_.drawdown(eq));
    obs[layout_.entries_allowed()] = risk_manager_->state().allows_entries() ? 1.0f : 0.0f;
}

} // namespace aurum
