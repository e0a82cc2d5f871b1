#include "backtest/portfolio.hpp"

#include <algorithm>
#include <cmath>

namespace aurum {

Portfolio::Portfolio(double initial_cash, std::vector<Instrument> instruments)
    : initial_cash_(initial_cash), cash_(initial_cash), instruments_(std::move(instruments)) {
    positions_.resize(instruments_.size());
    open_.resize(instruments_.size());
    for (const auto& inst : instruments_)
        contract_.push_back(inst.contract_size);
}

double Portfolio::equity() const {
    double v = cash_;
    for (std::size_t i = 0; i < positions_.size(); ++i)
        v += positions_[i].qty * positions_[i].mark * contract_[i];
    return v;
}

double Portfolio::gross_exposure() const {
    double v = 0;
    for (std::size_t i = 0; i < positions_.size(); ++i)
        v += std::abs(positions_[i].qty * positions_[i].mark * contract_[i]);
    return v;
}

double Portfolio::realized_pnl() const {
    double v = 0;
    for (const auto& p : positions_)
        v += p.realized;
    return v;
}

double Portfolio::unrealized_pnl() const {
    double v = 0;
    for (std::size_t i = 0; i < positions_.size(); ++i)
        v += positions_[i].qty * (positions_[i].mark - positions_[i].avg_price) * contract_[i];
    return v;
}

void Portfolio::open_trade(InstrumentId i, int dir, double qty, double price, double fee, TimeMs t,
                           std::size_t step) {
    Trade& tr = open_[i];
    tr = Trade{};
    tr.instrument = i;
    tr.direction = dir;
    tr.entry_time = t;
    tr.entry_step = step;
    tr.qty = qty;
    tr.fees = fee;
    tr.entry_notional_ = qty * price;
    tr.entry_qty_ = qty;
    tr.entry_price = price;
}

void Portfolio::apply_fill(const Fill& f, std::size_t step) {
    const InstrumentId i = f.instrument;
    Position& p = positions_[i];
    const double cs = contract_[i];
    const double s = sign(f.side);
    const double q = f.qty;

    cash_ -= s * q * f.price * cs + f.fee;
    fees_ += f.fee;
    p.fees += f.fee;
    p.traded_notional += q * f.price * cs;
    if (p.mark == 0)
        p.mark = f.price; // first fill before any mark

    const double old = p.qty;
    if (old == 0 || (old > 0) == (s > 0)) {
        // Opening or adding.
        if (old == 0) {
            open_trade(i, static_cast<int>(s), q, f.price, f.fee, f.time, step);
            p.avg_price = f.price;
        } else {
            Trade& tr = open_[i];
            p.avg_price = (p.avg_price * std::abs(old) + f.price * q) / (std::abs(old) + q);
            tr.fees += f.fee;
            tr.entry_notional_ += q * f.price;
            tr.entry_qty_ += q;
            tr.entry_price = tr.entry_notional_ / tr.entry_qty_;
            tr.qty = std::max(tr.qty, std::abs(old) + q);
        }
        p.qty = old + s * q;
        return;
    }

    // Reducing, closing or flipping.
    const double close_q = std::min(q, std::abs(old));
    const double dir = old > 0 ? 1.0 : -1.0;
    const double pnl = close_q * (f.price - p.avg_price) * dir * cs;
    const double close_fee = f.fee * (close_q / q);
    p.realized += pnl;
    Trade& tr = open_[i];
    tr.gross_pnl += pnl;
    tr.fees += close_fee;
    tr.exit_notional_ += close_q * f.price;
    tr.exit_qty_ += close_q;
    tr.exit_price = tr.exit_notional_ / tr.exit_qty_;
    tr.exit_time = f.time;
    tr.exit_step = step;

    const double left = std::abs(old) - close_q;
    // Quantities below a billionth of a unit are rounding residue of lot arithmetic.
    if (left <= 1e-9 * std::max(1.0, std::abs(old))) {
        p.qty = 0;
        p.avg_price = 0;
        const double basis = tr.entry_notional_ * cs;
        tr.return_pct = basis > 0 ? tr.net_pnl() / basis : 0;
        trades_.push_back(tr);
        const double rest = q - close_q;
        if (rest > 1e-9 * std::max(1.0, q)) {
            open_trade(i, static_cast<int>(s), rest, f.price, f.fee - close_fee, f.time, step);
            p.qty = s * rest;
            p.avg_price = f.price;
        }
    } else {
        p.qty = dir * left;
    }
}

} // namespace aurum
