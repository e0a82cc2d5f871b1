#pragma once
// Exchange-style order checks: rounding to tick and lot, minimum quantity and notional, balance,
// shorting and leverage. Reasons use the exchange's filter names (LOT_SIZE, MIN_NOTIONAL, ...).
#include "backtest/order.hpp"
#include "core/instrument.hpp"

namespace aurum {

class Portfolio;

/// Rounds a quantity down to the lot step (a tiny tolerance keeps 0.3/0.1 = 2.9999 at 3 steps).
double round_qty_down(double qty, double lot_step);
/// Rounds a price to the nearest tick.
double round_to_tick(double price, double tick_size);

/// Rounds the request in place and checks it against the instrument and the account, using
/// `reference_price` (last close) for notional and balance estimates. Returns None when the
/// order may go to the risk hook; otherwise the reason it is rejected.
///   - qty not finite or <= 0, missing prices, bad bracket, IOC on a stop: INVALID_ORDER
///   - price <= 0 after tick rounding: PRICE_FILTER
///   - qty < min_qty after rounding down to lot_step: LOT_SIZE
///   - price x qty x contract_size < min_notional: MIN_NOTIONAL
///   - spot: selling more than held: INSUFFICIENT_BALANCE (or SHORT_NOT_ALLOWED when flat and
///     the instrument cannot be shorted); buying more than cash covers with the taker fee:
///     INSUFFICIENT_BALANCE
///   - short on a non-shortable instrument or when shorts are disabled: SHORT_NOT_ALLOWED
///   - leveraged: |position after| x price x contract above equity x max_leverage: MARGIN
RejectReason check_order(OrderRequest& req, const Instrument& inst, double reference_price,
                         const Portfolio& portfolio, double taker_fee, bool allow_short);

} // namespace aurum
