#pragma once
// An ExecutionSink that records what an execution client reports (fills, order events), for the
// exchange-adapter tests. Header-only: only test binaries that link the backtest layer use it.
#include <utility>
#include <vector>

#include "backtest/execution_client.hpp"
#include "backtest/portfolio.hpp"

namespace aurum::test {

/// Records fills and order events in the order they arrive.
struct RecordingSink final : ExecutionSink {
    explicit RecordingSink(std::vector<Instrument> inst, double capital = 10000)
        : pf(capital, std::move(inst)) {}
    void on_fill(const Fill& f) override { fills.push_back(f); }
    void on_order_event(const OrderEvent& e) override { events.push_back(e); }
    const Portfolio& portfolio() const override { return pf; }
    OrderId next_order_id() override { return ++next; }
    Portfolio pf;
    OrderId next = 100;
    std::vector<Fill> fills;
    std::vector<OrderEvent> events;
};

} // namespace aurum::test
