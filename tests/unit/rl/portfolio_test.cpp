// The multi-asset strategic level: one account over N symbols (the accounting adds up, fees are
// charged), no look-ahead, the shield's cap holds per asset under an adversarial policy, training
// is reproducible, and on a rotation market (one asset rises while the other falls) the agent
// allocates to the rising one and beats the equal-weight buy-and-hold out of sample.
#include <cmath>
#include <random>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "data/synthetic_market.hpp"
#include "rl/portfolio_strategic_env.hpp"
#include "rl/rl_training.hpp"
#include "support/data/shared_bars.hpp"
#include "support/test_support.hpp"

using namespace aurum;

namespace {

const FeatureSetDef& default_set() {
    static const FeatureConfig cfg = FeatureConfig::parse(FeatureConfig::default_yaml(), "features");
    return cfg.get("default");
}

/// Synthetic 4h bars of `symbols` (regimes with jumps), seeded.
std::vector<BarSeries> synthetic_bars(const std::vector<std::string>& symbols, int days,
                                      std::uint64_t seed) {
    InstrumentRegistry reg;
    const SynthConfig c = SynthConfig::defaults(reg, symbols, Timeframe(4 * kMsPerHour),
                                                1577836800000LL, days, seed, false);
    return generate_synthetic_market(c).series;
}

std::vector<MarketTape> aligned(const std::vector<BarSeries>& bars) {
    std::vector<MarketTape> tapes;
    for (const BarSeries& b : bars)
        tapes.push_back(build_market_tape(InstrumentRegistry().get(b.symbol), b, default_set()));
    return align_tapes(tapes);
}

std::vector<const MarketTape*> ptrs(const std::vector<MarketTape>& tapes) {
    std::vector<const MarketTape*> out;
    for (const MarketTape& t : tapes) out.push_back(&t);
    return out;
}

RlConfig portfolio_config(int updates, int seed, const std::string& extra = "") {
    return RlConfig::parse(fmt::format(R"(name: test-portfolio
market: {{shape: rotation, symbols: [BTC/USDT, ETH/USDT], days: 1460, seed: {}}}
agent: {{level: strategic, portfolio: true, cadence: 6, episode_bars: 252, envs: 8,
         rollout_steps: 42, updates: {}, action_levels: [0.0, 0.25]{}}}
ppo: {{hidden: 32, layers: 1, lr: 0.003, minibatch: 112, seed: {}}}
)",
                                       seed + 20, updates, extra, seed),
                           "test rl.yaml");
}

} // namespace

TEST(PortfolioEnv, AccountAddsUpAndFeesAreCharged) {
    const auto tapes = aligned(synthetic_bars({"BTC/USDT", "ETH/USDT", "SOL/USDT"}, 400, 3));
    const auto tp = ptrs(tapes);
    EnvConfig cfg = default_env_config();
    cfg.episode_bars = 500;
    cfg.spec.engine.record_fills = true;
    PortfolioEnv env(cfg);
    const std::size_t row = PortfolioLayout{tapes[0].columns}.size();
    std::vector<float> obs(3 * row);
    env.reset(tp, tapes[0].first_ready + 10, obs);
    std::mt19937_64 rng(5);
    std::vector<double> targets(3);
    for (bool done = false; !done;) {
        for (double& t : targets) t = static_cast<double>(rng() % 5) * 0.1; // 0 .. 40 %
        done = env.step(targets, obs).done;
        double marked = env.cash();
        for (std::size_t i = 0; i < 3; ++i) {
            marked += env.position_value(i);
            EXPECT_NEAR(obs[i * row + env.layout().position()], env.position_value(i) / env.equity(),
                        1e-5);
            EXPECT_NEAR(obs[i * row + env.layout().cash()], env.cash() / env.equity(), 1e-5);
        }
        ASSERT_NEAR(env.equity(), marked, 1e-6 * env.equity());
    }
    const double cash = env.cash(), equity = env.equity();
    const BacktestResult r = env.finish();
    // Rebuild the account from the fills alone: cash and every position, then mark it.
    double c = r.initial_capital, fees = 0;
    std::vector<double> qty(3, 0.0);
    for (const Fill& f : r.fills) {
        const double sign = f.side == Side::Buy ? 1.0 : -1.0;
        const double cs = tapes[f.instrument].instrument.contract_size;
        c -= sign * f.qty * f.price * cs + f.fee;
        qty[f.instrument] += sign * f.qty;
        fees += f.fee;
        EXPECT_NEAR(f.fee, 0.001 * f.qty * f.price * cs, 1e-9 * f.qty * f.price * cs);
    }
    EXPECT_GT(r.fills.size(), 30u);
    EXPECT_GT(fees, 0.0);
    EXPECT_NEAR(fees, r.fees, 1e-6);
    EXPECT_NEAR(c, cash, 1e-6 * equity);
    double marked = c;
    for (std::size_t i = 0; i < 3; ++i) marked += qty[i] * env.bars(i).close.back();
    EXPECT_NEAR(marked, equity, 1e-6 * equity);
    std::set<InstrumentId> traded;
    for (const Fill& f : r.fills) traded.insert(f.instrument);
    EXPECT_EQ(traded.size(), 3u); // one account traded every asset
}

TEST(PortfolioEnv, NoLookAheadPerturbingLaterBarsChangesNoEarlierObservation) {
    const auto bars = synthetic_bars({"BTC/USDT", "ETH/USDT"}, 300, 8);
    const auto base = aligned(bars);
    const std::size_t start = base[0].first_ready + 5, cut = start + 200;
    auto later = bars;
    for (BarSeries& b : later)
        for (std::size_t k = b.lower_bound(base[0].bars.time[cut]); k < b.size(); ++k) {
            b.open[k] *= 1.3;
            b.high[k] *= 1.4;
            b.low[k] *= 0.9;
            b.close[k] *= 0.7;
            b.volume[k] *= 3;
        }
    const auto changed = aligned(later);
    const auto run = [&](const std::vector<MarketTape>& tapes) {
        EnvConfig cfg = default_env_config();
        cfg.episode_bars = 300;
        PortfolioEnv env(cfg);
        const std::size_t row = PortfolioLayout{tapes[0].columns}.size();
        std::vector<float> obs(2 * row);
        std::vector<std::vector<float>> seen;
        env.reset(ptrs(tapes), start, obs);
        std::vector<double> t(2);
        for (std::size_t k = 0; k < 300; ++k) {
            seen.push_back(obs);
            // A policy of the observation: its decisions follow what it saw.
            for (std::size_t i = 0; i < 2; ++i) t[i] = obs[i * row] > 0 ? 0.25 : 0.05 * double(i);
            env.step(t, obs);
        }
        return seen;
    };
    const auto a = run(base), b = run(changed);
    // Observation k is bar start + k's close: every one before the cut bar is unchanged.
    for (std::size_t k = 0; k < cut - start; ++k) ASSERT_EQ(a[k], b[k]) << "bar " << start + k;
    EXPECT_NE(a[cut - start], b[cut - start]); // the perturbation itself is seen at once
}

TEST(PortfolioEnv, ShieldCapsEveryAssetUnderAnAdversarialPolicy) {
    auto bars = synthetic_bars({"BTC/USDT", "ETH/USDT", "SOL/USDT"}, 3 * 365, 11);
    // A crash of every asset at once (-45 % gaps at two opens): the account must halt.
    for (BarSeries& b : bars)
        for (std::size_t k = 1500; k < b.size(); ++k) {
            const double f = k < 1700 ? 0.55 : 0.3;
            b.open[k] *= f;
            b.high[k] *= f;
            b.low[k] *= f;
            b.close[k] *= f;
        }
    const auto tapes = aligned(bars);
    EnvConfig cfg = default_env_config();
    cfg.episode_bars = 2000;
    PortfolioEnv env(cfg);
    std::vector<float> obs(3 * PortfolioLayout{tapes[0].columns}.size());
    env.reset(ptrs(tapes), tapes[0].first_ready, obs);
    ASSERT_GT(tapes[0].first_ready + 2000, 1700u);
    const double nan = std::nan("");
    std::size_t k = 0;
    for (bool done = false; !done; ++k) {
        // All assets at max, now and then flat (fresh entries), broken values in between.
        const std::vector<double> t = k % 50 == 49 ? std::vector<double>{0, 0, 0}
                                      : k % 17 == 3 ? std::vector<double>{nan, 2.0, -5.0}
                                                    : std::vector<double>{1, 1, 1};
        done = env.step(t, obs).done;
    }
    const double cap = cfg.spec.risk.limits.max_position;
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_GT(env.max_entry_exposure()[i], 0.5 * cap) << i; // it did enter every asset
        EXPECT_LE(env.max_entry_exposure()[i], cap * (1 + kEntryGapTolerance)) << i;
    }
    const ShieldStats& s = env.shield();
    EXPECT_GT(s.halts, 0u);
    EXPECT_GT(s.max_drawdown, cfg.spec.risk.limits.max_drawdown); // the halt was tested
    EXPECT_EQ(s.entries_past_halt, 0u);
    EXPECT_GT(s.reduced + s.denied, 0u); // the shield, not the policy, held the cap
    EXPECT_GT(s.invalid, 0u);
    EXPECT_EQ(s.actions, 3 * k);
}

TEST(PortfolioEnv, AlignsOnCommonTimesAndRefusesMismatchedTimeframes) {
    auto bars = synthetic_bars({"BTC/USDT", "ETH/USDT"}, 200, 2);
    // Drop every third ETH bar: only the common times remain.
    BarSeries thin = bars[1];
    BarSeries kept;
    kept.symbol = thin.symbol;
    kept.timeframe = thin.timeframe;
    for (std::size_t k = 0; k < thin.size(); ++k)
        if (k % 3 != 0) kept.push_back(thin.at(k));
    const auto t = aligned({bars[0], kept});
    EXPECT_EQ(t[0].bars.time, t[1].bars.time);
    EXPECT_EQ(t[0].bars.size(), kept.size());
    // A 1h series beside a 4h one: refused, naming the key and the symbols.
    InstrumentRegistry reg;
    const SynthConfig c = SynthConfig::defaults(reg, {"ETH/USDT"}, Timeframe(kMsPerHour),
                                                1577836800000LL, 200, 2, false);
    std::vector<MarketTape> mixed{
        build_market_tape(reg.get("BTC/USDT"), bars[0], default_set()),
        build_market_tape(reg.get("ETH/USDT"), generate_synthetic_market(c).series[0],
                          default_set())};
    try {
        (void)align_tapes(mixed);
        FAIL() << "mixed timeframes accepted";
    } catch (const InputError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("market.symbols"), std::string::npos) << what;
        EXPECT_NE(what.find("ETH/USDT"), std::string::npos) << what;
    }
}

TEST(PortfolioConfig, BadPortfolioConfigsNameTheKey) {
    const auto fails_with = [](const std::string& yaml, const std::string& key) {
        try {
            (void)RlConfig::parse(yaml, "rl.yaml");
            ADD_FAILURE() << "accepted: " << yaml;
        } catch (const InputError& e) {
            EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
        }
    };
    fails_with("agent: {level: strategic, portfolio: true}\n", "agent.portfolio");
    fails_with("market: {symbols: [BTC/USDT, ETH/USDT]}\nagent: {portfolio: true}\n",
               "agent.portfolio");
    fails_with("market: {symbols: [BTC/USDT, ETH/USDT]}\nagent: {level: strategic, portfolio: "
               "true, tactical_model: t}\n",
               "agent.tactical_model");
    fails_with("market: {shape: rotation}\n", "market.shape");
    const RlConfig ok = portfolio_config(1, 1);
    EXPECT_TRUE(ok.agent.portfolio);
}

TEST(PortfolioStrategic, RowsShareTheirEnvironmentsReward) {
    const RlConfig c = portfolio_config(1, 1);
    const PortfolioMarket m = build_portfolio_market(c);
    EnvConfig env = default_env_config();
    env.episode_bars = 252;
    PortfolioStrategicEnv s(m.train_tapes(), env, 3, 6, 0.01, 9);
    ASSERT_EQ(s.size(), 6u);
    std::vector<double> a{0.25, 0.0, 0.0, 0.25, 0.25, 0.25};
    for (int k = 0; k < 50; ++k) {
        s.step(a);
        for (std::size_t e = 0; e < 3; ++e) {
            EXPECT_EQ(s.rewards()[2 * e], s.rewards()[2 * e + 1]);
            EXPECT_EQ(s.dones()[2 * e], s.dones()[2 * e + 1]);
        }
    }
    EXPECT_EQ(s.bars_stepped(), 3u * 50 * 6);
    EXPECT_GT(s.shield_total().orders, 0u);
    EXPECT_THROW(PortfolioStrategicEnv(m.train_tapes(), env, 3, 5, 0.01, 9), InputError);
    EXPECT_THROW(PortfolioStrategicEnv({m.train_tapes()[0]}, env, 3, 6, 0.01, 9), InputError);
}

TEST(PortfolioStrategic, TrainsReproducibly) {
    const test::TempDir dir;
    const auto train = [&](const RlConfig& c, const std::string& run) {
        RlTrainOptions o;
        o.runs_root = dir.path();
        o.run = run;
        o.env = default_env_config();
        return train_rl(c, o);
    };
    const RlTrainResult a = train(portfolio_config(3, 4), "a");
    const RlTrainResult b = train(portfolio_config(3, 4), "b");
    const RlTrainResult c = train(portfolio_config(3, 5), "c");
    EXPECT_EQ(a.parameter_hash, b.parameter_hash);
    EXPECT_NE(a.parameter_hash, c.parameter_hash);
    EXPECT_EQ(a.evaluation.episodes.at(0).metrics.final_equity,
              b.evaluation.episodes.at(0).metrics.final_equity);
    // Steps are (environment, asset) rows: 3 updates x 42 x 8 environments x 2 assets.
    EXPECT_EQ(a.updates.back().env_steps, 3u * 42 * 8 * 2);
    EXPECT_EQ(a.bar_steps, 3u * 42 * 8 * 6);
    ASSERT_EQ(a.evaluation.assets.size(), 2u);
    EXPECT_EQ(a.evaluation.symbols.at(0), "portfolio BTC/USDT + ETH/USDT");
}

TEST(PortfolioStrategic, AllocatesToTheRisingAssetAndBeatsEqualWeight) {
    for (int seed : {1, 2}) {
        SCOPED_TRACE(fmt::format("seed {}", seed));
        const RlConfig c = portfolio_config(60, seed);
        const PortfolioMarket m = build_portfolio_market(c);
        EnvConfig env = default_env_config();
        env.episode_bars = c.agent.episode_bars;
        PortfolioStrategicEnv batch(m.train_tapes(), env, c.agent.envs, c.agent.cadence,
                                    c.agent.dsr_eta, c.market.seed ^ c.ppo.seed);
        PolicyAgent agent(batch.obs_size(), c.agent.action_levels, c.ppo, "strategic");
        PpoTrainer trainer(batch, agent.net(), agent.norm(), c.agent.action_levels, c.ppo,
                           c.agent.rollout_steps, c.agent.reward_scale);
        for (std::size_t u = 0; u < c.agent.updates; ++u) trainer.step();

        const PortfolioEpisodeReport r = run_portfolio_episode(
            m.full_tapes(), m.split, env, portfolio_policy(agent), c.agent.cadence);
        // Out of sample, each asset gets more when its own causal regime is bull than bear.
        for (std::size_t i = 0; i < 2; ++i) {
            double bull = 0, bear = 0;
            std::size_t nb = 0, ns = 0;
            for (std::size_t k = 0; k < r.allocations[i].size(); ++k) {
                const Regime g = m.full[i].regime[m.split + k];
                if (g == Regime::Bull) bull += r.allocations[i][k], ++nb;
                if (g == Regime::Bear) bear += r.allocations[i][k], ++ns;
            }
            ASSERT_GT(nb, 50u);
            ASSERT_GT(ns, 50u);
            EXPECT_GT(bull / double(nb), bear / double(ns) + 0.05) << r.symbols[i];
        }
        const EpisodeReport& e = r.total;
        EXPECT_GT(e.metrics.sharpe, e.buy_hold_sharpe);
        EXPECT_GT(e.t_stat, 2.0);
        const RlEvaluation ev = evaluate_portfolio(agent, m, c, env);
        EXPECT_TRUE(ev.gate.passed) << ev.gate.failures();
        EXPECT_EQ(ev.episodes.at(0).metrics.final_equity, e.metrics.final_equity);
    }
}

TEST(PortfolioEnv, RealBtcAndEthShareOneCappedAccountAndGoldH1IsRefused) {
    AURUM_REQUIRE_SHARED_DATA(btc, "crypto/binance/BTCUSDT_4h.csv");
    AURUM_REQUIRE_SHARED_DATA(eth, "crypto/binance/ETHUSDT_4h.csv");
    const auto tapes = aligned({test::load_shared_bars("crypto/binance/BTCUSDT_4h.csv"),
                                test::load_shared_bars("crypto/binance/ETHUSDT_4h.csv")});
    ASSERT_GT(tapes[0].bars.size(), 3000u);
    EnvConfig cfg = default_env_config();
    cfg.episode_bars = 3000;
    PortfolioEnv env(cfg);
    std::vector<float> obs(2 * PortfolioLayout{tapes[0].columns}.size());
    env.reset(ptrs(tapes), tapes[0].first_ready, obs);
    std::size_t k = 0;
    for (bool done = false; !done; ++k) {
        const std::vector<double> t = k % 30 < 20 ? std::vector<double>{1, 1}
                                                  : std::vector<double>{0, 0.1};
        done = env.step(t, obs).done;
        double marked = env.cash() + env.position_value(0) + env.position_value(1);
        ASSERT_NEAR(env.equity(), marked, 1e-6 * env.equity());
    }
    for (std::size_t i = 0; i < 2; ++i)
        EXPECT_LE(env.max_entry_exposure()[i], 0.25 * (1 + kEntryGapTolerance)) << i;
    EXPECT_EQ(env.shield().entries_past_halt, 0u);

    AURUM_REQUIRE_SHARED_DATA(gold, "mt5/XAUUSD_H1_201501020900_202512221100.csv");
    std::vector<MarketTape> mixed;
    mixed.push_back(tapes[0]);
    mixed.push_back(build_market_tape(
        InstrumentRegistry().get("XAUUSD"),
        test::load_shared_bars("mt5/XAUUSD_H1_201501020900_202512221100.csv"), default_set()));
    EXPECT_THROW((void)align_tapes(mixed), InputError);
}
