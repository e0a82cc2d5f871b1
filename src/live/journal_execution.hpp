#pragma once
// The crash-safe seam around any ExecutionClient: every order gets a deterministic client order
// id and is journaled before it is sent; every fill and order event is journaled. After a crash
// the session is re-run from its start with journaled reports replayed instead of sending
// anything, so the account is rebuilt exactly and no client order id is ever sent twice.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "backtest/execution_client.hpp"
#include "core/instrument.hpp"
#include "live/state_store.hpp"

namespace aurum {

/// Deterministic client order id: "AE" + 16 hex digits of fnv1a_short_basis64 over (session, symbol, bar
/// time, sequence of the order within that bar). Binance accepts up to 36 characters.
std::string make_client_order_id(const std::string& session_id, const std::string& symbol,
                                 TimeMs bar_time, int seq);

/// Reports booked after a step's orders were sent (its "after-send" phase) are journaled under
/// the step's bar time with seq from here on, so a recovery replays them after the step's
/// strategy, where they happened, and not with the bar's own reports.
inline constexpr int kAfterSendSeq = 1 << 20;

/// Journals orders and execution reports, defers sends until the step's journal is committed,
/// and replays journaled reports while recovering.
class JournalExecution final : public ExecutionClient, private ExecutionSink {
public:
    JournalExecution(ExecutionClient& inner, std::vector<Instrument> instruments,
                     std::string session_id);

    /// Enters recovery: steps with bar time <= `until` replay `reports`; orders created in them
    /// must be in `orders` (else the recovery diverged: SystemError).
    void begin_recovery(std::vector<OrderRecord> orders, std::vector<ExecReport> reports,
                        TimeMs until);
    bool recovering() const { return recovering_; }
    /// Leaves recovery: orders still open at the crash are handed to the inner client
    /// (their ids were journaled before the crash, so the venue sees each id once).
    void end_recovery();

    /// Starts a step (the bars opening at `bar_time`); `source` labels orders created in it.
    void begin_step(TimeMs bar_time);
    /// Starts the step's after-send phase: what the venue reported once the step's orders were
    /// out (a market order's fills) is booked now, journaled as such; while recovering, poll()
    /// replays what this phase booked before the crash.
    void begin_after_send();
    /// Whether orders went to the venue since the step began.
    bool sent_in_step() const { return sent_in_step_; }
    void set_source(std::string source) { source_ = std::move(source); }
    /// What the step produced, to journal in the step's transaction.
    std::vector<OrderRecord>& new_orders() { return new_orders_; }
    std::vector<ExecReport>& new_reports() { return new_reports_; }
    /// Order status changes to write (cid -> status, filled, avg).
    struct StatusUpdate {
        std::string cid, status;
        double filled = 0, avg = 0;
        std::string note; ///< the venue's reason for a rejection ("" otherwise)
    };
    std::vector<StatusUpdate>& status_updates() { return status_updates_; }
    bool has_activity() const {
        return !new_orders_.empty() || !new_reports_.empty() || !status_updates_.empty();
    }
    /// After the journal is committed: sends the step's orders. Clears the buffers.
    void flush();
    /// Sends the orders created since the last send and keeps them (and every report) in the
    /// buffers for the next commit: a simulated venue's batched replay (LiveOptions::batch_commits).
    void send_pending();

    /// Client order id of an engine order id ("" when unknown).
    std::string client_id(OrderId id) const;
    /// Every client order id handed to the inner client in this process (duplicates included).
    const std::vector<std::string>& sent_ids() const { return sent_; }
    /// When flush() last handed orders to the inner client (for latency measurements).
    std::chrono::steady_clock::time_point last_send() const { return last_send_; }

    // ExecutionClient
    void bind(ExecutionSink& sink) override;
    void submit(const Order& order) override;
    void cancel(OrderId id, TimeMs now) override;
    void on_bar(InstrumentId instrument, const Bar& bar) override;
    void poll() override;
    std::size_t open_order_count() const override;

private:
    // ExecutionSink (from the inner client)
    void on_fill(const Fill& fill) override;
    void on_order_event(const OrderEvent& event) override;
    const Portfolio& portfolio() const override { return engine_->portfolio(); }
    OrderId next_order_id() override { return engine_->next_order_id(); }

    void record_fill(const Fill& f, const std::string& cid);
    void record_event(const OrderEvent& e, const std::string& cid);
    void deliver(const ExecReport& r, InstrumentId i);
    /// Delivers the current step's journaled reports that `take` selects (recovery).
    template <class Pred> void replay_step_reports(Pred&& take);

    ExecutionClient& inner_;
    std::vector<Instrument> instruments_;
    std::string session_id_;
    ExecutionSink* engine_ = nullptr;

    TimeMs bar_time_ = 0;
    int report_seq_ = 0;
    bool after_send_ = false;
    bool sent_in_step_ = false;
    std::map<std::string, int> order_seq_; ///< per symbol within the step
    std::string source_ = "strategy";
    std::unordered_map<OrderId, std::string> cid_;
    std::unordered_map<std::string, OrderId> id_of_;
    struct Tracked {
        Order order;
        double filled = 0, notional = 0;
        bool done = false;
    };
    std::unordered_map<std::string, Tracked> orders_;
    std::vector<Order> to_send_;
    std::vector<OrderRecord> new_orders_;
    std::vector<ExecReport> new_reports_;
    std::vector<StatusUpdate> status_updates_;
    std::vector<std::string> sent_;
    std::chrono::steady_clock::time_point last_send_{};

    bool recovering_ = false;
    TimeMs recover_until_ = 0;
    std::unordered_map<std::string, OrderRecord> journal_orders_;
    std::map<TimeMs, std::vector<ExecReport>> journal_reports_;
};

} // namespace aurum
