#include "rl/portfolio_env.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <numeric>

#include <fmt/format.h>

#include "core/error.hpp"

namespace aurum {

namespace {

template <class V> void pick(V& dst, const V& src, const std::vector<std::size_t>& at) {
    dst.clear();
    dst.reserve(at.size());
    for (std::size_t k : at) dst.push_back(src[k]);
}

std::string symbols_of(const std::vector<MarketTape>& tapes) {
    std::string s;
    for (const MarketTape& t : tapes) s += (s.empty() ? "" : ", ") + t.bars.symbol;
    return s;
}

} // namespace

std::vector<MarketTape> align_tapes(const std::vector<MarketTape>& tapes) {
    if (tapes.empty()) throw InputError("rl: no market to trade");
    for (const MarketTape& t : tapes) {
        if (t.bars.timeframe != tapes[0].bars.timeframe)
            throw InputError(fmt::format("market.symbols: {} has {} bars, {} has {} (a portfolio "
                                         "trades one timeframe)",
                                         t.bars.symbol, t.bars.timeframe.name(),
                                         tapes[0].bars.symbol, tapes[0].bars.timeframe.name()));
        if (t.columns != tapes[0].columns)
            throw InputError(fmt::format("rl: {} has {} feature columns, {} has {}",
                                         t.bars.symbol, t.columns, tapes[0].bars.symbol,
                                         tapes[0].columns));
    }
    // Intersect the open times (each series ascending): walk all cursors together.
    std::vector<std::vector<std::size_t>> at(tapes.size());
    std::vector<std::size_t> cur(tapes.size(), 0);
    for (;;) {
        TimeMs hi = INT64_MIN;
        bool end = false;
        for (std::size_t i = 0; i < tapes.size(); ++i) {
            if (cur[i] >= tapes[i].bars.size()) end = true;
            else hi = std::max(hi, tapes[i].bars.time[cur[i]]);
        }
        if (end) break;
        bool same = true;
        for (std::size_t i = 0; i < tapes.size(); ++i) {
            const auto& time = tapes[i].bars.time;
            while (cur[i] < time.size() && time[cur[i]] < hi) ++cur[i];
            same = same && cur[i] < time.size() && time[cur[i]] == hi;
        }
        if (!same) continue;
        for (std::size_t i = 0; i < tapes.size(); ++i) at[i].push_back(cur[i]++);
    }
    if (at[0].empty())
        throw InputError("market.symbols: " + symbols_of(tapes) + " share no bar open time");
    std::vector<MarketTape> out(tapes.size());
    for (std::size_t i = 0; i < tapes.size(); ++i) {
        const MarketTape& t = tapes[i];
        MarketTape& o = out[i];
        o.instrument = t.instrument;
        o.columns = t.columns;
        o.bars.symbol = t.bars.symbol;
        o.bars.timeframe = t.bars.timeframe;
        o.bars.has_spread_column = t.bars.has_spread_column;
        pick(o.bars.time, t.bars.time, at[i]);
        pick(o.bars.open, t.bars.open, at[i]);
        pick(o.bars.high, t.bars.high, at[i]);
        pick(o.bars.low, t.bars.low, at[i]);
        pick(o.bars.close, t.bars.close, at[i]);
        pick(o.bars.volume, t.bars.volume, at[i]);
        if (t.bars.has_spread()) pick(o.bars.spread, t.bars.spread, at[i]);
        pick(o.ready, t.ready, at[i]);
        pick(o.regime, t.regime, at[i]);
        o.rows.resize(at[i].size() * t.columns);
        for (std::size_t k = 0; k < at[i].size(); ++k)
            std::copy_n(t.row(at[i][k]), t.columns, o.rows.data() + k * t.columns);
        o.first_ready = static_cast<std::size_t>(
            std::find(o.ready.begin(), o.ready.end(), std::uint8_t{1}) - o.ready.begin());
    }
    return out;
}

PortfolioEnv::PortfolioEnv(EnvConfig config) : config_(std::move(config)), strategy_(config_.sizing) {
    check_env_config(config_);
}

void PortfolioEnv::reset(std::span<const MarketTape* const> tapes, std::size_t start,
                         std::span<float> obs) {
    if (tapes.empty()) throw InputError("rl: no market to trade");
    const std::size_t n = config_.episode_bars + 1;
    for (const MarketTape* t : tapes) {
        if (t->bars.time != tapes[0]->bars.time || t->columns != tapes[0]->columns)
            throw InputError(fmt::format("rl: {} and {} are not aligned (align_tapes)",
                                         t->bars.symbol, tapes[0]->bars.symbol));
        if (start + n > t->bars.size())
            throw InputError(fmt::format("rl: an episode of {} bars from bar {} does not fit {} "
                                         "({} bars)",
                                         n, start, t->bars.symbol, t->bars.size()));
    }
    tapes_.assign(tapes.begin(), tapes.end());
    const std::size_t N = tapes_.size();
    layout_.features = tapes_[0]->columns;
    if (obs.size() != N * layout_.size())
        throw InputError(fmt::format("rl: observation buffer holds {} values, {} assets need {}",
                                     obs.size(), N, N * layout_.size()));
    start_ = start;
    slices_.resize(N);
    ids_.resize(N);
    std::iota(ids_.begin(), ids_.end(), InstrumentId{0});
    qty_before_.assign(N, 0.0);
    asset_entry_.resize(N); // the largest over episodes, like stats_
    InstrumentRegistry reg;
    EngineParts parts;
    for (std::size_t i = 0; i < N; ++i) {
        copy_bar_window(slices_[i], tapes_[i]->bars, start, n);
        reg.add(tapes_[i]->instrument);
        parts.instruments.push_back(tapes_[i]->instrument);
        parts.data.push_back(&slices_[i]);
    }
    // A fresh account per episode: its own risk manager (peak, daily loss, breaker state).
    stack_ = EngineStack{};
    hook_.reset();
    risk_manager_ = std::make_unique<RiskManager>(config_.spec.risk.limits, std::move(reg));
    hook_ = std::make_unique<ShieldHook>(*risk_manager_, stats_);
    parts.strategy = &strategy_;
    parts.risk_manager = risk_manager_.get();
    parts.hook = hook_.get();
    stack_ = build_engine_stack(config_.spec, std::move(parts));
    stack_.engine->reserve_steps(n);
    stack_.engine->start();
    k_ = 0;
    advance();
    account_.start(equity());
    write_obs(obs);
}

void PortfolioEnv::advance() {
    // As drive_backtest does for bars sharing an open time: the clock at the close, one step.
    stack_.clock->set(slices_[0].time[k_] + slices_[0].timeframe.ms());
    stack_.engine->step(ids_);
}

double PortfolioEnv::position_value(std::size_t i) const {
    const auto id = static_cast<InstrumentId>(i);
    return stack_.engine->account().position(id).qty * slices_[i].close[k_] *
           tapes_[i]->instrument.contract_size;
}

void PortfolioEnv::send(std::span<const double> targets) {
    Engine& engine = *stack_.engine;
    const std::size_t N = assets();
    for (std::size_t i = 0; i < N; ++i) {
        qty_before_[i] = engine.account().position(static_cast<InstrumentId>(i)).qty;
        ++stats_.actions;
        double a = targets[i];
        if (!std::isfinite(a)) {
            ++stats_.invalid;
            a = 0; // the shield's answer to a broken policy: flat
        } else if (a < -1 || a > 1) {
            ++stats_.invalid;
            a = std::clamp(a, -1.0, 1.0);
        }
        // At this close, sized as every target strategy sizes: a spot buy is capped by the
        // cash now (a sale sent in the same step has not filled yet), and the engine matches
        // every instrument's orders at the next open.
        strategy_.apply(engine, static_cast<InstrumentId>(i), a);
    }
}

PortfolioStep PortfolioEnv::step(std::span<const double> targets, std::span<float> obs) {
    const std::size_t N = assets();
    if (targets.size() != N)
        throw InputError(fmt::format("rl: {} targets for {} assets", targets.size(), N));
    Engine& engine = *stack_.engine;
    const bool past_halt = account_.past_halt(equity(), config_.spec.risk.limits.max_drawdown);
    const double decision_drawdown = account_.drawdown(equity());
    const double fees_before = engine.account().fees_paid();
    send(targets);
    ++k_;
    advance();
    measure_entries(qty_before_, past_halt, decision_drawdown);
    const double eq = equity();
    PortfolioStep out;
    std::tie(out.reward, out.fees) =
        account_.step(eq, engine.account().fees_paid() - fees_before,
                      risk_manager_->state().allows_entries(), stats_);
    out.done = k_ + 1 >= slices_[0].size() || !(eq > 0);
    write_obs(obs);
    return out;
}

void PortfolioEnv::measure_entries(const std::vector<double>& qty_before, bool past_halt,
                                   double drawdown) {
    // Market orders fill at this bar's open: measure every position there, against the account
    // marked at the same open.
    const Portfolio& p = stack_.engine->account();
    double eq_open = p.cash();
    for (std::size_t i = 0; i < assets(); ++i)
        eq_open += p.position(static_cast<InstrumentId>(i)).qty * slices_[i].open[k_] *
                   tapes_[i]->instrument.contract_size;
    bool entered = false;
    for (std::size_t i = 0; i < assets(); ++i) {
        const double qty = p.position(static_cast<InstrumentId>(i)).qty;
        if (!(std::fabs(qty) > std::fabs(qty_before[i]) + 1e-12)) continue;
        entered = true;
        if (eq_open <= 0) continue;
        const double x =
            std::fabs(qty) * slices_[i].open[k_] * tapes_[i]->instrument.contract_size / eq_open;
        asset_entry_[i] = std::max(asset_entry_[i], x);
        stats_.max_entry_exposure = std::max(stats_.max_entry_exposure, x);
    }
    if (!entered) return;
    if (past_halt) ++stats_.entries_past_halt;
    stats_.max_entry_drawdown = std::max(stats_.max_entry_drawdown, drawdown);
}

void PortfolioEnv::write_obs(std::span<float> obs) {
    const std::size_t g = start_ + k_;
    const Portfolio& p = stack_.engine->account();
    const double eq = p.equity();
    const float dd = static_cast<float>(account_.drawdown(eq));
    const float cash = eq > 0 ? static_cast<float>(p.cash() / eq) : 0.0f;
    const float allowed = risk_manager_->state().allows_entries() ? 1.0f : 0.0f;
    const std::size_t row = layout_.size();
    for (std::size_t i = 0; i < assets(); ++i) {
        const MarketTape& t = *tapes_[i];
        float* o = obs.data() + i * row;
        std::copy_n(t.row(g), t.columns, o);
        for (int r = 0; r < kRegimeCount; ++r)
            o[layout_.regime() + static_cast<std::size_t>(r)] =
                static_cast<int>(t.regime[g]) == r ? 1.0f : 0.0f;
        o[layout_.ready()] = t.ready[g] ? 1.0f : 0.0f;
        o[layout_.position()] = eq > 0 ? static_cast<float>(position_value(i) / eq) : 0.0f;
        o[layout_.drawdown()] = dd;
        o[layout_.cash()] = cash;
        o[layout_.entries_allowed()] = allowed;
    }
}

} // namespace aurum
