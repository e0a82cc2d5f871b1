#pragma once
// The account-level risk manager: every order intent (strategy, model or manual) passes here and
// comes back approved, reduced or denied with a reason in words. Never throws on a denial.
#include <map>
#include <string>
#include <vector>

#include "core/instrument.hpp"
#include "core/time.hpp"
#include "risk/risk_limits.hpp"
#include "risk/trading_state.hpp"

namespace aurum {

/// One open position as the risk manager sees it (signed quantity, marked at `price`).
struct RiskPosition {
    std::string symbol;
    double quantity = 0; ///< base units (lots x contract size for CFDs); < 0 short
    double price = 0;    ///< last mark
};

/// The account at decision time.
struct AccountView {
    TimeMs now = 0;
    double equity = 0;
    double cash = 0;
    std::vector<RiskPosition> positions;
};

/// A request to change a position by `quantity` (signed: > 0 buy, < 0 sell) at about `price`.
struct OrderIntent {
    std::string symbol;
    double quantity = 0;
    double price = 0;
    std::string source = "strategy"; ///< "strategy", "model", "manual", "flatten"
};

enum class RiskVerdict { Approve, Reduce, Deny };
std::string to_string(RiskVerdict v);

/// The outcome of one check, stored and shown as is.
struct RiskAssessment {
    TimeMs time = 0;
    std::string symbol;
    std::string source;
    RiskVerdict verdict = RiskVerdict::Deny;
    double requested = 0; ///< signed quantity asked for
    double approved = 0;  ///< signed quantity allowed (0 when denied), lot-rounded
    std::string rule;     ///< which limit decided: "max_position", "kill_switch", ... or "none"
    std::string reason;   ///< "Requested 0.2 BTC; reduced to 0.15 BTC due to ..."
};

/// Runtime state that must survive a restart (besides the limits, which live in risk.yaml).
struct RiskRuntime {
    TradingState state;
    double peak_equity = 0;
    double day_start_equity = 0;
    std::int64_t day = INT64_MIN; ///< UTC day number of day_start_equity
    struct SymbolState {
        int losing_streak = 0;
        TimeMs cooldown_until = 0;
    };
    std::map<std::string, SymbolState> symbols;

    std::string to_json() const;
    static RiskRuntime from_json(const std::string& text);
    /// The state a new session starts from, given the account's last state: its own peak,
    /// daily-loss base and cooldowns (from its own capital and time, none yet); only a stop the
    /// user set deliberately (emergency stop, manual halt) stays account-wide until acknowledged.
    RiskRuntime for_new_session() const;
};

/// Enforces RiskLimits and owns the trading state machine.
class RiskManager {
public:
    RiskManager(RiskLimits limits, InstrumentRegistry instruments);

    /// Checks one intent against the account. Reductions of an open position are always allowed;
    /// anything that adds exposure must pass every limit.
    RiskAssessment check(const OrderIntent& intent, const AccountView& account) const;

    /// Feeds a bar close (for correlations). Call once per symbol per bar, in time order.
    void observe_price(const std::string& symbol, double close);
    /// Feeds the marked equity at a bar close: tracks the peak and the day's start, trips the
    /// daily loss pause and the drawdown breaker, ends an expired pause, and moves REDUCING to
    /// HALTED once `flat`. Returns what changed, in words (empty when nothing did).
    std::vector<std::string> on_equity(TimeMs now, double equity, bool flat);
    /// A position was closed (fully or partly) with this realized P&L: loss-streak cooldowns.
    std::vector<std::string> on_trade_closed(const std::string& symbol, double pnl, TimeMs now);

    // State-machine commands (audited by the caller). Each throws InputError when not allowed
    // from the current state, leaving it unchanged.
    void pause(TimeMs now, TimeMs duration, const std::string& reason, bool close_positions);
    void resume(TimeMs now, const std::string& reason);
    /// Close everything at market, then halt; `aurum run --acknowledge-stop` is required after.
    void emergency_stop(TimeMs now, const std::string& reason);
    /// Leaves HALTED/REDUCING after a drawdown breaker or manual halt. Needs a reason.
    void reset_kill_switch(TimeMs now, const std::string& confirmation);
    /// Leaves an emergency stop (the only way out of one).
    void acknowledge_stop(TimeMs now, const std::string& reason);

    /// True while positions should be closed by the engine (REDUCING, or a closing pause).
    bool wants_flatten() const;
    const TradingState& state() const { return rt_.state; }
    const RiskRuntime& runtime() const { return rt_; }
    void restore(RiskRuntime rt) { rt_ = std::move(rt); ++version_; }
    /// Incremented on every change of runtime state, so callers persist only when needed.
    std::uint64_t version() const { return version_; }

    const RiskLimits& limits() const { return limits_; }
    void set_limits(RiskLimits limits) { limits_ = std::move(limits); }
    const InstrumentRegistry& instruments() const { return instruments_; }

    /// Pearson correlation of the two symbols' recent returns; 0 when too few.
    double correlation(const std::string& a, const std::string& b) const;

private:
    struct Returns {
        double last_close = 0;
        /// The last correlation_window returns, oldest first. A vector trimmed at the front keeps
        /// its capacity: no allocation per bar (a deque allocated a block every few dozen bars).
        std::vector<double> values;
    };
    void set_state(TradingState s);

    RiskLimits limits_;
    InstrumentRegistry instruments_;
    RiskRuntime rt_;
    std::map<std::string, Returns> returns_;
    std::uint64_t version_ = 0;
};

/// Quantity formatted for messages: at most 8 significant digits, no trailing zeros.
std::string format_qty(double q);

} // namespace aurum
