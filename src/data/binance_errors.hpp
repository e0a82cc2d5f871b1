#pragma once
// Binance error codes the clients act on, named as in ../shared/data/docs/binance/errors.md, so a
// branch reads `code == binance_error::kNoSuchOrder` instead of a bare -2013.

namespace aurum::binance_error {

inline constexpr int kUnknown = -1000;         ///< UNKNOWN: an unknown error while processing
inline constexpr int kDisconnected = -1001;    ///< DISCONNECTED: internal error, status unknown
inline constexpr int kTooManyRequests = -1003; ///< TOO_MANY_REQUESTS (429/418 bodies)
inline constexpr int kTooManyOrders = -1015;   ///< TOO_MANY_ORDERS: an ORDERS limit passed
inline constexpr int kInvalidMessage = -1013;   ///< INVALID_MESSAGE (also "Filter failure: ...")
inline constexpr int kInvalidTimestamp = -1021; ///< INVALID_TIMESTAMP: outside recvWindow
inline constexpr int kInvalidSignature = -1022; ///< INVALID_SIGNATURE
inline constexpr int kBadInterval = -1120;      ///< BAD_INTERVAL
inline constexpr int kBadSymbol = -1121;        ///< BAD_SYMBOL
inline constexpr int kBadApiId = -2008;         ///< invalid API-key ID (not in errors.md)
inline constexpr int kNewOrderRejected = -2010; ///< NEW_ORDER_REJECTED
inline constexpr int kCancelRejected = -2011;   ///< CANCEL_REJECTED
inline constexpr int kNoSuchOrder = -2013;      ///< NO_SUCH_ORDER
inline constexpr int kBadApiKeyFormat = -2014;  ///< BAD_API_KEY_FMT
inline constexpr int kRejectedApiKey = -2015;   ///< REJECTED_MBX_KEY: key, IP or permissions

} // namespace aurum::binance_error
