#include "backtest/engine.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "backtest/backtest_runner.hpp"
#include "backtest/instrument_rules.hpp"
#include "backtest/simulated_execution.hpp"
#include "core/error.hpp"

namespace aurum {

TimeMs StrategyContext::now() const {
    return static_cast<const Engine*>(this)->clock_.now();
}

OrderId StrategyContext::submit(const OrderRequest& request) {
    return static_cast<Engine*>(this)->submit_impl(request);
}

void StrategyContext::cancel(OrderId id) {
    static_cast<Engine*>(this)->cancel_impl(id);
}

OrderId StrategyContext::protective_stop(InstrumentId i) const {
    return static_cast<const Engine*>(this)->guards_v_[i].stop;
}

OrderId StrategyContext::protective_target(InstrumentId i) const {
    return static_cast<const Engine*>(this)->guards_v_[i].target;
}

double StrategyContext::target_order_qty(InstrumentId i, double target_qty) const {
    const double pos = position(i);
    double diff = target_qty - pos;
    const Instrument& inst = instrument(i);
    const bool spot = !inst.shortable && inst.max_leverage <= 1.0;
    if (spot && diff > 0) {
        // A spot account cannot buy more than its cash covers (other positions may hold the
        // rest of the equity): aim for what is affordable at the last close instead.
        const double unit = bars(i).last_close() * inst.contract_size * (1 + taker_fee());
        if (unit > 0)
            diff = std::min(diff, round_qty_down(std::max(0.0, cash()) / unit, inst.lot_step));
    }
    return std::abs(diff) < std::max(inst.lot_step, inst.min_qty) * 0.5 ? 0.0 : diff;
}

OrderId StrategyContext::order_target(InstrumentId i, double target_qty, double stop_loss,
                                      double take_profit) {
    const double diff = target_order_qty(i, target_qty);
    if (diff == 0)
        return 0;
    const double pos = position(i);
    auto& g = static_cast<Engine*>(this)->guards_v_[i];
    g.stop_loss = target_qty != 0 ? stop_loss : 0.0;
    g.take_profit = target_qty != 0 ? take_profit : 0.0;
    if (pos != 0 && (diff > 0) != (pos > 0)) {
        // Reducing, closing or flipping: the stop (and its target: one OCO list) goes first, so
        // it cannot fire on a position that is already being sold (a spot account would be
        // selling coins twice).
        auto* engine = static_cast<Engine*>(this);
        engine->cancel_guard_order(g.stop);
        engine->cancel_guard_order(g.target);
    }
    return submit(OrderRequest::market(i, diff > 0 ? Side::Buy : Side::Sell, std::abs(diff)));
}

OrderRequest protective_stop_request(InstrumentId i, Side exit, double qty, double trigger,
                                     double limit_offset, double tick_size) {
    OrderRequest r;
    if (!(limit_offset > 0)) {
        r = OrderRequest::stop(i, exit, qty, trigger);
        r.protective = true;
        return r;
    }
    // The limit lies beyond the trigger in the exit's direction, whole ticks away from it (a
    // sell stops out below: its limit is lower still), so rounding never puts it past the stop.
    const double stop = round_to_tick(trigger, tick_size);
    double limit = exit == Side::Sell ? stop * (1.0 - limit_offset) : stop * (1.0 + limit_offset);
    if (tick_size > 0)
        limit = exit == Side::Sell ? std::floor(limit / tick_size + 1e-9) * tick_size
                                   : std::ceil(limit / tick_size - 1e-9) * tick_size;
    r = OrderRequest::stop_limit(i, exit, qty, stop, limit);
    r.protective = true;
    return r;
}

OrderRequest take_profit_request(InstrumentId i, Side exit, double qty, double avg_price,
                                 double take_profit, double tick_size) {
    const double price = avg_price * (1.0 + sign(opposite(exit)) * take_profit);
    OrderRequest r = OrderRequest::limit(i, exit, qty, round_to_tick(price, tick_size));
    r.protective = true;
    return r;
}

OrderId StrategyContext::order_target_limit(InstrumentId i, double target_qty, double limit_price) {
    const double diff = target_order_qty(i, target_qty);
    if (diff == 0)
        return 0;
    return submit(
        OrderRequest::limit(i, diff > 0 ? Side::Buy : Side::Sell, std::abs(diff), limit_price));
}

Engine::Engine(std::vector<Instrument> instruments, std::vector<const BarSeries*> data,
               Strategy& strategy, ExecutionClient& execution, RiskHook& risk, const Clock& clock,
               BacktestConfig config)
    : instruments_v_(std::move(instruments)), data_v_(std::move(data)), strategy_(strategy),
      exec_(execution), risk_(risk), clock_(clock), config_(config),
      portfolio_(config.initial_capital, instruments_v_) {
    if (instruments_v_.empty() || instruments_v_.size() != data_v_.size())
        throw InputError("backtest: need one bar series per instrument");
    if (!(config_.initial_capital > 0) || !std::isfinite(config_.initial_capital))
        throw InputError("backtest: initial capital must be positive");
    visible_v_.assign(instruments_v_.size(), 0);
    pending_v_.assign(instruments_v_.size(), 0);
    guards_v_.assign(instruments_v_.size(), Guard{});
    instruments_ = &instruments_v_;
    data_ = &data_v_;
    visible_ = &visible_v_;
    pending_ = &pending_v_;
    StrategyContext::portfolio_ = &portfolio_;
    taker_fee_ = config_.fill.fees.taker;
    allow_short_ = config_.allow_short;
    result_.events.reserve(64);
}

void Engine::reserve_steps(std::size_t n) {
    curve_.time.reserve(n);
    curve_.equity.reserve(n);
    curve_.cash.reserve(n);
    curve_.exposure.reserve(n);
    if (config_.record_fills)
        result_.fills.reserve(std::min<std::size_t>(n, 1 << 16));
    portfolio_.reserve_trades(std::min<std::size_t>(n / 8 + 16, 1 << 16));
}

void Engine::start() {
    exec_.bind(*this);
    strategy_.on_start(*this);
}

void Engine::step(std::span<const InstrumentId> ids) {
    TimeMs open_time = 0;
    for (const InstrumentId i : ids) {
        const BarSeries& s = *data_v_[i];
        const std::size_t k = visible_v_[i];
        Bar b;
        b.time = s.time[k];
        b.open = s.open[k];
        b.high = s.high[k];
        b.low = s.low[k];
        b.close = s.close[k];
        b.volume = s.volume[k];
        b.spread = s.has_spread() ? s.spread[k] : 0.0;
        open_time = b.time;
        exec_.on_bar(i, b);
    }
    exec_.poll();
    for (const InstrumentId i : ids) {
        portfolio_.mark(i, data_v_[i]->close[visible_v_[i]]);
        ++visible_v_[i];
    }
    const double eq = portfolio_.equity();
    curve_.time.push_back(open_time);
    curve_.equity.push_back(eq);
    curve_.cash.push_back(portfolio_.cash());
    curve_.exposure.push_back(eq > 0 ? portfolio_.gross_exposure() / eq : 0.0);
    for (const InstrumentId i : ids)
        strategy_.on_bar(*this, i);
}

void Engine::reject(const OrderRequest& r, RejectReason reason, std::string note) {
    OrderEvent ev;
    ev.instrument = r.instrument;
    ev.status = OrderStatus::Rejected;
    ev.reason = reason;
    ev.time = clock_.now();
    ev.side = r.side;
    ev.type = r.type;
    ev.qty = r.qty;
    ev.note = std::move(note);
    ++result_.orders_rejected;
    if (config_.record_events)
        result_.events.push_back(ev);
    strategy_.on_order_event(*this, ev);
}

OrderId Engine::submit_impl(const OrderRequest& request) {
    OrderRequest r = request;
    return admit(r) ? send_order(r) : 0;
}

bool Engine::admit(OrderRequest& r) {
    if (r.instrument >= instruments_v_.size()) {
        reject(r, RejectReason::InvalidOrder, "unknown instrument index");
        return false;
    }
    const std::size_t seen = visible_v_[r.instrument];
    const double ref = seen > 0 ? data_v_[r.instrument]->close[seen - 1] : 0.0;
    if (!(ref > 0)) {
        reject(r, RejectReason::InvalidOrder, "no price yet for this instrument");
        return false;
    }
    const Instrument& inst = instruments_v_[r.instrument];
    RejectReason why =
        check_order(r, inst, ref, portfolio_, config_.fill.fees.taker, config_.allow_short);
    if (why != RejectReason::None) {
        reject(r, why, {});
        return false;
    }
    RiskDecision d = risk_.review(r, inst, ref, portfolio_, clock_.now());
    if (d.action == RiskDecision::Action::Deny) {
        reject(r, RejectReason::RiskDenied, std::move(d.reason));
        return false;
    }
    if (d.action == RiskDecision::Action::Reduce) {
        const double asked = r.qty;
        r.qty = std::min(d.qty, r.qty);
        why = check_order(r, inst, ref, portfolio_, config_.fill.fees.taker, config_.allow_short);
        if (why != RejectReason::None) {
            reject(r, RejectReason::RiskDenied,
                   "reduced below the instrument's rules: " + d.reason);
            return false;
        }
        OrderEvent ev;
        ev.instrument = r.instrument;
        ev.status = OrderStatus::Accepted;
        ev.reason = RejectReason::RiskDenied;
        ev.time = clock_.now();
        ev.side = r.side;
        ev.type = r.type;
        ev.qty = r.qty;
        ev.note = "risk reduced quantity from " + std::to_string(asked) + ": " + d.reason;
        if (config_.record_events)
            result_.events.push_back(ev);
    }
    return true;
}

OrderId Engine::send_order(const OrderRequest& r, OrderId oco) {
    Order o;
    o.id = ++next_id_;
    o.req = r;
    o.oco = oco;
    o.created_at = clock_.now();
    o.active_at = o.created_at + config_.fill.latency_ms;
    ++pending_v_[r.instrument];
    ++result_.orders_submitted;
    exec_.submit(o);
    return o.id;
}

void Engine::cancel_impl(OrderId id) {
    exec_.cancel(id, clock_.now());
}

void Engine::on_fill(const Fill& f) {
    portfolio_.apply_fill(f, curve_.size());
    ++result_.fills_count;
    result_.fees += f.fee;
    result_.spread_cost += f.spread_cost;
    result_.slippage_cost += f.slippage_cost;
    result_.traded_notional += f.qty * f.price * instruments_v_[f.instrument].contract_size;
    if (config_.record_fills)
        result_.fills.push_back(f);
    Guard& g = guards_v_[f.instrument];
    if (g.has_target()) {
        if (f.order_id != 0 && (f.order_id == g.stop || f.order_id == g.target))
            guard_leg_filled(f);
        else
            guard_with_target(f.instrument);
    } else if (g.stop != 0 && f.order_id == g.stop)
        g.stop_qty -= f.qty; // the stop itself: what is left of it still guards the rest
    else if (g.stop_loss > 0 || g.stop != 0)
        guard_position(f.instrument);
    strategy_.on_fill(*this, f);
}

void Engine::guard_position(InstrumentId i) {
    Guard& g = guards_v_[i];
    const Position& p = portfolio_.position(i);
    const double want = g.stop_loss > 0 ? std::abs(p.qty) : 0.0;
    if (g.stop != 0 && std::abs(g.stop_qty - want) <= 1e-12 * std::max(1.0, want))
        return; // the live stop already covers the position
    cancel_guard_order(g.stop);
    if (want <= 0)
        return;
    g.stop_qty = want;
    g.stop = submit_impl(guard_stop_request(i, want));
}

void Engine::cancel_guard_order(OrderId& id) {
    if (id == 0)
        return;
    const OrderId old = id;
    id = 0; // before the cancel: its event must not find it again
    cancel_impl(old);
}

OrderRequest Engine::guard_stop_request(InstrumentId i, double qty) const {
    const Position& p = portfolio_.position(i);
    const Side exit = p.qty > 0 ? Side::Sell : Side::Buy;
    const double trigger = p.avg_price * (1.0 - sign(opposite(exit)) * guards_v_[i].stop_loss);
    return protective_stop_request(i, exit, qty, trigger, config_.fill.stop_limit_offset,
                                   instruments_v_[i].tick_size);
}

void Engine::guard_with_target(InstrumentId i) {
    Guard& g = guards_v_[i];
    const Position& p = portfolio_.position(i);
    const double size = std::abs(p.qty);
    const double want_stop = g.stop_loss > 0 ? size : 0.0;
    const double want_target = g.take_profit > 0 ? size : 0.0;
    const auto covers = [](OrderId id, double qty, double want) {
        return want > 0 ? id != 0 && std::abs(qty - want) <= 1e-12 * std::max(1.0, want)
                        : id == 0;
    };
    if (covers(g.stop, g.stop_qty, want_stop) && covers(g.target, g.target_qty, want_target))
        return; // the live orders already cover the position
    // Replaced together: a venue's OCO list cannot be resized (cancelling a leg cancels both).
    cancel_guard_order(g.stop);
    cancel_guard_order(g.target);
    if (want_stop <= 0 && want_target <= 0)
        return;
    const Side exit = p.qty > 0 ? Side::Sell : Side::Buy;
    OrderRequest stop = guard_stop_request(i, want_stop);
    OrderRequest target = take_profit_request(i, exit, want_target, p.avg_price, g.take_profit,
                                              instruments_v_[i].tick_size);
    const bool stop_ok = want_stop > 0 && admit(stop);
    const bool target_ok = want_target > 0 && admit(target);
    g.stop_qty = stop.qty;
    g.target_qty = target.qty;
    if (stop_ok && target_ok) {
        // One OCO pair: the legs name each other, so the venue gets them as one order list.
        const OrderId stop_id = next_id_ + 1, target_id = next_id_ + 2;
        g.stop = send_order(stop, target_id);
        g.target = send_order(target, stop_id);
    } else {
        g.stop = stop_ok ? send_order(stop) : 0;
        g.target = target_ok ? send_order(target) : 0;
    }
}

void Engine::guard_leg_filled(const Fill& f) {
    Guard& g = guards_v_[f.instrument];
    const bool is_stop = f.order_id == g.stop;
    double& left = is_stop ? g.stop_qty : g.target_qty;
    left -= f.qty;
    OrderId& other = is_stop ? g.target : g.stop;
    if (other != 0) {
        // Any fill of one leg of an OCO pair ends the other at the venue (Binance expires it;
        // the simulation cancels it): it no longer guards anything.
        other = 0;
        (is_stop ? g.target_qty : g.stop_qty) = 0;
    }
    if (left > 1e-12 * std::max(1.0, std::abs(left)))
        guard_with_target(f.instrument); // a partial fill: the rest is paired again
}

void Engine::on_order_event(const OrderEvent& ev) {
    const bool terminal = ev.status == OrderStatus::Filled || ev.status == OrderStatus::Cancelled ||
                          ev.status == OrderStatus::Rejected;
    if (terminal && ev.order_id != 0 && ev.role == OrderRole::Standalone &&
        ev.reason != RejectReason::UnknownOrder && ev.instrument < pending_v_.size()) {
        --pending_v_[ev.instrument];
        if (guards_v_[ev.instrument].stop == ev.order_id)
            guards_v_[ev.instrument].stop = 0; // filled (the position is closed) or refused
        if (guards_v_[ev.instrument].target == ev.order_id)
            guards_v_[ev.instrument].target = 0;
    }
    if (ev.status == OrderStatus::Filled) {
        ++result_.orders_filled;
    } else {
        if (ev.status == OrderStatus::Cancelled)
            ++result_.orders_cancelled;
        if (config_.record_events)
            result_.events.push_back(ev);
    }
    strategy_.on_order_event(*this, ev);
}

BacktestResult Engine::finish() {
    BacktestResult r = std::move(result_);
    r.instruments = instruments_v_;
    r.timeframe = data_v_[0]->timeframe;
    r.initial_capital = config_.initial_capital;
    r.final_equity = portfolio_.equity();
    r.curve = std::move(curve_);
    r.trades = portfolio_.trades();
    for (InstrumentId i = 0; i < instruments_v_.size(); ++i) {
        if (portfolio_.position(i).qty != 0) {
            Trade t = portfolio_.open_trade(i);
            const Position& p = portfolio_.position(i);
            t.gross_pnl += p.qty * (p.mark - p.avg_price) * instruments_v_[i].contract_size;
            t.exit_price = p.mark;
            t.exit_step = r.curve.size() ? r.curve.size() - 1 : 0;
            t.exit_time = r.curve.size() ? r.curve.time.back() : 0;
            r.open_trades.push_back(t);
        }
    }
    r.open_orders_at_end = exec_.open_order_count();
    return r;
}

BacktestResult run_backtest(const std::vector<Instrument>& instruments,
                            const std::vector<const BarSeries*>& data, Strategy& strategy,
                            const BacktestConfig& config, RiskHook* risk) {
    SimulatedClock clock;
    SimulatedExecutionClient exec(instruments, config.fill);
    AllowAllRiskHook allow_all;
    Engine engine(instruments, data, strategy, exec, risk ? *risk : allow_all, clock, config);
    return drive_backtest(engine, clock, data);
}

BacktestResult drive_backtest(Engine& engine, SimulatedClock& clock,
                              const std::vector<const BarSeries*>& data) {
    std::size_t most = 0;
    for (const BarSeries* s : data)
        most = std::max(most, s->size());
    engine.reserve_steps(most);
    const TimeMs tf = data[0]->timeframe.ms();
    engine.start();

    const std::size_t n = data.size();
    std::vector<std::size_t> cursor(n, 0);
    std::vector<InstrumentId> ids;
    ids.reserve(n);
    if (n == 1) {
        // One instrument: every bar is its own step.
        const InstrumentId only = 0;
        const BarSeries& s = *data[0];
        for (std::size_t k = 0; k < s.size(); ++k) {
            clock.set(s.time[k] + tf);
            engine.step(std::span<const InstrumentId>(&only, 1));
        }
        return engine.finish();
    }
    for (;;) {
        TimeMs t = std::numeric_limits<TimeMs>::max();
        for (std::size_t i = 0; i < n; ++i)
            if (cursor[i] < data[i]->size())
                t = std::min(t, data[i]->time[cursor[i]]);
        if (t == std::numeric_limits<TimeMs>::max())
            break;
        ids.clear();
        for (std::size_t i = 0; i < n; ++i) {
            if (cursor[i] < data[i]->size() && data[i]->time[cursor[i]] == t) {
                ids.push_back(static_cast<InstrumentId>(i));
                ++cursor[i];
            }
        }
        clock.set(t + tf);
        engine.step(ids);
    }
    return engine.finish();
}

namespace {
class RiskOffRunner final : public BacktestRunner {
  public:
    BacktestResult run(const std::vector<Instrument>& instruments,
                       const std::vector<const BarSeries*>& data, Strategy& strategy,
                       const BacktestConfig& config) const override {
        return run_backtest(instruments, data, strategy, config);
    }
    std::string risk_label() const override { return ""; }
};
} // namespace

const BacktestRunner& risk_off_runner() {
    static const RiskOffRunner r;
    return r;
}

} // namespace aurum
