// The RL environment is the backtest engine: parity with `signals` backtests on real bars, no
// look-ahead, the shield under adversarial policies, reproducible trajectories.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "backtest/strategies.hpp"
#include "core/error.hpp"
#include "core/stable_hash.hpp"
#include "data/synthetic_market.hpp"
#include "rl/vec_env.hpp"
#include "support/data/shared_bars.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

const FeatureSetDef& default_set() {
    static const FeatureConfig cfg = FeatureConfig::parse(FeatureConfig::default_yaml(), "features");
    return cfg.get("default");
}

MarketTape tape_of(const BarSeries& bars) {
    return build_market_tape(InstrumentRegistry().get(bars.symbol), bars, default_set());
}

/// A synthetic BTC/USDT 4h market (bull, bear, high-vol regimes with jumps), always available.
const MarketTape& synthetic_tape() {
    static const MarketTape t = [] {
        InstrumentRegistry reg;
        SynthConfig c = SynthConfig::defaults(reg, {"BTC/USDT"}, Timeframe(4 * kMsPerHour),
                                              1577836800000LL, 3 * 365, 11, false);
        return tape_of(generate_synthetic_market(c).series[0]);
    }();
    return t;
}

std::string trade_text(const Trade& t) {
    return fmt::format("{} {} -> {} qty {:.10g} entry {:.10g} exit {:.10g} net {:.10g}",
                       t.direction, t.entry_time, t.exit_time, t.qty, t.entry_price,
                       t.exit_price, t.net_pnl());
}

std::string fill_text(const Fill& f) {
    return fmt::format("{} {} {:.10g} @ {:.10g} fee {:.10g}", f.time,
                       f.side == Side::Buy ? "buy" : "sell", f.qty, f.price, f.fee);
}

} // namespace

TEST(TradingEnv, ReplayedActionsMatchTheSignalsBacktestOnRealBtc) {
    AURUM_REQUIRE_SHARED_DATA(path, "crypto/binance/BTCUSDT_4h.csv");
    const MarketTape tape = tape_of(test::load_shared_bars("crypto/binance/BTCUSDT_4h.csv"));
    EnvConfig cfg = default_env_config();
    cfg.episode_bars = 1500;
    cfg.spec.engine.record_fills = true;
    cfg.spec.engine.record_events = true;
    const std::size_t start = tape.first_ready + 3000;
    ASSERT_LT(start + cfg.episode_bars + 1, tape.bars.size());

    // A recorded action sequence: a seeded walk over long-only and out-of-cap targets.
    std::mt19937_64 rng(5);
    const double levels[] = {0.0, 0.1, 0.2, 0.5, 1.0};
    std::vector<double> actions(cfg.episode_bars);
    double a = 0;
    for (auto& x : actions) {
        if (rng() % 12 == 0) a = levels[rng() % 5];
        x = a;
    }

    TradingEnv env(cfg);
    std::vector<float> obs(ObsLayout{tape.columns}.size());
    env.reset(tape, start, obs);
    std::vector<SignalSeries::Record> records;
    for (std::size_t k = 0; k < actions.size(); ++k) {
        // The action decided at bar k's close: a record stamped with bar k's open time.
        records.push_back({tape.bars.time[start + k], "BTC/USDT", actions[k]});
        const StepOutcome o = env.step(actions[k], obs);
        EXPECT_EQ(o.done, k + 1 == actions.size());
    }
    const BacktestResult rl = env.finish();

    StrategySpec spec;
    spec.name = "signals";
    spec.sizing = cfg.sizing;
    spec.signals = std::make_shared<const SignalSeries>(
        SignalSeries::from_records(records, SignalSeries::Kind::Target));
    const auto strategy = make_strategy(spec);
    const BarSeries window = tape.bars.slice(
        {tape.bars.time[start], tape.bars.time[start + cfg.episode_bars] + 1});
    ASSERT_EQ(window.size(), cfg.episode_bars + 1);
    const SpecBacktestRunner runner(cfg.spec.risk);
    const BacktestResult bt =
        runner.run({tape.instrument}, {&window}, *strategy, cfg.spec.engine);

    fmt::print("{} fills, {} trades, {} reductions, final equity {:.4f}\n", bt.fills.size(),
               bt.trades.size(), env.shield().reduced, bt.final_equity);
    ASSERT_GT(bt.fills.size(), 20u) << "the sequence should trade";
    EXPECT_GT(env.shield().reduced, 0u) << "targets above 25 % must be cut by the risk manager";
    ASSERT_EQ(rl.fills.size(), bt.fills.size());
    for (std::size_t i = 0; i < bt.fills.size(); ++i)
        EXPECT_EQ(fill_text(rl.fills[i]), fill_text(bt.fills[i])) << "fill " << i;
    ASSERT_EQ(rl.trades.size(), bt.trades.size());
    for (std::size_t i = 0; i < bt.trades.size(); ++i)
        EXPECT_EQ(trade_text(rl.trades[i]), trade_text(bt.trades[i])) << "trade " << i;
    EXPECT_EQ(rl.final_equity, bt.final_equity); // bit for bit
    EXPECT_EQ(rl.curve.equity, bt.curve.equity);
    EXPECT_EQ(rl.orders_rejected, bt.orders_rejected);
}

TEST(TradingEnv, PerturbingLaterBarsChangesNoEarlierObservation) {
    const MarketTape& base = synthetic_tape();
    const std::size_t start = base.first_ready + 500, t = start + 40;
    BarSeries moved = base.bars;
    for (std::size_t k = t + 1; k < moved.size(); ++k) {
        moved.open[k] *= 1.07;
        moved.high[k] *= 1.09;
        moved.low[k] *= 1.05;
        moved.close[k] *= 1.08;
        moved.volume[k] *= 3;
    }
    const MarketTape other = tape_of(moved);
    EnvConfig cfg = default_env_config();
    cfg.episode_bars = 80;
    TradingEnv a(cfg), b(cfg);
    const std::size_t n = ObsLayout{base.columns}.size();
    std::vector<float> oa(n), ob(n);
    a.reset(base, start, oa);
    b.reset(other, start, ob);
    bool changed_after = false;
    for (std::size_t k = 0; k < cfg.episode_bars; ++k) {
        if (start + k <= t)
            ASSERT_EQ(0, std::memcmp(oa.data(), ob.data(), n * sizeof(float)))
                << "observation at bar " << start + k << " saw a bar after " << t;
        else
            changed_after = changed_after || std::memcmp(oa.data(), ob.data(), n * sizeof(float));
        const double act = (k / 7) % 2 ? 0.2 : 0.0; // trade, so the account is observed too
        const StepOutcome ra = a.step(act, oa), rb = b.step(act, ob);
        if (start + k + 1 <= t) {
            EXPECT_EQ(ra.reward, rb.reward);
        }
    }
    EXPECT_TRUE(changed_after) << "the perturbation must show after bar " << t;
}

namespace {

/// Runs `policy` over VecEnv episodes until `episodes` finished; returns the shield totals.
template <class Policy>
ShieldStats run_policy(const MarketTape& tape, const EnvConfig& cfg, std::uint64_t episodes,
                       Policy policy) {
    VecEnv v({&tape}, cfg, 16, 99);
    std::vector<double> act(v.size(), 0.0);
    std::uint64_t k = 0;
    while (v.episodes_done() < episodes) {
        for (std::size_t i = 0; i < v.size(); ++i) act[i] = policy(v, i, act[i], k);
        v.step(act);
        ++k;
    }
    return v.shield_total();
}

void expect_held(const ShieldStats& s, const RiskLimits& l, const char* who) {
    SCOPED_TRACE(who);
    fmt::print("{}: {} actions, {} orders (denied {}, reduced {}), invalid {}, breaker closes {}, "
               "halts {}, largest entry {:.5f}, worst drawdown {:.4f}, entries past halt {}\n",
               who, s.actions, s.orders, s.denied, s.reduced, s.invalid, s.flattens, s.halts,
               s.max_entry_exposure, s.max_drawdown, s.entries_past_halt);
    // Orders are sized at the decision close and fill at the next open with fees/slippage.
    EXPECT_LE(s.max_entry_exposure, l.max_position * 1.01);
    EXPECT_EQ(s.entries_past_halt, 0u);
}

} // namespace

TEST(TradingEnv, ShieldHoldsUnderAdversarialPolicies) {
    const MarketTape& tape = synthetic_tape();
    EnvConfig cfg = default_env_config();
    cfg.episode_bars = 30;
    const RiskLimits& l = cfg.spec.risk.limits;
    const std::uint64_t episodes = 10000;

    const ShieldStats longs = run_policy(tape, cfg, episodes,
                                         [](VecEnv&, std::size_t, double, std::uint64_t) { return 1.0; });
    expect_held(longs, l, "always max long");
    EXPECT_GT(longs.reduced, 0u);
    EXPECT_GT(longs.max_entry_exposure, l.max_position * 0.9) << "the cap must be reached";

    const ShieldStats flips = run_policy(
        tape, cfg, episodes,
        [](VecEnv&, std::size_t, double, std::uint64_t k) { return k % 2 ? 1.0 : -1.0; });
    expect_held(flips, l, "flip every bar");
    EXPECT_GT(flips.orders, episodes * 10);

    // Double the bet after every loss, far past the action range (the shield clips and counts).
    const ShieldStats doubling = run_policy(
        tape, cfg, episodes, [](VecEnv& v, std::size_t i, double prev, std::uint64_t) {
            if (v.dones()[i] || prev == 0) return 0.25;
            return v.rewards()[i] < 0 ? std::min(prev * 2, 64.0) : prev;
        });
    expect_held(doubling, l, "double down");
    EXPECT_GT(doubling.invalid, 0u);
}

TEST(TradingEnv, DrawdownHaltHoldsWhenItIsTheBindingLimit) {
    // With the position cap lifted to 100 % the 15 % drawdown breaker is what stops a long
    // policy in the synthetic bear and high-volatility stretches: it must trip, and no entry may
    // follow it.
    const MarketTape& tape = synthetic_tape();
    EnvConfig cfg = default_env_config();
    cfg.episode_bars = 120;
    cfg.spec.risk.limits.max_position = 1.0;
    cfg.spec.risk.limits.max_portfolio_heat = 1.0;
    cfg.spec.risk.limits.max_correlated_exposure = 1.0;
    cfg.spec.risk.limits.daily_loss_limit = 0.5;
    const ShieldStats s = run_policy(
        tape, cfg, 1000, [](VecEnv& v, std::size_t i, double, std::uint64_t k) {
            // Buy every dip: full long, re-entered after every flat bar.
            return v.observation(i)[v.env(i).layout().position()] < 0.5 || k % 3 ? 1.0 : 0.9;
        });
    expect_held(s, cfg.spec.risk.limits, "halt");
    EXPECT_GT(s.halts, 0u) << "the breaker never tripped: the test would prove nothing";
    EXPECT_GT(s.flattens, 0u);
    EXPECT_EQ(s.entries_past_halt, 0u);
}

TEST(TradingEnv, SameSeedSameTrajectory) {
    const MarketTape& tape = synthetic_tape();
    EnvConfig cfg = default_env_config();
    cfg.episode_bars = 50;
    const auto trajectory = [&](std::uint64_t seed) {
        VecEnv v({&tape}, cfg, 8, seed);
        std::vector<double> act(v.size());
        Fnv1aShortBasis64 h;
        for (int k = 0; k < 400; ++k) {
            for (std::size_t i = 0; i < v.size(); ++i)
                act[i] = std::tanh(4 * v.observation(i)[0]); // depends on what it sees
            v.step(act);
            const auto o = v.observations();
            const auto r = v.rewards();
            h.add({reinterpret_cast<const char*>(o.data()), o.size_bytes()});
            h.add({reinterpret_cast<const char*>(r.data()), r.size_bytes()});
        }
        return h.value();
    };
    EXPECT_EQ(trajectory(3), trajectory(3));
    EXPECT_NE(trajectory(3), trajectory(4));
}

TEST(TradingEnv, RefusesAWindowThatDoesNotFit) {
    const MarketTape& tape = synthetic_tape();
    EnvConfig cfg = default_env_config();
    cfg.episode_bars = 100;
    TradingEnv env(cfg);
    std::vector<float> obs(ObsLayout{tape.columns}.size());
    EXPECT_THROW(env.reset(tape, tape.bars.size() - 50, obs), InputError);
    std::vector<float> small(3);
    EXPECT_THROW(env.reset(tape, tape.first_ready, small), InputError);
    cfg.spec.risk = RiskSpec::off();
    EXPECT_THROW(TradingEnv{cfg}, InputError);
}
