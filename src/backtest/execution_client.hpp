#pragma once
// The seam between the engine and whatever executes orders. A backtest and paper trading use
// SimulatedExecutionClient; live trading plugs an exchange adapter in here, and nothing else in
// the engine changes (DESIGN.md "One engine, three modes").
#include "backtest/order.hpp"
#include "core/bar_series.hpp"

namespace aurum {

class Portfolio;

/// Receives what an execution client reports. The engine implements it: fills update the
/// portfolio and reach the strategy; order events are logged and reach the strategy.
class ExecutionSink {
  public:
    virtual ~ExecutionSink() = default;
    virtual void on_fill(const Fill& fill) = 0;
    virtual void on_order_event(const OrderEvent& event) = 0;
    /// The account as the engine sees it (for balance checks a venue would make itself).
    virtual const Portfolio& portfolio() const = 0;
    /// A fresh order id (bracket legs created by the client take theirs from here).
    virtual OrderId next_order_id() = 0;
};

/// Submits and cancels orders; reports fills and state changes to its sink, always on the
/// engine's thread (from inside submit/cancel/on_bar/poll), never concurrently.
///
/// Contract for implementations:
/// - submit() gets an order the engine has already validated against instrument rules and the
///   risk hook; the client may still reject it (OrderEvent with status Rejected).
/// - Every fill is reported exactly once; quantities are > 0 and never exceed the order's.
/// - When an order ends (Filled, Cancelled, Rejected) it is never reported again.
/// - Bracket children (take-profit / stop-loss) are the client's job: when an order carrying
///   take_profit/stop_loss fills, the client creates the legs as one OCO pair, with ids from
///   ExecutionSink::next_order_id(), and reports their fills like any other.
class ExecutionClient {
  public:
    virtual ~ExecutionClient() = default;
    /// Called once by the engine before the first bar.
    virtual void bind(ExecutionSink& sink) = 0;
    virtual void submit(const Order& order) = 0;
    /// Submits under the client order id a journal gave the order (a live venue sends it as
    /// its idempotency key); the simulation has no use for it.
    virtual void submit_with_id(const Order& order, const std::string& client_order_id) {
        (void)client_order_id;
        submit(order);
    }
    /// Takes over an order journaled (and perhaps sent) before a crash. The default sends it; a
    /// live venue first asks the exchange for it by client id and only sends what it never got.
    virtual void resume(const Order& order, const std::string& client_order_id) {
        submit_with_id(order, client_order_id);
    }
    /// Cancels a live order; an unknown or finished id is reported as an UNKNOWN_ORDER event.
    virtual void cancel(OrderId id, TimeMs now) = 0;
    /// A bar of `instrument` opening at bar.time is now being traded. The simulated client
    /// matches its live orders against it; a live adapter may ignore it.
    virtual void on_bar(InstrumentId instrument, const Bar& bar) = 0;
    /// Delivers events that arrived asynchronously (live adapters); no-op in simulation.
    virtual void poll() {}
    /// The orders still live, for status displays and reconciliation (may allocate).
    virtual std::size_t open_order_count() const = 0;
};

} // namespace aurum
