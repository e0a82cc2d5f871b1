#pragma once
// Performance statistics of a run: returns, risk, trade statistics, monthly returns, comparison
// with buy-and-hold of each asset, and a per-regime breakdown. Definitions in
// docs/backtesting.md ("Metrics").
#include <filesystem>
#include <string>
#include <vector>

#include "backtest/engine.hpp"

namespace aurum {

struct RegimeSeries; // features/regimes.hpp

/// Regime labels over time (any labelling: the features layer's classifier, an HMM, a CSV).
/// Label of time t = the label of the latest entry with time <= t ("" before the first).
struct RegimeTimeline {
    std::vector<TimeMs> time;
    std::vector<std::string> label;
    std::string at(TimeMs t) const;
    bool empty() const { return time.empty(); }
    /// From the features layer's regimes (Unknown entries are kept as "unknown").
    static RegimeTimeline from(const RegimeSeries& regimes);
    /// The features layer's causal percentile classifier run over `bars`.
    static RegimeTimeline classify(const BarSeries& bars);
    /// CSV with header `time,regime`; throws InputError "file:line: ...".
    static RegimeTimeline load_csv(const std::filesystem::path& path);
};

struct MonthlyReturn {
    int year = 0, month = 0;
    double ret = 0;
};

/// Buy-and-hold of one asset over the same bars: buy at the first open, no costs.
struct BenchmarkStats {
    std::string symbol;
    double total_return = 0, cagr = 0, sharpe = 0, max_drawdown = 0;
};

/// Strategy performance over the bars of one regime. Bar k counts toward the regime in force
/// when it opened (the label known at the previous bar's close), so a label computed from a
/// bar's own close never explains that bar's return.
struct RegimeStats {
    std::string regime;
    std::size_t bars = 0;
    double time_share = 0;
    double total_return = 0; ///< strategy, compounded over the regime's bars
    double ann_return = 0;
    double sharpe = 0;
    double buy_hold_return = 0; ///< first instrument, compounded over the same bars
    std::size_t trades = 0;     ///< closed trades entered in this regime
    double win_rate = 0;
};

/// Every statistic of a run. Ratios are fractions (0.123 = 12.3 %); money in quote currency.
struct Metrics {
    std::size_t bars = 0;
    double periods_per_year = 0;
    double years = 0;
    double initial_capital = 0, final_equity = 0;
    double total_return = 0, cagr = 0, ann_volatility = 0;
    double sharpe = 0, sortino = 0, calmar = 0;
    double max_drawdown = 0;           ///< most negative equity / running peak - 1
    std::size_t max_drawdown_bars = 0; ///< longest time under water, in bars
    double max_drawdown_days = 0;      ///< same, in days
    TimeMs max_drawdown_peak = 0, max_drawdown_trough = 0;
    std::size_t trades = 0, wins = 0, losses = 0;
    double win_rate = 0;
    double profit_factor = 0; ///< gross wins / gross losses; +inf when there is no loss
    double avg_win = 0, avg_loss = 0, expectancy = 0;
    double avg_trade_return = 0;
    double best_trade = 0, worst_trade = 0; ///< net P&L
    double avg_bars_held = 0;
    double exposure = 0;     ///< fraction of bars with a position
    double avg_leverage = 0; ///< mean gross exposure / equity
    double turnover = 0;     ///< traded notional / mean equity, per year
    double fees = 0, spread_cost = 0, slippage_cost = 0;
    std::size_t orders = 0, rejected = 0, cancelled = 0, fills = 0, open_positions = 0;
    std::vector<MonthlyReturn> monthly;
    std::vector<BenchmarkStats> buy_hold;
    std::vector<RegimeStats> regimes;
};

/// Computes the metrics of `r`; `data` are the bars it ran on (for buy-and-hold), `regimes` may
/// be null (no breakdown).
Metrics compute_metrics(const BacktestResult& r, const std::vector<const BarSeries*>& data,
                        const RegimeTimeline* regimes = nullptr);

/// Equal-weight buy-and-hold equity of all instruments on the run's steps (for charts).
std::vector<double> buy_hold_curve(const BacktestResult& r,
                                   const std::vector<const BarSeries*>& data);

} // namespace aurum
