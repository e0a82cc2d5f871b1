#pragma once
// The event-driven engine shared by backtest, paper and live: bars in time order drive order
// matching (through an injected ExecutionClient), portfolio marking, and the strategy. Orders go
// strategy -> instrument rules -> RiskHook -> ExecutionClient. Modes differ only in the clock and
// the execution client they inject.
#include <span>
#include <vector>

#include "backtest/costs.hpp"
#include "backtest/execution_client.hpp"
#include "backtest/portfolio.hpp"
#include "backtest/risk_hook.hpp"
#include "backtest/strategy.hpp"
#include "core/clock.hpp"

namespace aurum {

/// Run settings.
struct BacktestConfig {
    double initial_capital = 10000;
    FillConfig fill;
    bool allow_short = false;  ///< shorts on shortable instruments (CFDs); spot never shorts
    bool record_fills = true;  ///< keep every fill in the result (off in throughput benchmarks)
    bool record_events = true; ///< keep rejections, cancellations and risk reductions
};

/// Equity at the close of every engine step (one step = all bars sharing an open time).
struct EquityCurve {
    std::vector<TimeMs> time;   ///< open time of the step's bars
    std::vector<double> equity; ///< cash + marked positions at the close
    std::vector<double> cash;
    std::vector<double> exposure; ///< gross exposure / equity
    std::size_t size() const { return time.size(); }
};

/// Everything a run produced; metrics and reports are computed from it.
struct BacktestResult {
    std::vector<Instrument> instruments;
    Timeframe timeframe;
    double initial_capital = 0;
    double final_equity = 0;
    EquityCurve curve;
    std::vector<Trade> trades;      ///< closed round trips
    std::vector<Trade> open_trades; ///< still open at the end (marked, not closed)
    std::vector<Fill> fills;        ///< when BacktestConfig::record_fills
    std::vector<OrderEvent> events; ///< rejections, cancellations, risk reductions
    std::size_t orders_submitted = 0, orders_rejected = 0, orders_filled = 0;
    std::size_t orders_cancelled = 0, fills_count = 0, open_orders_at_end = 0;
    double fees = 0, spread_cost = 0, slippage_cost = 0, traded_notional = 0;
};

/// The engine. Construct with its parts, call start(), then step() for every set of completed
/// bars (backtest: run_backtest does this over history; paper/live: the feed does it as bars
/// close), then finish().
class Engine final : public StrategyContext, private ExecutionSink {
  public:
    /// `data[i]` holds the bars of `instruments[i]`; it may grow during the run (live feeds
    /// append), and only bars the engine has stepped over are visible to the strategy.
    Engine(std::vector<Instrument> instruments, std::vector<const BarSeries*> data,
           Strategy& strategy, ExecutionClient& execution, RiskHook& risk, const Clock& clock,
           BacktestConfig config);
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    void start();
    /// The next bar of each instrument in `ids` (all with the same open time) has completed:
    /// match orders against it, mark at its close, record equity, then call the strategy.
    void step(std::span<const InstrumentId> ids);
    /// Books the fills and order events the execution client has now, between steps (a live
    /// venue reports a market order's fills as it accepts it): the guard's stop for an entry
    /// then goes out at once instead of a bar later.
    void deliver_reports() { exec_.poll(); }
    /// Collects the result (call once, after the last step).
    BacktestResult finish();

    const Portfolio& account() const { return portfolio_; }
    std::size_t steps() const { return curve_.size(); }
    void reserve_steps(std::size_t n);

  private:
    friend class StrategyContext;
    OrderId submit_impl(const OrderRequest& request);
    /// Instrument rules and the risk hook for `r` (may reduce its quantity); false: rejected
    /// (reported). submit_impl = admit + send_order.
    bool admit(OrderRequest& r);
    OrderId send_order(const OrderRequest& r, OrderId oco = 0);
    void cancel_impl(OrderId id);
    void reject(const OrderRequest& r, RejectReason reason, std::string note);
    void guard_position(InstrumentId i);
    /// Cancels a guard order (`id` = 0 first, so its cancel event does not find it again).
    void cancel_guard_order(OrderId& id);
    /// The guard's stop for `qty` of instrument i's position (its stop_loss from the average).
    OrderRequest guard_stop_request(InstrumentId i, double qty) const;
    /// guard_position with a take-profit: the stop and/or the target, an OCO pair when both.
    void guard_with_target(InstrumentId i);
    void guard_leg_filled(const Fill& f);
    // ExecutionSink
    void on_fill(const Fill& fill) override;
    void on_order_event(const OrderEvent& event) override;
    const Portfolio& portfolio() const override { return portfolio_; }
    OrderId next_order_id() override { return ++next_id_; }

    std::vector<Instrument> instruments_v_;
    std::vector<const BarSeries*> data_v_;
    std::vector<std::size_t> visible_v_;
    std::vector<int> pending_v_;
    /// Protective orders per instrument (order_target's stop_loss and take_profit).
    struct Guard {
        double stop_loss = 0;   ///< fraction beyond the average entry price; 0 = unguarded
        double take_profit = 0; ///< fraction the other way; 0 = no target
        OrderId stop = 0;       ///< the live stop order
        double stop_qty = 0;    ///< its quantity (resized when the position changes)
        OrderId target = 0;     ///< the live target (with a stop: the stop's OCO partner)
        double target_qty = 0;
        bool has_target() const { return take_profit > 0 || target != 0; }
    };
    std::vector<Guard> guards_v_;
    Strategy& strategy_;
    ExecutionClient& exec_;
    RiskHook& risk_;
    const Clock& clock_;
    BacktestConfig config_;
    Portfolio portfolio_;
    EquityCurve curve_;
    BacktestResult result_;
    OrderId next_id_ = 0;
};

/// The protective stop the engine places for a position: a stop-market order, or with
/// `limit_offset` > 0 a stop-limit whose limit is that fraction beyond the (tick-rounded) trigger,
/// rounded to the tick away from it (FillConfig::stop_limit_offset).
OrderRequest protective_stop_request(InstrumentId i, Side exit, double qty, double trigger,
                                     double limit_offset, double tick_size);
/// The take-profit target the engine places for a position: a GTC limit `take_profit` (a
/// fraction) beyond `avg_price` in the position's favour, rounded to the tick.
OrderRequest take_profit_request(InstrumentId i, Side exit, double qty, double avg_price,
                                 double take_profit, double tick_size);

/// Runs a backtest over in-memory bars with a SimulatedClock and a SimulatedExecutionClient
/// (risk: `risk` or allow-all). Bars of all instruments are merged by open time.
BacktestResult run_backtest(const std::vector<Instrument>& instruments,
                            const std::vector<const BarSeries*>& data, Strategy& strategy,
                            const BacktestConfig& config, RiskHook* risk = nullptr);

} // namespace aurum
