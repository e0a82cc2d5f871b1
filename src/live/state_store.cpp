#include "live/state_store.hpp"

#include <array>

#include "core/error.hpp"

namespace aurum {

namespace {

const char* kSchema = R"SQL(
CREATE TABLE IF NOT EXISTS live_sessions (
  id TEXT PRIMARY KEY, mode TEXT NOT NULL, symbols TEXT NOT NULL, timeframe TEXT NOT NULL,
  capital DOUBLE PRECISION NOT NULL, strategy TEXT NOT NULL, clock TEXT NOT NULL,
  trade_from BIGINT NOT NULL, replay_to BIGINT NOT NULL, created_at BIGINT NOT NULL,
  status TEXT NOT NULL, initial_risk TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS live_orders (
  client_order_id TEXT PRIMARY KEY, session_id TEXT NOT NULL, symbol TEXT NOT NULL,
  side TEXT NOT NULL, type TEXT NOT NULL, qty DOUBLE PRECISION NOT NULL,
  limit_price DOUBLE PRECISION NOT NULL, stop_price DOUBLE PRECISION NOT NULL,
  bar_time BIGINT NOT NULL, created_at BIGINT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL,
  filled_qty DOUBLE PRECISION NOT NULL, avg_price DOUBLE PRECISION NOT NULL);
CREATE INDEX IF NOT EXISTS live_orders_session ON live_orders (session_id, bar_time);
CREATE TABLE IF NOT EXISTS live_exec_reports (
  session_id TEXT NOT NULL, bar_time BIGINT NOT NULL, seq BIGINT NOT NULL, kind TEXT NOT NULL,
  client_order_id TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL,
  qty DOUBLE PRECISION NOT NULL, price DOUBLE PRECISION NOT NULL, fee DOUBLE PRECISION NOT NULL,
  spread_cost DOUBLE PRECISION NOT NULL, slippage_cost DOUBLE PRECISION NOT NULL,
  role BIGINT NOT NULL, maker BIGINT NOT NULL, status BIGINT NOT NULL, reason BIGINT NOT NULL,
  time BIGINT NOT NULL, PRIMARY KEY (session_id, bar_time, seq));
CREATE TABLE IF NOT EXISTS live_risk_decisions (
  session_id TEXT NOT NULL, time BIGINT NOT NULL, seq BIGINT NOT NULL, symbol TEXT NOT NULL,
  source TEXT NOT NULL, verdict TEXT NOT NULL, requested DOUBLE PRECISION NOT NULL,
  approved DOUBLE PRECISION NOT NULL, rule TEXT NOT NULL, reason TEXT NOT NULL,
  PRIMARY KEY (session_id, time, seq));
CREATE TABLE IF NOT EXISTS live_trades (
  session_id TEXT NOT NULL, seq BIGINT NOT NULL, symbol TEXT NOT NULL, direction BIGINT NOT NULL,
  entry_time BIGINT NOT NULL, exit_time BIGINT NOT NULL, entry_price DOUBLE PRECISION NOT NULL,
  exit_price DOUBLE PRECISION NOT NULL, qty DOUBLE PRECISION NOT NULL,
  pnl DOUBLE PRECISION NOT NULL, fees DOUBLE PRECISION NOT NULL, PRIMARY KEY (session_id, seq));
CREATE TABLE IF NOT EXISTS live_positions (
  session_id TEXT NOT NULL, symbol TEXT NOT NULL, qty DOUBLE PRECISION NOT NULL,
  avg_price DOUBLE PRECISION NOT NULL, mark DOUBLE PRECISION NOT NULL,
  unrealized DOUBLE PRECISION NOT NULL, entry_time BIGINT NOT NULL,
  PRIMARY KEY (session_id, symbol));
CREATE TABLE IF NOT EXISTS live_balances (
  session_id TEXT PRIMARY KEY, last_bar BIGINT NOT NULL, steps BIGINT NOT NULL,
  equity DOUBLE PRECISION NOT NULL, cash DOUBLE PRECISION NOT NULL,
  realized DOUBLE PRECISION NOT NULL, fees DOUBLE PRECISION NOT NULL, updated_wall BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS live_equity (
  session_id TEXT NOT NULL, time BIGINT NOT NULL, equity DOUBLE PRECISION NOT NULL,
  cash DOUBLE PRECISION NOT NULL, PRIMARY KEY (session_id, time));
CREATE TABLE IF NOT EXISTS live_predictions (
  session_id TEXT NOT NULL, time BIGINT NOT NULL, symbol TEXT NOT NULL,
  value DOUBLE PRECISION NOT NULL, top_features TEXT NOT NULL,
  PRIMARY KEY (session_id, time, symbol));
CREATE TABLE IF NOT EXISTS live_prediction_outcomes (
  session_id TEXT NOT NULL, time BIGINT NOT NULL, symbol TEXT NOT NULL, model TEXT NOT NULL,
  p_up DOUBLE PRECISION NOT NULL, horizon BIGINT NOT NULL, resolved_at BIGINT NOT NULL,
  realized_return DOUBLE PRECISION NOT NULL, up BIGINT NOT NULL,
  PRIMARY KEY (session_id, time, symbol));
CREATE TABLE IF NOT EXISTS live_order_notes (
  client_order_id TEXT PRIMARY KEY, note TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS live_kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS live_commands (
  session_id TEXT NOT NULL, seq BIGINT NOT NULL, after_bar BIGINT NOT NULL, kind TEXT NOT NULL,
  payload TEXT NOT NULL, PRIMARY KEY (session_id, seq));
CREATE TABLE IF NOT EXISTS live_audit (
  id BIGINT PRIMARY KEY, time BIGINT NOT NULL, action TEXT NOT NULL, reason TEXT NOT NULL,
  details TEXT NOT NULL, result TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS live_signals (
  id BIGINT PRIMARY KEY, session_id TEXT NOT NULL, time BIGINT NOT NULL, symbol TEXT NOT NULL,
  quantity DOUBLE PRECISION NOT NULL, price DOUBLE PRECISION NOT NULL, note TEXT NOT NULL,
  status TEXT NOT NULL, expires_at BIGINT NOT NULL, decided_at BIGINT NOT NULL,
  decision_reason TEXT NOT NULL, UNIQUE (session_id, time, symbol));
CREATE TABLE IF NOT EXISTS live_tickets (
  id BIGINT PRIMARY KEY, signal_id BIGINT NOT NULL UNIQUE, session_id TEXT NOT NULL,
  symbol TEXT NOT NULL, side TEXT NOT NULL, lots DOUBLE PRECISION NOT NULL,
  contract_size DOUBLE PRECISION NOT NULL, lot_step DOUBLE PRECISION NOT NULL,
  entry DOUBLE PRECISION NOT NULL,
  stop DOUBLE PRECISION NOT NULL, target DOUBLE PRECISION NOT NULL, created BIGINT NOT NULL,
  status TEXT NOT NULL, fill_price DOUBLE PRECISION NOT NULL, fill_lots DOUBLE PRECISION NOT NULL,
  fill_time BIGINT NOT NULL, broker_ticket TEXT NOT NULL, note TEXT NOT NULL);
)SQL";

using V = SqlValue;
V I(std::int64_t v) { return V{v}; }
V D(double v) { return V{v}; }
V S(const std::string& v) { return V{v}; }

SessionRecord row_session(const SqlRow& r) {
    SessionRecord s;
    s.id = r.as_string(0);
    s.mode = r.as_string(1);
    s.symbols = r.as_string(2);
    s.timeframe = r.as_string(3);
    s.capital = r.as_double(4);
    s.strategy = r.as_string(5);
    s.clock = r.as_string(6);
    s.trade_from = r.as_int(7);
    s.replay_to = r.as_int(8);
    s.created_at = r.as_int(9);
    s.status = r.as_string(10);
    s.initial_risk = r.as_string(11);
    return s;
}

const char* kSessionCols = "id, mode, symbols, timeframe, capital, strategy, clock, trade_from, "
                           "replay_to, created_at, status, initial_risk";

} // namespace

StateStore::StateStore(Database& db) : db_(db) {
    // Two processes opening a fresh PostgreSQL database at once (the daemon and a CLI command)
    // can collide inside CREATE TABLE IF NOT EXISTS ("duplicate key ... pg_type"): the script
    // runs as one implicit transaction, so the loser's is rolled back whole and a second run
    // finds the winner's tables.
    try {
        db_.exec(kSchema);
    } catch (const SystemError&) {
        if (db_.dialect() != SqlDialect::Postgres)
            throw;
        db_.exec(kSchema);
    }
}

void StateStore::upsert_session(const SessionRecord& s) {
    const std::array<V, 12> p = {S(s.id),         S(s.mode),       S(s.symbols),
                                 S(s.timeframe),  D(s.capital),    S(s.strategy),
                                 S(s.clock),      I(s.trade_from), I(s.replay_to),
                                 I(s.created_at), S(s.status),     S(s.initial_risk)};
    db_.exec("INSERT INTO live_sessions (id, mode, symbols, timeframe, capital, strategy, clock, "
             "trade_from, replay_to, created_at, status, initial_risk) VALUES ($1, $2, $3, $4, "
             "$5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO UPDATE SET status = "
             "excluded.status",
             p);
}

std::optional<SessionRecord> StateStore::session(const std::string& id) {
    const std::array<V, 1> p = {S(id)};
    auto r = db_.query_one(std::string("SELECT ") + kSessionCols +
                               " FROM live_sessions WHERE id = $1",
                           p);
    if (!r) return std::nullopt;
    return row_session(*r);
}

std::optional<SessionRecord> StateStore::latest_session() {
    auto r = db_.query_one(std::string("SELECT ") + kSessionCols +
                           " FROM live_sessions ORDER BY created_at DESC, id LIMIT 1");
    if (!r) return std::nullopt;
    return row_session(*r);
}

void StateStore::set_session_status(const std::string& id, const std::string& status) {
    const std::array<V, 2> p = {S(status), S(id)};
    db_.exec("UPDATE live_sessions SET status = $1 WHERE id = $2", p);
}

void StateStore::insert_order(const OrderRecord& o) {
    const std::array<V, 14> p = {S(o.client_order_id), S(o.session_id), S(o.symbol),
                                 S(o.side),            S(o.type),       D(o.qty),
                                 D(o.limit_price),     D(o.stop_price), I(o.bar_time),
                                 I(o.created_at),      S(o.source),     S(o.status),
                                 D(o.filled_qty),      D(o.avg_price)};
    db_.exec("INSERT INTO live_orders (client_order_id, session_id, symbol, side, type, qty, "
             "limit_price, stop_price, bar_time, created_at, source, status, filled_qty, "
             "avg_price) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
             "ON CONFLICT (client_order_id) DO NOTHING",
             p);
}

void StateStore::update_order(const std::string& cid, const std::string& status, double filled,
                              double avg) {
    const std::array<V, 4> p = {S(status), D(filled), D(avg), S(cid)};
    db_.exec("UPDATE live_orders SET status = $1, filled_qty = $2, avg_price = $3 WHERE "
             "client_order_id = $4",
             p);
}

void StateStore::set_order_note(const std::string& cid, const std::string& note) {
    const std::array<V, 2> p = {S(cid), S(note)};
    db_.exec("INSERT INTO live_order_notes (client_order_id, note) VALUES ($1, $2) ON CONFLICT "
             "(client_order_id) DO UPDATE SET note = excluded.note",
             p);
}

std::optional<std::string> StateStore::order_note(const std::string& cid) {
    const std::array<V, 1> p = {S(cid)};
    for (const auto& r :
         db_.query("SELECT note FROM live_order_notes WHERE client_order_id = $1", p))
        return r.as_string(0);
    return std::nullopt;
}

std::vector<OrderRecord> StateStore::orders_for(const std::string& sid, const std::string& symbol,
                                                TimeMs from_bar, TimeMs to_bar) {
    std::vector<OrderRecord> out;
    for (auto& o : orders_where("session_id = $1 AND symbol = $2 AND bar_time >= $3 AND "
                                "bar_time <= $4",
                                {S(sid), S(symbol), I(from_bar), I(to_bar)}))
        out.push_back(std::move(o));
    return out;
}

std::vector<OrderRecord> StateStore::stop_orders(const std::string& sid, const std::string& symbol,
                                                 TimeMs to_bar) {
    // Protective stops: stop-market, or stop-limit (live.stop_limit_offset, Binance's
    // STOP_LOSS_LIMIT).
    return orders_where("session_id = $1 AND symbol = $2 AND type IN ('stop', 'stop_limit') AND "
                        "bar_time < $3",
                        {S(sid), S(symbol), I(to_bar)});
}

std::vector<OrderRecord> StateStore::orders_since(const std::string& sid, TimeMs from_bar) {
    return orders_where("session_id = $1 AND bar_time >= $2", {S(sid), I(from_bar)});
}

std::optional<OrderRecord> StateStore::last_filled_order(const std::string& sid) {
    const std::array<V, 1> p = {S(sid)};
    const auto r = db_.query_one("SELECT MAX(bar_time) FROM live_orders WHERE session_id = $1 AND "
                                 "filled_qty > 0",
                                 p);
    if (!r || r->is_null(0)) return std::nullopt;
    auto list = orders_where("session_id = $1 AND bar_time = $2 AND filled_qty > 0",
                             {S(sid), I(r->as_int(0))});
    if (list.empty()) return std::nullopt;
    return list.front();
}

std::vector<OrderRecord> StateStore::orders(const std::string& session_id) {
    return orders_where("session_id = $1", {S(session_id)});
}

std::vector<OrderRecord> StateStore::orders_where(const std::string& where,
                                                  const std::vector<SqlValue>& p) {
    std::vector<OrderRecord> out;
    for (const auto& r : db_.query(
             "SELECT client_order_id, session_id, symbol, side, type, qty, limit_price, "
             "stop_price, bar_time, created_at, source, status, filled_qty, avg_price FROM "
             "live_orders WHERE " + where + " ORDER BY bar_time, created_at, client_order_id",
             p)) {
        OrderRecord o;
        o.client_order_id = r.as_string(0);
        o.session_id = r.as_string(1);
        o.symbol = r.as_string(2);
        o.side = r.as_string(3);
        o.type = r.as_string(4);
        o.qty = r.as_double(5);
        o.limit_price = r.as_double(6);
        o.stop_price = r.as_double(7);
        o.bar_time = r.as_int(8);
        o.created_at = r.as_int(9);
        o.source = r.as_string(10);
        o.status = r.as_string(11);
        o.filled_qty = r.as_double(12);
        o.avg_price = r.as_double(13);
        out.push_back(std::move(o));
    }
    return out;
}

void StateStore::insert_report(const ExecReport& e) {
    const std::array<V, 17> p = {
        S(e.session_id), I(e.bar_time),    I(e.seq),           S(e.kind),  S(e.client_order_id),
        S(e.symbol),     S(e.side),        D(e.qty),           D(e.price), D(e.fee),
        D(e.spread_cost), D(e.slippage_cost), I(e.role),       I(e.maker), I(e.status),
        I(e.reason),     I(e.time)};
    db_.exec("INSERT INTO live_exec_reports (session_id, bar_time, seq, kind, client_order_id, "
             "symbol, side, qty, price, fee, spread_cost, slippage_cost, role, maker, status, "
             "reason, time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
             "$15, $16, $17) ON CONFLICT (session_id, bar_time, seq) DO NOTHING",
             p);
}

std::vector<ExecReport> StateStore::reports(const std::string& session_id) {
    const std::array<V, 1> p = {S(session_id)};
    std::vector<ExecReport> out;
    for (const auto& r : db_.query(
             "SELECT session_id, bar_time, seq, kind, client_order_id, symbol, side, qty, price, "
             "fee, spread_cost, slippage_cost, role, maker, status, reason, time FROM "
             "live_exec_reports WHERE session_id = $1 ORDER BY bar_time, seq",
             p)) {
        ExecReport e;
        e.session_id = r.as_string(0);
        e.bar_time = r.as_int(1);
        e.seq = static_cast<int>(r.as_int(2));
        e.kind = r.as_string(3);
        e.client_order_id = r.as_string(4);
        e.symbol = r.as_string(5);
        e.side = r.as_string(6);
        e.qty = r.as_double(7);
        e.price = r.as_double(8);
        e.fee = r.as_double(9);
        e.spread_cost = r.as_double(10);
        e.slippage_cost = r.as_double(11);
        e.role = static_cast<int>(r.as_int(12));
        e.maker = static_cast<int>(r.as_int(13));
        e.status = static_cast<int>(r.as_int(14));
        e.reason = static_cast<int>(r.as_int(15));
        e.time = r.as_int(16);
        out.push_back(std::move(e));
    }
    return out;
}

void StateStore::insert_decision(const std::string& sid, int seq, const RiskDecisionRecord& d) {
    const std::array<V, 10> p = {S(sid),       I(d.time),      I(seq),       S(d.symbol),
                                 S(d.source),  S(d.verdict),   D(d.requested), D(d.approved),
                                 S(d.rule),    S(d.reason)};
    db_.exec("INSERT INTO live_risk_decisions (session_id, time, seq, symbol, source, verdict, "
             "requested, approved, rule, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
             "ON CONFLICT (session_id, time, seq) DO NOTHING",
             p);
}

std::vector<RiskDecisionRecord> StateStore::decisions(const std::string& sid, int limit) {
    const std::array<V, 2> p = {S(sid), I(limit)};
    std::vector<RiskDecisionRecord> out;
    for (const auto& r : db_.query("SELECT time, symbol, source, verdict, rule, reason, requested, "
                                   "approved FROM live_risk_decisions WHERE session_id = $1 "
                                   "ORDER BY time DESC, seq DESC LIMIT $2",
                                   p)) {
        out.push_back({r.as_int(0), r.as_string(1), r.as_string(2), r.as_string(3),
                       r.as_string(4), r.as_string(5), r.as_double(6), r.as_double(7)});
    }
    return out;
}

std::vector<RiskDecisionRecord> StateStore::decisions_for(const std::string& sid,
                                                          const std::string& symbol, TimeMs from,
                                                          TimeMs to) {
    const std::array<V, 4> p = {S(sid), S(symbol), I(from), I(to)};
    std::vector<RiskDecisionRecord> out;
    for (const auto& r : db_.query("SELECT time, symbol, source, verdict, rule, reason, requested, "
                                   "approved FROM live_risk_decisions WHERE session_id = $1 AND "
                                   "symbol = $2 AND time >= $3 AND time <= $4 ORDER BY time, seq",
                                   p))
        out.push_back({r.as_int(0), r.as_string(1), r.as_string(2), r.as_string(3),
                       r.as_string(4), r.as_string(5), r.as_double(6), r.as_double(7)});
    return out;
}

void StateStore::insert_trade(const std::string& sid, int seq, const TradeRecord& t) {
    const std::array<V, 11> p = {S(sid),          I(seq),          S(t.symbol),
                                 I(t.direction),  I(t.entry_time), I(t.exit_time),
                                 D(t.entry_price), D(t.exit_price), D(t.qty),
                                 D(t.pnl),        D(t.fees)};
    db_.exec("INSERT INTO live_trades (session_id, seq, symbol, direction, entry_time, exit_time, "
             "entry_price, exit_price, qty, pnl, fees) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
             "$10, $11) ON CONFLICT (session_id, seq) DO NOTHING",
             p);
}

std::vector<TradeRecord> StateStore::trades(const std::string& sid) { return trades_from(sid, 0); }

StateStore::TradeTotals StateStore::trade_totals(const std::string& sid) {
    const std::array<V, 1> p = {S(sid)};
    const auto r = db_.query_one("SELECT COUNT(*), COALESCE(SUM(CASE WHEN pnl > 0 THEN 1 ELSE 0 "
                                 "END), 0), COALESCE(SUM(pnl), 0) FROM live_trades WHERE "
                                 "session_id = $1",
                                 p);
    return r ? TradeTotals{r->as_int(0), r->as_int(1), r->as_double(2)} : TradeTotals{};
}

std::vector<TradeRecord> StateStore::trades_exited(const std::string& sid, TimeMs from, TimeMs to) {
    const std::array<V, 3> p = {S(sid), I(from), I(to)};
    std::vector<TradeRecord> out;
    for (const auto& r : db_.query("SELECT symbol, direction, entry_time, exit_time, entry_price, "
                                   "exit_price, qty, pnl, fees FROM live_trades WHERE session_id "
                                   "= $1 AND exit_time >= $2 AND exit_time < $3 ORDER BY seq",
                                   p))
        out.push_back({r.as_string(0), static_cast<int>(r.as_int(1)), r.as_int(2), r.as_int(3),
                       r.as_double(4), r.as_double(5), r.as_double(6), r.as_double(7),
                       r.as_double(8)});
    return out;
}

std::vector<TradeRecord> StateStore::trades_from(const std::string& sid, std::int64_t first_seq) {
    const std::array<V, 2> p = {S(sid), I(first_seq)};
    std::vector<TradeRecord> out;
    for (const auto& r : db_.query("SELECT symbol, direction, entry_time, exit_time, entry_price, "
                                   "exit_price, qty, pnl, fees FROM live_trades WHERE session_id "
                                   "= $1 AND seq >= $2 ORDER BY seq",
                                   p)) {
        out.push_back({r.as_string(0), static_cast<int>(r.as_int(1)), r.as_int(2), r.as_int(3),
                       r.as_double(4), r.as_double(5), r.as_double(6), r.as_double(7),
                       r.as_double(8)});
    }
    return out;
}

void StateStore::replace_positions(const std::string& sid, const std::vector<PositionRecord>& ps) {
    const std::array<V, 1> p0 = {S(sid)};
    db_.exec("DELETE FROM live_positions WHERE session_id = $1", p0);
    for (const auto& x : ps) {
        const std::array<V, 7> p = {S(sid),      S(x.symbol),     D(x.qty),       D(x.avg_price),
                                    D(x.mark),   D(x.unrealized), I(x.entry_time)};
        db_.exec("INSERT INTO live_positions (session_id, symbol, qty, avg_price, mark, "
                 "unrealized, entry_time) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                 p);
    }
}

std::vector<PositionRecord> StateStore::positions(const std::string& sid) {
    const std::array<V, 1> p = {S(sid)};
    std::vector<PositionRecord> out;
    for (const auto& r : db_.query("SELECT symbol, qty, avg_price, mark, unrealized, entry_time "
                                   "FROM live_positions WHERE session_id = $1 ORDER BY symbol",
                                   p))
        out.push_back({r.as_string(0), r.as_double(1), r.as_double(2), r.as_double(3),
                       r.as_double(4), r.as_int(5)});
    return out;
}

void StateStore::write_snapshot(const std::string& sid, const SessionSnapshot& s) {
    const std::array<V, 8> p = {S(sid),      I(s.last_bar),  I(s.steps), D(s.equity),
                                D(s.cash),   D(s.realized),  D(s.fees),  I(s.updated_wall)};
    db_.exec("INSERT INTO live_balances (session_id, last_bar, steps, equity, cash, realized, "
             "fees, updated_wall) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT "
             "(session_id) DO UPDATE SET last_bar = excluded.last_bar, steps = excluded.steps, "
             "equity = excluded.equity, cash = excluded.cash, realized = excluded.realized, "
             "fees = excluded.fees, updated_wall = excluded.updated_wall",
             p);
}

std::optional<SessionSnapshot> StateStore::snapshot(const std::string& sid) {
    const std::array<V, 1> p = {S(sid)};
    auto r = db_.query_one("SELECT last_bar, steps, equity, cash, realized, fees, updated_wall "
                           "FROM live_balances WHERE session_id = $1",
                           p);
    if (!r) return std::nullopt;
    return SessionSnapshot{r->as_int(0),    r->as_int(1),    r->as_double(2), r->as_double(3),
                           r->as_double(4), r->as_double(5), r->as_int(6)};
}

void StateStore::insert_equity(const std::string& sid, TimeMs t, double equity, double cash) {
    const std::array<V, 4> p = {S(sid), I(t), D(equity), D(cash)};
    db_.exec("INSERT INTO live_equity (session_id, time, equity, cash) VALUES ($1, $2, $3, $4) "
             "ON CONFLICT (session_id, time) DO UPDATE SET equity = excluded.equity, cash = "
             "excluded.cash",
             p);
}

std::vector<std::pair<TimeMs, double>> StateStore::equity(const std::string& sid, TimeMs from,
                                                          TimeMs to) {
    const std::array<V, 3> p = {S(sid), I(from), I(to)};
    std::vector<std::pair<TimeMs, double>> out;
    for (const auto& r : db_.query("SELECT time, equity FROM live_equity WHERE session_id = $1 "
                                   "AND time >= $2 AND time < $3 ORDER BY time",
                                   p))
        out.emplace_back(r.as_int(0), r.as_double(1));
    return out;
}

void StateStore::insert_prediction(const std::string& sid, TimeMs t, const std::string& symbol,
                                   double value, const std::string& top) {
    const std::array<V, 5> p = {S(sid), I(t), S(symbol), D(value), S(top)};
    db_.exec("INSERT INTO live_predictions (session_id, time, symbol, value, top_features) VALUES "
             "($1, $2, $3, $4, $5) ON CONFLICT (session_id, time, symbol) DO NOTHING",
             p);
}

std::vector<PredictionRecord> StateStore::latest_predictions(const std::string& sid) {
    const std::array<V, 1> p = {S(sid)};
    std::vector<PredictionRecord> out;
    for (const auto& r : db_.query("SELECT p.time, p.symbol, p.value, p.top_features FROM "
                                   "live_predictions p JOIN (SELECT symbol, MAX(time) AS t FROM "
                                   "live_predictions WHERE session_id = $1 GROUP BY symbol) m ON "
                                   "p.symbol = m.symbol AND p.time = m.t WHERE p.session_id = $1 "
                                   "ORDER BY p.symbol",
                                   p))
        out.push_back({r.as_int(0), r.as_string(1), r.as_double(2), r.as_string(3)});
    return out;
}

std::optional<PredictionRecord> StateStore::prediction_at(const std::string& sid,
                                                         const std::string& symbol, TimeMs time) {
    const std::array<V, 3> p = {S(sid), S(symbol), I(time)};
    for (const auto& r : db_.query("SELECT time, symbol, value, top_features FROM live_predictions "
                                   "WHERE session_id = $1 AND symbol = $2 AND time = $3",
                                   p))
        return PredictionRecord{r.as_int(0), r.as_string(1), r.as_double(2), r.as_string(3)};
    return std::nullopt;
}

std::vector<PredictionRecord> StateStore::predictions(const std::string& sid) {
    const std::array<V, 1> p = {S(sid)};
    std::vector<PredictionRecord> out;
    for (const auto& r : db_.query("SELECT time, symbol, value, top_features FROM live_predictions "
                                   "WHERE session_id = $1 ORDER BY time, symbol",
                                   p))
        out.push_back({r.as_int(0), r.as_string(1), r.as_double(2), r.as_string(3)});
    return out;
}

void StateStore::put_kv(const std::string& key, const std::string& value) {
    const std::array<V, 2> p = {S(key), S(value)};
    db_.exec("INSERT INTO live_kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET "
             "value = excluded.value",
             p);
}

std::optional<std::string> StateStore::get_kv(const std::string& key) {
    const std::array<V, 1> p = {S(key)};
    auto r = db_.query_one("SELECT value FROM live_kv WHERE key = $1", p);
    if (!r) return std::nullopt;
    return r->as_string(0);
}

int StateStore::next_command_seq(const std::string& sid) {
    const std::array<V, 1> p = {S(sid)};
    auto r = db_.query_one("SELECT COALESCE(MAX(seq), 0) FROM live_commands WHERE session_id = $1",
                           p);
    return static_cast<int>(r ? r->as_int(0) : 0) + 1;
}

void StateStore::insert_command(const CommandRecord& c) {
    const std::array<V, 5> p = {S(c.session_id), I(c.seq), I(c.after_bar), S(c.kind),
                                S(c.payload)};
    db_.exec("INSERT INTO live_commands (session_id, seq, after_bar, kind, payload) VALUES ($1, "
             "$2, $3, $4, $5)",
             p);
}

std::vector<CommandRecord> StateStore::commands(const std::string& sid) {
    const std::array<V, 1> p = {S(sid)};
    std::vector<CommandRecord> out;
    for (const auto& r : db_.query("SELECT session_id, seq, after_bar, kind, payload FROM "
                                   "live_commands WHERE session_id = $1 ORDER BY seq",
                                   p))
        out.push_back({r.as_string(0), static_cast<int>(r.as_int(1)), r.as_int(2), r.as_string(3),
                       r.as_string(4)});
    return out;
}

void StateStore::audit(TimeMs t, const std::string& action, const std::string& reason,
                       const std::string& details, const std::string& result) {
    auto r = db_.query_one("SELECT COALESCE(MAX(id), 0) FROM live_audit");
    const std::array<V, 6> p = {I((r ? r->as_int(0) : 0) + 1), I(t), S(action), S(reason),
                                S(details), S(result)};
    db_.exec("INSERT INTO live_audit (id, time, action, reason, details, result) VALUES ($1, $2, "
             "$3, $4, $5, $6)",
             p);
}

std::vector<AuditRecord> StateStore::audit_log(int limit) {
    const std::array<V, 1> p = {I(limit)};
    std::vector<AuditRecord> out;
    for (const auto& r : db_.query("SELECT time, action, reason, details, result FROM live_audit "
                                   "ORDER BY id DESC LIMIT $1",
                                   p))
        out.push_back({r.as_int(0), r.as_string(1), r.as_string(2), r.as_string(3),
                       r.as_string(4)});
    return out;
}

std::int64_t StateStore::insert_signal(const SignalRecord& s) {
    const std::array<V, 3> k = {S(s.session_id), I(s.time), S(s.symbol)};
    if (auto r = db_.query_one(
            "SELECT id FROM live_signals WHERE session_id = $1 AND time = $2 AND symbol = $3", k))
        return r->as_int(0);
    auto r = db_.query_one("SELECT COALESCE(MAX(id), 0) FROM live_signals");
    const std::int64_t id = (r ? r->as_int(0) : 0) + 1;
    const std::array<V, 11> p = {I(id),          S(s.session_id), I(s.time),      S(s.symbol),
                                 D(s.quantity),  D(s.price),      S(s.note),      S(s.status),
                                 I(s.expires_at), I(s.decided_at), S(s.decision_reason)};
    db_.exec("INSERT INTO live_signals (id, session_id, time, symbol, quantity, price, note, "
             "status, expires_at, decided_at, decision_reason) VALUES ($1, $2, $3, $4, $5, $6, "
             "$7, $8, $9, $10, $11)",
             p);
    return id;
}

void StateStore::update_signal(std::int64_t id, const std::string& status, TimeMs decided_at,
                               const std::string& reason) {
    const std::array<V, 4> p = {S(status), I(decided_at), S(reason), I(id)};
    db_.exec("UPDATE live_signals SET status = $1, decided_at = $2, decision_reason = $3 WHERE "
             "id = $4",
             p);
}

namespace {
SignalRecord row_signal(const SqlRow& r) {
    SignalRecord s;
    s.id = r.as_int(0);
    s.session_id = r.as_string(1);
    s.time = r.as_int(2);
    s.symbol = r.as_string(3);
    s.quantity = r.as_double(4);
    s.price = r.as_double(5);
    s.note = r.as_string(6);
    s.status = r.as_string(7);
    s.expires_at = r.as_int(8);
    s.decided_at = r.as_int(9);
    s.decision_reason = r.as_string(10);
    return s;
}
const char* kSignalCols = "id, session_id, time, symbol, quantity, price, note, status, "
                          "expires_at, decided_at, decision_reason";
} // namespace

std::vector<SignalRecord> StateStore::signals(const std::string& status, int limit) {
    std::vector<SignalRecord> out;
    if (status.empty() || status == "all") {
        const std::array<V, 1> p = {I(limit)};
        for (const auto& r : db_.query(std::string("SELECT ") + kSignalCols +
                                           " FROM live_signals ORDER BY id DESC LIMIT $1",
                                       p))
            out.push_back(row_signal(r));
    } else {
        const std::array<V, 2> p = {S(status), I(limit)};
        for (const auto& r :
             db_.query(std::string("SELECT ") + kSignalCols +
                           " FROM live_signals WHERE status = $1 ORDER BY id DESC LIMIT $2",
                       p))
            out.push_back(row_signal(r));
    }
    return out;
}

std::optional<SignalRecord> StateStore::signal(std::int64_t id) {
    const std::array<V, 1> p = {I(id)};
    auto r = db_.query_one(std::string("SELECT ") + kSignalCols + " FROM live_signals WHERE id = $1",
                           p);
    if (!r) return std::nullopt;
    return row_signal(*r);
}

namespace {
const char* kTicketCols = "id, signal_id, session_id, symbol, side, lots, contract_size, "
                          "lot_step, entry, stop, target, created, status, fill_price, "
                          "fill_lots, fill_time, broker_ticket, note";
TradeTicket row_ticket(const SqlRow& r) {
    TradeTicket t;
    int k = 0;
    t.id = r.as_int(k++);
    t.signal_id = r.as_int(k++);
    t.session_id = r.as_string(k++);
    t.symbol = r.as_string(k++);
    t.side = r.as_string(k++);
    t.lots = r.as_double(k++);
    t.contract_size = r.as_double(k++);
    t.lot_step = r.as_double(k++);
    t.entry = r.as_double(k++);
    t.stop = r.as_double(k++);
    t.target = r.as_double(k++);
    t.created = r.as_int(k++);
    t.status = r.as_string(k++);
    t.fill_price = r.as_double(k++);
    t.fill_lots = r.as_double(k++);
    t.fill_time = r.as_int(k++);
    t.broker_ticket = r.as_string(k++);
    t.note = r.as_string(k++);
    return t;
}
} // namespace

std::pair<std::int64_t, bool> StateStore::insert_ticket(const TradeTicket& t) {
    const std::array<V, 1> k = {I(t.signal_id)};
    if (auto r = db_.query_one("SELECT id FROM live_tickets WHERE signal_id = $1", k))
        return {r->as_int(0), false};
    auto r = db_.query_one("SELECT COALESCE(MAX(id), 0) FROM live_tickets");
    const std::int64_t id = (r ? r->as_int(0) : 0) + 1;
    const std::array<V, 18> p = {I(id),           I(t.signal_id),     S(t.session_id),
                                 S(t.symbol),     S(t.side),          D(t.lots),
                                 D(t.contract_size), D(t.lot_step),   D(t.entry),
                                 D(t.stop),       D(t.target),        I(t.created),
                                 S(t.status),     D(t.fill_price),    D(t.fill_lots),
                                 I(t.fill_time),  S(t.broker_ticket), S(t.note)};
    db_.exec(std::string("INSERT INTO live_tickets (") + kTicketCols +
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
                 "$16, $17, $18)",
             p);
    return {id, true};
}

void StateStore::update_ticket(const TradeTicket& t) {
    const std::array<V, 7> p = {S(t.status), D(t.fill_price), D(t.fill_lots), I(t.fill_time),
                                S(t.broker_ticket), S(t.note), I(t.id)};
    db_.exec("UPDATE live_tickets SET status = $1, fill_price = $2, fill_lots = $3, fill_time = "
             "$4, broker_ticket = $5, note = $6 WHERE id = $7",
             p);
}

std::vector<TradeTicket> StateStore::tickets(const std::string& status, int limit) {
    std::vector<TradeTicket> out;
    const std::array<V, 2> p = {S(status), I(limit)};
    for (const auto& r : db_.query(std::string("SELECT ") + kTicketCols +
                                       " FROM live_tickets WHERE ($1 = 'all' OR $1 = '' OR "
                                       "status = $1) ORDER BY id DESC LIMIT $2",
                                   p))
        out.push_back(row_ticket(r));
    return out;
}

std::optional<TradeTicket> StateStore::ticket(std::int64_t id) {
    const std::array<V, 1> p = {I(id)};
    auto r = db_.query_one(std::string("SELECT ") + kTicketCols + " FROM live_tickets WHERE id = $1",
                           p);
    if (!r) return std::nullopt;
    return row_ticket(*r);
}

} // namespace aurum
