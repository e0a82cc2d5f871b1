#pragma once
// Orders, fills and order events: the vocabulary shared by strategies, the engine, the risk hook
// and every execution client (simulated for backtests and paper, exchange adapters for live).
// These types are plain values with no heap members on the hot path, so an order per bar costs
// no allocation.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/time.hpp"

namespace aurum {

/// Engine-assigned order identifier, unique within one run (1, 2, 3, ...; 0 = none).
using OrderId = std::uint64_t;
/// Index of an instrument in the engine's instrument list (0-based, stable for the run).
using InstrumentId = std::uint32_t;

/// Buy or sell; the numeric value is the sign of the quantity change.
enum class Side : std::int8_t { Buy = 1, Sell = -1 };
inline constexpr double sign(Side s) {
    return s == Side::Buy ? 1.0 : -1.0;
}
inline constexpr Side opposite(Side s) {
    return s == Side::Buy ? Side::Sell : Side::Buy;
}
std::string_view to_string(Side s);

/// How an order is priced.
enum class OrderType : std::uint8_t {
    Market,   ///< at the next available price (next bar's open in a backtest)
    Limit,    ///< at limit_price or better
    Stop,     ///< becomes a market order once the price reaches stop_price
    StopLimit ///< becomes a limit order at limit_price once the price reaches stop_price
};
std::string_view to_string(OrderType t);

/// How long an order stays live.
enum class TimeInForce : std::uint8_t {
    GTC, ///< good till cancelled
    IOC  ///< immediate or cancel: whatever is not filled on arrival is cancelled
};
std::string_view to_string(TimeInForce t);

/// Lifecycle state of an order.
enum class OrderStatus : std::uint8_t {
    Accepted,        ///< live (or waiting for its latency to pass)
    PartiallyFilled, ///< some quantity filled, the rest still live
    Filled,          ///< fully filled
    Cancelled,       ///< cancelled by the strategy, by OCO, by IOC expiry or for lack of funds
    Rejected         ///< never live: broke an instrument rule, a balance check or the risk hook
};
std::string_view to_string(OrderStatus s);

/// Why an order was rejected or cancelled. Names follow exchange error filters (Binance) so a
/// backtest rejection reads like the live one would.
enum class RejectReason : std::uint8_t {
    None,
    InvalidOrder,        ///< "INVALID_ORDER": non-positive quantity, missing or bad prices
    LotSize,             ///< "LOT_SIZE": quantity below min_qty after rounding to lot_step
    MinNotional,         ///< "MIN_NOTIONAL": price x quantity x contract size below the minimum
    PriceFilter,         ///< "PRICE_FILTER": a price that is not positive after tick rounding
    InsufficientBalance, ///< "INSUFFICIENT_BALANCE": spot buy without the cash / sell without the
                         ///< coins
    ShortNotAllowed,     ///< "SHORT_NOT_ALLOWED": the instrument cannot be shorted
    Margin,              ///< "MARGIN": the position would exceed equity x max_leverage
    RiskDenied,          ///< "RISK_DENIED": the risk hook denied it (its reason is in the note)
    UnknownOrder,        ///< "UNKNOWN_ORDER": cancel of an order that is not live
    Expired,             ///< "EXPIRED": IOC remainder, or end of data
    OcoCancelled,        ///< "OCO": the other leg of a bracket filled
    UserCancelled        ///< "CANCELED": the strategy cancelled it
};
std::string_view to_string(RejectReason r);

/// The part an order plays in a bracket.
enum class OrderRole : std::uint8_t { Standalone, TakeProfit, StopLoss };
std::string_view to_string(OrderRole r);

/// What a strategy (or a manual trade, or a model's signal) asks for. Quantities are in the
/// instrument's units: base currency for spot, lots for CFDs (x contract_size units).
struct OrderRequest {
    InstrumentId instrument = 0;
    Side side = Side::Buy;
    OrderType type = OrderType::Market;
    TimeInForce tif = TimeInForce::GTC;
    double qty = 0;
    double limit_price = 0; ///< Limit and StopLimit
    double stop_price = 0;  ///< Stop and StopLimit (trigger)
    double take_profit = 0; ///< bracket: attach a take-profit limit when > 0
    double stop_loss = 0;   ///< bracket: attach a stop-loss stop when > 0
    std::uint32_t tag = 0;  ///< free label for the strategy (shown in the order log)
    /// The engine's guard sent it (a protective stop or take-profit target, built by
    /// protective_stop_request / take_profit_request): it only ever reduces the position, so a
    /// risk gate holding back strategy entries lets it through.
    bool protective = false;

    static OrderRequest market(InstrumentId i, Side s, double q) {
        OrderRequest r;
        r.instrument = i, r.side = s, r.qty = q;
        return r;
    }
    static OrderRequest limit(InstrumentId i, Side s, double q, double price) {
        OrderRequest r = market(i, s, q);
        r.type = OrderType::Limit, r.limit_price = price;
        return r;
    }
    static OrderRequest stop(InstrumentId i, Side s, double q, double trigger) {
        OrderRequest r = market(i, s, q);
        r.type = OrderType::Stop, r.stop_price = trigger;
        return r;
    }
    static OrderRequest stop_limit(InstrumentId i, Side s, double q, double trigger, double price) {
        OrderRequest r = market(i, s, q);
        r.type = OrderType::StopLimit, r.stop_price = trigger, r.limit_price = price;
        return r;
    }
    /// Attaches a take-profit and a stop-loss (either may be 0 = none); they go live, as one
    /// OCO pair, when this order fills.
    OrderRequest& bracket(double tp, double sl) {
        take_profit = tp, stop_loss = sl;
        return *this;
    }
    OrderRequest& with_tif(TimeInForce t) {
        tif = t;
        return *this;
    }
};

/// An order as the engine and the execution client know it.
struct Order {
    OrderId id = 0;
    OrderRequest req;
    OrderRole role = OrderRole::Standalone;
    OrderId parent = 0; ///< bracket children: the entry order
    OrderId oco = 0;    ///< the other leg of an OCO pair (0 = none)
    OrderStatus status = OrderStatus::Accepted;
    TimeMs created_at = 0; ///< when the strategy submitted it (clock time)
    TimeMs active_at = 0;  ///< created_at + latency: matched on bars opening at or after this
    double filled_qty = 0;
    double avg_fill_price = 0;
    bool triggered = false; ///< StopLimit: the stop has been reached, now a limit

    double remaining() const { return req.qty - filled_qty; }
    bool is_open() const {
        return status == OrderStatus::Accepted || status == OrderStatus::PartiallyFilled;
    }
};

/// One execution (a whole or partial fill of an order), with its cost breakdown.
struct Fill {
    OrderId order_id = 0;
    InstrumentId instrument = 0;
    Side side = Side::Buy;
    OrderRole role = OrderRole::Standalone;
    TimeMs time = 0;          ///< open time of the bar it filled in (or the exchange time live)
    double qty = 0;           ///< > 0
    double price = 0;         ///< execution price, spread and slippage included
    double fee = 0;           ///< in quote currency
    double spread_cost = 0;   ///< quote currency paid to the spread (vs the bar's mid/bid)
    double slippage_cost = 0; ///< quote currency paid to slippage/impact
    bool maker = false;       ///< maker fee applied (resting limit) vs taker
};

/// A change in an order's state other than a fill: accepted, rejected, cancelled.
struct OrderEvent {
    OrderId order_id = 0; ///< 0 for a request rejected before it got an id
    InstrumentId instrument = 0;
    OrderStatus status = OrderStatus::Accepted;
    RejectReason reason = RejectReason::None;
    TimeMs time = 0;
    Side side = Side::Buy;
    OrderType type = OrderType::Market;
    OrderRole role = OrderRole::Standalone;
    double qty = 0;
    std::string note; ///< the risk hook's reason or other detail; empty on the hot path

    /// What a client answers to a cancel of an order it does not know or that already ended.
    static OrderEvent unknown_order(OrderId id, TimeMs time) {
        OrderEvent ev;
        ev.order_id = id;
        ev.status = OrderStatus::Rejected;
        ev.reason = RejectReason::UnknownOrder;
        ev.time = time;
        return ev;
    }
};

} // namespace aurum
