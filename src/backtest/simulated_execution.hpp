#pragma once
// The execution client of backtests and paper trading: matches live orders against each bar by
// the fill rules of docs/backtesting.md, with fees, spread, slippage, latency and a volume
// participation cap.
#include <vector>

#include "backtest/costs.hpp"
#include "backtest/execution_client.hpp"
#include "core/instrument.hpp"

namespace aurum {

/// Bar-driven simulated fills. One instance per run; not thread-safe (engine thread only).
class SimulatedExecutionClient final : public ExecutionClient {
  public:
    SimulatedExecutionClient(std::vector<Instrument> instruments, FillConfig config);

    void bind(ExecutionSink& sink) override { sink_ = &sink; }
    void submit(const Order& order) override;
    void cancel(OrderId id, TimeMs now) override;
    void on_bar(InstrumentId instrument, const Bar& bar) override;
    std::size_t open_order_count() const override { return live_.size(); }

    const FillConfig& config() const { return config_; }
    /// The live orders (for tests and status displays).
    std::vector<Order> open_orders() const;

  private:
    struct Live {
        Order order;
        bool seen = false;    ///< has been matched against at least one bar
        OrderId tp_child = 0; ///< bracket legs created so far
        OrderId sl_child = 0;
    };
    /// A bar as seen by one side of the book (ask for buys, bid for sells).
    struct SideBar {
        double open, high, low;
    };
    struct Match {
        double price = 0;
        bool taker = true;
        bool at_open = false;
    };

    bool match(Live& live, const SideBar& b, Match& m) const;
    SideBar side_bar(Side side, const Bar& bar) const;
    double spread_of(const Bar& bar) const;
    /// Fills up to `qty` of live_[k] at the matched price; returns the quantity filled.
    double execute(std::size_t k, const Match& m, const Bar& bar, double& used_volume);
    void finish(std::size_t k, OrderStatus status, RejectReason reason, TimeMs t);
    void spawn_bracket(std::size_t parent_k, double qty, const Bar& bar, bool at_open);
    /// An OCO pair the engine sent (standalone legs, Order::oco both ways), matched at its first
    /// leg live_[k] against partner live_[p]: the leg that trades or (a stop) triggers first in
    /// the bar wins by the configured same-bar priority, and ends the other, as Binance does.
    void match_pair(std::size_t k, std::size_t p, const Bar& bar, double& used_volume);
    std::size_t find(OrderId id) const;
    /// The OCO leg that fills when a bar reaches both (we cannot see the order of prices within
    /// a bar): FillConfig::intrabar.
    OrderRole same_bar_winner() const {
        return config_.intrabar == IntrabarPriority::StopFirst ? OrderRole::StopLoss
                                                               : OrderRole::TakeProfit;
    }

    std::vector<Instrument> instruments_;
    FillConfig config_;
    ExecutionSink* sink_ = nullptr;
    std::vector<Live> live_;
    std::vector<double> sigma_;      ///< per instrument: EWMA of (high - low) / close
    std::vector<double> avg_volume_; ///< per instrument: EWMA of volume
    std::vector<int> bars_seen_;
    bool matching_ = false; ///< inside on_bar: cancelled orders are erased after the loop
};

} // namespace aurum
