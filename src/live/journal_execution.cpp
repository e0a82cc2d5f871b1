#include "live/journal_execution.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "backtest/portfolio.hpp"
#include "core/error.hpp"
#include "core/stable_hash.hpp"
#include "risk/account_risk_hook.hpp"

namespace aurum {

namespace {
/// A journaled report's side; anything but "buy"/"sell" is a broken journal, never a default.
Side stored_side(const ExecReport& r) {
    if (r.side == "buy") return Side::Buy;
    if (r.side == "sell") return Side::Sell;
    throw InputError("journal: report of order " + r.client_order_id + " has side '" + r.side +
                     "' (expected buy or sell)");
}
} // namespace


std::string make_client_order_id(const std::string& session_id, const std::string& symbol,
                                 TimeMs bar_time, int seq) {
    Fnv1aShortBasis64 h; // each field ends with a 0xff byte, which no text contains
    for (const std::string& field : {session_id, symbol, std::to_string(bar_time), std::to_string(seq)})
        h.add(field).add_byte(0xff);
    return fmt::format("AE{:016x}", h.value());
}

namespace {
/// A cancel's journaled outcome: replayed by the cancel itself, where the re-run asks for it.
bool answers_a_cancel(const ExecReport& r) {
    return r.kind == "event" && (r.reason == static_cast<int>(RejectReason::UserCancelled) ||
                                 r.reason == static_cast<int>(RejectReason::UnknownOrder));
}
bool booked_after_send(const ExecReport& r) { return r.seq >= kAfterSendSeq; }
} // namespace

JournalExecution::JournalExecution(ExecutionClient& inner, std::vector<Instrument> instruments,
                                   std::string session_id)
    : inner_(inner), instruments_(std::move(instruments)), session_id_(std::move(session_id)) {}

void JournalExecution::bind(ExecutionSink& sink) {
    engine_ = &sink;
    inner_.bind(*this);
}

void JournalExecution::begin_recovery(std::vector<OrderRecord> orders,
                                      std::vector<ExecReport> reports, TimeMs until) {
    recovering_ = true;
    recover_until_ = until;
    for (auto& o : orders) journal_orders_.emplace(o.client_order_id, std::move(o));
    for (auto& r : reports) journal_reports_[r.bar_time].push_back(std::move(r));
}

void JournalExecution::end_recovery() {
    if (!recovering_) return;
    recovering_ = false;
    // Orders journaled (so possibly sent) before the crash and not finished: hand them to the
    // venue now, under the id they were journaled with.
    for (auto& [cid, t] : orders_) {
        if (t.done) continue;
        if (!journal_orders_.count(cid)) continue;
        Order o = t.order;
        o.filled_qty = t.filled;
        to_send_.push_back(o);
    }
    std::sort(to_send_.begin(), to_send_.end(),
              [](const Order& a, const Order& b) { return a.id < b.id; });
    journal_orders_.clear();
    journal_reports_.clear();
    new_orders_.clear();
    new_reports_.clear();
    status_updates_.clear();
    std::vector<Order> resume;
    resume.swap(to_send_);
    for (const Order& o : resume) {
        sent_.push_back(client_id(o.id));
        inner_.resume(o, client_id(o.id)); // a live venue reconciles instead of re-sending
    }
}

void JournalExecution::begin_step(TimeMs bar_time) {
    bar_time_ = bar_time;
    report_seq_ = 0;
    after_send_ = false;
    sent_in_step_ = false;
    order_seq_.clear();
    source_ = "strategy";
    if (recovering_ && bar_time > recover_until_) end_recovery();
}

void JournalExecution::begin_after_send() {
    after_send_ = true;
    // After a restart the phase can come twice for one step: its reports follow the journaled.
    report_seq_ = std::max(report_seq_, kAfterSendSeq);
}

std::string JournalExecution::client_id(OrderId id) const {
    auto it = cid_.find(id);
    return it == cid_.end() ? std::string() : it->second;
}

void JournalExecution::submit(const Order& order) {
    const Instrument& inst = instruments_.at(order.req.instrument);
    const int seq = order_seq_[inst.symbol]++;
    const std::string cid = make_client_order_id(session_id_, inst.symbol, bar_time_, seq);
    cid_[order.id] = cid;
    id_of_[cid] = order.id;
    orders_[cid] = Tracked{order, 0, 0, false};
    if (recovering_) {
        if (!journal_orders_.count(cid))
            throw SystemError(fmt::format(
                "recovery diverged: order {} {} {} at {} is not in the journal (the session's "
                "data or parameters changed since it ran; start a new session with --new-session)",
                cid, to_string(order.req.side), inst.symbol, format_time(bar_time_)));
        return;
    }
    OrderRecord r;
    r.client_order_id = cid;
    r.session_id = session_id_;
    r.symbol = inst.symbol;
    r.side = std::string(to_string(order.req.side));
    r.type = std::string(to_string(order.req.type));
    r.qty = order.req.qty;
    r.limit_price = order.req.limit_price;
    r.stop_price = order.req.stop_price;
    r.bar_time = bar_time_;
    r.created_at = order.created_at;
    r.source = to_string(static_cast<OrderSource>(order.req.tag));
    r.status = "new";
    new_orders_.push_back(std::move(r));
    to_send_.push_back(order);
}

void JournalExecution::cancel(OrderId id, TimeMs now) {
    if (!recovering_) {
        // Created in this step and not sent yet (sends wait for the journal): cancelled here and
        // never sent. The venue would answer "unknown order" and then get the order anyway.
        const auto unsent = std::find_if(to_send_.begin(), to_send_.end(),
                                         [id](const Order& o) { return o.id == id; });
        if (unsent == to_send_.end()) {
            inner_.cancel(id, now);
            return;
        }
        OrderEvent ev;
        ev.order_id = id;
        ev.instrument = unsent->req.instrument;
        ev.status = OrderStatus::Cancelled;
        ev.reason = RejectReason::UserCancelled;
        ev.time = now;
        ev.side = unsent->req.side;
        ev.type = unsent->req.type;
        ev.role = unsent->role;
        ev.qty = unsent->req.qty;
        to_send_.erase(unsent);
        on_order_event(ev);
        return;
    }
    // Replay the journaled outcome of this cancel from the current step.
    const std::string cid = client_id(id);
    replay_step_reports(
        [&](const ExecReport& r) { return r.client_order_id == cid && answers_a_cancel(r); });
}

template <class Pred> void JournalExecution::replay_step_reports(Pred&& take) {
    auto it = journal_reports_.find(bar_time_);
    if (it == journal_reports_.end()) return;
    for (const auto& r : it->second) {
        if (!take(r)) continue;
        const auto o = orders_.find(r.client_order_id);
        deliver(r, o != orders_.end() ? o->second.order.req.instrument : 0);
    }
}

void JournalExecution::on_bar(InstrumentId instrument, const Bar& bar) {
    // The inner client always sees the bar: its cost models keep state (volatility, volume).
    inner_.on_bar(instrument, bar);
    if (!recovering_) return;
    const std::string& sym = instruments_[instrument].symbol;
    replay_step_reports([&](const ExecReport& r) {
        return r.symbol == sym && !answers_a_cancel(r) && !booked_after_send(r);
    });
}

void JournalExecution::poll() {
    if (!recovering_) {
        inner_.poll();
        return;
    }
    if (after_send_)
        replay_step_reports(
            [](const ExecReport& r) { return booked_after_send(r) && !answers_a_cancel(r); });
}

void JournalExecution::deliver(const ExecReport& r, InstrumentId i) {
    auto idit = id_of_.find(r.client_order_id);
    if (idit == id_of_.end())
        throw SystemError("recovery diverged: the journal has a report for order " +
                          r.client_order_id + " that the re-run did not create");
    Tracked& t = orders_[r.client_order_id];
    report_seq_ = std::max(report_seq_, r.seq + 1);
    if (r.kind == "fill") {
        Fill f;
        f.order_id = idit->second;
        f.instrument = i;
        f.side = stored_side(r);
        f.role = static_cast<OrderRole>(r.role);
        f.time = r.time;
        f.qty = r.qty;
        f.price = r.price;
        f.fee = r.fee;
        f.spread_cost = r.spread_cost;
        f.slippage_cost = r.slippage_cost;
        f.maker = r.maker != 0;
        t.filled += f.qty;
        t.notional += f.qty * f.price;
        engine_->on_fill(f);
    } else {
        OrderEvent e;
        e.order_id = idit->second;
        e.instrument = i;
        e.status = static_cast<OrderStatus>(r.status);
        e.reason = static_cast<RejectReason>(r.reason);
        e.time = r.time;
        e.side = stored_side(r);
        e.type = t.order.req.type;
        e.role = static_cast<OrderRole>(r.role);
        e.qty = r.qty;
        if (e.status == OrderStatus::Filled || e.status == OrderStatus::Cancelled ||
            e.status == OrderStatus::Rejected)
            t.done = true;
        engine_->on_order_event(e);
    }
}

void JournalExecution::record_fill(const Fill& f, const std::string& cid) {
    ExecReport r;
    r.session_id = session_id_;
    r.bar_time = bar_time_;
    r.seq = report_seq_++;
    r.kind = "fill";
    r.client_order_id = cid;
    r.symbol = instruments_.at(f.instrument).symbol;
    r.side = std::string(to_string(f.side));
    r.qty = f.qty;
    r.price = f.price;
    r.fee = f.fee;
    r.spread_cost = f.spread_cost;
    r.slippage_cost = f.slippage_cost;
    r.role = static_cast<int>(f.role);
    r.maker = f.maker ? 1 : 0;
    r.time = f.time;
    new_reports_.push_back(std::move(r));
}

void JournalExecution::record_event(const OrderEvent& e, const std::string& cid) {
    ExecReport r;
    r.session_id = session_id_;
    r.bar_time = bar_time_;
    r.seq = report_seq_++;
    r.kind = "event";
    r.client_order_id = cid;
    r.symbol = e.instrument < instruments_.size() ? instruments_[e.instrument].symbol : "";
    r.side = std::string(to_string(e.side));
    r.qty = e.qty;
    r.role = static_cast<int>(e.role);
    r.status = static_cast<int>(e.status);
    r.reason = static_cast<int>(e.reason);
    r.time = e.time;
    new_reports_.push_back(std::move(r));
}

void JournalExecution::on_fill(const Fill& f) {
    std::string cid = client_id(f.order_id);
    if (cid.empty()) {
        // A bracket leg created by the client: it gets an id derived from its parent's step.
        const Instrument& inst = instruments_.at(f.instrument);
        cid = make_client_order_id(session_id_, inst.symbol + "#leg" + std::to_string(f.order_id),
                                   bar_time_, 0);
        cid_[f.order_id] = cid;
        id_of_[cid] = f.order_id;
    }
    Tracked& t = orders_[cid];
    t.filled += f.qty;
    t.notional += f.qty * f.price;
    record_fill(f, cid);
    status_updates_.push_back({cid, t.filled + 1e-12 >= t.order.req.qty ? "filled" : "partial",
                               t.filled, t.filled > 0 ? t.notional / t.filled : 0, {}});
    engine_->on_fill(f);
}

void JournalExecution::on_order_event(const OrderEvent& e) {
    const std::string cid = client_id(e.order_id);
    record_event(e, cid);
    if (!cid.empty() && (e.status == OrderStatus::Cancelled || e.status == OrderStatus::Rejected ||
                         e.status == OrderStatus::Filled)) {
        Tracked& t = orders_[cid];
        t.done = true;
        std::string st = e.status == OrderStatus::Filled      ? "filled"
                         : e.status == OrderStatus::Cancelled ? "cancelled"
                                                              : "rejected";
        status_updates_.push_back(
            {cid, st, t.filled, t.filled > 0 ? t.notional / t.filled : 0, e.note});
    }
    engine_->on_order_event(e);
}

void JournalExecution::flush() {
    new_orders_.clear();
    new_reports_.clear();
    status_updates_.clear();
    send_pending();
}

void JournalExecution::send_pending() {
    std::vector<Order> send;
    send.swap(to_send_);
    for (const Order& o : send) {
        sent_.push_back(client_id(o.id));
        inner_.submit_with_id(o, client_id(o.id));
    }
    if (!send.empty()) {
        last_send_ = std::chrono::steady_clock::now();
        sent_in_step_ = true;
    }
}

std::size_t JournalExecution::open_order_count() const {
    if (!recovering_) return inner_.open_order_count();
    std::size_t n = 0;
    for (const auto& [cid, t] : orders_) n += t.done ? 0 : 1;
    return n;
}

} // namespace aurum
