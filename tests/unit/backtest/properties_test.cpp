// Property tests over random strategies and random markets: accounting invariants at every bar,
// and no look-ahead (changing future bars never changes past decisions, fills or equity).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "backtest/strategies.hpp"
#include "bt_helpers.hpp"

using namespace aurum;
using namespace aurum::bt_test;

namespace {

BarSeries random_walk(std::mt19937_64& rng, std::size_t n, const std::string& sym, double start,
                      bool spread_col = false) {
    std::normal_distribution<double> z(0, 1);
    std::uniform_real_distribution<double> u(0, 1);
    BarSeries s;
    s.symbol = sym;
    s.timeframe = Timeframe(kMsPerHour);
    s.has_spread_column = spread_col;
    double p = start;
    TimeMs t = make_time(2023, 1, 1);
    for (std::size_t k = 0; k < n; ++k) {
        const double gap = u(rng) < 0.05 ? z(rng) * 0.03 : z(rng) * 0.002; // occasional gaps
        const double o = p * std::exp(gap);
        const double c = o * std::exp(z(rng) * 0.01);
        const double h = std::max(o, c) * (1 + std::abs(z(rng)) * 0.004);
        const double l = std::min(o, c) * (1 - std::abs(z(rng)) * 0.004);
        s.push_back(Bar{t, o, h, l, c, 50 + 100 * u(rng), 0.05 * u(rng)});
        p = c;
        t += u(rng) < 0.02 ? 3 * kMsPerHour : kMsPerHour; // occasional missing bars
    }
    return s;
}

/// Sends random orders of every kind; draws a fixed amount of randomness per bar so its RNG
/// stream does not depend on the data. Checks accounting invariants at every bar.
class RandomTrader final : public Strategy {
  public:
    explicit RandomTrader(std::uint64_t seed, bool check = true) : rng_(seed), check_(check) {}
    std::string name() const override { return "random"; }

    void on_bar(StrategyContext& ctx, InstrumentId i) override {
        const BarView v = ctx.bars(i);
        // The view ends at the bar that just closed.
        EXPECT_THROW((void)v.bar(v.size()), std::out_of_range);
        if (check_)
            check_invariants(ctx);
        std::uniform_real_distribution<double> u(0, 1);
        double r[10];
        for (double& x : r)
            x = u(rng_);
        const double c = v.last_close();
        if (r[0] < 0.1 && !ids_.empty()) {
            const OrderId id = ids_[static_cast<std::size_t>(r[1] * ids_.size())];
            ctx.cancel(id);
            log.push_back({v.last_time(), i, 0, 0, 0, static_cast<double>(id)});
        }
        if (r[2] > 0.5)
            return;
        const Side side = r[3] < 0.5 ? Side::Buy : Side::Sell;
        const double qty = 0.001 + r[4] * 3;
        const double off = (r[5] - 0.5) * 0.06 * c;
        OrderRequest req;
        const int type = static_cast<int>(r[6] * 4);
        if (type == 0)
            req = OrderRequest::market(i, side, qty);
        else if (type == 1)
            req = OrderRequest::limit(i, side, qty, c + off);
        else if (type == 2)
            req = OrderRequest::stop(i, side, qty, c + std::abs(off) * sign(side));
        else
            req = OrderRequest::stop_limit(i, side, qty, c + std::abs(off) * sign(side),
                                           c + std::abs(off) * sign(side) * (0.5 + r[7]));
        if (r[8] < 0.2 && type <= 1)
            req.tif = TimeInForce::IOC;
        if (r[9] < 0.3) {
            const double d = 0.01 + r[9] * 0.1;
            req.bracket(side == Side::Buy ? c * (1 + d) : c * (1 - d),
                        side == Side::Buy ? c * (1 - d) : c * (1 + d));
        }
        const OrderId id = ctx.submit(req);
        if (id)
            ids_.push_back(id);
        log.push_back(
            {v.last_time(), i, static_cast<int>(type), sign(side), qty, static_cast<double>(id)});
    }

    void check_invariants(StrategyContext& ctx) {
        const Portfolio& p = ctx.portfolio();
        double marked = p.cash();
        double open_pnl = 0;
        for (InstrumentId k = 0; k < p.size(); ++k) {
            const Position& pos = p.position(k);
            const double cs = p.instrument(k).contract_size;
            marked += pos.qty * pos.mark * cs;
            if (pos.qty != 0) {
                const Trade& t = p.open_trade(k);
                open_pnl += t.gross_pnl + pos.qty * (pos.mark - pos.avg_price) * cs - t.fees;
            }
            const bool spot = !p.instrument(k).shortable && p.instrument(k).max_leverage <= 1;
            if (spot) {
                EXPECT_GE(pos.qty, -1e-9);
            }
        }
        const double eq = p.equity();
        const double scale = std::max(1.0, std::abs(eq));
        EXPECT_NEAR(eq, marked, 1e-9 * scale);
        double closed = 0;
        for (const Trade& t : p.trades())
            closed += t.net_pnl();
        // Sum of trade P&L minus fees equals the equity change.
        EXPECT_NEAR(eq - p.initial_cash(), closed + open_pnl, 1e-7 * scale);
        EXPECT_NEAR(eq - p.initial_cash(), p.realized_pnl() + p.unrealized_pnl() - p.fees_paid(),
                    1e-7 * scale);
        if (spot_only_) {
            EXPECT_GE(p.cash(), -1e-7) << "spot account went negative";
        }
        ++checks;
    }

    struct Entry {
        TimeMs t;
        InstrumentId i;
        int type;
        double side, qty, id;
        bool operator==(const Entry&) const = default;
    };
    std::vector<Entry> log;
    int checks = 0;
    bool spot_only_ = false;

  private:
    std::mt19937_64 rng_;
    bool check_;
    std::vector<OrderId> ids_;
};

BacktestConfig random_costs(std::mt19937_64& rng) {
    std::uniform_real_distribution<double> u(0, 1);
    BacktestConfig cfg;
    cfg.initial_capital = 1000 + 20000 * u(rng);
    cfg.fill.fees = {0.002 * u(rng), 0.003 * u(rng)};
    cfg.fill.spread = {u(rng) < 0.5 ? SpreadModel::Mode::Column : SpreadModel::Mode::FixedBps, 0,
                       5 * u(rng), u(rng) < 0.5 ? PriceBasis::Mid : PriceBasis::Bid};
    cfg.fill.slippage = {10 * u(rng), 0.2 * u(rng), 0.5 * u(rng), 10};
    cfg.fill.max_participation = u(rng) < 0.3 ? 0.05 : 0.0;
    cfg.fill.latency_ms = u(rng) < 0.2 ? 1 : 0;
    cfg.fill.intrabar =
        u(rng) < 0.5 ? IntrabarPriority::StopFirst : IntrabarPriority::TakeProfitFirst;
    cfg.allow_short = u(rng) < 0.7;
    return cfg;
}

} // namespace

TEST(Properties, accounting_invariants_hold_at_every_bar_for_random_strategies) {
    for (std::uint64_t seed = 1; seed <= 25; ++seed) {
        std::mt19937_64 rng(seed);
        const BarSeries a = random_walk(rng, 400, "AAA/USDT", 100, true);
        const BarSeries b = random_walk(rng, 400, "BBB", 50, true);
        const BacktestConfig cfg = random_costs(rng);
        RandomTrader st(seed * 7919);
        const bool spot_only = seed % 3 == 0;
        st.spot_only_ = spot_only;
        const auto r = spot_only ? run_backtest({spot("AAA/USDT")}, {&a}, st, cfg)
                                 : run_backtest({spot("AAA/USDT"), cfd("BBB")}, {&a, &b}, st, cfg);
        ASSERT_GT(st.checks, 300) << seed;
        // End-of-run totals agree with the fills.
        double fees = 0;
        for (const auto& f : r.fills) {
            fees += f.fee;
            EXPECT_GT(f.qty, 0);
        }
        EXPECT_NEAR(fees, r.fees, 1e-9 * std::max(1.0, fees));
        double closed = 0, open = 0;
        for (const auto& t : r.trades)
            closed += t.net_pnl();
        for (const auto& t : r.open_trades)
            open += t.net_pnl();
        EXPECT_NEAR(r.final_equity - r.initial_capital, closed + open,
                    1e-7 * std::max(1.0, r.final_equity))
            << seed;
        EXPECT_GT(r.fills.size(), 20u) << seed;
        if (spot_only) {
            for (double c : r.curve.cash)
                EXPECT_GE(c, -1e-7);
        }
    }
}

TEST(Properties, future_bars_never_change_past_decisions_fills_or_equity) {
    for (std::uint64_t seed = 1; seed <= 12; ++seed) {
        std::mt19937_64 rng(seed);
        const BarSeries a = random_walk(rng, 300, "AAA/USDT", 100, true);
        const BarSeries b = random_walk(rng, 300, "BBB", 50, true);
        const BacktestConfig cfg = random_costs(rng);
        std::uniform_int_distribution<std::size_t> pick(20, 280);
        const std::size_t cut = pick(rng);
        // Replace every bar after bar `cut`'s open time, in both instruments, with another market.
        BarSeries a2 = a, b2 = b;
        std::mt19937_64 rng2(seed + 1000);
        const BarSeries na = random_walk(rng2, 300, "AAA/USDT", 80, true);
        const BarSeries nb = random_walk(rng2, 300, "BBB", 70, true);
        const TimeMs t_cut = a.time[cut];
        for (std::size_t k = 0; k < a.size(); ++k) {
            if (a.time[k] <= t_cut)
                continue;
            a2.open[k] = na.open[k], a2.high[k] = na.high[k], a2.low[k] = na.low[k];
            a2.close[k] = na.close[k], a2.volume[k] = na.volume[k], a2.spread[k] = na.spread[k];
        }
        for (std::size_t k = 0; k < b.size(); ++k) {
            if (b.time[k] <= t_cut)
                continue; // the instruments' bar times differ (gaps)
            b2.open[k] = nb.open[k], b2.high[k] = nb.high[k], b2.low[k] = nb.low[k];
            b2.close[k] = nb.close[k], b2.volume[k] = nb.volume[k], b2.spread[k] = nb.spread[k];
        }
        const std::vector<Instrument> inst = {spot("AAA/USDT"), cfd("BBB")};
        RandomTrader s1(seed, false), s2(seed, false);
        const auto r1 = run_backtest(inst, {&a, &b}, s1, cfg);
        const auto r2 = run_backtest(inst, {&a2, &b2}, s2, cfg);
        std::vector<RandomTrader::Entry> l1, l2;
        for (const auto& e : s1.log)
            if (e.t <= t_cut)
                l1.push_back(e);
        for (const auto& e : s2.log)
            if (e.t <= t_cut)
                l2.push_back(e);
        ASSERT_FALSE(l1.empty());
        EXPECT_TRUE(l1 == l2) << "decisions up to bar " << cut << " changed, seed " << seed;
        std::size_t nf = 0;
        for (std::size_t k = 0; k < r1.fills.size() && r1.fills[k].time <= t_cut; ++k, ++nf) {
            ASSERT_LT(k, r2.fills.size());
            EXPECT_EQ(r1.fills[k].order_id, r2.fills[k].order_id);
            EXPECT_EQ(r1.fills[k].price, r2.fills[k].price);
            EXPECT_EQ(r1.fills[k].qty, r2.fills[k].qty);
        }
        const std::size_t k2 = r2.fills.size() > nf ? nf : r2.fills.size();
        if (k2 < r2.fills.size()) {
            EXPECT_GT(r2.fills[k2].time, t_cut);
        }
        for (std::size_t k = 0; k < r1.curve.size() && r1.curve.time[k] <= t_cut; ++k)
            EXPECT_EQ(r1.curve.equity[k], r2.curve.equity[k]) << "equity at step " << k;
    }
}

TEST(Properties, builtin_strategies_do_not_look_ahead) {
    std::mt19937_64 rng(99);
    const BarSeries a = random_walk(rng, 600, "AAA/USDT", 100);
    for (const std::string name : {"sma-cross", "rsi-reversion", "donchian-breakout", "buy-hold"}) {
        for (std::size_t cut : {100u, 250u, 480u}) {
            BarSeries a2 = a;
            std::mt19937_64 r2(cut);
            const BarSeries other = random_walk(r2, 600, "AAA/USDT", 100);
            // Keep the next bar's open: an order decided at `cut` fills there, identically.
            for (std::size_t k = cut + 1; k < a.size(); ++k) {
                if (k > cut + 1)
                    a2.open[k] = other.open[k];
                a2.high[k] = std::max(other.high[k], a2.open[k]);
                a2.low[k] = std::min(other.low[k], a2.open[k]);
                a2.close[k] = other.close[k];
            }
            StrategySpec spec;
            spec.name = name;
            if (name == "sma-cross")
                spec.params = {{"fast", 5}, {"slow", 20}};
            BacktestConfig cfg;
            cfg.fill.fees = {0.001, 0.001};
            auto s1 = make_strategy(spec), s2 = make_strategy(spec);
            const auto x = run_backtest({spot("AAA/USDT")}, {&a}, *s1, cfg);
            const auto y = run_backtest({spot("AAA/USDT")}, {&a2}, *s2, cfg);
            const TimeMs limit = a.time[cut + 1];
            std::size_t k = 0;
            for (; k < x.fills.size() && x.fills[k].time <= limit; ++k) {
                ASSERT_LT(k, y.fills.size()) << name << " cut " << cut;
                EXPECT_EQ(x.fills[k].price, y.fills[k].price) << name;
                EXPECT_EQ(x.fills[k].qty, y.fills[k].qty) << name;
                EXPECT_EQ(x.fills[k].side, y.fills[k].side) << name;
            }
            if (k < y.fills.size()) {
                EXPECT_GT(y.fills[k].time, limit) << name << " cut " << cut;
            }
            for (std::size_t s = 0; s <= cut; ++s)
                EXPECT_EQ(x.curve.equity[s], y.curve.equity[s]) << name;
        }
    }
}
