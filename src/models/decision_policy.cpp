#include "models/decision_policy.hpp"

#include <fmt/format.h>

namespace aurum {

EdgeEstimate EdgeEstimate::from_training(const Dataset& d, std::span<const std::size_t> rows) {
    double up = 0, down = 0;
    std::size_t nu = 0, nd = 0;
    for (std::size_t i : rows) {
        if (d.y[i] > 0.5f) {
            up += d.fwd_ret[i];
            ++nu;
        } else {
            down += d.fwd_ret[i];
            ++nd;
        }
    }
    return {nu ? up / static_cast<double>(nu) : 0.0, nd ? down / static_cast<double>(nd) : 0.0};
}

DecisionPolicy::DecisionPolicy(PolicyConfig policy, CostConfig costs, EdgeEstimate edge,
                               int horizon_bars)
    : policy_(policy), costs_(costs), edge_(edge),
      max_hold_(policy.max_hold_bars > 0 ? policy.max_hold_bars : horizon_bars) {}

void DecisionPolicy::reset() {
    position_ = 0;
    held_ = 0;
}

Decision DecisionPolicy::step(double p, bool explain) {
    Decision d;
    const double cost = costs_.round_trip();
    const double ev_long = edge_.expected(p) - cost;
    // A short earns the negated move: P(down) = 1 - p.
    const double ev_short = -edge_.expected(p) - cost;
    if (position_ != 0) {
        ++held_;
        const bool long_side = position_ > 0;
        const double p_side = long_side ? p : 1 - p;
        if (p_side < policy_.exit_threshold) {
            if (explain) d.reason = fmt::format("exit: P({}) {:.2f} < {:.2f}", long_side ? "up" : "down", p_side,
                                   policy_.exit_threshold);
            reset();
        } else if (held_ >= max_hold_) {
            if (explain) d.reason = fmt::format("exit: held {} bars (max {})", held_, max_hold_);
            reset();
        } else {
            if (explain) d.reason = "hold";
        }
        d.target = position_;
        d.expected_value = long_side ? ev_long : ev_short;
        return d; // an exit bar never re-enters on the same bar
    }
    if (p >= policy_.threshold) {
        d.expected_value = ev_long;
        if (ev_long > 0) {
            position_ = 1;
            held_ = 0;
            if (explain) d.reason = fmt::format("enter long: P(up) {:.2f} >= {:.2f}, EV after costs {:+.2f}%", p,
                                   policy_.threshold, ev_long * 100);
        } else {
            if (explain) d.reason = fmt::format("skip: P(up) {:.2f} >= {:.2f} but EV after costs {:+.2f}% <= 0",
                                   p, policy_.threshold, ev_long * 100);
        }
    } else if (policy_.allow_short && 1 - p >= policy_.threshold) {
        d.expected_value = ev_short;
        if (ev_short > 0) {
            position_ = -1;
            held_ = 0;
            if (explain) d.reason = fmt::format("enter short: P(down) {:.2f} >= {:.2f}, EV after costs {:+.2f}%",
                                   1 - p, policy_.threshold, ev_short * 100);
        } else {
            if (explain) d.reason = fmt::format("skip: P(down) {:.2f} but EV after costs {:+.2f}% <= 0", 1 - p,
                                   ev_short * 100);
        }
    } else {
        d.expected_value = ev_long;
        if (explain) d.reason = fmt::format("flat: P(up) {:.2f} below threshold {:.2f}", p, policy_.threshold);
    }
    d.target = position_;
    return d;
}

} // namespace aurum
