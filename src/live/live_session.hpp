#pragma once
// The live engine: the backtest Engine driven bar by bar by a replay or real-time clock, with the
// account RiskManager on the order path, a crash-safe journal around the execution client, the
// human-approval queue, and the manual commands of the control API. Paper = this engine with the
// backtest's SimulatedExecutionClient.
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backtest/engine.hpp"
#include "backtest/simulated_execution.hpp"
#include "backtest/strategies.hpp"
#include "core/clock.hpp"
#include "data/market_store.hpp"
#include "live/alert_outbox.hpp"
#include "live/command.hpp"
#include "live/journal_execution.hpp"
#include "live/kline_feed.hpp"
#include "live/venue.hpp"
#include "live/live_strategy.hpp"
#include "live/session_strategy.hpp"
#include "live/state_store.hpp"
#include "risk/account_risk_hook.hpp"

namespace aurum {

class BinanceSpotClient;

/// Everything `aurum run` decides.
struct LiveOptions {
    std::string mode = "paper";
    std::vector<std::string> symbols;
    Timeframe timeframe = Timeframe(4 * kMsPerHour);
    double capital = 10000;
    StrategySpec strategy;
    bool replay = false;
    TimeMs replay_from = 0, replay_to = 0; ///< [from, to) bar open times
    int warmup_bars = 200;                 ///< history before the first tradable bar
    FillConfig fill;
    bool approval = false;                 ///< human approval of strategy entries
    TimeMs approval_expiry = 4 * kMsPerHour; ///< session time a signal waits for approval ...
    int approval_min_bars = 6;               ///< ... but never fewer bars than this
    int commit_every = 256;                ///< steps without activity between snapshot commits
    /// Paper replay at full speed: the journal is committed every commit_every steps (or second)
    /// even when they traded, instead of after every step that did. The simulated venue has no
    /// outside effects, so orders still go to it at once and a crash only re-runs the steps
    /// after the last commit. Never for live mode (an order is journaled before it is sent).
    bool batch_commits = false;
    /// Paper in real time on the exchange's public market data (venue: URLs, no credentials).
    bool exchange_feed = false;
    bool new_session = false;
    /// At start, follow registry changes made while stopped (swap in the new production
    /// version, drop a demoted one). Off for a replay that must keep the pinned versions.
    bool follow_registry = true;
    ModelSelection model;            ///< strategy "model": which registry versions it trades
    std::filesystem::path workspace; ///< strategy "model": workspace home (registry, features.yaml)
    /// Live mode only: the exchange (config/live.yaml `exchange:`), its credentials, and the
    /// clock and sleeper its requests use (tests share a SimulatedClock with a fake exchange).
    LiveVenueOptions venue;

    /// "sma-cross fast=10 slow=30 fraction=0.3"
    std::string strategy_text() const;
    /// Deterministic id of the session these options define.
    std::string session_id() const;
};

/// The result of a control command, shown by the CLI and returned by the API.
struct CommandOutcome {
    int exit_code = 0;      ///< 0 ok, 1 refused by a check (risk), 2 bad input
    std::string message;    ///< in words
    nlohmann::json data = nlohmann::json::object();
};

/// One trading session. Single-threaded: call everything from the engine thread.
class LiveSession {
public:
    LiveSession(Database& db, MarketStore& store, LiveOptions options, RiskLimits limits,
                InstrumentRegistry instruments, std::filesystem::path risk_yaml);
    ~LiveSession();

    /// Creates or resumes the session, loads bars and, after a restart, re-runs the journaled
    /// part deterministically (recovery). `acknowledge_stop` clears an emergency stop.
    /// Throws InputError when the account is emergency-stopped and not acknowledged.
    void open(TimeMs wall_now, bool acknowledge_stop, const std::string& ack_reason);

    enum class StepResult { Stepped, Waiting, Finished };
    /// Processes the next step whose bars have closed by `wall_now` (replay: the next step).
    StepResult step(TimeMs wall_now);
    /// Real time: appends newly stored bars; returns how many were added.
    std::size_t poll_store();
    /// A candle streamed by the exchange waits: poll_store() now rather than at the interval.
    bool feed_ready() const { return feed_ && feed_->ready(); }
    /// Stops the exchange streams' threads (before what their wake-up refers to goes).
    void stop_feed() {
        if (feed_) feed_->stop();
    }
    /// The exchange's streams as `aurum health` shows them (null without an exchange feed).
    nlohmann::json feed_status() const;
    /// The exchange feed (null in replay and without an exchange feed).
    const KlineFeed* feed() const { return feed_.get(); }

    /// Applies a control command between steps (journaled first, so recovery replays it).
    /// Throws InputError, changing nothing, when it is not allowed now.
    CommandOutcome execute(const Command& command, TimeMs wall_now);
    /// Parses `args` as a command of `kind` (parse_command), then executes it.
    CommandOutcome execute(const std::string& kind, const nlohmann::json& args, TimeMs wall_now);
    /// Between bars: when the account is REDUCING and already flat with nothing pending, moves
    /// it to HALTED now rather than at the next bar (an emergency stop with no positions).
    void settle(TimeMs wall_now);
    /// Between bars, live: fills and order events the user data stream brought since the step
    /// (a resting order filled, a stop triggered) are booked now, in the step's after-send
    /// phase, and a position they change gets its stop now; unless a command was given since
    /// the step (then they wait for the next step, where a recovery replays them in order).
    void book_streamed_fills(TimeMs wall_now);
    /// Commits whatever is pending (final snapshot).
    void checkpoint(TimeMs wall_now);

    const std::string& session_id() const { return session_.id; }
    const SessionRecord& session() const { return session_; }
    const RiskManager& risk() const { return risk_; }
    const Portfolio& portfolio() const { return engine_->account(); }
    TimeMs last_bar() const { return last_bar_; }
    std::int64_t steps() const { return steps_; }
    bool finished() const { return finished_; }
    bool recovered() const { return recovered_steps_ > 0; }
    std::int64_t recovered_steps() const { return recovered_steps_; }
    /// True once an emergency stop has closed everything (the daemon should exit).
    bool stopped() const;
    const JournalExecution& journal() const { return *journal_; }
    /// The model strategy (null for a rule strategy).
    const ModelStrategy* model_strategy() const { return model_; }
    TimeMs step_close_time() const { return clock_.now(); }
    /// Alerts raised on the engine thread; the next commit writes them with its events.
    AlertBuffer& alerts() { return alerts_; }
    /// How many alerts commits have written so far (the daemon wakes the delivery worker).
    std::uint64_t alerts_committed() const { return alerts_committed_; }
    /// The risk manager's verdict on the manual trade `trade` now, nothing placed or stored
    /// (order_preview.hpp). Throws InputError for an unknown symbol or before the first bar.
    nlohmann::json preview_order(const Command& trade) const;
    /// Risk decisions stored since the last call (the dashboard's live events).
    std::vector<RiskAssessment> take_committed_decisions();

private:
    void load_bars(TimeMs from, TimeMs to);
    std::optional<TimeMs> next_step_time() const;
    /// Real time on a stream: bar `t` of some symbol has not arrived yet (within its grace).
    bool awaits_streamed_bars(TimeMs t, TimeMs wall_now) const;
    void apply_command(const CommandRecord& c, TimeMs now, CommandOutcome* out);
    /// A manual trade or an approved signal through the risk manager to the engine.
    void apply_order(const Command& c, TimeMs at, CommandOutcome* out);
    void commit(TimeMs wall_now, bool force);
    void expire_signals();
    /// The after-send phase of the step just committed (live only): books what the exchange
    /// reported once the orders were out, so an entry's protective stop goes out in the same
    /// step, and commits (sending the stop).
    void book_after_send(TimeMs wall_now);
    /// Hands flat manual positions back to the strategy.
    void release_manual_positions();
    InstrumentId instrument_index(const std::string& symbol) const;
    /// model_unload: the model's symbols stop trading and its positions are closed.
    /// The gold desk: an approved signal of an MT5 instrument becomes a broker ticket.
    void issue_desk_ticket(const SignalRecord& sig, const Instrument& inst, Side side, double lots,
                           CommandOutcome* out);
    void unload_model(const std::string& name, CommandOutcome* out);
    void log_events();
    /// Live: the engine's positions and cash against the exchange's balances (start-up and after
    /// a restart, once no order's outcome is unknown); differences are logged and alerted.
    void check_balances(TimeMs wall_now);
    void publish_models();
    /// Alerts of this commit's trades and risk decisions (the decision record of each entry).
    void raise_commit_alerts(const std::vector<RiskAssessment>& assessments,
                             const std::vector<PredictionBuffer::Item>& predictions,
                             TimeMs wall_now);

    Database& db_;
    StateStore store_;
    MarketStore& market_;
    LiveOptions opt_;
    InstrumentRegistry registry_;
    std::filesystem::path risk_yaml_;
    std::vector<Instrument> instruments_;
    std::vector<std::unique_ptr<BarSeries>> data_;
    std::vector<const BarSeries*> data_ptrs_;
    std::vector<std::size_t> cursor_;

    RiskManager risk_;
    class ApprovalHook;
    std::unique_ptr<ApprovalHook> hook_;
    SimulatedClock clock_;
    std::unique_ptr<ExecutionClient> sim_; ///< the simulation (paper) or the exchange (live)
    std::unique_ptr<KlineFeed> feed_;      ///< real time from the exchange: candles into the store
    std::unique_ptr<JournalExecution> journal_;
    BinanceSpotClient* exchange_ = nullptr; ///< sim_ when it is the Binance adapter (live)
    bool balance_check_due_ = false;        ///< live: reconcile balances at the next step
    std::unique_ptr<LiveStrategy> strategy_;
    std::unique_ptr<PredictionBuffer> predictions_; ///< model predictions until the next commit
    ModelStrategy* model_ = nullptr;                ///< inside strategy_ when it is the model
    RlAgentStrategy* rl_ = nullptr;                 ///< inside strategy_ for `strategy: rl`
    std::unique_ptr<Engine> engine_;

    SessionRecord session_;
    TimeMs last_bar_ = 0;
    std::int64_t steps_ = 0;
    std::int64_t recovered_steps_ = 0;
    /// Commands journaled since the last step: a recovery replays them after the step's
    /// after-send phase, so that phase books nothing once one is given.
    int commands_since_step_ = 0;
    bool finished_ = false;
    std::multimap<TimeMs, CommandRecord> pending_commands_; ///< recovery: journaled commands
    TimeMs recover_until_ = INT64_MIN;
    int steps_since_commit_ = 0;
    int commits_since_wal_checkpoint_ = 0;
    TimeMs last_commit_wall_ = 0;
    std::uint64_t risk_version_committed_ = 0;
    int decision_seq_ = 0;
    std::size_t trades_committed_ = 0;
    std::vector<std::tuple<TimeMs, double, double>> equity_buf_;
    bool dirty_ = false;
    AlertBuffer alerts_;
    AlertStore alert_store_;
    std::uint64_t alerts_committed_ = 0;
    TimeMs last_feed_alert_ = INT64_MIN / 2;
    std::vector<double> alert_qty_;                ///< positions at the last commit
    std::map<std::string, nlohmann::json> decision_; ///< symbol -> its latest model decision
    std::vector<RiskAssessment> committed_decisions_; ///< until take_committed_decisions()
};

} // namespace aurum
