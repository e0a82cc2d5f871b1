#include "backtest/order.hpp"

namespace aurum {

std::string_view to_string(Side s) {
    return s == Side::Buy ? "buy" : "sell";
}

std::string_view to_string(OrderType t) {
    switch (t) {
    case OrderType::Market:
        return "market";
    case OrderType::Limit:
        return "limit";
    case OrderType::Stop:
        return "stop";
    case OrderType::StopLimit:
        return "stop_limit";
    }
    return "?";
}

std::string_view to_string(TimeInForce t) {
    return t == TimeInForce::GTC ? "GTC" : "IOC";
}

std::string_view to_string(OrderStatus s) {
    switch (s) {
    case OrderStatus::Accepted:
        return "accepted";
    case OrderStatus::PartiallyFilled:
        return "partially_filled";
    case OrderStatus::Filled:
        return "filled";
    case OrderStatus::Cancelled:
        return "cancelled";
    case OrderStatus::Rejected:
        return "rejected";
    }
    return "?";
}

std::string_view to_string(RejectReason r) {
    switch (r) {
    case RejectReason::None:
        return "";
    case RejectReason::InvalidOrder:
        return "INVALID_ORDER";
    case RejectReason::LotSize:
        return "LOT_SIZE";
    case RejectReason::MinNotional:
        return "MIN_NOTIONAL";
    case RejectReason::PriceFilter:
        return "PRICE_FILTER";
    case RejectReason::InsufficientBalance:
        return "INSUFFICIENT_BALANCE";
    case RejectReason::ShortNotAllowed:
        return "SHORT_NOT_ALLOWED";
    case RejectReason::Margin:
        return "MARGIN";
    case RejectReason::RiskDenied:
        return "RISK_DENIED";
    case RejectReason::UnknownOrder:
        return "UNKNOWN_ORDER";
    case RejectReason::Expired:
        return "EXPIRED";
    case RejectReason::OcoCancelled:
        return "OCO";
    case RejectReason::UserCancelled:
        return "CANCELED";
    }
    return "?";
}

std::string_view to_string(OrderRole r) {
    switch (r) {
    case OrderRole::Standalone:
        return "standalone";
    case OrderRole::TakeProfit:
        return "take_profit";
    case OrderRole::StopLoss:
        return "stop_loss";
    }
    return "?";
}

} // namespace aurum
