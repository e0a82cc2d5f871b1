// No heap allocation per bar in the engine's hot loop: a counting global operator new (this
// binary only) shows that doubling the bars adds no more than a handful of allocations (the
// amortised growth of result vectors), for both a quiet strategy and one that orders every bar.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "backtest/engine.hpp"
#include "backtest/strategies.hpp"

namespace {
std::atomic<std::size_t> g_allocs{0};
}

void* operator new(std::size_t n) {
    g_allocs.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
    return operator new(n);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}

using namespace aurum;

namespace {

BarSeries make_bars(std::size_t n) {
    BarSeries s;
    s.symbol = "BTC/USDT";
    s.timeframe = Timeframe(kMsPerMinute);
    s.reserve(n);
    double p = 100;
    for (std::size_t k = 0; k < n; ++k) {
        const double c = p * (1 + 0.01 * std::sin(static_cast<double>(k) * 0.05));
        s.push_back(Bar{static_cast<TimeMs>(k) * kMsPerMinute, p, std::max(p, c) + 0.1,
                        std::min(p, c) - 0.1, c, 1000, 0});
        p = c;
    }
    return s;
}

/// Flips between long and flat every bar: one market order per bar.
class EveryBar final : public Strategy {
  public:
    std::string name() const override { return "every-bar"; }
    void on_bar(StrategyContext& ctx, InstrumentId i) override {
        ctx.submit(OrderRequest::market(i, ctx.position(i) > 0 ? Side::Sell : Side::Buy, 1.0));
    }
};

std::size_t allocations_for(std::size_t bars, const std::string& which) {
    const BarSeries s = make_bars(bars);
    Instrument inst;
    inst.symbol = "BTC/USDT";
    inst.lot_step = inst.min_qty = 0.001;
    inst.min_notional = 0;
    BacktestConfig cfg;
    cfg.initial_capital = 1e6;
    cfg.record_fills = false;
    cfg.fill.fees = {0.001, 0.001};
    std::unique_ptr<Strategy> st;
    if (which == "every-bar") {
        st = std::make_unique<EveryBar>();
    } else {
        StrategySpec spec;
        spec.name = "sma-cross";
        spec.params = {{"fast", 10}, {"slow", 30}};
        st = make_strategy(spec);
    }
    const std::size_t before = g_allocs.load();
    const BacktestResult r = run_backtest({inst}, {&s}, *st, cfg);
    const std::size_t used = g_allocs.load() - before;
    EXPECT_EQ(r.curve.size(), bars);
    return used;
}

} // namespace

TEST(Allocation, sma_cross_allocates_nothing_per_bar) {
    const std::size_t a = allocations_for(20000, "sma-cross");
    const std::size_t b = allocations_for(40000, "sma-cross");
    // Fixed setup cost plus a few amortised vector growths (trades), never ~20000 more.
    EXPECT_LT(b - std::min(a, b), 20u) << a << " vs " << b;
    EXPECT_LT(a, 200u);
}

TEST(Allocation, an_order_every_bar_allocates_nothing_per_bar) {
    const std::size_t a = allocations_for(20000, "every-bar");
    const std::size_t b = allocations_for(40000, "every-bar");
    EXPECT_LT(b - std::min(a, b), 20u) << a << " vs " << b;
    EXPECT_LT(a, 200u);
}
