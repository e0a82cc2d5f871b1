// The execution level: a limit that fills is charged its own price and the maker fee, a limit
// that does not fill within a bar is forced to market and pays the move (measured from the real
// fills), market-only execution is the tactical environment unchanged, the execution environment
// steps once per parent order, and a PPO execution agent learns to post limits where they fill
// and is gated out where they never do.
#include <cmath>
#include <memory>
#include <random>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "rl/execution_env.hpp"
#include "rl/policy_agent.hpp"
#include "rl/ppo_trainer.hpp"
#include "rl/rl_training.hpp"

using namespace aurum;

namespace {

constexpr double kMakerFee = 0.0002, kTakerFee = 0.001;

const FeatureSetDef& default_set() {
    static const FeatureConfig cfg = FeatureConfig::parse(FeatureConfig::default_yaml(), "features");
    return cfg.get("default");
}

/// BTC/USDT 4h bars from a close path; each bar opens at `gap` x the previous close and its
/// range reaches `reach` beyond its open and close on both sides.
BarSeries bars_of(const std::vector<double>& close, double gap, double reach) {
    BarSeries b;
    b.symbol = "BTC/USDT";
    b.timeframe = Timeframe(4 * kMsPerHour);
    double prev = close[0];
    for (std::size_t k = 0; k < close.size(); ++k) {
        const double open = prev * gap;
        b.push_back({1'700'000'000'000LL + static_cast<TimeMs>(k) * b.timeframe.ms(), open,
                     std::max(open, close[k]) * (1 + reach), std::min(open, close[k]) * (1 - reach),
                     close[k], 1000.0});
        prev = close[k];
    }
    return b;
}

MarketTape tape_of(BarSeries bars) {
    return build_market_tape(InstrumentRegistry().get("BTC/USDT"), std::move(bars), default_set());
}

/// A random walk of `n` closes (0.5 % per bar), seeded.
std::vector<double> walk(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> z(0, 0.005);
    std::vector<double> c{30'000};
    while (c.size() < n) c.push_back(c.back() * std::exp(z(rng)));
    return c;
}

EnvConfig env_config() {
    EnvConfig c = default_env_config();
    c.spec.engine.fill.fees.maker = kMakerFee;
    c.spec.engine.fill.fees.taker = kTakerFee;
    c.spec.engine.record_fills = true;
    return c;
}

/// Buys 20 % of equity, then flat, then again: a parent order on every free bar.
ActionFn flip_policy() {
    auto k = std::make_shared<int>(0);
    return [k](std::span<const float>, const ObsLayout&) { return (*k)++ % 2 == 0 ? 0.2 : 0.0; };
}

/// One short episode of `tape` from its first warm bar, with its observation buffer.
struct Episode {
    explicit Episode(const MarketTape& tape) : env(config()), obs(ObsLayout{tape.columns}.size()) {
        env.reset(tape, tape.first_ready, obs);
        arrival = tape.bars.close[tape.first_ready];
    }
    static EnvConfig config() {
        EnvConfig c = env_config();
        c.episode_bars = 8;
        return c;
    }
    TradingEnv env;
    std::vector<float> obs;
    double arrival = 0; ///< the first decision's close
};

/// Shortfall of the fills in `fills` against `arrival`, fees included, per unit of notional.
double shortfall_of(const std::vector<Fill>& fills, double arrival) {
    double qty = 0, cost = 0;
    for (const Fill& f : fills) {
        const double side = f.side == Side::Buy ? 1.0 : -1.0;
        qty += f.qty;
        cost += side * (f.price - arrival) * f.qty + f.fee;
    }
    return cost / (qty * arrival);
}

} // namespace

TEST(Execution, AFilledLimitPaysItsPriceAndTheMakerFee) {
    // Every bar opens at the last close and ranges 1 % beyond: a 10 bps limit fills at its price.
    const MarketTape tape = tape_of(bars_of(walk(400, 1), 1.0, 0.01));
    Episode e(tape);
    auto& [env, obs, arrival] = e;
    const StepOutcome o = env.step(0.2, obs, 10);
    ASSERT_TRUE(o.execution.completed);
    EXPECT_TRUE(o.execution.limit);
    EXPECT_FALSE(o.execution.forced);
    const BacktestResult r = env.finish();
    ASSERT_EQ(r.fills.size(), 1u);
    EXPECT_TRUE(r.fills[0].maker);
    EXPECT_NEAR(r.fills[0].price, arrival * (1 - 10e-4), 0.01) << "the limit, to the tick";
    EXPECT_NEAR(o.execution.shortfall, shortfall_of(r.fills, arrival), 1e-12);
    EXPECT_NEAR(o.execution.shortfall, -10e-4 + kMakerFee, 1e-6);
}

TEST(Execution, AnUnfilledLimitIsForcedToMarketAndPaysTheMove) {
    // Every bar gaps up 0.4 % and never trades below its open: a buy limit under the close
    // cannot fill; the next step cancels it and buys at market (ignoring that step's action).
    std::vector<double> close{30'000};
    while (close.size() < 400) close.push_back(close.back() * 1.008);
    const MarketTape tape = tape_of(bars_of(close, 1.004, 0.0));
    Episode e(tape);
    auto& [env, obs, arrival] = e;
    const StepOutcome first = env.step(0.2, obs, 10);
    EXPECT_FALSE(first.execution.completed);
    EXPECT_EQ(env.order_qty(0.0), 0.0) << "no new parent order while the limit is live";
    const StepOutcome forced = env.step(0.0, obs, 10);
    ASSERT_TRUE(forced.execution.completed);
    EXPECT_TRUE(forced.execution.limit);
    EXPECT_TRUE(forced.execution.forced);
    const BacktestResult r = env.finish();
    ASSERT_EQ(r.fills.size(), 1u);
    EXPECT_FALSE(r.fills[0].maker);
    EXPECT_GT(r.fills[0].price, arrival * 1.008) << "filled two bars later, after the move";
    EXPECT_NEAR(forced.execution.shortfall, shortfall_of(r.fills, arrival), 1e-9);
    EXPECT_GT(forced.execution.shortfall, 0.008 + kTakerFee);
    EXPECT_GT(r.fills[0].qty, 0.0) << "the forced fill kept the parent's target, not the 0";
}

TEST(Execution, MarketOnlyExecutionIsTheTacticalEnvironmentUnchanged) {
    const MarketTape tape = tape_of(bars_of(walk(1500, 5), 1.0, 0.004));
    const EnvConfig c = env_config();
    const EpisodeReport plain = run_policy_episode(tape, tape.first_ready, c, flip_policy());
    const EpisodeReport market = run_policy_episode(tape, tape.first_ready, c, flip_policy(),
                                                    [](std::span<const float>) { return 0.0; });
    ASSERT_GT(plain.result.fills.size(), 100u);
    ASSERT_EQ(plain.result.fills.size(), market.result.fills.size());
    for (std::size_t k = 0; k < plain.result.fills.size(); ++k) {
        EXPECT_EQ(plain.result.fills[k].time, market.result.fills[k].time) << k;
        EXPECT_EQ(plain.result.fills[k].price, market.result.fills[k].price) << k;
        EXPECT_EQ(plain.result.fills[k].qty, market.result.fills[k].qty) << k;
    }
    EXPECT_EQ(plain.metrics.final_equity, market.metrics.final_equity);
    EXPECT_EQ(market.execution.limits, 0u);
    EXPECT_EQ(plain.execution.parents, market.execution.parents);
}

TEST(Execution, LimitsNeverFillBeyondTheirPriceAndForcedFillsFollowUnfilledLimits) {
    const MarketTape tape = tape_of(bars_of(walk(1500, 9), 1.0, 0.001));
    const EpisodeReport e = run_policy_episode(tape, tape.first_ready, env_config(), flip_policy(),
                                               [](std::span<const float>) { return 25.0; });
    ASSERT_GT(e.execution.parents, 50u);
    EXPECT_EQ(e.execution.limits, e.execution.parents);
    EXPECT_GT(e.execution.forced, 0u) << "a 0.1 % range misses some 25 bps limits";
    EXPECT_LT(e.execution.forced, e.execution.parents);
    std::size_t makers = 0, takers = 0;
    for (const Fill& f : e.result.fills) (f.maker ? makers : takers) += 1;
    EXPECT_EQ(takers, e.execution.forced) << "every taker fill is a forced one";
    EXPECT_EQ(makers + takers, e.result.fills.size());
}

TEST(Execution, TheEnvironmentStepsOncePerParentOrder) {
    const MarketTape tape = tape_of(bars_of(walk(1500, 3), 1.0, 0.004));
    EnvConfig c = env_config();
    c.episode_bars = 200;
    VecEnv bars({&tape}, c, 3, 1);
    ExecutionEnv env(bars, {flip_policy(), flip_policy(), flip_policy()});
    ASSERT_EQ(env.obs_size(), bars.obs_size() + kExecutionExtra);
    const std::vector<double> offsets{0.0, 10.0, 25.0};
    std::size_t completed = 0;
    for (int s = 0; s < 300; ++s) {
        for (std::size_t i = 0; i < env.size(); ++i) {
            const auto row = env.observations().subspan(i * env.obs_size(), env.obs_size());
            const float side = row[bars.obs_size()], size = row[bars.obs_size() + 1];
            ASSERT_TRUE(side == 1.0f || side == -1.0f) << "an order is pending at every step";
            ASSERT_GT(size, 0.0f);
            ASSERT_LE(size, 0.3f);
        }
        env.step(offsets);
        for (std::size_t i = 0; i < env.size(); ++i) {
            ASSERT_TRUE(std::isfinite(env.rewards()[i]));
            completed += env.rewards()[i] != 0.0 ? 1 : 0;
        }
    }
    EXPECT_GT(completed, 800u) << "each step's parent finished with a shortfall";
    EXPECT_LE(env.shield_total().max_entry_exposure, 0.25 * (1 + kEntryGapTolerance));
}

TEST(Execution, AnUpperLevelThatNeverTradesIsAClearError) {
    const MarketTape tape = tape_of(bars_of(walk(600, 3), 1.0, 0.004));
    EnvConfig c = env_config();
    c.episode_bars = 64;
    VecEnv bars({&tape}, c, 1, 1);
    const ActionFn flat = [](std::span<const float>, const ObsLayout&) { return 0.0; };
    try {
        ExecutionEnv env(bars, {flat});
        FAIL() << "expected InputError";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("sent no order"), std::string::npos) << e.what();
    }
}

TEST(Execution, PpoLearnsToPostLimitsWhereTheyFill) {
    // Wide bars (0.6 % beyond open and close): a 25 bps limit always fills, at -25 bps plus the
    // 2 bps maker fee, against about +12 bps at market (taker fee and slippage).
    const MarketTape tape = tape_of(bars_of(walk(3000, 21), 1.0, 0.006));
    EnvConfig c = env_config();
    c.episode_bars = 256;
    VecEnv bars({&tape}, c, 4, 5);
    std::vector<ActionFn> upper;
    for (int i = 0; i < 4; ++i) upper.push_back(flip_policy());
    ExecutionEnv env(bars, std::move(upper));
    PpoParams p;
    p.hidden = 16;
    p.layers = 1;
    p.lr = 0.003;
    p.minibatch = 128;
    p.seed = 3;
    const std::vector<double> levels{0.0, 25.0};
    PolicyAgent agent(env.obs_size(), levels, p, "execution");
    PpoTrainer trainer(env, agent.net(), agent.norm(), levels, p, 64, 100);
    for (int u = 0; u < 30; ++u) trainer.step();
    const EpisodeReport learned = run_policy_episode(tape, tape.first_ready, c, flip_policy(),
                                                     execution_policy(agent));
    const EpisodeReport market = run_policy_episode(tape, tape.first_ready, c, flip_policy());
    EXPECT_GT(learned.execution.limits, learned.execution.parents * 9 / 10);
    EXPECT_LT(learned.execution.mean_shortfall_bps(), market.execution.mean_shortfall_bps() - 20);
    EXPECT_GT(shortfall_gain_t(learned.execution, market.execution), 2.0) << "the gate's test";
}

TEST(Execution, AlwaysPostingWhereLimitsNeverFillCostsMoreThanMarket) {
    // "Post and hope" on a market running away: every limit is forced, two bars late.
    std::vector<double> close{30'000};
    while (close.size() < 1500) close.push_back(close.back() * 1.002);
    const MarketTape tape = tape_of(bars_of(close, 1.001, 0.0));
    const EnvConfig c = env_config();
    const EpisodeReport posting = run_policy_episode(tape, tape.first_ready, c, flip_policy(),
                                                     [](std::span<const float> obs) {
                                                         return obs[obs.size() - 2] > 0 ? 25.0
                                                                                        : 0.0;
                                                     });
    const EpisodeReport market = run_policy_episode(tape, tape.first_ready, c, flip_policy());
    EXPECT_EQ(posting.execution.forced, posting.execution.limits) << "no buy limit ever fills";
    EXPECT_GT(posting.execution.mean_shortfall_bps(), market.execution.mean_shortfall_bps());
    EXPECT_LT(shortfall_gain_t(posting.execution, market.execution), 0.0);
}
