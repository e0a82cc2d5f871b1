#pragma once
// Helpers for backtest tests: hand-written bars, instruments, and a scripted strategy.
#include <functional>
#include <vector>

#include "backtest/engine.hpp"

namespace aurum::bt_test {

struct B {
    double o, h, l, c, v = 1000, spread = 0;
};

inline BarSeries series(const std::vector<B>& bars, const std::string& symbol = "TEST/USDT",
                        Timeframe tf = Timeframe(kMsPerHour), TimeMs start = make_time(2024, 1, 1),
                        bool spread_column = false) {
    BarSeries s;
    s.symbol = symbol;
    s.timeframe = tf;
    s.has_spread_column = spread_column;
    for (std::size_t k = 0; k < bars.size(); ++k) {
        const B& b = bars[k];
        s.push_back(
            Bar{start + static_cast<TimeMs>(k) * tf.ms(), b.o, b.h, b.l, b.c, b.v, b.spread});
    }
    return s;
}

/// Spot instrument with easy rules: tick 0.01, lot 0.001, min qty 0.001, min notional 1.
inline Instrument spot(const std::string& symbol = "TEST/USDT") {
    Instrument i;
    i.symbol = symbol;
    i.tick_size = 0.01;
    i.lot_step = 0.001;
    i.min_qty = 0.001;
    i.min_notional = 1.0;
    return i;
}

/// CFD-like instrument: shortable, 10x leverage, contract size 1.
inline Instrument cfd(const std::string& symbol = "TESTCFD") {
    Instrument i = spot(symbol);
    i.asset_class = AssetClass::MetalCfd;
    i.shortable = true;
    i.max_leverage = 10;
    i.min_notional = 0;
    return i;
}

/// A strategy whose on_bar runs a test-supplied function; records fills and events.
class Scripted final : public Strategy {
  public:
    using Fn = std::function<void(StrategyContext&, InstrumentId, std::size_t bar)>;
    explicit Scripted(Fn fn) : fn_(std::move(fn)) {}
    std::string name() const override { return "scripted"; }
    void on_bar(StrategyContext& ctx, InstrumentId i) override {
        fn_(ctx, i, ctx.bars(i).size() - 1);
    }
    void on_fill(StrategyContext&, const Fill& f) override { fills.push_back(f); }
    void on_order_event(StrategyContext&, const OrderEvent& e) override { events.push_back(e); }
    std::vector<Fill> fills;
    std::vector<OrderEvent> events;

  private:
    Fn fn_;
};

inline BacktestConfig no_costs(double capital = 10000) {
    BacktestConfig c;
    c.initial_capital = capital;
    c.fill.fees = {0, 0};
    return c;
}

inline BacktestResult run1(const Instrument& inst, const BarSeries& s, Strategy& st,
                           const BacktestConfig& cfg, RiskHook* risk = nullptr) {
    return run_backtest({inst}, {&s}, st, cfg, risk);
}

} // namespace aurum::bt_test
