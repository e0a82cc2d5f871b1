#include "execution/binance_spot_client.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "data/binance_errors.hpp"
#include "core/error.hpp"
#include "data/binance_market_data.hpp"

namespace aurum {

using nlohmann::json;

namespace {

constexpr double kEps = 1e-12;

double num(const json& j, const char* key) {
    if (!j.contains(key))
        return 0;
    const json& v = j.at(key);
    if (v.is_number())
        return v.get<double>();
    if (v.is_string()) {
        try {
            return std::stod(v.get<std::string>());
        } catch (...) {
            return 0;
        }
    }
    return 0;
}

/// A filter's numeric field: a decimal string (or number) >= 0. A missing or malformed one is an
/// error naming it: read as 0 it would silently switch the rule off.
double filter_num(const json& f, const char* key, const std::string& symbol) {
    const std::string what = fmt::format("{} {} {}", symbol, f.value("filterType", "?"), key);
    if (!f.contains(key))
        throw SystemError("binance: exchangeInfo filter " + what + " is missing");
    const json& v = f.at(key);
    double x = -1;
    if (v.is_number()) {
        x = v.get<double>();
    } else if (v.is_string()) {
        const std::string t = v.get<std::string>();
        const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), x);
        if (ec != std::errc{} || ptr != t.data() + t.size()) x = -1;
    }
    if (!(x >= 0) || !std::isfinite(x))
        throw SystemError("binance: exchangeInfo filter " + what + " is not a number >= 0: " +
                          v.dump());
    return x;
}

/// Decimal places a step needs (0.00001 -> 5).
int decimals_of(double step) {
    if (!(step > 0))
        return 8;
    for (int d = 0; d <= 12; ++d) {
        const double x = step * std::pow(10.0, d);
        if (std::fabs(x - std::round(x)) < 1e-6)
            return d;
    }
    return 12;
}

/// A quantity or price as the exchange wants it: plain decimal, no exponent, no trailing zeros.
std::string decimal(double v, int places) {
    std::string s = fmt::format("{:.{}f}", v, places);
    if (s.find('.') != std::string::npos) {
        while (s.back() == '0')
            s.pop_back();
        if (s.back() == '.')
            s.pop_back();
    }
    return s;
}

/// A response body that must be a JSON object or array; nullopt when it is not.
std::optional<json> parse_body(const std::string& body, bool object) {
    try {
        json j = json::parse(body);
        if (object ? !j.is_object() : !j.is_array())
            return std::nullopt;
        return j;
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

double floor_step(double v, double step) {
    if (!(step > 0))
        return v;
    return std::floor(v / step + 1e-9) * step;
}

double round_step(double v, double step) {
    if (!(step > 0))
        return v;
    return std::round(v / step) * step;
}

} // namespace

namespace {

std::shared_ptr<BinanceRest> own_rest(std::unique_ptr<HttpClient> http, const Clock& clock,
                                      Sleeper sleeper, const BinanceSpotOptions& o) {
    BinanceRestOptions r;
    r.base_url = o.base_url;
    r.connect_timeout_ms = o.connect_timeout_ms;
    r.read_timeout_ms = o.read_timeout_ms;
    r.recv_window_ms = o.recv_window_ms;
    r.max_wait_ms = o.max_retry_after_ms;
    if (http)
        return std::make_shared<BinanceRest>(std::move(http), clock, std::move(sleeper), r);
    return std::make_shared<BinanceRest>(r, clock, std::move(sleeper));
}

} // namespace

BinanceSpotClient::BinanceSpotClient(BinanceSpotOptions options, BinanceCredentials credentials,
                                     std::vector<Instrument> instruments, const Clock& clock,
                                     Sleeper sleeper)
    : BinanceSpotClient(own_rest(nullptr, clock, std::move(sleeper), options), options,
                        std::move(credentials), std::move(instruments)) {}

BinanceSpotClient::BinanceSpotClient(std::unique_ptr<HttpClient> http, BinanceSpotOptions options,
                                     BinanceCredentials credentials,
                                     std::vector<Instrument> instruments, const Clock& clock,
                                     Sleeper sleeper)
    : BinanceSpotClient(own_rest(std::move(http), clock, std::move(sleeper), options), options,
                        std::move(credentials), std::move(instruments)) {}

BinanceSpotClient::BinanceSpotClient(std::shared_ptr<BinanceRest> rest, BinanceSpotOptions options,
                                     BinanceCredentials credentials,
                                     std::vector<Instrument> instruments)
    : rest_(std::move(rest)), options_(std::move(options)), credentials_(std::move(credentials)),
      instruments_(std::move(instruments)), clock_(rest_->clock()) {
    rest_->set_key({credentials_.api_key, credentials_.api_secret});
    for (const auto& inst : instruments_) {
        if (inst.asset_class != AssetClass::CryptoSpot || inst.venue == "mt5")
            throw InputError(fmt::format(
                "{} is not a Binance spot pair: {} prices come from MetaTrader 5 exports and MT5 "
                "is not an order venue here; trade it in paper mode only",
                inst.symbol, inst.symbol));
        symbols_.push_back(to_binance_symbol(inst.symbol));
    }
    rules_.resize(instruments_.size());
    last_price_.assign(instruments_.size(), 0.0);
}

BinanceSpotClient::~BinanceSpotClient() = default;

int BinanceSpotClient::used_weight_1m() const {
    const auto& w = rest_->stats().used_weight;
    return w ? *w : -1;
}

int BinanceSpotClient::weight_limit_1m() const {
    for (const auto& l : rest_->rate_limits())
        if (l.type == BinanceRateLimit::Type::RequestWeight && l.window_ms() == kMsPerMinute)
            return static_cast<int>(l.limit);
    return 0;
}

// --- transport -------------------------------------------------------------------------------

BinanceSpotClient::Reply BinanceSpotClient::send(HttpRequest req, int weight,
                                                 BinanceRequestKind kind) {
    Reply out;
    ++stats_.requests;
    try {
        HttpResponse resp = rest_->send(std::move(req), weight, kind);
        out.status = resp.status;
        out.body = std::move(resp.body);
        if (out.status != 200) {
            const BinanceErrorBody e = parse_binance_error(out.body);
            out.code = e.code;
            out.msg = e.msg;
        }
    } catch (const BinanceLimitError& e) {
        // Not sent, or refused by the exchange before processing: never an unknown outcome.
        out.status = 429;
        out.code = kind == BinanceRequestKind::Order ? binance_error::kTooManyOrders
                                                     : binance_error::kTooManyRequests;
        out.msg = e.what();
    } catch (const HttpTransportError& e) {
        out.transport_error = e.what();
    }
    return out;
}

BinanceSpotClient::Reply BinanceSpotClient::signed_request(const std::string& method,
                                                           const std::string& path,
                                                           HttpParams params, int weight) {
    HttpRequest r;
    r.method = method;
    r.path = path;
    r.query = std::move(params);
    // An OCO list counts once here; the exchange's X-MBX-ORDER-COUNT headers then say 2.
    const bool order =
        method == "POST" && (path == "/api/v3/order" || path == "/api/v3/orderList/oco");
    return send(std::move(r), weight, order ? BinanceRequestKind::Order : BinanceRequestKind::Signed);
}

BinanceSpotClient::Reply BinanceSpotClient::public_request(const std::string& path,
                                                           HttpParams params, int weight) {
    HttpRequest r;
    r.path = path;
    r.query = std::move(params);
    return send(std::move(r), weight, BinanceRequestKind::Public);
}

// --- start-up --------------------------------------------------------------------------------

void BinanceSpotClient::connect() {
    const std::string where = rest_->base_url().to_string();
    rest_->sync_time();
    std::string list = "[";
    for (std::size_t i = 0; i < symbols_.size(); ++i)
        list += (i ? ",\"" : "\"") + symbols_[i] + "\"";
    list += "]";
    const Reply info = public_request("/api/v3/exchangeInfo", {{"symbols", list}}, 20);
    if (info.status != 200) {
        if (info.code == binance_error::kBadSymbol)
            throw InputError(fmt::format("binance: {} rejected the symbols {}: {} (code {})", where,
                                         list, info.msg, info.code));
        throw SystemError(fmt::format(
            "binance: GET /api/v3/exchangeInfo at {} failed: {}", where,
            info.status ? fmt::format("HTTP {} {} (code {})", info.status, info.msg, info.code)
                        : info.transport_error));
    }
    const auto parsed = parse_body(info.body, true);
    if (!parsed || !parsed->contains("symbols") || !parsed->at("symbols").is_array())
        throw SystemError(fmt::format("binance: GET /api/v3/exchangeInfo at {}: malformed "
                                      "response: {}",
                                      where, body_excerpt(info.body)));
    rest_->apply_exchange_info(*parsed); // the limiters follow the exchange's rateLimits
    try {
        apply_rules(*parsed);
    } catch (const json::exception& e) {
        throw SystemError(fmt::format("binance: GET /api/v3/exchangeInfo at {}: unexpected "
                                      "content ({}): {}",
                                      where, e.what(), body_excerpt(info.body)));
    }
    refresh_balances();
    if (!options_.ws_api_url.empty() && !user_) {
        user_ = std::make_unique<BinanceUserStream>(
            options_.ws_api_url, credentials_, [rest = rest_] { return rest->exchange_now(); },
            options_.recv_window_ms, options_.stream_tuning, options_.wake);
        user_->start();
    }
}

void BinanceSpotClient::apply_rules(const json& j) {
    const std::string where = rest_->base_url().to_string();
    for (std::size_t i = 0; i < symbols_.size(); ++i) {
        const json* found = nullptr;
        for (const auto& s : j.at("symbols"))
            if (s.value("symbol", "") == symbols_[i])
                found = &s;
        if (!found)
            throw InputError(fmt::format("binance: {} is not listed at {}", symbols_[i], where));
        const json& s = *found;
        BinanceSymbolRules& r = rules_[i];
        r.symbol = symbols_[i];
        r.status = s.value("status", "");
        r.base = s.value("baseAsset", "");
        r.quote = s.value("quoteAsset", "");
        r.order_types.clear();
        for (const auto& t : s.value("orderTypes", json::array()))
            if (t.is_string()) r.order_types.push_back(t.get<std::string>());
        if (r.status != "TRADING")
            throw InputError(fmt::format("binance: {} is not trading at {} (status {})",
                                         symbols_[i], where, r.status));
        for (const auto& f : s.value("filters", json::array())) {
            const std::string type = f.value("filterType", "");
            if (type == "PRICE_FILTER") {
                r.tick_size = filter_num(f, "tickSize", r.symbol);
                r.min_price = filter_num(f, "minPrice", r.symbol);
                r.max_price = filter_num(f, "maxPrice", r.symbol);
            } else if (type == "LOT_SIZE") {
                r.step_size = filter_num(f, "stepSize", r.symbol);
                r.min_qty = filter_num(f, "minQty", r.symbol);
                r.max_qty = filter_num(f, "maxQty", r.symbol);
            } else if (type == "MARKET_LOT_SIZE") {
                r.market_step = filter_num(f, "stepSize", r.symbol);
                r.market_min = filter_num(f, "minQty", r.symbol);
                r.market_max = filter_num(f, "maxQty", r.symbol);
            } else if (type == "NOTIONAL") {
                r.min_notional = filter_num(f, "minNotional", r.symbol);
                r.max_notional = filter_num(f, "maxNotional", r.symbol);
                r.min_notional_market = f.value("applyMinToMarket", true);
            } else if (type == "MIN_NOTIONAL") {
                r.min_notional = filter_num(f, "minNotional", r.symbol);
                r.min_notional_market = f.value("applyToMarket", true);
            }
        }
        Instrument& in = instruments_[i];
        if (r.tick_size > 0)
            in.tick_size = r.tick_size;
        if (r.step_size > 0)
            in.lot_step = r.step_size;
        if (r.min_qty > 0)
            in.min_qty = r.min_qty;
        in.min_notional = r.min_notional;
        in.shortable = false; // spot: no borrowing through this adapter
        in.max_leverage = 1.0;
    }
}

void BinanceSpotClient::refresh_balances() {
    const Reply r = signed_request("GET", "/api/v3/account", {{"omitZeroBalances", "true"}}, 20);
    if (r.status != 200) {
        if (r.code == binance_error::kBadApiKeyFormat || r.code == binance_error::kRejectedApiKey ||
            r.code == binance_error::kInvalidSignature || r.code == binance_error::kBadApiId)
            throw InputError(fmt::format(
                "binance: the exchange refused the API key or signature ({} (code {})); check the "
                "credentials from {} and the key's permissions and IP whitelist",
                r.msg, r.code, credentials_.source));
        throw SystemError(fmt::format(
            "binance: GET /api/v3/account at {} failed: {}", rest_->base_url().to_string(),
            r.status ? fmt::format("HTTP {} {} (code {})", r.status, r.msg, r.code)
                     : r.transport_error));
    }
    const auto j = parse_body(r.body, true);
    if (!j || (j->contains("balances") && !j->at("balances").is_array()))
        throw SystemError(fmt::format("binance: GET /api/v3/account at {}: malformed response: {}",
                                      rest_->base_url().to_string(), body_excerpt(r.body)));
    balances_.clear();
    for (const auto& b : j->value("balances", json::array()))
        balances_[b.value("asset", "")] = {num(b, "free"), num(b, "locked")};
    account_.can_trade = j->value("canTrade", false);
    account_.account_type = j->value("accountType", "");
    if (j->contains("commissionRates") && j->at("commissionRates").is_object()) {
        account_.maker_rate = num(j->at("commissionRates"), "maker");
        account_.taker_rate = num(j->at("commissionRates"), "taker");
    }
}

// --- orders ----------------------------------------------------------------------------------

BinanceSpotClient::Tracked* BinanceSpotClient::find(OrderId id) {
    const auto it = cid_of_.find(id);
    if (it == cid_of_.end())
        return nullptr;
    const auto ot = orders_.find(it->second);
    return ot == orders_.end() ? nullptr : &ot->second;
}

RejectReason BinanceSpotClient::reason_of(int code, const std::string& msg) {
    if (code == binance_error::kInvalidMessage || msg.find("Filter failure") != std::string::npos) {
        if (msg.find("NOTIONAL") != std::string::npos)
            return RejectReason::MinNotional;
        if (msg.find("LOT_SIZE") != std::string::npos)
            return RejectReason::LotSize;
        if (msg.find("PRICE_FILTER") != std::string::npos)
            return RejectReason::PriceFilter;
        return RejectReason::InvalidOrder;
    }
    if (code == binance_error::kNewOrderRejected &&
        msg.find("insufficient balance") != std::string::npos)
        return RejectReason::InsufficientBalance;
    return RejectReason::InvalidOrder;
}

void BinanceSpotClient::queue_event(const Tracked& t, OrderStatus status, RejectReason reason,
                                    TimeMs time, std::string note) {
    Report r;
    r.event.order_id = t.order.id;
    r.event.instrument = t.order.req.instrument;
    r.event.status = status;
    r.event.reason = reason;
    r.event.time = time;
    r.event.side = t.order.req.side;
    r.event.type = t.order.req.type;
    r.event.role = t.order.role;
    r.event.qty = t.order.req.qty;
    r.event.note = std::move(note);
    pending_.push_back(std::move(r));
}

void BinanceSpotClient::reject_local(Tracked& t, RejectReason reason, std::string note) {
    ++stats_.rejected;
    t.done = true;
    spdlog::warn("binance: order {} rejected: {}", t.cid, note);
    queue_event(t, OrderStatus::Rejected, reason, exchange_now(), std::move(note));
}

void BinanceSpotClient::queue_fill(Tracked& t, double price, double qty, double commission,
                                   const std::string& asset, TimeMs time, bool maker) {
    const BinanceSymbolRules& rules = rules_[t.order.req.instrument];
    if (!(price > 0) || !(qty > 0) || !std::isfinite(price) || !std::isfinite(qty) ||
        !std::isfinite(commission) || commission < 0) {
        spdlog::error("binance: ignoring an impossible execution of {} (price {}, qty {}, "
                      "commission {})",
                      t.cid, price, qty, commission);
        return;
    }
    Report r;
    r.is_fill = true;
    Fill& f = r.fill;
    f.order_id = t.order.id;
    f.instrument = t.order.req.instrument;
    f.side = t.order.req.side;
    f.role = t.order.role;
    f.time = time;
    f.price = price;
    f.maker = maker;
    f.qty = qty;
    if (asset == rules.quote || asset.empty()) {
        f.fee = commission;
    } else if (asset == rules.base) {
        // Paid out of the coins received: the position grows by the net quantity, and the cash
        // paid for the commission's coins is the fee (cash and position both stay exact).
        if (t.order.req.side == Side::Buy)
            f.qty = qty - commission;
        f.fee = commission * price;
    } else {
        // A third asset (BNB discount) pays it: valued at its price in the quote asset, it is the
        // fill's fee, so P&L and cash count it like a quote-paid commission.
        ++stats_.fee_other_asset;
        const double px = commission > 0 ? quote_price(asset, rules.quote) : 0.0;
        f.fee = commission * px;
        if (commission > 0 && !(px > 0))
            spdlog::error("binance: commission {} {} on {} could not be valued in {} (no "
                          "{}{} price); booked as 0: the P&L misses it",
                          commission, asset, t.cid, rules.quote, asset, rules.quote);
    }
    t.gross += qty;
    // Never more than the order (the engine's contract), whatever the venue says.
    f.qty = std::min(f.qty, t.order.req.qty - t.reported);
    if (!(f.qty > 1e-12))
        return;
    t.reported += f.qty;
    pending_.push_back(std::move(r));
}

double BinanceSpotClient::quote_price(const std::string& asset, const std::string& quote) {
    const std::string symbol = asset + quote;
    const TimeMs now = exchange_now();
    if (const auto it = fee_prices_.find(symbol);
        it != fee_prices_.end() && now - it->second.second < kMsPerMinute)
        return it->second.first;
    // GET /api/v3/ticker/price with one symbol: weight 2 (rest-api.md).
    const Reply r = public_request("/api/v3/ticker/price", {{"symbol", symbol}}, 2);
    const auto j = r.status == 200 ? parse_body(r.body, true) : std::nullopt;
    const double px = j ? num(*j, "price") : 0.0;
    if (!(px > 0) || !std::isfinite(px)) {
        spdlog::warn("binance: GET /api/v3/ticker/price {} failed: {}", symbol,
                     r.status ? fmt::format("HTTP {} {} (code {})", r.status, r.msg, r.code)
                              : r.transport_error);
        return 0;
    }
    fee_prices_[symbol] = {px, now};
    return px;
}

void BinanceSpotClient::fetch_trades(Tracked& t, double executed) {
    const Reply r = signed_request(
        "GET", "/api/v3/myTrades",
        {{"symbol", symbols_[t.order.req.instrument]}, {"orderId", std::to_string(t.exchange_id)}},
        5);
    if (r.status != 200) {
        spdlog::warn("binance: trades of {} not available now ({}); asking again at the next poll",
                     t.cid, r.status ? r.msg : r.transport_error);
        t.unknown = true;
        return;
    }
    auto parsed = parse_body(r.body, false);
    if (!parsed) {
        spdlog::warn("binance: malformed trade list for {}: {}; asking again at the next poll",
                     t.cid, body_excerpt(r.body));
        t.unknown = true;
        return;
    }
    json& trades = *parsed;
    std::sort(trades.begin(), trades.end(), [](const json& a, const json& b) {
        return a.value("id", std::int64_t{0}) < b.value("id", std::int64_t{0});
    });
    // Trades already reported (before a crash, or by an earlier poll) are skipped by their
    // cumulative net quantity, the unit the journal kept.
    const double already = t.reported;
    const std::string base = rules_[t.order.req.instrument].base;
    double cum_net = 0;
    t.gross = 0;
    t.reported = 0;
    for (const auto& tr : trades) {
        const double qty = num(tr, "qty"), commission = num(tr, "commission");
        const std::string asset = tr.value("commissionAsset", "");
        const double net = asset == base && t.order.req.side == Side::Buy ? qty - commission : qty;
        cum_net += net;
        if (cum_net <= already + 1e-9) {
            t.gross += qty;
            t.reported += net;
            continue;
        }
        queue_fill(t, num(tr, "price"), qty, commission, asset, tr.value("time", exchange_now()),
                   tr.value("isMaker", false));
    }
    if (t.gross + 1e-9 < executed)
        spdlog::warn("binance: {} executed {} but its trades sum to {}; asking again later", t.cid,
                     executed, t.gross);
}

void BinanceSpotClient::adopt(Tracked& t, const json& o) {
    t.unknown = false;
    t.exchange_id = o.value("orderId", t.exchange_id);
    const TimeMs when = o.value("transactTime", o.value("updateTime", exchange_now()));
    if (o.contains("fills") && o.at("fills").is_array()) {
        for (const auto& f : o.at("fills"))
            queue_fill(t, num(f, "price"), num(f, "qty"), num(f, "commission"),
                       f.value("commissionAsset", ""), when, false);
    }
    const double executed = num(o, "executedQty");
    if (executed > t.gross + 1e-9)
        fetch_trades(t, executed);
    finish(t, o.value("status", ""), executed, when);
}

void BinanceSpotClient::finish(Tracked& t, const std::string& status, double executed,
                               TimeMs when) {
    if (status == "FILLED") {
        if (t.gross + 1e-9 < executed)
            return; // trades missing: finish once they are in
        t.done = true;
        queue_event(t, OrderStatus::Filled, RejectReason::None, when, {});
    } else if (status == "CANCELED" || status == "EXPIRED" || status == "EXPIRED_IN_MATCH") {
        if (t.gross + 1e-9 < executed)
            return;
        t.done = true;
        if (status == "EXPIRED" && t.order.oco != 0)
            queue_event(t, OrderStatus::Cancelled, RejectReason::OcoCancelled, when,
                        "expired at the exchange: the other order of its OCO list traded or "
                        "triggered");
        else
            queue_event(t, OrderStatus::Cancelled,
                        status == "CANCELED" ? RejectReason::UserCancelled : RejectReason::Expired,
                        when, status == "CANCELED" ? "" : "expired at the exchange (" + status + ")");
    } else if (status == "REJECTED") {
        t.done = true;
        ++stats_.rejected;
        queue_event(t, OrderStatus::Rejected, RejectReason::InvalidOrder, when,
                    "rejected by the exchange");
    }
}

bool BinanceSpotClient::adopt_body(Tracked& t, const std::string& body) {
    const auto j = parse_body(body, true);
    if (!j)
        return false;
    try {
        adopt(t, *j);
        return true;
    } catch (const json::exception&) {
        return false;
    }
}

bool BinanceSpotClient::query(Tracked& t, bool send_if_absent) {
    const Reply r = signed_request(
        "GET", "/api/v3/order",
        {{"symbol", symbols_[t.order.req.instrument]}, {"origClientOrderId", t.cid}}, 4);
    const bool was_unknown = t.unknown;
    if (r.status == 200 && adopt_body(t, r.body)) {
        if (was_unknown)
            ++stats_.adopted;
        return true;
    }
    if (r.code == binance_error::kNoSuchOrder && !send_if_absent) {
        t.unknown = false;
        return true;
    }
    if (Tracked* p = partner(t); r.code == binance_error::kNoSuchOrder && p && !p->done) {
        // An OCO leg: lists are placed whole, so it goes again (as the list) only once its
        // partner is known to be absent too.
        t.unknown = false;
        t.absent = true;
        if (p->absent) {
            ++stats_.resent_after_absent;
            spdlog::info("binance: OCO list {} is not at the exchange; sending it",
                         list_client_id(t));
            t.absent = p->absent = false;
            place_list(*p, t);
        }
        return true;
    }
    if (r.code == binance_error::kNoSuchOrder) {
        // The exchange never got it: now, and only now, it may be sent.
        t.unknown = false;
        ++stats_.resent_after_absent;
        spdlog::info("binance: order {} is not at the exchange; sending it", t.cid);
        place(t);
        return true;
    }
    spdlog::warn("binance: cannot ask about order {} ({}); it stays unknown and is asked about "
                 "again at the next poll",
                 t.cid,
                 r.status ? fmt::format("HTTP {} {} (code {})", r.status, r.msg, r.code)
                          : r.transport_error);
    return false;
}

namespace {
/// The symbol's exchangeInfo orderTypes list `type` (an empty list: not known, so allowed).
bool takes_order_type(const BinanceSymbolRules& rules, const char* type) {
    return rules.order_types.empty() ||
           std::find(rules.order_types.begin(), rules.order_types.end(), type) !=
               rules.order_types.end();
}

std::string order_type_refusal(const BinanceSymbolRules& rules, const char* type) {
    return fmt::format("{} does not take {} orders at the exchange (exchangeInfo orderTypes: {})",
                       rules.symbol, type, fmt::join(rules.order_types, ", "));
}
} // namespace

BinanceOrderPrices binance_order_prices(const OrderRequest& q, const BinanceSymbolRules& rules,
                                        double filled, double last_price) {
    BinanceOrderPrices out;
    const bool market = q.type == OrderType::Market;
    const bool stop_limit = q.type == OrderType::StopLimit;
    // The exchange's filters, applied the way it applies them, so a rejection costs no request.
    const double step = market && rules.market_step > 0 ? rules.market_step : rules.step_size;
    out.qty = floor_step(q.qty - filled, step);
    out.qty_text = decimal(out.qty, decimals_of(step));
    const double min_qty = market && rules.market_min > 0 ? rules.market_min : rules.min_qty;
    const double max_qty = market && rules.market_max > 0 ? rules.market_max : rules.max_qty;
    if (!(out.qty > 0) || out.qty + kEps < min_qty || (max_qty > 0 && out.qty > max_qty + kEps)) {
        out.reason = RejectReason::LotSize;
        out.error = fmt::format("Filter failure: LOT_SIZE (quantity {} rounds to {} with step {}; "
                                "allowed {}..{})",
                                q.qty - filled, out.qty, step, min_qty, max_qty);
        return out;
    }
    // PRICE_FILTER applies to price and stopPrice alike (filters.md).
    const auto priced = [&](const char* field, double wanted, double& value, std::string& text) {
        value = round_step(wanted, rules.tick_size);
        text = decimal(value, decimals_of(rules.tick_size));
        if (value > 0 && value + kEps >= rules.min_price &&
            !(rules.max_price > 0 && value > rules.max_price + kEps))
            return true;
        out.reason = RejectReason::PriceFilter;
        out.error = fmt::format("Filter failure: PRICE_FILTER ({} {} rounds to {} with tick {}; "
                                "allowed {}..{})",
                                field, wanted, value, rules.tick_size, rules.min_price,
                                rules.max_price);
        return false;
    };
    if (!market && !priced("price", q.limit_price, out.price, out.price_text)) return out;
    if (stop_limit && !priced("stopPrice", q.stop_price, out.stop, out.stop_text)) return out;
    const double ref = market ? last_price : out.price;
    if (ref > 0 && rules.min_notional > 0 && (!market || rules.min_notional_market) &&
        out.qty * ref + kEps < rules.min_notional) {
        out.reason = RejectReason::MinNotional;
        out.error = fmt::format("Filter failure: NOTIONAL ({} x {} = {:.4f} below the minimum {})",
                                out.qty, ref, out.qty * ref, rules.min_notional);
    } else if (!market && rules.max_notional > 0 && out.qty * ref > rules.max_notional + kEps) {
        out.reason = RejectReason::MinNotional;
        out.error = fmt::format("Filter failure: NOTIONAL ({} x {} = {:.4f} above the maximum {})",
                                out.qty, ref, out.qty * ref, rules.max_notional);
    }
    return out;
}

bool BinanceSpotClient::outcome_unknown(const Reply& r) {
    const bool duplicate =
        r.code == binance_error::kNewOrderRejected && r.msg.find("Duplicate") != std::string::npos;
    return r.status == 0 || r.status >= 500 || r.status == 200 || duplicate;
}

std::string BinanceSpotClient::unknown_why(const Reply& r) {
    return r.status == 200 ? "malformed response " + body_excerpt(r.body)
           : r.status      ? fmt::format("HTTP {} {}", r.status, r.msg)
                           : r.transport_error;
}

std::string BinanceSpotClient::refusal(const Reply& r) {
    return r.code ? fmt::format("{} (code {})", r.msg, r.code)
                  : fmt::format("HTTP {} {}", r.status, r.msg);
}

void BinanceSpotClient::place(Tracked& t) {
    const OrderRequest& q = t.order.req;
    const BinanceSymbolRules& rules = rules_[q.instrument];
    if (q.type == OrderType::Stop)
        return reject_local(t, RejectReason::InvalidOrder,
                            "stop-market orders are not sent to Binance by this adapter: "
                            "protective stops go as STOP_LOSS_LIMIT (live.stop_limit_offset > 0)");
    if (q.take_profit > 0 || q.stop_loss > 0)
        return reject_local(t, RejectReason::InvalidOrder,
                            "bracket orders (take-profit/stop-loss) are not sent to Binance by "
                            "this adapter");
    const bool market = q.type == OrderType::Market;
    const bool stop_limit = q.type == OrderType::StopLimit;
    const BinanceOrderPrices px =
        binance_order_prices(q, rules, t.order.filled_qty, last_price_[q.instrument]);
    if (px.reason != RejectReason::None)
        return reject_local(t, px.reason, px.error);
    // A stop the market has already passed is refused by the exchange ("Order would trigger
    // immediately."); a triggered stop-limit is its limit order, so that is what goes instead.
    const bool as_limit = stop_limit && t.stop_triggered;
    if (stop_limit && !as_limit && !takes_order_type(rules, "STOP_LOSS_LIMIT"))
        return reject_local(t, RejectReason::InvalidOrder,
                            order_type_refusal(rules, "STOP_LOSS_LIMIT"));
    const char* type = market ? "MARKET" : stop_limit && !as_limit ? "STOP_LOSS_LIMIT" : "LIMIT";
    HttpParams p{{"symbol", symbols_[q.instrument]},
                 {"side", q.side == Side::Buy ? "BUY" : "SELL"},
                 {"type", type}};
    if (!market)
        p.emplace_back("timeInForce", q.tif == TimeInForce::IOC ? "IOC" : "GTC");
    p.emplace_back("quantity", px.qty_text);
    if (!market)
        p.emplace_back("price", px.price_text);
    if (stop_limit && !as_limit)
        p.emplace_back("stopPrice", px.stop_text);
    p.emplace_back("newClientOrderId", t.cid);
    p.emplace_back("newOrderRespType", "FULL");
    ++stats_.orders_sent;
    const Reply r = signed_request("POST", "/api/v3/order", std::move(p), 1);
    if (r.status == 200 && adopt_body(t, r.body))
        return;
    if (stop_limit && !as_limit && r.code == binance_error::kNewOrderRejected &&
        r.msg.find("trigger immediately") != std::string::npos) {
        spdlog::warn("binance: stop {} at {} is already passed by the market; placing its limit "
                     "order at {} now",
                     t.cid, px.stop_text, px.price_text);
        t.stop_triggered = true;
        return place(t);
    }
    if (outcome_unknown(r)) {
        // Status UNKNOWN (rest-api.md, "HTTP Return Codes"): it may be at the exchange. Ask by
        // client id; never send it again unless the exchange says it does not have it.
        ++stats_.unknown_outcomes;
        t.unknown = true;
        spdlog::warn("binance: order {}: {}; asking the exchange for it", t.cid, unknown_why(r));
        if (send_depth_ >= 2)
            return; // a send after -2013 that itself ends unknown: poll() asks again
        ++send_depth_;
        for (int k = 0; k < options_.unknown_queries && t.unknown; ++k) {
            rest_->wait(options_.unknown_backoff_ms * (k + 1));
            if (query(t))
                break;
        }
        --send_depth_;
        return;
    }
    reject_local(t, reason_of(r.code, r.msg), refusal(r));
}

void BinanceSpotClient::submit(const Order& order) {
    submit_with_id(order, fmt::format("AEX{:013x}{:06x}", clock_.now() & 0xfffffffffffffLL,
                                      order.id & 0xffffff));
}

void BinanceSpotClient::submit_with_id(const Order& order, const std::string& cid) {
    if (auto it = orders_.find(cid); it != orders_.end() && !it->second.done) {
        spdlog::error("binance: order {} is already live; not sending it again", cid);
        return;
    }
    Tracked& t = orders_[cid];
    t = Tracked{};
    t.order = order;
    t.cid = cid;
    t.reported = order.filled_qty;
    cid_of_[order.id] = cid;
    if (order.req.instrument >= instruments_.size())
        return reject_local(t, RejectReason::InvalidOrder, "unknown instrument index");
    if (order.oco != 0) {
        // One leg of an OCO pair: the first waits for the second, then both go as one list.
        Tracked* p = partner(t);
        if (!p) {
            t.held = true;
            return;
        }
        if (p->held && !p->done) {
            p->held = false;
            return place_list(*p, t);
        }
    }
    place(t);
}

BinanceSpotClient::Tracked* BinanceSpotClient::partner(const Tracked& t) {
    return t.order.oco != 0 ? find(t.order.oco) : nullptr;
}

std::string BinanceSpotClient::list_client_id(const Tracked& t) {
    if (t.order.oco == 0)
        return {};
    if (t.order.req.type == OrderType::StopLimit)
        return "OCO" + t.cid;
    const Tracked* p = partner(t);
    return p ? "OCO" + p->cid : std::string();
}

bool BinanceSpotClient::adopt_list(const std::string& body) {
    const auto j = parse_body(body, true);
    if (!j || !j->contains("orderReports") || !j->at("orderReports").is_array())
        return false;
    try {
        int adopted = 0;
        for (const auto& rep : j->at("orderReports")) {
            // A cancel's reports carry the cancel's id as clientOrderId, the leg's as orig.
            const std::string cid = rep.value("origClientOrderId", rep.value("clientOrderId", ""));
            const auto it = orders_.find(cid);
            if (it == orders_.end() || it->second.done)
                continue;
            adopt(it->second, rep);
            ++adopted;
        }
        return adopted > 0;
    } catch (const json::exception&) {
        return false;
    }
}

void BinanceSpotClient::place_list(Tracked& a, Tracked& b) {
    const bool a_stop = a.order.req.type == OrderType::StopLimit;
    Tracked& stop = a_stop ? a : b;
    Tracked& target = a_stop ? b : a;
    const OrderRequest& sq = stop.order.req;
    const OrderRequest& tq = target.order.req;
    const auto refuse = [&](RejectReason why, const std::string& note) {
        reject_local(stop, why, "OCO stop leg not sent: " + note);
        reject_local(target, why, "OCO target leg not sent: " + note);
    };
    if (sq.type != OrderType::StopLimit || tq.type != OrderType::Limit || sq.side != tq.side ||
        sq.instrument != tq.instrument ||
        std::abs((sq.qty - stop.order.filled_qty) - (tq.qty - target.order.filled_qty)) > kEps)
        return refuse(RejectReason::InvalidOrder,
                      "an OCO pair is a stop-limit and a limit of one side and quantity");
    const BinanceSymbolRules& rules = rules_[sq.instrument];
    const double last = last_price_[sq.instrument];
    const BinanceOrderPrices ps = binance_order_prices(sq, rules, stop.order.filled_qty, last);
    if (ps.reason != RejectReason::None)
        return refuse(ps.reason, "stop leg: " + ps.error);
    const BinanceOrderPrices pt = binance_order_prices(tq, rules, target.order.filled_qty, last);
    if (pt.reason != RejectReason::None)
        return refuse(pt.reason, "target leg: " + pt.error);
    const bool sell = sq.side == Side::Sell;
    if (sell ? !(pt.price > ps.stop) : !(pt.price < ps.stop))
        return refuse(RejectReason::InvalidOrder,
                      fmt::format("inverted pair: the {} target's price {} must lie {} the "
                                  "stopPrice {}",
                                  sell ? "sell" : "buy", pt.price_text,
                                  sell ? "above" : "below", ps.stop_text));
    const char* stop_type = "STOP_LOSS_LIMIT";
    const char* target_type = sell ? "LIMIT_MAKER" : "TAKE_PROFIT_LIMIT";
    for (const char* type : {stop_type, target_type})
        if (!takes_order_type(rules, type))
            return refuse(RejectReason::InvalidOrder, order_type_refusal(rules, type));
    const std::string list_cid = "OCO" + stop.cid;
    HttpParams p{{"symbol", symbols_[sq.instrument]},
                 {"side", sell ? "SELL" : "BUY"},
                 {"quantity", ps.qty_text},
                 {"listClientOrderId", list_cid}};
    // A SELL list has its target above and its stop below; a BUY list the other way round
    // (rest-api.md: a LIMIT_MAKER may only be the above order, so a BUY target is a
    // TAKE_PROFIT_LIMIT triggering at its own price).
    const auto stop_leg = [&](const std::string& at) {
        p.emplace_back(at + "Type", stop_type);
        p.emplace_back(at + "ClientOrderId", stop.cid);
        p.emplace_back(at + "Price", ps.price_text);
        p.emplace_back(at + "StopPrice", ps.stop_text);
        p.emplace_back(at + "TimeInForce", "GTC");
    };
    const auto target_leg = [&](const std::string& at) {
        p.emplace_back(at + "Type", target_type);
        p.emplace_back(at + "ClientOrderId", target.cid);
        p.emplace_back(at + "Price", pt.price_text);
        if (!sell) {
            p.emplace_back(at + "StopPrice", pt.price_text);
            p.emplace_back(at + "TimeInForce", "GTC");
        }
    };
    if (sell)
        target_leg("above"), stop_leg("below");
    else
        stop_leg("above"), target_leg("below");
    p.emplace_back("newOrderRespType", "FULL");
    ++stats_.lists_sent;
    const Reply r = signed_request("POST", "/api/v3/orderList/oco", std::move(p), 1);
    if (r.status == 200 && adopt_list(r.body))
        return;
    if (outcome_unknown(r)) {
        // Unknown: the list may be at the exchange. Its legs are asked for by client id; it is
        // sent again only when the exchange has neither (query()).
        ++stats_.unknown_outcomes;
        stop.unknown = target.unknown = true;
        spdlog::warn("binance: OCO list {}: {}; asking the exchange for its orders", list_cid,
                     unknown_why(r));
        if (send_depth_ >= 2)
            return;
        ++send_depth_;
        for (int k = 0; k < options_.unknown_queries && (stop.unknown || target.unknown); ++k) {
            rest_->wait(options_.unknown_backoff_ms * (k + 1));
            if (stop.unknown && !query(stop))
                continue;
            if (target.unknown && !stop.done)
                query(target);
        }
        --send_depth_;
        return;
    }
    const std::string why = refusal(r);
    if (r.code == binance_error::kNewOrderRejected &&
        (r.msg.find("relationship of the prices") != std::string::npos ||
         r.msg.find("immediately match") != std::string::npos)) {
        // The market has passed the target or the stop since the fill: the stop alone still
        // protects the position (place() turns a passed stop into its limit order).
        spdlog::warn("binance: OCO list {} refused ({}); sending its stop alone", list_cid, why);
        reject_local(target, RejectReason::InvalidOrder,
                     "OCO target leg not sent: " + why + "; the stop went alone");
        return place(stop);
    }
    refuse(reason_of(r.code, r.msg), why);
}

bool BinanceSpotClient::reconcile(const Order& order, const std::string& cid) {
    Tracked& t = orders_[cid];
    t = Tracked{};
    t.order = order;
    t.cid = cid;
    t.reported = order.filled_qty;
    t.unknown = true;
    cid_of_[order.id] = cid;
    spdlog::info("binance: reconciling order {} (journaled before a restart, {} already filled)",
                 cid, order.filled_qty);
    return query(t);
}

void BinanceSpotClient::resume(const Order& order, const std::string& cid) {
    reconcile(order, cid);
}

void BinanceSpotClient::cancel(OrderId id, TimeMs now) {
    Tracked* t = find(id);
    if (t && !t->done && t->held) {
        t->done = true; // an OCO leg still waiting for its partner: never sent
        queue_event(*t, OrderStatus::Cancelled, RejectReason::UserCancelled, now,
                    "cancelled before it was sent");
    }
    if (t && !t->done && t->unknown) {
        // Asked without ever sending it: an order is not sent in order to cancel it.
        if (query(*t, false) && !t->done && t->exchange_id < 0) {
            t->done = true; // the exchange never got it
            queue_event(*t, OrderStatus::Cancelled, RejectReason::UserCancelled, now,
                        "cancelled before the exchange received it");
        }
    }
    if (t && !t->done) {
        t->cancel_wanted = true;
        if (!t->unknown)
            send_cancel(*t);
    }
    // Reported now, like the simulation does, so the journal keeps it in this step.
    std::deque<Report> now_reports, rest;
    for (auto& rep : pending_) {
        const OrderId oid = rep.is_fill ? rep.fill.order_id : rep.event.order_id;
        (oid == id ? now_reports : rest).push_back(std::move(rep));
    }
    pending_.swap(rest);
    for (const auto& rep : now_reports) {
        if (rep.is_fill)
            sink_->on_fill(rep.fill);
        else
            sink_->on_order_event(rep.event);
    }
    if ((!t || t->done) && now_reports.empty() && sink_) {
        // Unknown here, or already finished and reported: nothing to cancel.
        sink_->on_order_event(OrderEvent::unknown_order(id, now));
    }
}

void BinanceSpotClient::send_cancel(Tracked& t) {
    if (Tracked* p = partner(t); p && !p->done && !p->held) {
        // A leg of an OCO list: the whole list goes (cancelling one leg would do the same).
        const Reply r = signed_request("DELETE", "/api/v3/orderList",
                                       {{"symbol", symbols_[t.order.req.instrument]},
                                        {"listClientOrderId", list_client_id(t)}},
                                       1);
        if (r.status == 200 && adopt_list(r.body))
            return;
        if (r.code == binance_error::kCancelRejected || r.code == binance_error::kNoSuchOrder) {
            query(t, false); // the list ended meanwhile (a leg filled): adopt that
            query(*p, false);
            return;
        }
        spdlog::warn("binance: cancel of OCO list {} failed ({}); asked again at the next poll",
                     list_client_id(t), r.status ? r.msg : r.transport_error);
        t.unknown = true;
        return;
    }
    const Reply r = signed_request(
        "DELETE", "/api/v3/order",
        {{"symbol", symbols_[t.order.req.instrument]}, {"origClientOrderId", t.cid}}, 1);
    if (r.status == 200 && adopt_body(t, r.body)) {
    } else if (r.code == binance_error::kCancelRejected || r.code == binance_error::kNoSuchOrder) {
        query(t, false); // finished meanwhile (filled): adopt that
    } else {
        // Still wanted: the next poll asks for the order and, while it is open, cancels again
        // (a protective stop left behind would hold the coins an exit sells).
        spdlog::warn("binance: cancel of {} failed ({}); asked again at the next poll", t.cid,
                     r.status ? r.msg : r.transport_error);
        t.unknown = true;
    }
}

void BinanceSpotClient::on_bar(InstrumentId instrument, const Bar& bar) {
    if (instrument < last_price_.size())
        last_price_[instrument] = bar.close;
}

void BinanceSpotClient::apply_report(const ExecutionReport& r) {
    const auto it = orders_.find(r.client_id);
    if (it == orders_.end() || it->second.done)
        return; // not ours (another program on the account), or finished and reported
    Tracked& t = it->second;
    t.exchange_id = r.order_id;
    if (r.exec_type == "TRADE") {
        if (r.cum_qty <= t.gross + 1e-9)
            return; // a duplicate, or a fill REST already brought
        if (r.cum_qty - r.last_qty > t.gross + 1e-9) {
            t.unknown = true; // an earlier fill is missing (out of order): REST has them all
            return;
        }
        queue_fill(t, r.last_price, r.last_qty, r.commission, r.commission_asset, r.time, r.maker);
    }
    if (t.unknown)
        return;
    if (t.gross + 1e-9 < r.cum_qty) {
        t.unknown = true; // a fill of this order never came on the stream: REST has it
        return;
    }
    finish(t, r.status, r.cum_qty, r.time);
}

void BinanceSpotClient::poll() {
    const bool streamed = user_ && user_->subscribed();
    const bool resync = user_ && user_->take_resync();
    if (user_)
        for (const ExecutionReport& r : user_->take_reports())
            apply_report(r);
    for (auto& [cid, t] : orders_) {
        if (t.done)
            continue;
        if (t.held) {
            // Its partner never came (the engine sends both in one step): it goes alone.
            spdlog::warn("binance: OCO leg {} has no partner; sending it alone", cid);
            t.held = false;
            place(t);
            continue;
        }
        if (t.unknown || resync ||
            (!streamed && (t.order.req.type == OrderType::Limit ||
                           t.order.req.type == OrderType::StopLimit)))
            query(t);
    }
    for (auto& [cid, t] : orders_)
        if (t.cancel_wanted && !t.done && !t.unknown)
            send_cancel(t);
    if (resync) {
        try {
            refresh_balances();
        } catch (const std::exception& e) {
            spdlog::warn("binance: balances not read after the stream's resync: {}", e.what());
        }
    }
    std::deque<Report> out;
    out.swap(pending_);
    for (const auto& rep : out) {
        if (!sink_)
            break;
        if (rep.is_fill)
            sink_->on_fill(rep.fill);
        else
            sink_->on_order_event(rep.event);
    }
}

std::size_t BinanceSpotClient::open_order_count() const {
    std::size_t n = 0;
    for (const auto& [cid, t] : orders_)
        n += t.done ? 0 : 1;
    return n;
}

bool BinanceSpotClient::settled() const {
    if (!pending_.empty())
        return false;
    for (const auto& [cid, t] : orders_)
        if (!t.done && t.unknown)
            return false;
    return true;
}

} // namespace aurum
