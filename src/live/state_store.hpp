#pragma once
// Crash-safe trading state in the MarketStore's database (SQLite or PostgreSQL): sessions, the
// order/fill journal, risk decisions, positions, balances, equity, signals, predictions, trading
// state, manual commands and the audit log. Everything the daemon acts on is written here first.
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "data/database.hpp"
#include "live/trade_ticket.hpp"

namespace aurum {

/// A trading session: one run of `aurum run` with fixed parameters (resumed after a restart).
struct SessionRecord {
    std::string id;
    std::string mode;      ///< "paper" | "live"
    std::string symbols;   ///< comma-separated
    std::string timeframe; ///< "4h"
    double capital = 0;
    std::string strategy;  ///< "sma-cross fast=10 slow=30 fraction=0.3"
    std::string clock;     ///< "replay" | "realtime"
    TimeMs trade_from = 0; ///< first bar (open time) on which orders may be sent
    TimeMs replay_to = 0;  ///< replay end (exclusive); 0 for real time
    TimeMs created_at = 0;
    std::string status;    ///< "running" | "complete" | "stopped"
    std::string initial_risk; ///< RiskRuntime JSON the session started from
};

/// One order in the journal, keyed by its deterministic client order id.
struct OrderRecord {
    std::string client_order_id;
    std::string session_id;
    std::string symbol;
    std::string side;   ///< "buy" | "sell"
    std::string type;   ///< "market", ...
    double qty = 0;
    double limit_price = 0, stop_price = 0;
    TimeMs bar_time = 0;   ///< open time of the step's bar when it was created
    TimeMs created_at = 0; ///< clock time
    std::string source;    ///< "strategy", "manual", "flatten", "signal"
    std::string status;    ///< "new" | "sent" | "filled" | "cancelled" | "rejected"
    double filled_qty = 0;
    double avg_price = 0;
};

/// A fill or order event reported by the execution client, in arrival order within a step.
struct ExecReport {
    std::string session_id;
    TimeMs bar_time = 0;
    int seq = 0;
    std::string kind; ///< "fill" | "event"
    std::string client_order_id;
    std::string symbol;
    std::string side;
    double qty = 0, price = 0, fee = 0, spread_cost = 0, slippage_cost = 0;
    int role = 0;
    int maker = 0;
    int status = 0; ///< OrderStatus (events)
    int reason = 0; ///< RejectReason (events)
    TimeMs time = 0;
};

/// A stored risk decision.
struct RiskDecisionRecord {
    TimeMs time = 0;
    std::string symbol, source, verdict, rule, reason;
    double requested = 0, approved = 0;
};

/// A closed round trip.
struct TradeRecord {
    std::string symbol;
    int direction = 1;
    TimeMs entry_time = 0, exit_time = 0;
    double entry_price = 0, exit_price = 0, qty = 0, pnl = 0, fees = 0;
};

struct PositionRecord {
    std::string symbol;
    double qty = 0, avg_price = 0, mark = 0, unrealized = 0;
    TimeMs entry_time = 0;
};

/// A manual command journaled so a recovery re-applies it at the same point.
struct CommandRecord {
    std::string session_id;
    int seq = 0;
    TimeMs after_bar = 0; ///< applied after the step of this bar (open time)
    std::string kind;     ///< "pause", "resume", "trade", "risk_set", "killswitch_reset", ...
    std::string payload;  ///< JSON
};

/// A signal waiting for (or given) human approval.
struct SignalRecord {
    std::int64_t id = 0;
    std::string session_id;
    TimeMs time = 0;
    std::string symbol;
    double quantity = 0; ///< signed
    double price = 0;
    std::string note;
    std::string status; ///< "pending" | "approved" | "rejected" | "expired" | "executed"
    TimeMs expires_at = 0;
    TimeMs decided_at = 0;
    std::string decision_reason;
};

/// Progress and account snapshot of a session, rewritten at each commit.
struct SessionSnapshot {
    TimeMs last_bar = 0;       ///< open time of the last committed step
    std::int64_t steps = 0;
    double equity = 0, cash = 0, realized = 0, fees = 0;
    TimeMs updated_wall = 0;   ///< wall clock of the commit (for "last write")
};

/// A stored model prediction (value = calibrated P(up); detail = JSON with model, signal, top
/// features).
struct PredictionRecord {
    TimeMs time = 0; ///< open time of the bar decided on
    std::string symbol;
    double value = 0;
    std::string detail;
};

struct AuditRecord {
    TimeMs time = 0;
    std::string action, reason, details, result;
};

/// Typed access to the live tables. Not thread-safe (one per connection).
class StateStore {
public:
    /// Creates the tables when missing.
    explicit StateStore(Database& db);
    Database& db() { return db_; }

    // Sessions
    void upsert_session(const SessionRecord& s);
    std::optional<SessionRecord> session(const std::string& id);
    /// The most recently created session (what status commands show).
    std::optional<SessionRecord> latest_session();
    void set_session_status(const std::string& id, const std::string& status);

    // Journal
    void insert_order(const OrderRecord& o); ///< idempotent on client_order_id
    void update_order(const std::string& cid, const std::string& status, double filled_qty,
                      double avg_price);
    std::vector<OrderRecord> orders(const std::string& session_id);
    /// Orders created on bars opened at `from_bar` or later.
    std::vector<OrderRecord> orders_since(const std::string& session_id, TimeMs from_bar);
    /// The first order with a fill on the latest bar that had one.
    std::optional<OrderRecord> last_filled_order(const std::string& session_id);
    /// The venue's words about an order (a live exchange's rejection message).
    void set_order_note(const std::string& cid, const std::string& note);
    std::optional<std::string> order_note(const std::string& cid);
    void insert_report(const ExecReport& r); ///< idempotent on (session, bar_time, seq)
    std::vector<ExecReport> reports(const std::string& session_id);
    void insert_decision(const std::string& session_id, int seq, const RiskDecisionRecord& d);
    std::vector<RiskDecisionRecord> decisions(const std::string& session_id, int limit);
    /// Decisions on `symbol` with time in [from, to], oldest first (a trade's decision record).
    std::vector<RiskDecisionRecord> decisions_for(const std::string& session_id,
                                                  const std::string& symbol, TimeMs from, TimeMs to);
    /// Orders on `symbol` created on bars [from_bar, to_bar], oldest first.
    std::vector<OrderRecord> orders_for(const std::string& session_id, const std::string& symbol,
                                        TimeMs from_bar, TimeMs to_bar);
    /// The session's stop orders of `symbol` placed before bar `to_bar` (protective stops).
    std::vector<OrderRecord> stop_orders(const std::string& session_id, const std::string& symbol,
                                         TimeMs to_bar);
    void insert_trade(const std::string& session_id, int seq, const TradeRecord& t);
    std::vector<TradeRecord> trades(const std::string& session_id);
    /// The session's closed trades: how many, how many won (P&L > 0), their realized P&L.
    struct TradeTotals {
        std::int64_t trades = 0, wins = 0;
        double realized = 0;
    };
    TradeTotals trade_totals(const std::string& session_id);
    /// Trades that closed in [from, to).
    std::vector<TradeRecord> trades_exited(const std::string& session_id, TimeMs from, TimeMs to);
    /// Trades numbered `first_seq` and later (the table only grows: readers append).
    std::vector<TradeRecord> trades_from(const std::string& session_id, std::int64_t first_seq);

    // Snapshots
    void replace_positions(const std::string& session_id, const std::vector<PositionRecord>& p);
    std::vector<PositionRecord> positions(const std::string& session_id);
    void write_snapshot(const std::string& session_id, const SessionSnapshot& s);
    std::optional<SessionSnapshot> snapshot(const std::string& session_id);
    void insert_equity(const std::string& session_id, TimeMs time, double equity, double cash);
    /// Equity points in [from, to).
    std::vector<std::pair<TimeMs, double>> equity(const std::string& session_id, TimeMs from,
                                                  TimeMs to);
    void insert_prediction(const std::string& session_id, TimeMs time, const std::string& symbol,
                           double value, const std::string& top_features);
    /// The latest prediction of each symbol of a session (symbol order).
    std::vector<PredictionRecord> latest_predictions(const std::string& session_id);
    /// Predictions of a session, oldest first.
    std::vector<PredictionRecord> predictions(const std::string& session_id);
    /// The prediction of `symbol` on the bar opened at `time`.
    std::optional<PredictionRecord> prediction_at(const std::string& session_id,
                                                  const std::string& symbol, TimeMs time);

    // Account-level state (kill switch, trading state, risk runtime): survives sessions.
    void put_kv(const std::string& key, const std::string& value);
    std::optional<std::string> get_kv(const std::string& key);

    // Commands and audit
    int next_command_seq(const std::string& session_id);
    void insert_command(const CommandRecord& c);
    std::vector<CommandRecord> commands(const std::string& session_id);
    void audit(TimeMs time, const std::string& action, const std::string& reason,
               const std::string& details, const std::string& result);
    std::vector<AuditRecord> audit_log(int limit);

    // Human approval queue
    std::int64_t insert_signal(const SignalRecord& s); ///< returns its id
    void update_signal(std::int64_t id, const std::string& status, TimeMs decided_at,
                       const std::string& reason);
    std::vector<SignalRecord> signals(const std::string& status_filter, int limit);
    std::optional<SignalRecord> signal(std::int64_t id);

    // Gold desk trade tickets
    /// Stores a new ticket; one per signal: returns {id, true}, or the existing ticket's
    /// {id, false} (a recovery re-applying the approval).
    std::pair<std::int64_t, bool> insert_ticket(const TradeTicket& t);
    /// Writes a ticket's status, fill and note.
    void update_ticket(const TradeTicket& t);
    /// Newest first; status "all" or "" for every one.
    std::vector<TradeTicket> tickets(const std::string& status, int limit);
    std::optional<TradeTicket> ticket(std::int64_t id);

private:
    std::vector<OrderRecord> orders_where(const std::string& where,
                                          const std::vector<SqlValue>& params);
    Database& db_;
};

} // namespace aurum
