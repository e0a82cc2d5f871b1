#include "features/labels.hpp"

#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "features/indicators.hpp"

namespace aurum {

namespace {

std::string num(double v) {
    std::ostringstream o;
    o.precision(12);
    o << v;
    return o.str();
}

/// Causal per-bar volatility: std of 1-bar log returns over `window` bars ending at t (NaN
/// before the warm-up).
std::vector<double> causal_vol(const BarSeries& bars, int window) {
    RealizedVolCC vol(window);
    std::vector<double> out(bars.size(), std::nan(""));
    for (std::size_t i = 0; i < bars.size(); ++i) {
        vol.update(bars.close[i]);
        if (vol.ready()) out[i] = vol.value();
    }
    return out;
}

struct BarrierOutcome {
    std::size_t end = 0; ///< index of the bar that ended the sample
    Barrier barrier = Barrier::Vertical;
    double ret = 0; ///< side-adjusted simple return
};

/// Walks bars t+1..t+h for a trade entered at close[t] on `side`.
BarrierOutcome run_barriers(const BarSeries& bars, std::size_t t, int side, double pt_w,
                            double sl_w, const TripleBarrierParams& p) {
    const double entry = bars.close[t];
    const double s = side;
    // Price levels: profit-take in the trade's favour, stop against it.
    const double pt_px = entry * (1.0 + s * pt_w);
    const double sl_px = entry * (1.0 - s * sl_w);
    const std::size_t last = t + static_cast<std::size_t>(p.horizon);
    auto beyond_pt = [&](double px) { return side > 0 ? px >= pt_px : px <= pt_px; };
    auto beyond_sl = [&](double px) { return side > 0 ? px <= sl_px : px >= sl_px; };
    for (std::size_t j = t + 1; j <= last; ++j) {
        const double o = bars.open[j];
        // A gap through a barrier fills at the open, which may be worse (or better) than it.
        if (beyond_sl(o)) return {j, Barrier::StopLoss, s * (o / entry - 1.0)};
        if (beyond_pt(o)) return {j, Barrier::ProfitTake, s * (o / entry - 1.0)};
        const double fav = side > 0 ? bars.high[j] : bars.low[j];
        const double adv = side > 0 ? bars.low[j] : bars.high[j];
        const bool hit_pt = beyond_pt(fav), hit_sl = beyond_sl(adv);
        if (hit_pt && hit_sl) {
            if (p.both_hit == BothHitRule::StopFirst) return {j, Barrier::StopLoss, -sl_w};
            return {j, Barrier::ProfitTake, pt_w};
        }
        if (hit_sl) return {j, Barrier::StopLoss, -sl_w};
        if (hit_pt) return {j, Barrier::ProfitTake, pt_w};
    }
    return {last, Barrier::Vertical, s * (bars.close[last] / entry - 1.0)};
}

LabelSet empty_like(const BarSeries& bars, LabelMethod m, std::string params) {
    LabelSet l;
    l.symbol = bars.symbol;
    l.timeframe = bars.timeframe;
    l.method = m;
    l.params = std::move(params);
    return l;
}

void push(LabelSet& l, const BarSeries& bars, std::size_t t, std::size_t end, int label,
          double ret, Barrier b, int side) {
    l.time.push_back(bars.time[t]);
    l.t1.push_back(bars.time[end]);
    l.label.push_back(static_cast<std::int8_t>(label));
    l.ret.push_back(ret);
    l.barrier.push_back(static_cast<std::int8_t>(b));
    l.side.push_back(static_cast<std::int8_t>(side));
}

} // namespace

std::string FixedHorizonParams::canonical() const {
    return "horizon=" + std::to_string(horizon) + ";dead_zone=" + num(dead_zone) +
           ";dead_zone_vol=" + num(dead_zone_vol) + ";vol_window=" + std::to_string(vol_window);
}

std::string TripleBarrierParams::canonical() const {
    return "horizon=" + std::to_string(horizon) + ";pt_mult=" + num(pt_mult) +
           ";sl_mult=" + num(sl_mult) + ";vol_window=" + std::to_string(vol_window) +
           ";both_hit=" + (both_hit == BothHitRule::StopFirst ? "stop-first" : "profit-first") +
           ";vertical=" + (vertical_sign ? "sign" : "zero");
}

void validate(const FixedHorizonParams& p) {
    if (p.horizon < 1) throw InputError("horizon: must be >= 1 bar, got " + std::to_string(p.horizon));
    if (!(p.dead_zone >= 0) || !std::isfinite(p.dead_zone))
        throw InputError("dead-zone: must be a finite number >= 0, got " + num(p.dead_zone));
    if (!(p.dead_zone_vol >= 0) || !std::isfinite(p.dead_zone_vol))
        throw InputError("dead-zone-vol: must be a finite number >= 0, got " + num(p.dead_zone_vol));
    if (p.vol_window < 2)
        throw InputError("vol-window: must be >= 2, got " + std::to_string(p.vol_window));
}

void validate(const TripleBarrierParams& p) {
    if (p.horizon < 1) throw InputError("horizon: must be >= 1 bar, got " + std::to_string(p.horizon));
    if (!(p.pt_mult > 0) || !std::isfinite(p.pt_mult))
        throw InputError("pt: profit-take multiple must be > 0, got " + num(p.pt_mult));
    if (!(p.sl_mult > 0) || !std::isfinite(p.sl_mult))
        throw InputError("sl: stop-loss multiple must be > 0, got " + num(p.sl_mult));
    if (p.vol_window < 2)
        throw InputError("vol-window: must be >= 2, got " + std::to_string(p.vol_window));
}

LabelSet fixed_horizon_labels(const BarSeries& bars, const FixedHorizonParams& p) {
    validate(p);
    LabelSet l = empty_like(bars, LabelMethod::FixedHorizon, p.canonical());
    const std::vector<double> vol =
        p.dead_zone_vol > 0 ? causal_vol(bars, p.vol_window) : std::vector<double>{};
    const auto h = static_cast<std::size_t>(p.horizon);
    const double sqrt_h = std::sqrt(static_cast<double>(p.horizon));
    for (std::size_t t = 0; t + h < bars.size(); ++t) {
        double thr = p.dead_zone;
        if (p.dead_zone_vol > 0) {
            if (std::isnan(vol[t])) continue;
            thr += p.dead_zone_vol * vol[t] * sqrt_h;
        }
        const double r = bars.close[t + h] / bars.close[t] - 1.0;
        const int label = r > thr ? 1 : (r < -thr ? -1 : 0);
        push(l, bars, t, t + h, label, r, Barrier::Vertical, 1);
    }
    return l;
}

LabelSet triple_barrier_labels(const BarSeries& bars, const TripleBarrierParams& p) {
    validate(p);
    LabelSet l = empty_like(bars, LabelMethod::TripleBarrier, p.canonical());
    const std::vector<double> vol = causal_vol(bars, p.vol_window);
    const auto h = static_cast<std::size_t>(p.horizon);
    const double sqrt_h = std::sqrt(static_cast<double>(p.horizon));
    for (std::size_t t = 0; t + h < bars.size(); ++t) {
        if (std::isnan(vol[t]) || !(vol[t] > 0)) continue;
        const double w = vol[t] * sqrt_h;
        const BarrierOutcome o = run_barriers(bars, t, 1, p.pt_mult * w, p.sl_mult * w, p);
        int label = static_cast<int>(o.barrier);
        if (o.barrier == Barrier::Vertical && p.vertical_sign)
            label = o.ret > 0 ? 1 : (o.ret < 0 ? -1 : 0);
        push(l, bars, t, o.end, label, o.ret, o.barrier, 1);
    }
    return l;
}

LabelSet meta_labels(const BarSeries& bars, const std::vector<std::int8_t>& sides,
                     const TripleBarrierParams& p) {
    validate(p);
    if (sides.size() != bars.size())
        throw InputError("meta labels: " + std::to_string(sides.size()) + " primary sides for " +
                         std::to_string(bars.size()) + " bars");
    LabelSet l = empty_like(bars, LabelMethod::Meta, p.canonical());
    const std::vector<double> vol = causal_vol(bars, p.vol_window);
    const auto h = static_cast<std::size_t>(p.horizon);
    const double sqrt_h = std::sqrt(static_cast<double>(p.horizon));
    for (std::size_t t = 0; t + h < bars.size(); ++t) {
        const int side = sides[t];
        if (side == 0 || std::isnan(vol[t]) || !(vol[t] > 0)) continue;
        const double w = vol[t] * sqrt_h;
        const BarrierOutcome o = run_barriers(bars, t, side > 0 ? 1 : -1, p.pt_mult * w,
                                              p.sl_mult * w, p);
        push(l, bars, t, o.end, o.ret > 0 ? 1 : 0, o.ret, o.barrier, side > 0 ? 1 : -1);
    }
    return l;
}

std::vector<std::int8_t> sma_cross_sides(const BarSeries& bars, int fast, int slow) {
    if (fast < 1 || slow <= fast)
        throw InputError("primary sma-cross needs 1 <= fast < slow, got fast " +
                         std::to_string(fast) + ", slow " + std::to_string(slow));
    Sma f(fast), s(slow);
    std::vector<std::int8_t> out(bars.size(), 0);
    for (std::size_t i = 0; i < bars.size(); ++i) {
        f.update(bars.close[i]);
        s.update(bars.close[i]);
        if (f.ready() && s.ready())
            out[i] = f.value() > s.value() ? 1 : (f.value() < s.value() ? -1 : 0);
    }
    return out;
}

LabelCounts count_labels(const LabelSet& labels) {
    LabelCounts c;
    for (auto v : labels.label) {
        if (v < 0)
            ++c.negative;
        else if (v == 0)
            ++c.neutral;
        else
            ++c.positive;
    }
    return c;
}

} // namespace aurum
