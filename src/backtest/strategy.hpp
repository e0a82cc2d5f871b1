#pragma once
// What a strategy sees and can do. At bar t a strategy gets read-only views of each instrument's
// bars whose size is the number of bars closed so far (t + 1): later bars are not reachable
// through this API, which is how "no look-ahead" is made structural rather than a convention.
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "backtest/order.hpp"
#include "backtest/portfolio.hpp"
#include "core/bar_series.hpp"
#include "core/instrument.hpp"

namespace aurum {

/// Read-only view of the first size() bars of a series (the closed ones).
class BarView {
  public:
    BarView(const BarSeries& s, std::size_t n) : s_(&s), n_(n) {}

    std::size_t size() const { return n_; }
    bool empty() const { return n_ == 0; }
    const std::string& symbol() const { return s_->symbol; }
    Timeframe timeframe() const { return s_->timeframe; }

    std::span<const TimeMs> times() const { return {s_->time.data(), n_}; }
    std::span<const double> opens() const { return {s_->open.data(), n_}; }
    std::span<const double> highs() const { return {s_->high.data(), n_}; }
    std::span<const double> lows() const { return {s_->low.data(), n_}; }
    std::span<const double> closes() const { return {s_->close.data(), n_}; }
    std::span<const double> volumes() const { return {s_->volume.data(), n_}; }
    /// Per-bar spread (empty when the source has no spread column).
    std::span<const double> spreads() const {
        return s_->has_spread() ? std::span<const double>{s_->spread.data(), n_}
                                : std::span<const double>{};
    }
    /// Bar k (k < size(); throws std::out_of_range otherwise).
    Bar bar(std::size_t k) const {
        if (k >= n_)
            throw std::out_of_range("BarView::bar: index beyond the bars closed so far");
        return s_->at(k);
    }
    double last_close() const { return s_->close[n_ - 1]; }
    TimeMs last_time() const { return s_->time[n_ - 1]; }

  private:
    const BarSeries* s_;
    std::size_t n_;
};

class Engine;

/// The strategy's window on the engine: market data so far, the account, and order entry.
/// Every order goes through instrument rules and the risk hook before the execution client.
class StrategyContext {
  public:
    std::size_t instrument_count() const { return instruments_->size(); }
    const Instrument& instrument(InstrumentId i) const { return (*instruments_)[i]; }
    /// Bars of instrument i closed so far.
    BarView bars(InstrumentId i) const { return BarView(*(*data_)[i], (*visible_)[i]); }
    /// The clock's time: the close of the bar being processed.
    TimeMs now() const;
    Timeframe timeframe() const { return (*data_)[0]->timeframe; }

    const Portfolio& portfolio() const { return *portfolio_; }
    double equity() const { return portfolio_->equity(); }
    double cash() const { return portfolio_->cash(); }
    double position(InstrumentId i) const { return portfolio_->position(i).qty; }
    /// Orders of instrument i sent and not yet finished.
    int pending_orders(InstrumentId i) const { return (*pending_)[i]; }
    /// Taker fee rate (for sizing that leaves room for fees).
    double taker_fee() const { return taker_fee_; }
    /// Shorts are allowed for this instrument in this run (instrument shortable and enabled).
    bool can_short(InstrumentId i) const { return allow_short_ && instrument(i).shortable; }

    /// Validates, rounds, risk-checks and sends an order. Returns its id, or 0 when it was
    /// rejected (the rejection is logged and delivered to Strategy::on_order_event).
    OrderId submit(const OrderRequest& request);
    /// Cancels a live order (unknown ids produce an UNKNOWN_ORDER event).
    void cancel(OrderId id);
    /// Sends a market order for the difference between `target_qty` (signed) and the current
    /// position, unless that difference rounds to less than one lot step. On spot instruments a
    /// buy is capped at what the cash covers at the last close (with the taker fee). Returns its
    /// id or 0.
    OrderId order_target(InstrumentId i, double target_qty) { return order_target(i, target_qty, 0.0); }
    /// order_target with a protective stop: when the entry fills, a stop order for the whole
    /// position goes in at `stop_loss` (a fraction, e.g. 0.05) beyond the position's average
    /// entry price; it is resized after every fill that changes the position and cancelled
    /// before an order that reduces, closes or flips it. 0 = no stop. Stops are placed on the
    /// fill (like an exchange-side stop placed once the entry is known), so they work from the
    /// next bar on.
    OrderId order_target(InstrumentId i, double target_qty, double stop_loss) {
        return order_target(i, target_qty, stop_loss, 0.0);
    }
    /// order_target with a stop and a take-profit target: a GTC limit `take_profit` (a fraction
    /// in (0, 1)) beyond the average entry in the position's favour, for the whole position.
    /// With both set the two go in as one OCO pair (Order::oco both ways): one leg trading ends
    /// the other, and they are replaced together when the position changes and cancelled
    /// together before an order that reduces, closes or flips it. 0 = no target.
    OrderId order_target(InstrumentId i, double target_qty, double stop_loss, double take_profit);
    /// The signed quantity order_target would send toward `target_qty` (after the spot cash cap
    /// and the lot check): 0 when it would send nothing.
    double target_order_qty(InstrumentId i, double target_qty) const;
    /// order_target as a GTC limit order at `limit_price` (no protective stop): what an
    /// execution policy sends instead of a market order. Returns its id or 0.
    OrderId order_target_limit(InstrumentId i, double target_qty, double limit_price);
    /// The protective stop order live for instrument i (0: none).
    OrderId protective_stop(InstrumentId i) const;
    /// The take-profit target order live for instrument i (0: none).
    OrderId protective_target(InstrumentId i) const;

  protected:
    StrategyContext() = default;
    const std::vector<Instrument>* instruments_ = nullptr;
    const std::vector<const BarSeries*>* data_ = nullptr;
    const std::vector<std::size_t>* visible_ = nullptr;
    const std::vector<int>* pending_ = nullptr;
    const Portfolio* portfolio_ = nullptr;
    double taker_fee_ = 0;
    bool allow_short_ = false;
};

/// A trading strategy. Called on the engine thread, in bar-time order, after the bar closed.
class Strategy {
  public:
    virtual ~Strategy() = default;
    virtual std::string name() const = 0;
    /// Before the first bar (size per-instrument state here: no allocation in on_bar).
    virtual void on_start(StrategyContext&) {}
    /// Bar `i` just closed; ctx.bars(i).size() bars of it are visible.
    virtual void on_bar(StrategyContext& ctx, InstrumentId i) = 0;
    virtual void on_fill(StrategyContext&, const Fill&) {}
    /// Rejections, cancellations and completed orders.
    virtual void on_order_event(StrategyContext&, const OrderEvent&) {}
    /// Forget which orders were already placed for the current signals, so the next bar orders
    /// toward them again. The live engine calls it when orders start to count (after the
    /// warm-up history, after a resume or a reset), because orders refused before were lost.
    virtual void resync() {}
};

} // namespace aurum
