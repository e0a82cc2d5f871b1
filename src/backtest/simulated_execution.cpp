#include "backtest/simulated_execution.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "backtest/instrument_rules.hpp"
#include "backtest/portfolio.hpp"

namespace aurum {

namespace {
constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

bool is_leveraged(const Instrument& inst) {
    return inst.shortable || inst.max_leverage > 1.0;
}

/// The part a leg plays in an OCO pair: bracket children say so; the engine's standalone pairs
/// are a limit (the target) and a stop.
OrderRole leg_role(const Order& o) {
    if (o.role != OrderRole::Standalone)
        return o.role;
    return o.req.type == OrderType::Limit ? OrderRole::TakeProfit : OrderRole::StopLoss;
}
} // namespace

SimulatedExecutionClient::SimulatedExecutionClient(std::vector<Instrument> instruments,
                                                   FillConfig config)
    : instruments_(std::move(instruments)), config_(config) {
    live_.reserve(256);
    sigma_.assign(instruments_.size(), 0.0);
    avg_volume_.assign(instruments_.size(), 0.0);
    bars_seen_.assign(instruments_.size(), 0);
}

std::vector<Order> SimulatedExecutionClient::open_orders() const {
    std::vector<Order> out;
    for (const auto& l : live_)
        if (l.order.is_open())
            out.push_back(l.order);
    return out;
}

void SimulatedExecutionClient::submit(const Order& order) {
    Live l;
    l.order = order;
    l.order.status = OrderStatus::Accepted;
    // The target of an OCO pair rests at the venue from the start (a LIMIT_MAKER): a gap
    // through it is a maker fill at the open, as a bracket's take-profit.
    l.seen = order.oco != 0 && order.req.type == OrderType::Limit;
    live_.push_back(l);
}

std::size_t SimulatedExecutionClient::find(OrderId id) const {
    for (std::size_t k = 0; k < live_.size(); ++k)
        if (live_[k].order.id == id)
            return k;
    return kNone;
}

void SimulatedExecutionClient::cancel(OrderId id, TimeMs now) {
    const std::size_t k = find(id);
    if (k == kNone || !live_[k].order.is_open()) {
        sink_->on_order_event(OrderEvent::unknown_order(id, now));
        return;
    }
    finish(k, OrderStatus::Cancelled, RejectReason::UserCancelled, now);
    // Cancelled from a fill's callback inside on_bar: erasing now would shift the order being
    // matched; on_bar erases every finished order after its loop.
    if (!matching_)
        live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(k));
}

void SimulatedExecutionClient::finish(std::size_t k, OrderStatus status, RejectReason reason,
                                      TimeMs t) {
    Order& o = live_[k].order;
    o.status = status;
    OrderEvent ev;
    ev.order_id = o.id;
    ev.instrument = o.req.instrument;
    ev.status = status;
    ev.reason = reason;
    ev.time = t;
    ev.side = o.req.side;
    ev.type = o.req.type;
    ev.role = o.role;
    ev.qty = o.req.qty;
    sink_->on_order_event(ev);
}

double SimulatedExecutionClient::spread_of(const Bar& bar) const {
    const SpreadModel& s = config_.spread;
    switch (s.mode) {
    case SpreadModel::Mode::None:
        return 0;
    case SpreadModel::Mode::Fixed:
        return s.fixed;
    case SpreadModel::Mode::FixedBps:
        return bar.open * s.fixed_bps * 1e-4;
    case SpreadModel::Mode::Column:
        return bar.spread > 0 ? bar.spread : s.fixed;
    }
    return 0;
}

SimulatedExecutionClient::SideBar SimulatedExecutionClient::side_bar(Side side,
                                                                     const Bar& bar) const {
    const double spread = spread_of(bar);
    double off;
    if (config_.spread.basis == PriceBasis::Mid)
        off = side == Side::Buy ? spread / 2 : -spread / 2;
    else // bid bars: buyers pay the ask (bid + spread), sellers get the bid
        off = side == Side::Buy ? spread : 0.0;
    return {bar.open + off, bar.high + off, bar.low + off};
}

bool SimulatedExecutionClient::match(Live& live, const SideBar& b, Match& m) const {
    Order& o = live.order;
    const OrderRequest& r = o.req;
    const bool buy = r.side == Side::Buy;
    const bool ioc = r.tif == TimeInForce::IOC;

    // A limit at P: marketable at the open (fill at the open), else reached inside the range
    // (fill at P as a resting maker order). IOC orders only get the open.
    auto limit_match = [&](double p, bool resting) {
        if (buy ? b.open <= p : b.open >= p) {
            m = {b.open, !resting, true};
            return true;
        }
        if (ioc)
            return false;
        if (buy ? b.low <= p : b.high >= p) {
            m = {p, false, false};
            return true;
        }
        return false;
    };

    switch (r.type) {
    case OrderType::Market:
        m = {b.open, true, true};
        return true;
    case OrderType::Limit:
        return limit_match(r.limit_price, live.seen);
    case OrderType::Stop: {
        const double s = r.stop_price;
        if (buy ? b.open >= s : b.open <= s) {
            m = {b.open, true, true}; // gapped through the stop: the open is the first price
            return true;
        }
        if (buy ? b.high >= s : b.low <= s) {
            m = {s, true, false};
            return true;
        }
        return false;
    }
    case OrderType::StopLimit: {
        if (o.triggered)
            return limit_match(r.limit_price, live.seen);
        const double s = r.stop_price, p = r.limit_price;
        if (buy ? b.open >= s : b.open <= s) {
            o.triggered = true;
            return limit_match(p, false);
        }
        if (buy ? b.high >= s : b.low <= s) {
            o.triggered = true;
            // At the trigger the price is s; the limit is marketable there when s is within it.
            // Otherwise we cannot know whether the price came back to p later in the bar, so
            // (pessimistically) it rests from the next bar.
            if (buy ? s <= p : s >= p) {
                m = {s, true, false};
                return true;
            }
        }
        return false;
    }
    }
    return false;
}

void SimulatedExecutionClient::on_bar(InstrumentId instrument, const Bar& bar) {
    double used_volume = 0;
    bool any_done = false;
    matching_ = true;
    for (std::size_t k = 0; k < live_.size(); ++k) {
        {
            const Order& o = live_[k].order;
            if (o.req.instrument != instrument || !o.is_open() || bar.time < o.active_at)
                continue;
            if (o.oco != 0 && o.role == OrderRole::Standalone) {
                const std::size_t p = find(o.oco);
                if (p != kNone && live_[p].order.is_open() && bar.time >= live_[p].order.active_at) {
                    if (p > k) // the pair is matched once, at its first leg
                        match_pair(k, p, bar, used_volume);
                    any_done = true;
                    continue;
                }
            }
        }
        Match m;
        bool hit = match(live_[k], side_bar(live_[k].order.req.side, bar), m);
        std::size_t target = k;
        if (hit && live_[k].order.oco != 0) {
            // Both legs of a bracket inside one bar: the configured priority decides which one
            // filled (we cannot see the order of prices within a bar).
            const std::size_t p = find(live_[k].order.oco);
            if (p != kNone && live_[p].order.is_open() && bar.time >= live_[p].order.active_at) {
                Match pm;
                if (match(live_[p], side_bar(live_[p].order.req.side, bar), pm)) {
                    if (leg_role(live_[p].order) == same_bar_winner()) {
                        target = p;
                        m = pm;
                    }
                }
            }
        }
        live_[k].seen = true;
        if (hit) {
            live_[target].seen = true;
            execute(target, m, bar, used_volume);
        }
        if (live_[k].order.is_open() && live_[k].order.req.tif == TimeInForce::IOC)
            finish(k, OrderStatus::Cancelled, RejectReason::Expired, bar.time);
        any_done = true;
    }
    matching_ = false;
    if (any_done)
        std::erase_if(live_, [](const Live& l) { return !l.order.is_open(); });

    // Volatility and volume estimates for slippage use past bars only: update after matching.
    const double r = bar.close > 0 ? (bar.high - bar.low) / bar.close : 0.0;
    if (bars_seen_[instrument] == 0) {
        sigma_[instrument] = r;
        avg_volume_[instrument] = bar.volume;
    } else {
        const double a = 2.0 / (std::max(1, config_.slippage.ewma_bars) + 1.0);
        sigma_[instrument] += a * (r - sigma_[instrument]);
        avg_volume_[instrument] += a * (bar.volume - avg_volume_[instrument]);
    }
    ++bars_seen_[instrument];
}

double SimulatedExecutionClient::execute(std::size_t k, const Match& m, const Bar& bar,
                                         double& used_volume) {
    const OrderRequest req = live_[k].order.req;
    const InstrumentId i = req.instrument;
    const Instrument& inst = instruments_[i];
    const double cs = inst.contract_size;
    const double s = sign(req.side);
    double q = live_[k].order.remaining();

    if (config_.max_participation > 0) {
        const double cap = config_.max_participation * bar.volume - used_volume;
        q = std::min(q, round_qty_down(std::max(cap, 0.0), inst.lot_step));
        if (q <= 0 || q < inst.min_qty * (1 - 1e-9))
            return 0; // stays live for the next bar
    }

    // Slippage on taker fills, adverse; a limit never fills beyond its price.
    double price = m.price;
    if (m.taker) {
        const SlippageModel& sm = config_.slippage;
        double frac = sm.fixed_bps * 1e-4 + sm.vol_k * sigma_[i];
        if (sm.impact_y > 0 && avg_volume_[i] > 0)
            frac += sm.impact_y * sigma_[i] * std::sqrt(q * cs / avg_volume_[i]);
        price += s * price * frac;
        const bool is_limit = req.type == OrderType::Limit || req.type == OrderType::StopLimit;
        if (is_limit)
            price = req.side == Side::Buy ? std::min(price, req.limit_price)
                                          : std::max(price, req.limit_price);
    }
    const double fee_rate = m.taker ? config_.fees.taker : config_.fees.maker;

    // A spot account cannot spend cash it lacks or sell coins it lacks: the venue would refuse,
    // so the fill shrinks to what the balance covers and the rest is cancelled.
    bool short_of_balance = false;
    if (!is_leveraged(inst)) {
        const Portfolio& pf = sink_->portfolio();
        double max_q;
        if (req.side == Side::Buy)
            max_q = round_qty_down(pf.cash() / (price * cs * (1 + fee_rate)), inst.lot_step);
        else
            max_q = std::max(0.0, pf.position(i).qty);
        if (q > max_q + 1e-12) {
            q = max_q;
            short_of_balance = true;
        }
        if (q <= 0 || q < inst.min_qty * (1 - 1e-9)) {
            finish(k, OrderStatus::Cancelled, RejectReason::InsufficientBalance, bar.time);
            return 0;
        }
    }

    const SideBar sb = side_bar(req.side, bar);
    const double spread_per_unit = std::abs(sb.open - bar.open);
    Fill f;
    f.order_id = live_[k].order.id;
    f.instrument = i;
    f.side = req.side;
    f.role = live_[k].order.role;
    f.time = bar.time;
    f.qty = q;
    f.price = price;
    f.fee = q * price * cs * fee_rate;
    f.spread_cost = spread_per_unit * q * cs;
    f.slippage_cost = std::abs(price - m.price) * q * cs;
    f.maker = !m.taker;
    used_volume += q * cs;

    {
        Order& o = live_[k].order;
        o.avg_fill_price = (o.avg_fill_price * o.filled_qty + price * q) / (o.filled_qty + q);
        o.filled_qty += q;
        o.status = o.remaining() <= 1e-9 * std::max(1.0, o.req.qty) ? OrderStatus::Filled
                                                                    : OrderStatus::PartiallyFilled;
    }
    sink_->on_fill(f);

    const OrderRole role = live_[k].order.role;
    if (role == OrderRole::Standalone && (req.take_profit > 0 || req.stop_loss > 0))
        spawn_bracket(k, q, bar, m.at_open);
    if (live_[k].order.oco != 0) {
        const std::size_t p = find(live_[k].order.oco);
        if (p != kNone && live_[p].order.is_open()) {
            // A bracket leg's partner shrinks with a partial fill; an engine's OCO pair ends on
            // any fill of either leg (Binance expires the other order of the list).
            if (live_[k].order.status == OrderStatus::Filled || role == OrderRole::Standalone) {
                finish(p, OrderStatus::Cancelled, RejectReason::OcoCancelled, bar.time);
            } else {
                live_[p].order.req.qty =
                    std::max(live_[p].order.filled_qty, live_[p].order.req.qty - q);
            }
        }
    }
    if (live_[k].order.status == OrderStatus::Filled)
        finish(k, OrderStatus::Filled, RejectReason::None, bar.time);
    else if (short_of_balance && live_[k].order.is_open())
        finish(k, OrderStatus::Cancelled, RejectReason::InsufficientBalance, bar.time);
    return q;
}

void SimulatedExecutionClient::match_pair(std::size_t k, std::size_t p, const Bar& bar,
                                          double& used_volume) {
    const bool k_was = live_[k].order.triggered, p_was = live_[p].order.triggered;
    Match mk, mp;
    const bool k_hit = match(live_[k], side_bar(live_[k].order.req.side, bar), mk);
    const bool p_hit = match(live_[p], side_bar(live_[p].order.req.side, bar), mp);
    // Active in this bar: traded, or a stop-limit triggered (Binance cancels the other leg the
    // moment the stop triggers, filled or not).
    const bool k_act = k_hit || (live_[k].order.triggered && !k_was);
    const bool p_act = p_hit || (live_[p].order.triggered && !p_was);
    live_[k].seen = live_[p].seen = true;
    if (!k_act && !p_act)
        return;
    std::size_t win = k_act ? k : p;
    if (k_act && p_act) {
        win = leg_role(live_[k].order) == same_bar_winner() ? k : p;
    }
    const std::size_t lose = win == k ? p : k;
    live_[lose].order.triggered = lose == k ? k_was : p_was; // it never happened
    if (win == k ? k_hit : p_hit)
        execute(win, win == k ? mk : mp, bar, used_volume); // ends the other leg on its fill
    if (live_[lose].order.is_open() && !(live_[win].order.is_open() && !live_[win].order.triggered))
        finish(lose, OrderStatus::Cancelled, RejectReason::OcoCancelled, bar.time);
}

void SimulatedExecutionClient::spawn_bracket(std::size_t parent_k, double qty, const Bar& bar,
                                             bool at_open) {
    const Order parent = live_[parent_k].order;
    const Side exit_side = opposite(parent.req.side);
    auto grow_or_make = [&](OrderId existing, OrderRole role) -> OrderId {
        const std::size_t c = existing ? find(existing) : kNone;
        if (c != kNone && live_[c].order.is_open()) {
            live_[c].order.req.qty += qty;
            return existing;
        }
        Live l;
        l.order.id = sink_->next_order_id();
        l.order.req =
            role == OrderRole::TakeProfit
                ? OrderRequest::limit(parent.req.instrument, exit_side, qty, parent.req.take_profit)
                : OrderRequest::stop(parent.req.instrument, exit_side, qty, parent.req.stop_loss);
        l.order.req.tag = parent.req.tag;
        l.order.role = role;
        l.order.parent = parent.id;
        l.order.created_at = bar.time;
        // After an entry at the open the whole bar follows it, so both legs may fill in it.
        // After an entry inside the bar we cannot tell what came first: only the stop-loss is
        // allowed to fill in the entry bar (pessimistic), the take-profit from the next bar.
        l.order.active_at = (role == OrderRole::StopLoss || at_open) ? bar.time : bar.time + 1;
        l.seen = true; // resting from the start: a gap through the take-profit is a maker fill
        live_.push_back(l);
        return l.order.id;
    };
    OrderId tp = 0, sl = 0;
    if (parent.req.take_profit > 0)
        tp = grow_or_make(live_[parent_k].tp_child, OrderRole::TakeProfit);
    if (parent.req.stop_loss > 0)
        sl = grow_or_make(live_[parent_k].sl_child, OrderRole::StopLoss);
    live_[parent_k].tp_child = tp;
    live_[parent_k].sl_child = sl;
    if (tp && sl) {
        live_[find(tp)].order.oco = sl;
        live_[find(sl)].order.oco = tp;
    }
}

} // namespace aurum
