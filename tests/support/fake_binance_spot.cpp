#include "support/fake_binance_spot.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace aurum::test {

using nlohmann::json;

std::string fake_hmac_hex(const std::string& key, const std::string& data) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
    std::string out;
    for (unsigned int i = 0; i < len; ++i)
        out += fmt::format("{:02x}", mac[i]);
    return out;
}

namespace {

std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool on_grid(double v, double step) {
    if (!(step > 0))
        return true;
    const double k = v / step;
    return std::fabs(k - std::round(k)) < 1e-6;
}

std::string dec(double v) {
    return fmt::format("{:.8f}", v);
}

} // namespace

struct FakeSpotExchange::State {
    const Clock& clock;
    std::string key, secret;
    mutable std::mutex mu;
    std::map<std::string, FakeSymbol> symbols;
    std::map<std::string, double> price;
    std::map<std::string, double> free, locked;
    double commission = 0.001;
    std::string commission_asset; ///< "" = bought asset for buys, quote for sells
    int market_parts = 1;         ///< MARKET orders execute in this many trades
    bool can_trade = true;
    std::vector<FakeOrder> orders;
    std::vector<FakeTrade> trades;
    std::map<std::string, int> posts;
    int sig_failures = 0, signed_count = 0;
    std::int64_t next_order = 1000, next_trade = 5000;
    FakeResponse after_fault;
    int after_fault_left = 0;
    int orders_per_10s = 50, orders_per_day = 160000, order_hits = 0;
    std::optional<std::string> rate_limits_json;
    std::vector<TimeMs> order_times;
    std::function<void(const std::string&)> user_listener;
    std::int64_t next_execution = 1;
    /// OCO lists with what they locked (once for both legs) and have not used yet.
    struct List {
        FakeOrderList info;
        std::int64_t below = 0, above = 0; ///< order ids
        std::string lock_asset;
        double lock_left = 0;
    };
    std::vector<List> lists;
    std::int64_t next_list = 1;
    std::map<std::string, int> list_posts;

    /// The user data stream's events for a change of `o` (caller holds mu): its executionReport
    /// (with the trade `t`, if any) and the balances of its two assets.
    void publish(const FakeOrder& o, const std::string& exec_type, const FakeTrade* t) {
        if (!user_listener) return;
        const FakeSymbol& s = symbols.at(o.symbol);
        const TimeMs now = clock.now();
        const bool cancel = exec_type == "CANCELED";
        json e{{"e", "executionReport"}, {"E", now}, {"s", o.symbol},
               {"c", cancel ? fmt::format("cancel{}", next_execution) : o.client_id},
               {"S", o.side}, {"o", o.type}, {"f", o.tif}, {"q", dec(o.qty)},
               {"p", dec(o.price)}, {"P", dec(o.stop_price)}, {"F", dec(0)}, {"g", o.list_id},
               {"C", cancel ? o.client_id : ""}, {"x", exec_type}, {"X", o.status},
               {"r", "NONE"}, {"i", o.id}, {"l", dec(t ? t->qty : 0)}, {"z", dec(o.executed)},
               {"L", dec(t ? t->price : 0)}, {"n", dec(t ? t->commission : 0)},
               {"N", t ? json(t->commission_asset) : json(nullptr)}, {"T", t ? t->time : now},
               {"t", t ? t->id : -1}, {"I", next_execution++},
               {"w", o.status == "NEW" || o.status == "PARTIALLY_FILLED"},
               {"m", t && t->maker}, {"M", false}, {"O", o.time}, {"Z", dec(o.quote_executed)},
               {"Y", dec(t ? t->qty * t->price : 0)}, {"Q", dec(0)}, {"W", o.time},
               {"V", "NONE"}};
        user_listener(e.dump());
        json balances = json::array();
        for (const std::string& a : {s.base, s.quote})
            balances.push_back({{"a", a}, {"f", dec(free[a])}, {"l", dec(locked[a])}});
        user_listener(json{{"e", "outboundAccountPosition"}, {"E", now}, {"u", now},
                           {"B", balances}}.dump());
    }

    /// The ORDERS limiter: counts a new order in its 10 s and day windows, or refuses it.
    std::optional<FakeResponse> count_order(std::int64_t& in_10s, std::int64_t& in_day) {
        std::lock_guard lock(mu);
        const TimeMs now = clock.now();
        const auto in_window = [&](TimeMs len) {
            const TimeMs from = now - now % len;
            return std::count_if(order_times.begin(), order_times.end(),
                                 [&](TimeMs t) { return t >= from; });
        };
        in_10s = in_window(10 * kMsPerSecond);
        in_day = in_window(kMsPerDay);
        const bool short_full = in_10s >= orders_per_10s;
        if (short_full || in_day >= orders_per_day) {
            ++order_hits;
            const TimeMs len = short_full ? 10 * kMsPerSecond : kMsPerDay;
            FakeResponse r = FakeResponse::error(
                429, -1015,
                fmt::format("Too many new orders; current limit is {} orders per {}.",
                            short_full ? orders_per_10s : orders_per_day,
                            short_full ? "10 SECOND" : "DAY"));
            r.headers.emplace_back("Retry-After",
                                   std::to_string((len - now % len + 999) / kMsPerSecond));
            return r;
        }
        order_times.push_back(now);
        ++in_10s;
        ++in_day;
        return std::nullopt;
    }

    explicit State(const Clock& c) : clock(c) {}

    /// API key, signature and timestamp of a SIGNED request; an error response or nullopt.
    std::optional<FakeResponse> authenticate(const FakeRequest& r) {
        std::lock_guard lock(mu);
        ++signed_count;
        const auto k = r.header("X-MBX-APIKEY");
        if (!k || *k != key)
            return FakeResponse::error(401, -2015,
                                       "Invalid API-key, IP, or permissions for action.");
        // totalParams = query string + body, without the signature itself.
        const auto q = r.target.find('?');
        const std::string query = q == std::string::npos ? "" : r.target.substr(q + 1);
        std::string payload, sig;
        std::size_t start = 0;
        while (start <= query.size() && !query.empty()) {
            const auto amp = query.find('&', start);
            const std::string part =
                query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
            if (part.rfind("signature=", 0) == 0)
                sig = part.substr(10);
            else
                payload += (payload.empty() ? "" : "&") + part;
            if (amp == std::string::npos)
                break;
            start = amp + 1;
        }
        payload += r.body;
        if (sig.empty())
            return FakeResponse::error(400, -1102,
                                       "Mandatory parameter 'signature' was not sent, was "
                                       "empty/null, or malformed.");
        if (lower(sig) != fake_hmac_hex(secret, payload)) {
            ++sig_failures;
            return FakeResponse::error(400, -1022, "Signature for this request is not valid.");
        }
        const auto ts = r.param("timestamp");
        if (!ts)
            return FakeResponse::error(400, -1102,
                                       "Mandatory parameter 'timestamp' was not sent, was "
                                       "empty/null, or malformed.");
        const long long t = std::stoll(*ts);
        const long long window = r.param("recvWindow") ? std::stoll(*r.param("recvWindow")) : 5000;
        const TimeMs now = clock.now();
        if (!(t < now + 1000 && now - t <= window))
            return FakeResponse::error(400, -1021,
                                       "Timestamp for this request is outside of the recvWindow.");
        return std::nullopt;
    }

    json order_json(const FakeOrder& o) const {
        return json{{"symbol", o.symbol},
                    {"orderId", o.id},
                    {"orderListId", o.list_id},
                    {"clientOrderId", o.client_id},
                    {"price", dec(o.price)},
                    {"origQty", dec(o.qty)},
                    {"executedQty", dec(o.executed)},
                    {"cummulativeQuoteQty", dec(o.quote_executed)},
                    {"status", o.status},
                    {"timeInForce", o.tif},
                    {"type", o.type},
                    {"side", o.side},
                    {"stopPrice", dec(o.stop_price)},
                    {"time", o.time},
                    {"updateTime", clock.now()},
                    {"isWorking", o.status == "NEW" || o.status == "PARTIALLY_FILLED"},
                    {"selfTradePreventionMode", "NONE"}};
    }

    /// Executes `qty` of order `o` at `px` (caller holds mu); returns the trade. Funds locked at
    /// placement (resting limits and stop orders) pay from locked, the rest from free.
    FakeTrade execute(FakeOrder& o, double px, double qty, bool maker) {
        const FakeSymbol& s = symbols.at(o.symbol);
        FakeTrade t;
        t.id = next_trade++;
        t.order_id = o.id;
        t.symbol = o.symbol;
        t.price = px;
        t.qty = qty;
        t.buyer = o.side == "BUY";
        t.maker = maker;
        t.time = clock.now();
        const double third_px = commission_asset.empty() ? 0.0 : price[commission_asset + s.quote];
        const bool third = !commission_asset.empty() && third_px > 0;
        if (t.buyer) {
            t.commission = third ? qty * px * commission / third_px : qty * commission;
            t.commission_asset = third ? commission_asset : s.base;
            const double cost = qty * px;
            if (o.funds_locked)
                locked[s.quote] -= qty * o.price, free[s.quote] += qty * o.price - cost;
            else
                free[s.quote] -= cost;
            free[s.base] += qty - (third ? 0.0 : t.commission);
        } else {
            t.commission = third ? qty * px * commission / third_px : qty * px * commission;
            t.commission_asset = third ? commission_asset : s.quote;
            if (o.funds_locked)
                locked[s.base] -= qty;
            else
                free[s.base] -= qty;
            free[s.quote] += qty * px - (third ? 0.0 : t.commission);
        }
        if (third)
            free[commission_asset] -= t.commission;
        o.executed += qty;
        o.quote_executed += qty * px;
        o.status = o.executed + 1e-12 >= o.qty ? "FILLED" : "PARTIALLY_FILLED";
        trades.push_back(t);
        publish(o, "TRADE", &trades.back());
        if (List* l = list_of(o)) {
            l->lock_left -= t.buyer ? qty * o.price : qty;
            expire_other(o); // any trade of one leg ends the other (rest-api.md, OCO)
        }
        return t;
    }

    // --- OCO order lists ---------------------------------------------------------------------

    List* list_of(const FakeOrder& o) {
        for (auto& l : lists)
            if (l.info.id == o.list_id) return &l;
        return nullptr;
    }
    FakeOrder* order_by_id(std::int64_t id) {
        for (auto& o : orders)
            if (o.id == id) return &o;
        return nullptr;
    }
    /// The list's status event (caller holds mu).
    void publish_list(const List& l, const std::string& type) {
        if (!user_listener) return;
        json os = json::array();
        for (const std::int64_t id : {l.below, l.above})
            if (const FakeOrder* o = order_by_id(id))
                os.push_back({{"s", o->symbol}, {"i", o->id}, {"c", o->client_id}});
        user_listener(json{{"e", "listStatus"}, {"E", clock.now()}, {"s", l.info.symbol},
                           {"g", l.info.id}, {"c", "OCO"}, {"l", type}, {"L", l.info.status},
                           {"r", "NONE"}, {"C", l.info.client_id}, {"T", clock.now()},
                           {"O", os}}.dump());
    }
    /// A list whose legs have both ended is ALL_DONE: what it still locks is freed.
    void close_list_if_done(List& l) {
        const FakeOrder* a = order_by_id(l.below);
        const FakeOrder* b = order_by_id(l.above);
        if (l.info.status == "ALL_DONE" || (a && is_open(*a)) || (b && is_open(*b))) return;
        l.info.status = "ALL_DONE";
        locked[l.lock_asset] -= l.lock_left;
        free[l.lock_asset] += l.lock_left;
        l.lock_left = 0;
        publish_list(l, "ALL_DONE");
    }
    /// One leg of an OCO traded or (a stop) triggered: the other expires (eR OCO_TRIGGER).
    void expire_other(const FakeOrder& o) {
        List* l = list_of(o);
        if (!l) return;
        FakeOrder* other = order_by_id(o.id == l->below ? l->above : l->below);
        if (other && is_open(*other)) {
            other->status = "EXPIRED";
            publish(*other, "EXPIRED", nullptr);
        }
        close_list_if_done(*l);
    }
    void cancel_list(List& l) {
        for (const std::int64_t id : {l.below, l.above}) {
            FakeOrder* o = order_by_id(id);
            if (!o || !is_open(*o)) continue;
            o->status = "CANCELED";
            publish(*o, "CANCELED", nullptr);
        }
        close_list_if_done(l);
    }
    json list_json(const List& l, bool reports, bool cancelled) const {
        json os = json::array(), rs = json::array();
        for (const std::int64_t id : {l.below, l.above}) {
            for (const auto& o : orders) {
                if (o.id != id) continue;
                os.push_back({{"symbol", o.symbol}, {"orderId", o.id}, {"clientOrderId", o.client_id}});
                json rep = order_json(o);
                rep["transactTime"] = clock.now();
                if (cancelled) {
                    rep["origClientOrderId"] = o.client_id;
                    rep["clientOrderId"] = fmt::format("cancel{}", l.info.id);
                }
                rs.push_back(rep);
            }
        }
        json out{{"orderListId", l.info.id},
                 {"contingencyType", "OCO"},
                 {"listStatusType", l.info.status == "ALL_DONE" ? "ALL_DONE" : "EXEC_STARTED"},
                 {"listOrderStatus", l.info.status},
                 {"listClientOrderId", l.info.client_id},
                 {"transactionTime", clock.now()},
                 {"symbol", l.info.symbol},
                 {"orders", os}};
        if (reports) out["orderReports"] = rs;
        return out;
    }

    /// One leg of an OCO from the request's `prefix` ("above"/"below") parameters, checked
    /// against the symbol's filters; an error response or nullopt.
    std::optional<FakeResponse> oco_leg(const FakeRequest& r, const std::string& prefix,
                                        const FakeSymbol& s, double qty, FakeOrder& o) {
        o.type = r.param(prefix + "Type").value_or("");
        const bool stop = is_stop_type(o.type);
        if (o.type != "LIMIT_MAKER" && !stop)
            return FakeResponse::error(400, -1158, "Order type not supported in OCO.");
        if (prefix == "below" && o.type == "LIMIT_MAKER")
            return FakeResponse::error(400, -1158, "Order type not supported in OCO.");
        o.price = std::stod(r.param(prefix + "Price").value_or("0"));
        if (!(o.price > 0))
            return FakeResponse::error(400, -1102, "Mandatory parameter '" + prefix +
                                                       "Price' was not sent, was empty/null, or "
                                                       "malformed.");
        if (!on_grid(o.price, s.tick_size))
            return FakeResponse::error(400, -1013, "Filter failure: PRICE_FILTER");
        if (qty * o.price < s.min_notional)
            return FakeResponse::error(400, -1013, "Filter failure: NOTIONAL");
        o.tif = "GTC";
        if (stop) {
            o.tif = r.param(prefix + "TimeInForce").value_or("");
            if (o.tif != "GTC" && o.tif != "IOC" && o.tif != "FOK")
                return FakeResponse::error(400, -1102, "Mandatory parameter '" + prefix +
                                                           "TimeInForce' was not sent, was "
                                                           "empty/null, or malformed.");
            o.stop_price = std::stod(r.param(prefix + "StopPrice").value_or("0"));
            if (!(o.stop_price > 0))
                return FakeResponse::error(400, -1102, "Mandatory parameter '" + prefix +
                                                           "StopPrice' was not sent, was "
                                                           "empty/null, or malformed.");
            if (!on_grid(o.stop_price, s.tick_size))
                return FakeResponse::error(400, -1013, "Filter failure: PRICE_FILTER");
        }
        o.client_id = r.param(prefix + "ClientOrderId").value_or("");
        return std::nullopt;
    }

    FakeResponse post_oco(const FakeRequest& r) {
        std::unique_lock lock(mu);
        const std::string list_cid = r.param("listClientOrderId").value_or("");
        if (!list_cid.empty()) ++list_posts[list_cid];
        const std::string sym = r.param("symbol").value_or("");
        const auto sit = symbols.find(sym);
        if (sit == symbols.end()) return FakeResponse::error(400, -1121, "Invalid symbol.");
        const FakeSymbol& s = sit->second;
        const std::string side = r.param("side").value_or("");
        if (side != "BUY" && side != "SELL")
            return FakeResponse::error(400, -1102, "Mandatory parameter 'side' was not sent.");
        const double qty = std::stod(r.param("quantity").value_or("0"));
        if (!(qty >= s.min_qty - 1e-12) || qty > s.max_qty || !on_grid(qty, s.step_size))
            return FakeResponse::error(400, -1013, "Filter failure: LOT_SIZE");
        FakeOrder above, below;
        if (auto bad = oco_leg(r, "above", s, qty, above)) return *bad;
        if (auto bad = oco_leg(r, "below", s, qty, below)) return *bad;
        const auto is_sl = [](const FakeOrder& o) { return o.type == "STOP_LOSS_LIMIT"; };
        if (is_sl(above) == is_sl(below))
            return FakeResponse::error(400, -1168, "At least one OCO order must be contingent.");
        // SELL: the stop below, the limit/take-profit above; BUY: the other way round.
        if (side == "SELL" && is_sl(above))
            return FakeResponse::error(400, -1197, "A stop loss order in a sell OCO must be below.");
        if (side == "BUY" && is_sl(below))
            return FakeResponse::error(400, -1196, "A stop loss order in a buy OCO must be above.");
        const FakeOrder& sl = is_sl(above) ? above : below;
        const FakeOrder& tp = is_sl(above) ? below : above;
        const double last = price[sym];
        if (tp.type == "LIMIT_MAKER" && (side == "SELL" ? tp.price <= last : tp.price >= last))
            return FakeResponse::error(400, -2010, "Order would immediately match and take.");
        const double tp_px = tp.type == "LIMIT_MAKER" ? tp.price : tp.stop_price;
        const bool ordered = side == "SELL" ? tp_px > last && last > sl.stop_price
                                            : tp_px < last && last < sl.stop_price;
        if (!ordered)
            return FakeResponse::error(
                400, -2010, "The relationship of the prices for the orders is not correct.");
        for (const auto& l : lists)
            if (l.info.client_id == list_cid && l.info.status != "ALL_DONE")
                return FakeResponse::error(400, -2010, "Duplicate order sent.");
        for (const auto& o : orders)
            if (is_open(o) && (o.client_id == above.client_id || o.client_id == below.client_id))
                return FakeResponse::error(400, -2010, "Duplicate order sent.");
        const std::string asset = side == "BUY" ? s.quote : s.base;
        const double need = side == "BUY" ? qty * std::max(above.price, below.price) : qty;
        if (free[asset] + 1e-9 < need)
            return FakeResponse::error(400, -2010,
                                       "Account has insufficient balance for requested action.");
        List l;
        l.info.id = next_list++;
        l.info.symbol = sym;
        l.info.client_id = list_cid.empty() ? fmt::format("autolist{}", l.info.id) : list_cid;
        for (FakeOrder* o : {&below, &above}) {
            o->id = next_order++;
            o->symbol = sym;
            if (o->client_id.empty()) o->client_id = fmt::format("auto{}", o->id);
            o->side = side;
            o->qty = qty;
            o->status = "NEW";
            o->time = clock.now();
            o->list_id = l.info.id;
            o->funds_locked = true;
            l.info.order_client_ids.push_back(o->client_id);
        }
        l.below = below.id;
        l.above = above.id;
        l.lock_asset = asset;
        l.lock_left = need;
        free[asset] -= need;
        locked[asset] += need;
        orders.push_back(below);
        orders.push_back(above);
        lists.push_back(l);
        publish(below, "NEW", nullptr);
        publish(above, "NEW", nullptr);
        publish_list(l, "EXEC_STARTED");
        json out = list_json(l, true, false);
        if (after_fault_left > 0) {
            --after_fault_left;
            FakeResponse f = after_fault;
            lock.unlock();
            if (f.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(f.delay_ms));
            if (f.then_normal) return FakeResponse::json(200, out.dump());
            return f;
        }
        return FakeResponse::json(200, out.dump());
    }

    List* find_list(const FakeRequest& r, const char* cid_param) {
        const auto id = r.param("orderListId");
        const auto cid = r.param(cid_param);
        for (auto it = lists.rbegin(); it != lists.rend(); ++it) {
            if (id && std::to_string(it->info.id) == *id) return &*it;
            if (!id && cid && it->info.client_id == *cid) return &*it;
        }
        return nullptr;
    }

    FakeResponse get_order_list(const FakeRequest& r) {
        std::lock_guard lock(mu);
        const List* l = find_list(r, "origClientOrderId");
        if (!l) return FakeResponse::error(400, -2018, "Order list does not exist.");
        return FakeResponse::json(200, list_json(*l, false, false).dump());
    }

    FakeResponse delete_order_list(const FakeRequest& r) {
        std::lock_guard lock(mu);
        if (!symbols.count(r.param("symbol").value_or("")))
            return FakeResponse::error(400, -1121, "Invalid symbol.");
        List* l = find_list(r, "listClientOrderId");
        if (!l || l->info.status == "ALL_DONE")
            return FakeResponse::error(400, -2011, "Unknown order sent.");
        cancel_list(*l);
        return FakeResponse::json(200, list_json(*l, true, true).dump());
    }

    /// A taker execution of `qty`: one trade, or market_parts trades for a MARKET order (partial
    /// fills, as against a thin book).
    std::vector<FakeTrade> execute_in_parts(FakeOrder& o, double px, double qty, double step) {
        const int parts = o.type == "MARKET" ? std::max(1, market_parts) : 1;
        std::vector<FakeTrade> out;
        double left = qty;
        for (int k = 0; k < parts && left > 1e-12; ++k) {
            double part = k + 1 == parts ? left : std::floor(qty / parts / step + 1e-9) * step;
            if (!(part > 0)) part = left;
            out.push_back(execute(o, px, std::min(part, left), false));
            left -= out.back().qty;
        }
        return out;
    }

    // --- stop orders (STOP_LOSS_LIMIT, TAKE_PROFIT_LIMIT) and the price path ---------------

    static bool is_stop_type(const std::string& type) {
        return type == "STOP_LOSS_LIMIT" || type == "TAKE_PROFIT_LIMIT";
    }
    /// Whether a stop order triggers at market price `m` (STOP_LOSS: a sell when the price falls
    /// to stopPrice, a buy when it rises to it; TAKE_PROFIT the other way round).
    static bool stop_reached(const FakeOrder& o, double m) {
        const bool falls = (o.type == "STOP_LOSS_LIMIT") == (o.side == "SELL");
        return falls ? m <= o.stop_price : m >= o.stop_price;
    }
    static bool limit_marketable(const FakeOrder& o, double m) {
        return o.side == "BUY" ? m <= o.price : m >= o.price;
    }
    static bool is_open(const FakeOrder& o) {
        return o.status == "NEW" || o.status == "PARTIALLY_FILLED";
    }
    /// Moves `sym`'s price from its current value to `to` (caller holds mu). `gap`: no trade in
    /// between; else every price on the way trades once.
    void move_price(const std::string& sym, double to, bool gap) {
        const double from = price[sym];
        price[sym] = to;
        const double lo = std::min(from, to), hi = std::max(from, to);
        for (auto& o : orders) {
            if (o.symbol != sym || !is_open(o))
                continue;
            if (is_stop_type(o.type) && !o.triggered) {
                // Triggered where the path first reaches stopPrice (on a gap: at the new price).
                const bool on_path = !gap && o.stop_price >= lo && o.stop_price <= hi;
                if (!(on_path || stop_reached(o, to)))
                    continue;
                o.triggered = true;
                expire_other(o); // a stop leg of an OCO started working: the other expires
                const double at = gap ? to : (on_path ? o.stop_price : to);
                if (limit_marketable(o, at)) {
                    execute(o, at, o.qty - o.executed, false);
                    continue;
                }
            }
            if (o.type == "LIMIT" || o.type == "LIMIT_MAKER" || o.triggered) {
                // A resting limit fills at its own price when the market trades through it; after
                // a gap the first trade prints at the new price, and it fills there.
                if (gap && limit_marketable(o, to))
                    execute(o, to, o.qty - o.executed, true);
                else if (limit_marketable(o, to) || (!gap && o.price >= lo && o.price <= hi))
                    execute(o, o.price, o.qty - o.executed, true);
            }
        }
    }

    /// The checks a stop order gets beyond the LIMIT ones: a stopPrice on the tick grid that the
    /// market has not reached yet (-2010 "Order would trigger immediately." otherwise).
    std::optional<FakeResponse> check_stop(const FakeRequest& r, const FakeSymbol& s,
                                           FakeOrder& o) {
        o.stop_price = std::stod(r.param("stopPrice").value_or("0"));
        if (!(o.stop_price > 0))
            return FakeResponse::error(400, -1102,
                                       "Mandatory parameter 'stopPrice' was not sent, was "
                                       "empty/null, or malformed.");
        if (!on_grid(o.stop_price, s.tick_size))
            return FakeResponse::error(400, -1013, "Filter failure: PRICE_FILTER");
        if (stop_reached(o, price[o.symbol]))
            return FakeResponse::error(400, -2010, "Order would trigger immediately.");
        return std::nullopt;
    }

    FakeOrder* find(const std::string& symbol, const FakeRequest& r) {
        const auto cid = r.param("origClientOrderId");
        const auto oid = r.param("orderId");
        for (auto it = orders.rbegin(); it != orders.rend(); ++it) {
            if (it->symbol != symbol)
                continue;
            if (oid && std::to_string(it->id) == *oid)
                return &*it;
            if (!oid && cid && it->client_id == *cid)
                return &*it;
        }
        return nullptr;
    }

    FakeResponse post_order(const FakeRequest& r) {
        std::unique_lock lock(mu);
        const std::string cid = r.param("newClientOrderId").value_or("");
        if (!cid.empty())
            ++posts[cid];
        const std::string sym = r.param("symbol").value_or("");
        const auto sit = symbols.find(sym);
        if (sit == symbols.end())
            return FakeResponse::error(400, -1121, "Invalid symbol.");
        const FakeSymbol& s = sit->second;
        const std::string side = r.param("side").value_or("");
        const std::string type = r.param("type").value_or("");
        if (side != "BUY" && side != "SELL")
            return FakeResponse::error(400, -1102, "Mandatory parameter 'side' was not sent.");
        const bool stop = is_stop_type(type);
        if (type != "MARKET" && type != "LIMIT" && type != "LIMIT_MAKER" && !stop)
            return FakeResponse::error(400, -1116, "Invalid orderType.");
        const bool priced = type != "MARKET";
        const double qty = std::stod(r.param("quantity").value_or("0"));
        const double px = priced ? std::stod(r.param("price").value_or("0")) : 0.0;
        const std::string tif = type == "LIMIT" || stop ? r.param("timeInForce").value_or("")
                                                        : "GTC";
        if ((type == "LIMIT" || stop) && tif != "GTC" && tif != "IOC" && tif != "FOK")
            return FakeResponse::error(400, -1102,
                                       "Mandatory parameter 'timeInForce' was not sent.");
        if (!(qty >= s.min_qty - 1e-12) || qty > s.max_qty || !on_grid(qty, s.step_size))
            return FakeResponse::error(400, -1013, "Filter failure: LOT_SIZE");
        if (priced && (!(px > 0) || !on_grid(px, s.tick_size)))
            return FakeResponse::error(400, -1013, "Filter failure: PRICE_FILTER");
        const double market = price[sym];
        const double ref = priced ? px : market;
        if (qty * ref < s.min_notional)
            return FakeResponse::error(400, -1013, "Filter failure: NOTIONAL");
        for (const auto& o : orders)
            if (o.client_id == cid && (o.status == "NEW" || o.status == "PARTIALLY_FILLED"))
                return FakeResponse::error(400, -2010, "Duplicate order sent.");
        const bool crosses =
            type == "MARKET" || (!stop && (side == "BUY" ? px >= market : px <= market));
        if (type == "LIMIT_MAKER" && crosses)
            return FakeResponse::error(400, -2010, "Order would immediately match and take.");
        const double need = side == "BUY" ? qty * (priced ? px : market) : qty;
        const std::string asset = side == "BUY" ? s.quote : s.base;
        if (free[asset] + 1e-9 < need)
            return FakeResponse::error(400, -2010,
                                       "Account has insufficient balance for requested action.");
        FakeOrder o;
        o.id = next_order++;
        o.symbol = sym;
        o.client_id = cid.empty() ? fmt::format("auto{}", o.id) : cid;
        o.side = side;
        o.type = type;
        o.tif = tif;
        o.qty = qty;
        o.price = px;
        o.status = "NEW";
        o.time = clock.now();
        if (stop)
            if (auto refused = check_stop(r, s, o))
                return *refused;
        publish(o, "NEW", nullptr);
        json fills = json::array();
        if (crosses) {
            for (const FakeTrade& t : execute_in_parts(o, market, qty, s.step_size))
                fills.push_back({{"price", dec(t.price)},
                                 {"qty", dec(t.qty)},
                                 {"commission", dec(t.commission)},
                                 {"commissionAsset", t.commission_asset},
                                 {"tradeId", t.id}});
        } else if (tif == "IOC" || tif == "FOK") {
            o.status = "EXPIRED";
            publish(o, "EXPIRED", nullptr);
        } else {
            free[asset] -= need;
            locked[asset] += need;
            o.funds_locked = true;
        }
        orders.push_back(o);
        json out = order_json(o);
        out["transactTime"] = clock.now();
        out["fills"] = fills;
        if (after_fault_left > 0) {
            --after_fault_left;
            FakeResponse f = after_fault;
            lock.unlock();
            if (f.delay_ms > 0)
                std::this_thread::sleep_for(std::chrono::milliseconds(f.delay_ms));
            if (f.then_normal)
                return FakeResponse::json(200, out.dump());
            return f;
        }
        return FakeResponse::json(200, out.dump());
    }

    FakeResponse get_order(const FakeRequest& r) {
        std::lock_guard lock(mu);
        const std::string sym = r.param("symbol").value_or("");
        if (!symbols.count(sym))
            return FakeResponse::error(400, -1121, "Invalid symbol.");
        const FakeOrder* o = find(sym, r);
        if (!o)
            return FakeResponse::error(400, -2013, "Order does not exist.");
        return FakeResponse::json(200, order_json(*o).dump());
    }

    FakeResponse delete_order(const FakeRequest& r) {
        std::lock_guard lock(mu);
        const std::string sym = r.param("symbol").value_or("");
        if (!symbols.count(sym))
            return FakeResponse::error(400, -1121, "Invalid symbol.");
        FakeOrder* o = find(sym, r);
        if (!o || (o->status != "NEW" && o->status != "PARTIALLY_FILLED"))
            return FakeResponse::error(400, -2011, "Unknown order sent.");
        if (List* l = list_of(*o)) {
            cancel_list(*l); // one leg cancels the entire list
            json out = order_json(*o);
            out["origClientOrderId"] = o->client_id;
            return FakeResponse::json(200, out.dump());
        }
        const FakeSymbol& s = symbols.at(sym);
        const double rest = o->qty - o->executed;
        if (o->funds_locked && o->side == "BUY")
            locked[s.quote] -= rest * o->price, free[s.quote] += rest * o->price;
        else if (o->funds_locked)
            locked[s.base] -= rest, free[s.base] += rest;
        o->status = "CANCELED";
        publish(*o, "CANCELED", nullptr);
        json out = order_json(*o);
        out["origClientOrderId"] = o->client_id;
        return FakeResponse::json(200, out.dump());
    }

    FakeResponse my_trades(const FakeRequest& r) {
        std::lock_guard lock(mu);
        const std::string sym = r.param("symbol").value_or("");
        if (!symbols.count(sym))
            return FakeResponse::error(400, -1121, "Invalid symbol.");
        const auto oid = r.param("orderId");
        json out = json::array();
        for (const auto& t : trades) {
            if (t.symbol != sym || (oid && std::to_string(t.order_id) != *oid))
                continue;
            out.push_back({{"symbol", t.symbol},
                           {"id", t.id},
                           {"orderId", t.order_id},
                           {"orderListId", -1},
                           {"price", dec(t.price)},
                           {"qty", dec(t.qty)},
                           {"quoteQty", dec(t.qty * t.price)},
                           {"commission", dec(t.commission)},
                           {"commissionAsset", t.commission_asset},
                           {"time", t.time},
                           {"isBuyer", t.buyer},
                           {"isMaker", t.maker},
                           {"isBestMatch", true}});
        }
        return FakeResponse::json(200, out.dump());
    }

    FakeResponse exchange_info(const FakeRequest& r) {
        std::lock_guard lock(mu);
        std::vector<std::string> want;
        if (const auto one = r.param("symbol"))
            want.push_back(*one);
        if (const auto many = r.param("symbols")) {
            try {
                for (const auto& s : json::parse(*many))
                    want.push_back(s.get<std::string>());
            } catch (...) {
                return FakeResponse::error(400, -1100,
                                           "Illegal characters found in parameter "
                                           "'symbols'.");
            }
        }
        if (want.empty())
            for (const auto& [k, v] : symbols)
                want.push_back(k);
        json list = json::array();
        for (const auto& w : want) {
            const auto it = symbols.find(w);
            if (it == symbols.end())
                return FakeResponse::error(400, -1121, "Invalid symbol.");
            const FakeSymbol& s = it->second;
            list.push_back({{"symbol", s.symbol},
                            {"status", "TRADING"},
                            {"baseAsset", s.base},
                            {"quoteAsset", s.quote},
                            {"orderTypes", s.order_types},
                            {"filters",
                             {{{"filterType", "PRICE_FILTER"},
                               {"minPrice", dec(s.tick_size)},
                               {"maxPrice", "1000000.00000000"},
                               {"tickSize", dec(s.tick_size)}},
                              {{"filterType", "LOT_SIZE"},
                               {"minQty", dec(s.min_qty)},
                               {"maxQty", dec(s.max_qty)},
                               {"stepSize", dec(s.step_size)}},
                              {{"filterType", "NOTIONAL"},
                               {"minNotional", dec(s.min_notional)},
                               {"applyMinToMarket", true},
                               {"maxNotional", "9000000.00000000"},
                               {"applyMaxToMarket", false},
                               {"avgPriceMins", 5}}}}});
        }
        // rateLimits as documented in ../shared/data/docs/binance/rest-api.md (exchangeInfo).
        const json limits = json::array(
            {{{"rateLimitType", "REQUEST_WEIGHT"}, {"interval", "MINUTE"}, {"intervalNum", 1}, {"limit", 6000}},
             {{"rateLimitType", "ORDERS"}, {"interval", "SECOND"}, {"intervalNum", 10}, {"limit", orders_per_10s}},
             {{"rateLimitType", "ORDERS"}, {"interval", "DAY"}, {"intervalNum", 1}, {"limit", orders_per_day}}});
        if (rate_limits_json)
            return FakeResponse::json(
                200, fmt::format(R"({{"timezone":"UTC","serverTime":{},"rateLimits":{},)"
                                 R"("symbols":{}}})",
                                 clock.now(), *rate_limits_json, list.dump()));
        return FakeResponse::json(200, json{{"timezone", "UTC"},
                                            {"serverTime", clock.now()},
                                            {"rateLimits", limits},
                                            {"symbols", list}}
                                           .dump());
    }

    FakeResponse ticker_price(const FakeRequest& r) {
        std::lock_guard lock(mu);
        const std::string sym = r.param("symbol").value_or("");
        const auto it = price.find(sym);
        if (it == price.end() || !(it->second > 0))
            return FakeResponse::error(400, -1121, "Invalid symbol.");
        return FakeResponse::json(200, json{{"symbol", sym}, {"price", dec(it->second)}}.dump());
    }

    FakeResponse account() {
        std::lock_guard lock(mu);
        json b = json::array();
        for (const auto& [asset, f] : free)
            b.push_back({{"asset", asset}, {"free", dec(f)}, {"locked", dec(locked[asset])}});
        return FakeResponse::json(200, json{{"canTrade", can_trade},
                                            {"accountType", "SPOT"},
                                            {"commissionRates", {{"maker", dec(commission)},
                                                                 {"taker", dec(commission)},
                                                                 {"buyer", "0.00000000"},
                                                                 {"seller", "0.00000000"}}},
                                            {"updateTime", clock.now()},
                                            {"balances", b}}
                                           .dump());
    }
};

FakeSpotExchange::FakeSpotExchange(FakeBinance& server, const Clock& clock, std::string api_key,
                                   std::string api_secret)
    : state_(std::make_shared<State>(clock)) {
    state_->key = std::move(api_key);
    state_->secret = std::move(api_secret);
    auto s = state_;
    const auto signed_route = [&server, s](const std::string& method, const std::string& path,
                                           int weight, auto fn) {
        server.route(method, path, weight, [s, fn](const FakeRequest& r) {
            if (auto err = s->authenticate(r))
                return *err;
            return fn(*s, r);
        });
    };
    server.route("GET", "/api/v3/exchangeInfo", 20,
                 [s](const FakeRequest& r) { return s->exchange_info(r); });
    server.route("GET", "/api/v3/ticker/price", 2,
                 [s](const FakeRequest& r) { return s->ticker_price(r); });
    signed_route("GET", "/api/v3/account", 20,
                 [](State& st, const FakeRequest&) { return st.account(); });
    signed_route("POST", "/api/v3/order", 1, [](State& st, const FakeRequest& r) {
        std::int64_t in_10s = 0, in_day = 0;
        if (auto refused = st.count_order(in_10s, in_day))
            return *refused;
        FakeResponse out = st.post_order(r);
        out.headers.emplace_back("X-MBX-ORDER-COUNT-10S", std::to_string(in_10s));
        out.headers.emplace_back("X-MBX-ORDER-COUNT-1D", std::to_string(in_day));
        return out;
    });
    signed_route("GET", "/api/v3/order", 4,
                 [](State& st, const FakeRequest& r) { return st.get_order(r); });
    signed_route("DELETE", "/api/v3/order", 1,
                 [](State& st, const FakeRequest& r) { return st.delete_order(r); });
    signed_route("POST", "/api/v3/orderList/oco", 1, [](State& st, const FakeRequest& r) {
        std::int64_t in_10s = 0, in_day = 0;
        // An OCO adds 2 orders to the count (rest-api.md "Unfilled Order Count: 2").
        if (auto refused = st.count_order(in_10s, in_day)) return *refused;
        if (auto refused = st.count_order(in_10s, in_day)) return *refused;
        FakeResponse out = st.post_oco(r);
        out.headers.emplace_back("X-MBX-ORDER-COUNT-10S", std::to_string(in_10s));
        out.headers.emplace_back("X-MBX-ORDER-COUNT-1D", std::to_string(in_day));
        return out;
    });
    signed_route("GET", "/api/v3/orderList", 4,
                 [](State& st, const FakeRequest& r) { return st.get_order_list(r); });
    signed_route("DELETE", "/api/v3/orderList", 1,
                 [](State& st, const FakeRequest& r) { return st.delete_order_list(r); });
    signed_route("GET", "/api/v3/myTrades", 20,
                 [](State& st, const FakeRequest& r) { return st.my_trades(r); });
}

void FakeSpotExchange::list(const FakeSymbol& symbol, double price) {
    std::lock_guard lock(state_->mu);
    state_->symbols[symbol.symbol] = symbol;
    state_->price[symbol.symbol] = price;
}

void FakeSpotExchange::set_price(const std::string& symbol, double price) {
    std::lock_guard lock(state_->mu);
    state_->move_price(symbol, price, false);
}

void FakeSpotExchange::gap_price(const std::string& symbol, double price) {
    std::lock_guard lock(state_->mu);
    state_->move_price(symbol, price, true);
}

void FakeSpotExchange::set_market_fill_parts(int parts) {
    std::lock_guard lock(state_->mu);
    state_->market_parts = parts;
}

void FakeSpotExchange::set_commission_asset(const std::string& asset) {
    std::lock_guard lock(state_->mu);
    state_->commission_asset = asset;
}

std::vector<FakeOrder> FakeSpotExchange::open_orders(const std::string& symbol) const {
    std::lock_guard lock(state_->mu);
    std::vector<FakeOrder> out;
    for (const auto& o : state_->orders)
        if (o.symbol == symbol && State::is_open(o))
            out.push_back(o);
    return out;
}

void FakeSpotExchange::set_user_event_listener(std::function<void(const std::string&)> fn) {
    std::lock_guard lock(state_->mu);
    state_->user_listener = std::move(fn);
}

void FakeSpotExchange::set_balance(const std::string& asset, double free) {
    std::lock_guard lock(state_->mu);
    state_->free[asset] = free;
}

double FakeSpotExchange::balance(const std::string& asset) const {
    std::lock_guard lock(state_->mu);
    const auto it = state_->free.find(asset);
    return it == state_->free.end() ? 0 : it->second;
}

double FakeSpotExchange::locked(const std::string& asset) const {
    std::lock_guard lock(state_->mu);
    const auto it = state_->locked.find(asset);
    return it == state_->locked.end() ? 0 : it->second;
}

void FakeSpotExchange::set_commission(double rate) {
    std::lock_guard lock(state_->mu);
    state_->commission = rate;
}

void FakeSpotExchange::set_can_trade(bool can) {
    std::lock_guard lock(state_->mu);
    state_->can_trade = can;
}

void FakeSpotExchange::fail_after_accept(FakeResponse fault, int times) {
    std::lock_guard lock(state_->mu);
    state_->after_fault = std::move(fault);
    state_->after_fault_left = times;
}

void FakeSpotExchange::set_order_limits(int per_10s, int per_day) {
    std::lock_guard lock(state_->mu);
    state_->orders_per_10s = per_10s;
    state_->orders_per_day = per_day;
}

void FakeSpotExchange::set_rate_limits_json(std::string json) {
    std::lock_guard lock(state_->mu);
    state_->rate_limits_json = std::move(json);
}

int FakeSpotExchange::order_limit_hits() const {
    std::lock_guard lock(state_->mu);
    return state_->order_hits;
}

std::vector<TimeMs> FakeSpotExchange::order_times() const {
    std::lock_guard lock(state_->mu);
    return state_->order_times;
}

std::vector<FakeOrderList> FakeSpotExchange::order_lists() const {
    std::lock_guard lock(state_->mu);
    std::vector<FakeOrderList> out;
    for (const auto& l : state_->lists) out.push_back(l.info);
    return out;
}

int FakeSpotExchange::list_posts_with_client_id(const std::string& list_cid) const {
    std::lock_guard lock(state_->mu);
    const auto it = state_->list_posts.find(list_cid);
    return it == state_->list_posts.end() ? 0 : it->second;
}

int FakeSpotExchange::posts_with_client_id(const std::string& cid) const {
    std::lock_guard lock(state_->mu);
    const auto it = state_->posts.find(cid);
    return it == state_->posts.end() ? 0 : it->second;
}

int FakeSpotExchange::orders_with_client_id(const std::string& cid) const {
    std::lock_guard lock(state_->mu);
    return static_cast<int>(std::count_if(state_->orders.begin(), state_->orders.end(),
                                          [&](const FakeOrder& o) { return o.client_id == cid; }));
}

std::optional<FakeOrder> FakeSpotExchange::order(const std::string& cid) const {
    std::lock_guard lock(state_->mu);
    for (auto it = state_->orders.rbegin(); it != state_->orders.rend(); ++it)
        if (it->client_id == cid)
            return *it;
    return std::nullopt;
}

std::vector<FakeOrder> FakeSpotExchange::orders() const {
    std::lock_guard lock(state_->mu);
    return state_->orders;
}

std::vector<FakeTrade> FakeSpotExchange::trades() const {
    std::lock_guard lock(state_->mu);
    return state_->trades;
}

int FakeSpotExchange::signature_failures() const {
    std::lock_guard lock(state_->mu);
    return state_->sig_failures;
}

int FakeSpotExchange::signed_requests() const {
    std::lock_guard lock(state_->mu);
    return state_->signed_count;
}

} // namespace aurum::test
