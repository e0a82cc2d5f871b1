#pragma once
// Portfolio accounting: cash, positions with average entry, realized/unrealized P&L, fees, and
// round-trip trades. One account currency (the quote currency of every instrument).
#include <vector>

#include "backtest/order.hpp"
#include "core/instrument.hpp"

namespace aurum {

/// A position in one instrument. qty > 0 long, < 0 short, in instrument units (lots for CFDs).
struct Position {
    double qty = 0;
    double avg_price = 0; ///< average entry price of the open quantity
    double mark = 0;      ///< last price it was marked at (close of the latest bar)
    double realized = 0;  ///< gross realized P&L over the run
    double fees = 0;      ///< fees paid over the run
    double traded_notional = 0;
};

/// One round trip: from flat (or a flip) to flat (or the next flip).
struct Trade {
    InstrumentId instrument = 0;
    int direction = 1;                         ///< +1 long, -1 short
    TimeMs entry_time = 0, exit_time = 0;      ///< open time of the bars of the first / last fill
    std::size_t entry_step = 0, exit_step = 0; ///< engine step index of those bars
    double entry_price = 0;                    ///< average entry price
    double exit_price = 0;                     ///< average exit price
    double qty = 0;                            ///< largest absolute size held
    double gross_pnl = 0;                      ///< price P&L in quote currency
    double fees = 0;                           ///< entry + exit fees attributed to this trade
    double net_pnl() const { return gross_pnl - fees; }
    /// Net P&L over the entry notional (a per-trade return).
    double return_pct = 0;
    // Running sums while the trade is open.
    double entry_notional_ = 0, entry_qty_ = 0, exit_notional_ = 0, exit_qty_ = 0;
};

/// Cash and positions. Cash moves by the full notional of each fill for every instrument
/// (buying spends, selling or shorting receives), so equity = cash + sum(qty x mark x contract)
/// for spot and CFDs alike; negative cash is borrowing, allowed only on leveraged instruments.
class Portfolio {
  public:
    Portfolio(double initial_cash, std::vector<Instrument> instruments);

    /// Applies a fill made during engine step `step`. Closed round trips go to trades().
    void apply_fill(const Fill& fill, std::size_t step);
    /// Marks an instrument at a price (normally the bar close).
    void mark(InstrumentId i, double price) { positions_[i].mark = price; }

    double initial_cash() const { return initial_cash_; }
    double cash() const { return cash_; }
    /// cash + marked value of every position.
    double equity() const;
    /// Sum of |qty x mark x contract| over positions.
    double gross_exposure() const;
    double fees_paid() const { return fees_; }
    double realized_pnl() const;
    /// Price P&L of the open positions at their marks.
    double unrealized_pnl() const;

    const Position& position(InstrumentId i) const { return positions_[i]; }
    std::size_t size() const { return positions_.size(); }
    const Instrument& instrument(InstrumentId i) const { return instruments_[i]; }
    const std::vector<Instrument>& instruments() const { return instruments_; }
    /// Closed round trips in the order they closed.
    const std::vector<Trade>& trades() const { return trades_; }
    /// The round trip still open in instrument i (meaningful when position(i).qty != 0).
    const Trade& open_trade(InstrumentId i) const { return open_[i]; }
    void reserve_trades(std::size_t n) { trades_.reserve(n); }

  private:
    void open_trade(InstrumentId i, int dir, double qty, double price, double fee, TimeMs t,
                    std::size_t step);

    double initial_cash_;
    double cash_;
    double fees_ = 0;
    std::vector<Instrument> instruments_;
    std::vector<double> contract_;
    std::vector<Position> positions_;
    std::vector<Trade> open_;
    std::vector<Trade> trades_;
};

} // namespace aurum
