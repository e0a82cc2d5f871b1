#include "rl/training_market.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"
#include "data/market_store.hpp"
#include "data/synthetic_market.hpp"
#include "features/feature_set.hpp"
#include "rl/portfolio_env.hpp"
#include "rl/scenarios.hpp"

namespace aurum {

namespace {
constexpr TimeMs kMarketStart = 1704067200000LL; // 2024-01-01
}

BarSeries momentum_bars(const Instrument& instrument, Timeframe tf, TimeMs start, int days,
                        double phi, double annual_vol, std::uint64_t seed) {
    SynthRng rng(seed);
    const std::size_t n = static_cast<std::size_t>(days) * kMsPerDay / tf.ms();
    const double sigma = annual_vol * std::sqrt(static_cast<double>(tf.ms()) / (365.0 * kMsPerDay));
    const double shock = std::sqrt(1 - phi * phi) * sigma;
    BarSeries b;
    b.symbol = instrument.symbol;
    b.timeframe = tf;
    double prev_close = 100.0, r = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const double z = rng.normal();
        r = phi * r + shock * z;
        const double open = prev_close, close = open * std::exp(r);
        const double high = std::max(open, close) * std::exp(0.3 * sigma * std::fabs(rng.normal()));
        const double low = std::min(open, close) * std::exp(-0.3 * sigma * std::fabs(rng.normal()));
        b.time.push_back(start + static_cast<TimeMs>(k) * tf.ms());
        b.open.push_back(open);
        b.high.push_back(high);
        b.low.push_back(low);
        b.close.push_back(close);
        b.volume.push_back(1000.0 * (1 + std::fabs(z)));
        prev_close = close;
    }
    return b;
}

namespace {

/// Long, strong bull and bear regimes (+-300 % a year, calm, about 40 days each) and nothing
/// else: being in the market in bull regimes and out in bear ones is the edge to find.
void trend_regimes(SynthConfig& c) {
    const auto bull = static_cast<int>(SynthRegime::Bull),
               bear = static_cast<int>(SynthRegime::Bear);
    c.regimes[bull] = SynthRegimeParams{3.0, 0.5, 0.3, 1.0, 40.0};
    c.regimes[bear] = SynthRegimeParams{-3.0, 0.5, 0.3, 1.0, 40.0};
    for (auto& row : c.switch_weights)
        row = {0.5, 0.5, 0.0, 0.0};
    c.switch_weights[bull] = {0.0, 1.0, 0.0, 0.0};
    c.switch_weights[bear] = {1.0, 0.0, 0.0, 0.0};
}

/// Trend's regimes, every second asset moving against them: at any time one asset of each pair
/// rises and the other falls, so allocating by each asset's own regime is the edge and an
/// equal-weight hold earns about nothing. Every asset at trend's calm volatility (35 % a year;
/// the regimes' volatility multiplier at 1, as a negative beta would invert it).
void rotation_regimes(SynthConfig& c) {
    trend_regimes(c);
    for (auto r : {SynthRegime::Bull, SynthRegime::Bear})
        c.regimes[static_cast<int>(r)].vol_mult = 1.0;
    for (std::size_t i = 0; i < c.assets.size(); ++i) {
        c.assets[i].regime_beta = i % 2 == 0 ? 1.0 : -1.0;
        c.assets[i].annual_vol = 0.35;
    }
}

MarketTape head_of(const MarketTape& t, std::size_t n) {
    MarketTape h;
    h.instrument = t.instrument;
    h.bars = t.bars.slice({t.bars.time.front(), t.bars.time[n]});
    h.columns = t.columns;
    h.rows.assign(t.rows.begin(), t.rows.begin() + static_cast<std::ptrdiff_t>(n * t.columns));
    h.ready.assign(t.ready.begin(), t.ready.begin() + static_cast<std::ptrdiff_t>(n));
    h.regime.assign(t.regime.begin(), t.regime.begin() + static_cast<std::ptrdiff_t>(n));
    h.first_ready = std::min(t.first_ready, n);
    return h;
}

} // namespace

std::vector<const MarketTape*> PortfolioMarket::train_tapes() const {
    std::vector<const MarketTape*> out;
    for (const MarketTape& t : train)
        out.push_back(&t);
    return out;
}

std::vector<const MarketTape*> PortfolioMarket::full_tapes() const {
    std::vector<const MarketTape*> out;
    for (const MarketTape& t : full)
        out.push_back(&t);
    return out;
}

PortfolioMarket build_portfolio_market(const RlConfig& config, MarketStore* store) {
    return portfolio_market(build_training_market(config, store), config);
}

PortfolioMarket portfolio_market(const TrainingMarket& market, const RlConfig& config) {
    if (market.full.size() < 2)
        throw InputError("agent.portfolio: needs 2 or more market.symbols");
    PortfolioMarket out;
    out.full = align_tapes(market.full);
    const std::size_t n = out.full[0].bars.size();
    out.split = static_cast<std::size_t>(
        std::floor(static_cast<double>(n) * (1 - config.market.test_fraction)));
    if (out.split + 2 > n || out.split < 2)
        throw InputError(fmt::format("market.test_fraction: leaves no room in the {} bars common "
                                     "to market.symbols",
                                     n));
    for (const MarketTape& t : out.full)
        out.train.push_back(head_of(t, out.split));
    return out;
}

std::vector<const MarketTape*> TrainingMarket::train_tapes() const {
    std::vector<const MarketTape*> out;
    for (const MarketTape& t : train)
        out.push_back(&t);
    return out;
}

TrainingMarket build_training_market(const RlConfig& config, MarketStore* store) {
    const RlConfig::Market& m = config.market;
    const Timeframe tf = Timeframe::parse_or_throw(m.timeframe);
    InstrumentRegistry reg;
    std::vector<BarSeries> bars;
    if (m.from_store) {
        if (!store)
            throw InputError("market.source store: no market store to read");
        const TimeRange range{m.from ? m.from : INT64_MIN, m.to ? m.to : INT64_MAX};
        for (const std::string& sym : m.symbols) {
            (void)reg.get(sym); // InputError naming an unknown symbol
            bars.push_back(store->load_bars(sym, tf, range));
            if (bars.back().empty())
                throw InputError(fmt::format(
                    "market.symbols: no {} bars of {} in the store{} (import them, or `aurum "
                    "data synth`)",
                    m.timeframe, sym, m.from || m.to ? " in market.from/to" : ""));
        }
    } else if (m.shape == MarketShape::Bull || m.shape == MarketShape::Bear) {
        bars.push_back(scenario_bars(m.shape == MarketShape::Bull ? Scenario::Bull : Scenario::Bear,
                                     m.seed, m.days));
    } else if (m.shape == MarketShape::Momentum) {
        for (std::size_t i = 0; i < m.symbols.size(); ++i)
            bars.push_back(momentum_bars(reg.get(m.symbols[i]), tf, kMarketStart, m.days,
                                         m.momentum, 0.6, m.seed + 7919 * i));
    } else {
        SynthConfig c = SynthConfig::defaults(reg, m.symbols, tf, kMarketStart, m.days, m.seed,
                                              m.shape == MarketShape::Noise);
        if (m.shape == MarketShape::Trend)
            trend_regimes(c);
        if (m.shape == MarketShape::Rotation)
            rotation_regimes(c);
        bars = std::move(generate_synthetic_market(c).series);
    }
    const FeatureConfig fc = FeatureConfig::parse(FeatureConfig::default_yaml(), "features");
    const FeatureSetDef& def = fc.get(config.feature_set);
    TrainingMarket out;
    for (BarSeries& b : bars) {
        const Instrument& inst = reg.get(b.symbol);
        const auto split = static_cast<std::size_t>(
            std::floor(static_cast<double>(b.size()) * (1 - m.test_fraction)));
        BarSeries head = b.slice({b.time.front(), b.time[std::min(split, b.size() - 1)]});
        out.full.push_back(build_market_tape(inst, std::move(b), def));
        out.train.push_back(build_market_tape(inst, std::move(head), def));
        out.split.push_back(split);
        const MarketTape& t = out.train.back();
        if (t.first_ready + config.agent.episode_bars + 1 > t.bars.size())
            throw InputError(fmt::format(
                "agent.episode_bars {}: no room in the {} training bars of {} for {} ({} of "
                "features' warm-up; market.days / from / to / test_fraction set the bars)",
                config.agent.episode_bars, t.bars.size(), out.full.back().bars.size(),
                t.bars.symbol, t.first_ready));
        if (split + 2 > out.full.back().bars.size())
            throw InputError("market.test_fraction leaves no out-of-sample bars");
    }
    return out;
}

} // namespace aurum
