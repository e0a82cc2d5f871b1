#pragma once
// What every session report reads: one trading session's stored rows (equity, orders, fills,
// trades, risk decisions, signals, predictions) loaded once from the state store, with the
// session's own clock ("now" is the last bar's close in a replay) and the statistics of a
// period computed by the backtest's metrics code, so a report and a backtest agree on what
// "Sharpe" and "max drawdown" mean.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backtest/metrics.hpp"
#include "core/instrument.hpp"
#include "live/state_store.hpp"

namespace aurum {

/// One session's stored history.
struct SessionView {
    SessionRecord session;
    SessionSnapshot snapshot;
    std::vector<std::string> symbols;
    TimeMs tf = 0;  ///< bar length
    TimeMs now = 0; ///< session time: last bar's close (replay) or the wall clock (real time)
    /// True when this is the session `aurum status`/`summary` show (active or latest).
    bool is_current = false;
    std::vector<std::pair<TimeMs, double>> equity; ///< (bar open time, equity at its close)
    std::vector<OrderRecord> orders;
    std::vector<ExecReport> fills;
    std::vector<TradeRecord> trades;
    std::vector<RiskDecisionRecord> decisions; ///< oldest first
    std::vector<SignalRecord> signals;
    std::vector<PredictionRecord> predictions;

    /// Equity at session time `t` (the close of the last bar that closed by t); the capital
    /// before the first bar.
    double equity_at(TimeMs t) const;
    /// The first day of the session (UTC midnight of its first tradable bar).
    TimeMs first_day() const;
    /// The day of session time `now` (the day the last closed bar belongs to).
    TimeMs current_day() const { return floor_to(now - 1, kMsPerDay); }
};

/// Loads session `id` (empty: the one `aurum status` shows: active, else latest). InputError
/// naming the id when it does not exist, or when there is no session at all.
SessionView load_session_view(StateStore& store, const std::string& id, TimeMs wall_now);

/// The day a `--date` flag names, checked against the session: InputError naming the value when
/// it is not a date or lies outside the session's days. Empty text: the session's current day.
TimeMs resolve_report_day(const SessionView& v, const std::string& date_text,
                          const std::string& flag);

/// The session as a backtest result over [from, to) (session time): its equity curve, closed
/// trades and costs, for compute_metrics. `instruments` become the result's instruments
/// (benchmarks need them beside `data`).
BacktestResult period_result(const SessionView& v, TimeMs from, TimeMs to,
                             const std::vector<Instrument>& instruments);

/// Metrics of the session over [from, to) session time; `data` (may be empty) are benchmark
/// bars of `instruments`, one series each, for buy-and-hold.
Metrics period_metrics(const SessionView& v, TimeMs from, TimeMs to,
                       const std::vector<Instrument>& instruments,
                       const std::vector<const BarSeries*>& data);

/// A position rebuilt from the fills up to a time (for days before the last one).
struct PositionAt {
    std::string symbol;
    double qty = 0;       ///< signed
    double avg_price = 0; ///< average entry price of the open quantity
};
/// Open positions after every fill before session time `t`.
std::vector<PositionAt> positions_at(const SessionView& v, TimeMs t);

} // namespace aurum
