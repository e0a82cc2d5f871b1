#pragma once
// Probability -> trading decision: threshold, expected value after costs, and exit rules.
#include <span>
#include <string>
#include <vector>

#include "models/dataset.hpp"
#include "models/models_config.hpp"

namespace aurum {

/// Average outcome of a trade by label, estimated on training rows only.
struct EdgeEstimate {
    double avg_up = 0.0;   ///< mean forward return of rows labelled up
    double avg_down = 0.0; ///< mean forward return of the other rows (usually negative)
    /// Expected return of a long entered now when P(up) = p, before costs.
    double expected(double p) const { return p * avg_up + (1 - p) * avg_down; }
    static EdgeEstimate from_training(const Dataset& d, std::span<const std::size_t> rows);
};

/// One decision for one bar.
struct Decision {
    double target = 0.0;          ///< position: 1 long, 0 flat, -1 short
    double expected_value = 0.0;  ///< expected return after round-trip costs at this p
    std::string reason;           ///< "enter: p 0.74 >= 0.70, EV +0.31%" / "hold" / "exit: ..."
};

/// Stateful policy for one symbol, fed probabilities bar by bar (the same code in walk-forward
/// backtests and live). Enters when p >= threshold and EV after costs > 0; exits when p falls
/// below exit_threshold or after max_hold bars.
class DecisionPolicy {
public:
    DecisionPolicy(PolicyConfig policy, CostConfig costs, EdgeEstimate edge, int horizon_bars);
    /// `explain` = false leaves Decision::reason empty (no formatting on hot paths).
    Decision step(double p_up, bool explain = true);
    void reset();
    double position() const { return position_; }
    /// Bars the open position has been held.
    int held() const { return held_; }
    /// Carries an open position over from another policy (a model swapped mid-trade).
    void resume(double position, int held) {
        position_ = position;
        held_ = position != 0 ? held : 0;
    }

private:
    PolicyConfig policy_;
    CostConfig costs_;
    EdgeEstimate edge_;
    int max_hold_;
    double position_ = 0.0;
    int held_ = 0;
};

} // namespace aurum
