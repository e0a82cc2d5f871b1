#pragma once
// The live execution client for Binance spot over REST (../shared/data/docs/binance/rest-api.md):
// signed POST/GET/DELETE /api/v3/order, /api/v3/myTrades, /api/v3/account, /api/v3/exchangeInfo;
// an engine's OCO pair (two orders naming each other in Order::oco) goes as one POST
// /api/v3/orderList/oco and is cancelled with DELETE /api/v3/orderList.
//
// Reports reach the sink at the engine's next poll() (the start of the next step), never inside
// submit(): a fill is journaled in the step that delivers it, so a recovery replays it at the same
// point, exactly as a paper fill at the next bar's open. A request whose outcome is unknown (5xx,
// timeout, dropped connection) is never sent again until the exchange says it does not have that
// client order id (-2013): a duplicate order cannot happen.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "backtest/execution_client.hpp"
#include "core/clock.hpp"
#include "core/instrument.hpp"
#include "data/binance_rest.hpp"
#include "data/http_client.hpp"
#include "execution/binance_auth.hpp"
#include "execution/binance_user_stream.hpp"

namespace aurum {

/// The exchange's trading rules for one symbol (exchangeInfo filters).
struct BinanceSymbolRules {
    std::string symbol; ///< "BTCUSDT"
    std::string status; ///< "TRADING", "HALT", "BREAK"
    std::string base, quote;
    double tick_size = 0, min_price = 0, max_price = 0;     ///< PRICE_FILTER (0 = rule off)
    double step_size = 0, min_qty = 0, max_qty = 0;         ///< LOT_SIZE
    double market_step = 0, market_min = 0, market_max = 0; ///< MARKET_LOT_SIZE (0 = off)
    double min_notional = 0, max_notional = 0;              ///< NOTIONAL / MIN_NOTIONAL
    bool min_notional_market = true;                        ///< applyMinToMarket
    std::vector<std::string> order_types; ///< exchangeInfo orderTypes (empty: not listed)
};

/// A free/locked balance of one asset.
struct BinanceBalance {
    double free = 0, locked = 0;
};

/// What GET /api/v3/account says about the key's account.
struct BinanceAccountInfo {
    bool can_trade = false;
    std::string account_type;              ///< "SPOT"
    double maker_rate = -1, taker_rate = -1; ///< commissionRates (-1: not reported)
};

/// An order's quantity and prices as sent to the exchange: rounded to LOT_SIZE (MARKET_LOT_SIZE
/// for market orders) and PRICE_FILTER, checked against them and NOTIONAL like the exchange does.
struct BinanceOrderPrices {
    double qty = 0, price = 0, stop = 0;            ///< 0: not part of this order type
    std::string qty_text, price_text, stop_text; ///< the decimals the request carries
    RejectReason reason = RejectReason::None;    ///< the filter it fails (None: it passes)
    std::string error;                           ///< "Filter failure: PRICE_FILTER (stopPrice ...)"
};

/// Rounds and checks `q` (minus `filled`, already executed) against `rules`; `last_price` is the
/// reference for a market order's notional (0: unknown, not checked). Quantity rounds down to the
/// step, prices and stopPrice to the nearest tick.
BinanceOrderPrices binance_order_prices(const OrderRequest& q, const BinanceSymbolRules& rules,
                                        double filled, double last_price);

/// Settings of BinanceSpotClient.
struct BinanceSpotOptions {
    std::string base_url; ///< required: "https://api.binance.com" or a fake server's URL
    int recv_window_ms = 5000;
    TimeMs connect_timeout_ms = 5000;
    TimeMs read_timeout_ms = 10000;
    /// Order queries after an unknown outcome, within one call, before leaving it for poll().
    int unknown_queries = 3;
    TimeMs unknown_backoff_ms = 500;   ///< wait before each of those queries
    /// A 429/418 Retry-After or a limiter wait longer than this is not waited out (own transport).
    TimeMs max_retry_after_ms = 5 * kMsPerMinute;
    /// The WebSocket API for the user data stream (empty: fills are learnt by asking over REST).
    std::string ws_api_url;
    WebSocketOptions stream_tuning;
    std::function<void()> wake; ///< runs on the stream's thread when reports arrive
};

/// What the client did (status displays, tests, benchmarks).
struct BinanceExecStats {
    std::int64_t requests = 0;
    std::int64_t orders_sent = 0;         ///< POST /api/v3/order attempts
    std::int64_t lists_sent = 0;          ///< POST /api/v3/orderList/oco attempts
    std::int64_t rejected = 0;            ///< by the exchange or by its filters locally
    std::int64_t unknown_outcomes = 0;    ///< 5xx/timeouts on an order request
    std::int64_t adopted = 0;             ///< orders found at the exchange by client id
    std::int64_t resent_after_absent = 0; ///< sent after the exchange said -2013
    std::int64_t fee_other_asset = 0; ///< fills whose commission was in a third asset (BNB),
                                      ///< valued at GET /api/v3/ticker/price and booked as fee
};

/// Binance spot adapter. Every request goes through a BinanceRest transport (weight and order-count
/// limiters, 429/418, signing, server time). Not thread-safe: the engine thread only.
class BinanceSpotClient final : public ExecutionClient {
  public:
    BinanceSpotClient(BinanceSpotOptions options, BinanceCredentials credentials,
                      std::vector<Instrument> instruments, const Clock& clock, Sleeper sleeper);
    /// With a given HTTP client (tests, benchmarks), in a transport of its own.
    BinanceSpotClient(std::unique_ptr<HttpClient> http, BinanceSpotOptions options,
                      BinanceCredentials credentials, std::vector<Instrument> instruments,
                      const Clock& clock, Sleeper sleeper);
    /// Shares `rest` (the session's one transport per key and IP, also used for market data);
    /// the credentials become its key. base_url, timeouts, recv window and max_retry_after_ms of
    /// `options` are the transport's.
    BinanceSpotClient(std::shared_ptr<BinanceRest> rest, BinanceSpotOptions options,
                      BinanceCredentials credentials, std::vector<Instrument> instruments);
    ~BinanceSpotClient() override;

    /// Start-up: server time offset (GET /api/v3/time), the symbols' rules (GET
    /// /api/v3/exchangeInfo) and the balances (GET /api/v3/account, which also proves the key and
    /// signature). Throws InputError for what the user must fix (unknown symbol, symbol not
    /// trading, key refused) and SystemError when the exchange cannot be reached.
    void connect();
    /// The instruments with the exchange's tick, lot step, minimum quantity and notional.
    std::vector<Instrument> instruments() const { return instruments_; }
    const BinanceSymbolRules& rules(InstrumentId i) const { return rules_.at(i); }
    const std::map<std::string, BinanceBalance>& balances() const { return balances_; }
    /// Re-reads the balances.
    void refresh_balances();
    TimeMs time_offset() const { return rest_->time_offset(); }
    const BinanceAccountInfo& account() const { return account_; }
    /// Request weight used in the current minute (the last X-MBX-USED-WEIGHT-1M; -1: not seen)
    /// and the REQUEST_WEIGHT per-minute limit the transport keeps (exchangeInfo rateLimits, else
    /// the documented 6,000; 0: none).
    int used_weight_1m() const;
    int weight_limit_1m() const;
    const BinanceExecStats& stats() const { return stats_; }
    /// The transport this client sends through (shared with market data in a live session).
    BinanceRest& transport() { return *rest_; }

    /// Queries an order by client id and adopts the exchange's state (fills not yet reported are
    /// queued, a finished order ends); sends it only when the exchange answers -2013 (absent).
    /// `order.filled_qty` is what was already reported. Returns false when the exchange could
    /// not be asked (the order stays "unknown" and poll() asks again).
    bool reconcile(const Order& order, const std::string& client_order_id);

    // ExecutionClient
    void bind(ExecutionSink& sink) override { sink_ = &sink; }
    void submit(const Order& order) override;
    void submit_with_id(const Order& order, const std::string& client_order_id) override;
    void resume(const Order& order, const std::string& client_order_id) override;
    void cancel(OrderId id, TimeMs now) override;
    void on_bar(InstrumentId instrument, const Bar& bar) override;
    /// Applies the user data stream's execution reports; asks REST about unknown orders, and
    /// about resting ones too when no stream is subscribed or one was just (re)subscribed; then
    /// delivers every queued report.
    void poll() override;
    /// The user data stream (null without options.ws_api_url).
    const BinanceUserStream* user_stream() const { return user_.get(); }
    std::size_t open_order_count() const override;
    /// No order's outcome is unknown and every report has been delivered (balances then match).
    bool settled() const;
    /// Fills or order events wait to be delivered (queued here, or on the user data stream).
    bool reports_waiting() const { return !pending_.empty() || (user_ && user_->has_reports()); }

  private:
    struct Tracked {
        Order order;
        std::string cid;
        std::int64_t exchange_id = -1;
        double reported = 0;  ///< quantity reported as fills (net of base-asset commission)
        double gross = 0;     ///< exchange quantity those fills came from
        bool unknown = false; ///< outcome of the last send unknown: ask before anything else
        bool stop_triggered = false; ///< a stop-limit the market had passed: sent as its LIMIT
        bool cancel_wanted = false;  ///< cancelled by the engine: DELETE again until it ends
        bool done = false;
        bool held = false;   ///< an OCO leg (Order::oco) waiting for its partner: sent together
        bool absent = false; ///< an OCO leg the exchange does not have: resent with its partner
    };
    struct Reply {
        int status = 0; ///< HTTP status; 0 = no response (transport error)
        int code = 0;   ///< Binance error code (0 = none)
        std::string msg;
        std::string body;
        std::string transport_error;
    };

    /// A SIGNED request of the documented `weight` (POST /api/v3/order counts as an order).
    Reply signed_request(const std::string& method, const std::string& path, HttpParams params,
                         int weight);
    Reply public_request(const std::string& path, HttpParams params, int weight);
    Reply send(HttpRequest req, int weight, BinanceRequestKind kind);
    TimeMs exchange_now() const { return rest_->exchange_now(); }

    /// rest-api.md "HTTP Return Codes": no answer, a 5xx, a malformed 200 or "Duplicate order
    /// sent." leave an order's (or a list's) outcome unknown; what happened, for the log.
    static bool outcome_unknown(const Reply& r);
    static std::string unknown_why(const Reply& r);
    /// The exchange's refusal as the order's note: "message (code N)" or "HTTP status message".
    static std::string refusal(const Reply& r);
    void place(Tracked& t);
    /// Sends two legs of an OCO pair (a stop-limit and a limit of one side and quantity) as
    /// one POST /api/v3/orderList/oco, both checked against the filters first.
    void place_list(Tracked& a, Tracked& b);
    /// The other leg of `t`'s OCO pair (null: none, or not submitted yet).
    Tracked* partner(const Tracked& t);
    /// listClientOrderId of `t`'s pair: "OCO" + the stop leg's client id (empty: not a pair).
    std::string list_client_id(const Tracked& t);
    /// Adopts the orderReports of an order list response; false when malformed or foreign.
    bool adopt_list(const std::string& body);
    /// Asks the exchange for `t`; true when it answered (found, or absent: then sent when
    /// `send_if_absent`).
    bool query(Tracked& t, bool send_if_absent = true);
    void adopt(Tracked& t, const nlohmann::json& order);
    /// Ends `t` when the exchange's `status` says it ended and every fill of `executed` is in.
    void finish(Tracked& t, const std::string& status, double executed, TimeMs when);
    /// adopt() of a response body; false when the body is not a well-formed order.
    bool adopt_body(Tracked& t, const std::string& body);
    void apply_rules(const nlohmann::json& exchange_info);
    void fetch_trades(Tracked& t, double executed);
    /// DELETE /api/v3/order for `t`; a failure leaves it unknown (asked, then cancelled again,
    /// at the next poll).
    void send_cancel(Tracked& t);
    /// The price of `asset` in `quote` (BNB in USDT) from GET /api/v3/ticker/price, kept a
    /// minute; 0 when the exchange has none.
    double quote_price(const std::string& asset, const std::string& quote);
    void queue_fill(Tracked& t, double price, double qty, double commission,
                    const std::string& asset, TimeMs time, bool maker);
    void queue_event(const Tracked& t, OrderStatus status, RejectReason reason, TimeMs time,
                     std::string note);
    void reject_local(Tracked& t, RejectReason reason, std::string note);
    Tracked* find(OrderId id);
    static RejectReason reason_of(int code, const std::string& msg);
    /// One executionReport: a fill not seen yet (by cumulative quantity) is queued, an end of the
    /// order is adopted; a report that skips a fill makes the order be asked for over REST.
    void apply_report(const ExecutionReport& r);

    std::shared_ptr<BinanceRest> rest_;
    BinanceSpotOptions options_;
    BinanceCredentials credentials_;
    std::vector<Instrument> instruments_;
    std::vector<std::string> symbols_; ///< exchange symbols by instrument
    std::vector<BinanceSymbolRules> rules_;
    std::vector<double> last_price_;
    const Clock& clock_;
    ExecutionSink* sink_ = nullptr;
    BinanceAccountInfo account_;
    std::map<std::string, BinanceBalance> balances_;
    std::map<std::string, Tracked> orders_; ///< by client order id
    std::map<OrderId, std::string> cid_of_;
    struct Report {
        bool is_fill = false;
        Fill fill;
        OrderEvent event;
    };
    std::deque<Report> pending_;
    std::map<std::string, std::pair<double, TimeMs>> fee_prices_; ///< symbol -> (price, asked at)
    BinanceExecStats stats_;
    int send_depth_ = 0; ///< nesting of place() -> query() -> place() after -2013
    std::unique_ptr<BinanceUserStream> user_;
};

} // namespace aurum
