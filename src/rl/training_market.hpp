#pragma once
// The market an agent trains and is evaluated on: per symbol, a training tape (the bars before
// the out-of-sample split, so no training episode can see them) and the full tape whose rows
// from the split on are the evaluation window (rows are causal: row k uses bars 0..k only).
#include <vector>

#include "rl/market_tape.hpp"
#include "rl/rl_config.hpp"

namespace aurum {

/// Bars with a known edge: log returns r_t = phi * r_{t-1} + sqrt(1 - phi^2) * sigma * e_t
/// (e i.i.d. standard normal, zero drift), each bar opening at the previous close, so the part of
/// a bar's return predictable from the last one moves the price after the next open. Seeded.
BarSeries momentum_bars(const Instrument& instrument, Timeframe tf, TimeMs start, int days,
                        double phi, double annual_vol, std::uint64_t seed);

/// Training and evaluation tapes of every symbol.
struct TrainingMarket {
    std::vector<MarketTape> train;  ///< bars [0, split)
    std::vector<MarketTape> full;   ///< every bar
    std::vector<std::size_t> split; ///< first out-of-sample bar, per symbol
    std::vector<const MarketTape*> train_tapes() const;
};

class MarketStore;

/// The market of a portfolio agent (agent.portfolio): the symbols' full tapes aligned on their
/// common bar times (align_tapes), one split for all, and the training tapes cut there.
struct PortfolioMarket {
    std::vector<MarketTape> train; ///< common bars [0, split)
    std::vector<MarketTape> full;  ///< every common bar
    std::size_t split = 0;         ///< first out-of-sample common bar
    std::vector<const MarketTape*> train_tapes() const;
    std::vector<const MarketTape*> full_tapes() const;
};

/// The config's market (synthetic: shape, symbols, days, seed; store: the symbols' bars from
/// `store`, which must then be given) with its feature set (a built-in set of
/// config/features.yaml). InputError naming the key when the split leaves no room, or naming the
/// symbol when the store has no bars.
TrainingMarket build_training_market(const RlConfig& config, MarketStore* store = nullptr);

/// The config's market for a portfolio agent: build_training_market's full tapes aligned, split
/// at market.test_fraction of the common bars. InputError naming the key when the symbols share
/// too few bars.
PortfolioMarket build_portfolio_market(const RlConfig& config, MarketStore* store = nullptr);
/// The same from an already built market (its full tapes).
PortfolioMarket portfolio_market(const TrainingMarket& market, const RlConfig& config);

} // namespace aurum
