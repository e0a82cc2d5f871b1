#pragma once
// The signed trading endpoints of a fake Binance spot exchange, mounted on a FakeBinance server
// with route(): exchangeInfo, account, order (POST/GET/DELETE) and myTrades, as documented in
// ../shared/data/docs/binance/rest-api.md. It checks the API key header and the HMAC-SHA256
// signature of every signed request (-2015 / -1022 otherwise) and the timestamp against
// recvWindow (-1021), keeps balances, applies the LOT_SIZE / PRICE_FILTER / NOTIONAL filters,
// fills MARKET orders at a settable price with commission (bought asset for buys, quote for
// sells, like the exchange), rests LIMIT orders until the price crosses them, rejects a client
// order id that is still open (-2010 "Duplicate order sent."), and can process an order and then
// answer 5xx or too late (a timeout) to test the unknown-status path. Loopback only.
#include <cstdint>
#include <functional>
#include <memory>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "support/fake_binance.hpp"

namespace aurum::test {

/// HMAC-SHA256 of `data` under `key`, lowercase hex (how Binance signs requests).
std::string fake_hmac_hex(const std::string& key, const std::string& data);

/// A listed symbol and its filters.
struct FakeSymbol {
    std::string symbol = "BTCUSDT", base = "BTC", quote = "USDT";
    double tick_size = 0.01, step_size = 0.00001, min_qty = 0.00001, max_qty = 9000;
    double min_notional = 5;
    std::vector<std::string> order_types{"LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT",
                                         "TAKE_PROFIT_LIMIT"};
};

/// An order as the fake exchange holds it.
struct FakeOrder {
    std::int64_t id = 0;
    std::string symbol, client_id, side, type, tif, status;
    double qty = 0, price = 0, executed = 0, quote_executed = 0;
    double stop_price = 0;  ///< STOP_LOSS_LIMIT / TAKE_PROFIT_LIMIT trigger
    bool triggered = false; ///< a stop order whose trigger the market reached (now a limit)
    bool funds_locked = false; ///< its funds moved from free to locked when it was placed
    std::int64_t list_id = -1; ///< the OCO order list it belongs to (-1: none)
    TimeMs time = 0;
};

/// An OCO order list as the fake exchange holds it (POST /api/v3/orderList/oco).
struct FakeOrderList {
    std::int64_t id = 0;
    std::string symbol, client_id;
    std::string status = "EXECUTING";            ///< listOrderStatus: EXECUTING | ALL_DONE
    std::vector<std::string> order_client_ids; ///< below leg, above leg
};

/// One execution at the fake.
struct FakeTrade {
    std::int64_t id = 0, order_id = 0;
    std::string symbol;
    double price = 0, qty = 0, commission = 0;
    std::string commission_asset;
    bool buyer = false, maker = false;
    TimeMs time = 0;
};

class FakeSpotExchange {
  public:
    /// Mounts the endpoints on `server`; signed requests must carry `api_key` and be signed with
    /// `api_secret`; `clock` is the exchange's time (trades, recvWindow checks).
    FakeSpotExchange(FakeBinance& server, const Clock& clock, std::string api_key,
                     std::string api_secret);

    void list(const FakeSymbol& symbol, double price);
    /// Moves the market price; the market trades at every price between the old and the new
    /// one: resting LIMIT orders it crosses fill at their limit (maker), and STOP_LOSS_LIMIT /
    /// TAKE_PROFIT_LIMIT orders whose stopPrice it passes trigger there and become limits (filled
    /// at the stopPrice when that is within their limit, else resting).
    void set_price(const std::string& symbol, double price);
    /// The price jumps to `price` without trading in between (a gap, e.g. a bar's open after a
    /// quiet night): stops it passed trigger at `price` and fill there only within their limit.
    void gap_price(const std::string& symbol, double price);
    /// Commissions paid in this asset instead (e.g. "BNB": the BNB discount), valued at the
    /// asset's price set with set_price("BNBUSDT", ...); "" = the exchange's default.
    void set_commission_asset(const std::string& asset);
    /// MARKET orders execute in `parts` trades (partial fills, as against a thin book).
    void set_market_fill_parts(int parts);
    /// Open orders at the exchange (NEW or PARTIALLY_FILLED) of `symbol`.
    std::vector<FakeOrder> open_orders(const std::string& symbol) const;
    void set_balance(const std::string& asset, double free);
    double balance(const std::string& asset) const;
    double locked(const std::string& asset) const;
    void set_commission(double rate);
    /// The account's canTrade (false: a key without the spot trading permission).
    void set_can_trade(bool can);
    /// The next `times` POST /api/v3/order are processed (the order exists at the exchange), then
    /// answered with `fault` instead of the result; with fault.delay_ms the answer comes that late.
    void fail_after_accept(FakeResponse fault, int times = 1);

    /// ORDERS limits the fake enforces and reports in exchangeInfo (documented: 50 per 10 s,
    /// 160,000 per day). New orders beyond them get 429 -1015 with Retry-After; every order
    /// response carries X-MBX-ORDER-COUNT-10S and X-MBX-ORDER-COUNT-1D.
    void set_order_limits(int per_10s, int per_day);
    /// Replaces exchangeInfo's rateLimits by this raw JSON (malformed-input tests).
    void set_rate_limits_json(std::string json);
    /// New orders answered 429 because an ORDERS limit was passed.
    int order_limit_hits() const;
    /// The fake's clock at each new order it counted.
    std::vector<TimeMs> order_times() const;

    /// OCO lists (POST /api/v3/orderList/oco, validated as documented: leg types, the SELL/BUY
    /// price relationship to the last price, filters of both legs, LIMIT_MAKER that would take;
    /// one leg trading or a stop leg triggering expires the other; GET and DELETE
    /// /api/v3/orderList; DELETE /api/v3/order of a leg cancels the whole list).
    std::vector<FakeOrderList> order_lists() const;
    /// POST /api/v3/orderList/oco requests that carried this listClientOrderId.
    int list_posts_with_client_id(const std::string& list_cid) const;

    /// POST /api/v3/order requests that carried this newClientOrderId (accepted or not).
    int posts_with_client_id(const std::string& cid) const;
    /// Orders the exchange created under this client id.
    int orders_with_client_id(const std::string& cid) const;
    std::optional<FakeOrder> order(const std::string& cid) const;
    std::vector<FakeOrder> orders() const;
    std::vector<FakeTrade> trades() const;
    int signature_failures() const;
    int signed_requests() const;

    /// The user data stream's events (executionReport, outboundAccountPosition) as JSON text, in
    /// the order the exchange makes them; `fn` runs with the exchange locked (queue, do not call
    /// back). The fake WebSocket API (fake_binance_ws.hpp) forwards them to subscribers.
    void set_user_event_listener(std::function<void(const std::string& event)> fn);

  private:
    struct State;
    std::shared_ptr<State> state_;
};

} // namespace aurum::test
