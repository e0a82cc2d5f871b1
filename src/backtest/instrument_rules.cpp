#include "backtest/instrument_rules.hpp"

#include <cmath>

#include "backtest/portfolio.hpp"

namespace aurum {

double round_qty_down(double qty, double lot_step) {
    if (lot_step <= 0)
        return qty;
    return std::floor(qty / lot_step + 1e-9) * lot_step;
}

double round_to_tick(double price, double tick_size) {
    if (tick_size <= 0)
        return price;
    return std::round(price / tick_size) * tick_size;
}

RejectReason check_order(OrderRequest& req, const Instrument& inst, double reference_price,
                         const Portfolio& portfolio, double taker_fee, bool allow_short) {
    if (!std::isfinite(req.qty) || req.qty <= 0)
        return RejectReason::InvalidOrder;
    const bool needs_limit = req.type == OrderType::Limit || req.type == OrderType::StopLimit;
    const bool needs_stop = req.type == OrderType::Stop || req.type == OrderType::StopLimit;
    if (needs_limit && !(std::isfinite(req.limit_price) && req.limit_price > 0))
        return RejectReason::InvalidOrder;
    if (needs_stop && !(std::isfinite(req.stop_price) && req.stop_price > 0))
        return RejectReason::InvalidOrder;
    if (needs_stop && req.tif == TimeInForce::IOC)
        return RejectReason::InvalidOrder;
    if (!std::isfinite(req.take_profit) || !std::isfinite(req.stop_loss) || req.take_profit < 0 ||
        req.stop_loss < 0)
        return RejectReason::InvalidOrder;
    if (req.take_profit > 0 && req.stop_loss > 0) {
        // A long bracket takes profit above and stops out below; a short one the other way.
        const bool ok = req.side == Side::Buy ? req.take_profit > req.stop_loss
                                              : req.take_profit < req.stop_loss;
        if (!ok)
            return RejectReason::InvalidOrder;
    }

    if (needs_limit)
        req.limit_price = round_to_tick(req.limit_price, inst.tick_size);
    if (needs_stop)
        req.stop_price = round_to_tick(req.stop_price, inst.tick_size);
    if (req.take_profit > 0)
        req.take_profit = round_to_tick(req.take_profit, inst.tick_size);
    if (req.stop_loss > 0)
        req.stop_loss = round_to_tick(req.stop_loss, inst.tick_size);
    if ((needs_limit && req.limit_price <= 0) || (needs_stop && req.stop_price <= 0))
        return RejectReason::PriceFilter;

    req.qty = round_qty_down(req.qty, inst.lot_step);
    if (req.qty <= 0 || req.qty < inst.min_qty * (1 - 1e-9))
        return RejectReason::LotSize;

    const double price = needs_limit  ? req.limit_price
                         : needs_stop ? req.stop_price
                                      : reference_price;
    const double cs = inst.contract_size;
    const double notional = req.qty * price * cs;
    if (notional < inst.min_notional)
        return RejectReason::MinNotional;

    const Position& pos = portfolio.position(req.instrument);
    const double after = pos.qty + sign(req.side) * req.qty;
    const bool leveraged = inst.shortable || inst.max_leverage > 1.0;
    if (!leveraged) {
        if (req.side == Side::Sell && after < -1e-12) {
            return pos.qty > 0 ? RejectReason::InsufficientBalance : RejectReason::ShortNotAllowed;
        }
        if (req.side == Side::Buy && notional * (1 + taker_fee) > portfolio.cash() + 1e-9)
            return RejectReason::InsufficientBalance;
        return RejectReason::None;
    }
    if (after < -1e-12 && std::abs(after) > std::abs(pos.qty) - 1e-12 &&
        (!inst.shortable || !allow_short))
        return RejectReason::ShortNotAllowed;
    // Only orders that grow the exposure are margin-checked; reducing is always allowed.
    if (std::abs(after) > std::abs(pos.qty)) {
        const double equity = portfolio.equity();
        if (std::abs(after) * reference_price * cs > equity * inst.max_leverage * (1 + 1e-9))
            return RejectReason::Margin;
    }
    return RejectReason::None;
}

} // namespace aurum
