#include "backtest/strategies.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "features/indicators.hpp"
#include "features/rolling.hpp"

namespace aurum {

namespace {

/// Shared plumbing: per-instrument last signal, sizing, and rebalancing on a change.
class TargetStrategy : public Strategy {
  public:
    explicit TargetStrategy(SizingConfig sizing) : sizer_(sizing) {}
    void on_start(StrategyContext& ctx) override {
        sizer_.start(ctx);
        last_.assign(ctx.instrument_count(), 0.0);
        init(ctx);
    }
    void on_bar(StrategyContext& ctx, InstrumentId i) override {
        const BarView bars = ctx.bars(i);
        sizer_.update(i, bars);
        double sig = signal(ctx, i, bars);
        if (std::isnan(sig))
            return; // warming up: keep whatever is held
        if (sig < 0 && !ctx.can_short(i))
            sig = 0;
        if (sig == last_[i])
            return;
        last_[i] = sig;
        ctx.order_target(i, sizer_.target_qty(ctx, i, sig), stop_loss_, take_profit_);
    }
    /// Protective stop on every entry, as a fraction beyond the entry price (0 = none).
    void set_stop_loss(double fraction) { stop_loss_ = fraction; }
    /// Take-profit target on every position, as a fraction beyond the entry price (0 = none).
    void set_take_profit(double fraction) { take_profit_ = fraction; }

    void resync() override {
        // NaN never equals a signal: the next bar rebalances toward the current one.
        std::fill(last_.begin(), last_.end(), std::numeric_limits<double>::quiet_NaN());
    }

  protected:
    virtual void init(StrategyContext& ctx) = 0;
    /// Desired exposure in [-1, 1] after the bar that just closed; NaN while warming up.
    virtual double signal(StrategyContext& ctx, InstrumentId i, const BarView& bars) = 0;

    Sizer sizer_;
    std::vector<double> last_;
    double stop_loss_ = 0;
    double take_profit_ = 0;
};

class BuyHold final : public TargetStrategy {
  public:
    using TargetStrategy::TargetStrategy;
    std::string name() const override { return "buy-hold"; }

  private:
    void init(StrategyContext&) override {}
    double signal(StrategyContext&, InstrumentId, const BarView&) override { return 1.0; }
};

class SmaCross final : public TargetStrategy {
  public:
    SmaCross(SizingConfig s, int fast, int slow)
        : TargetStrategy(s), fast_n_(fast), slow_n_(slow) {}
    std::string name() const override { return "sma-cross"; }

  private:
    void init(StrategyContext& ctx) override {
        fast_.assign(ctx.instrument_count(), Sma(fast_n_));
        slow_.assign(ctx.instrument_count(), Sma(slow_n_));
    }
    double signal(StrategyContext&, InstrumentId i, const BarView& bars) override {
        const double c = bars.last_close();
        fast_[i].update(c);
        slow_[i].update(c);
        if (!slow_[i].ready())
            return std::nan("");
        return fast_[i].value() > slow_[i].value() ? 1.0 : -1.0;
    }
    int fast_n_, slow_n_;
    std::vector<Sma> fast_, slow_;
};

class RsiReversion final : public TargetStrategy {
  public:
    RsiReversion(SizingConfig s, int period, double lower, double upper, double exit)
        : TargetStrategy(s), period_(period), lower_(lower), upper_(upper), exit_(exit) {}
    std::string name() const override { return "rsi-reversion"; }

  private:
    void init(StrategyContext& ctx) override {
        rsi_.assign(ctx.instrument_count(), Rsi(period_));
        state_.assign(ctx.instrument_count(), 0.0);
    }
    double signal(StrategyContext& ctx, InstrumentId i, const BarView& bars) override {
        rsi_[i].update(bars.last_close());
        if (!rsi_[i].ready())
            return std::nan("");
        const double r = rsi_[i].value();
        double& st = state_[i];
        // Enter against an extreme, leave when RSI crosses back through the exit level.
        if (st == 0) {
            if (r < lower_)
                st = 1;
            else if (r > upper_ && ctx.can_short(i))
                st = -1;
        } else if (st > 0 && r > exit_) {
            st = 0;
        } else if (st < 0 && r < exit_) {
            st = 0;
        }
        return st;
    }
    int period_;
    double lower_, upper_, exit_;
    std::vector<Rsi> rsi_;
    std::vector<double> state_;
};

class DonchianBreakout final : public TargetStrategy {
  public:
    DonchianBreakout(SizingConfig s, int entry, int exit)
        : TargetStrategy(s), entry_n_(entry), exit_n_(exit) {}
    std::string name() const override { return "donchian-breakout"; }

  private:
    void init(StrategyContext& ctx) override {
        const std::size_t n = ctx.instrument_count();
        hh_.assign(n, RollingMax(entry_n_));
        ll_.assign(n, RollingMin(entry_n_));
        xh_.assign(n, RollingMax(exit_n_));
        xl_.assign(n, RollingMin(exit_n_));
        state_.assign(n, 0.0);
    }
    double signal(StrategyContext& ctx, InstrumentId i, const BarView& bars) override {
        const std::size_t k = bars.size() - 1;
        const double c = bars.closes()[k], h = bars.highs()[k], l = bars.lows()[k];
        // Channels of the previous bars (the current bar is added after the comparison).
        const bool ready = hh_[i].ready() && xl_[i].ready();
        double& st = state_[i];
        if (ready) {
            if (st <= 0 && c > hh_[i].value())
                st = 1;
            else if (st >= 0 && c < ll_[i].value() && ctx.can_short(i))
                st = -1;
            else if (st > 0 && c < xl_[i].value())
                st = 0;
            else if (st < 0 && c > xh_[i].value())
                st = 0;
        }
        hh_[i].update(h);
        ll_[i].update(l);
        xh_[i].update(h);
        xl_[i].update(l);
        return ready ? st : std::nan("");
    }
    int entry_n_, exit_n_;
    std::vector<RollingMax> hh_, xh_;
    std::vector<RollingMin> ll_, xl_;
    std::vector<double> state_;
};

class SignalsStrategy final : public TargetStrategy {
  public:
    SignalsStrategy(SizingConfig s, std::shared_ptr<const SignalSeries> sig, double long_above,
                    double short_below)
        : TargetStrategy(s), sig_(std::move(sig)), long_above_(long_above),
          short_below_(short_below) {}
    std::string name() const override { return "signals"; }

  private:
    void init(StrategyContext& ctx) override {
        index_.clear();
        for (std::size_t i = 0; i < ctx.instrument_count(); ++i)
            index_.push_back(sig_->index_of(ctx.instrument(static_cast<InstrumentId>(i)).symbol));
    }
    double signal(StrategyContext&, InstrumentId i, const BarView& bars) override {
        // A record stamped with a bar's open time is known at that bar's close (now).
        const double v = sig_->value_at(index_[i], bars.last_time());
        if (std::isnan(v))
            return v;
        if (sig_->kind() == SignalSeries::Kind::Target)
            return v;
        if (v >= long_above_)
            return 1.0;
        if (v <= short_below_)
            return -1.0;
        return 0.0;
    }
    std::shared_ptr<const SignalSeries> sig_;
    double long_above_, short_below_;
    std::vector<int> index_;
};

/// One of the optional guard fractions every rule strategy takes, 0 when absent: "stop-loss"
/// in [0, 1) and "take-profit" in (0, 1); `example` shows one in the error.
double guard_fraction_param(const std::map<std::string, double>& params, const char* name,
                            bool zero_allowed, const char* example) {
    const auto it = params.find(name);
    if (it == params.end())
        return 0.0;
    const double v = it->second;
    if (!((zero_allowed ? v >= 0 : v > 0) && v < 1))
        throw InputError("strategy parameter '" + std::string(name) +
                         "' must be a fraction in " + (zero_allowed ? "[0, 1)" : "(0, 1)") +
                         ", e.g. " + example + " beyond the entry (got " + std::to_string(v) +
                         ")");
    return v;
}

int period(const std::map<std::string, double>& p, const std::string& key) {
    const double v = p.at(key);
    if (!(v >= 1) || v != std::floor(v) || v > 1e6)
        throw InputError("strategy parameter --" + key + " must be a whole number >= 1 (got " +
                         std::to_string(v) + ")");
    return static_cast<int>(v);
}

} // namespace

const std::vector<std::string>& strategy_names() {
    static const std::vector<std::string> names = {"buy-hold", "sma-cross", "rsi-reversion",
                                                   "donchian-breakout", "signals"};
    return names;
}

std::map<std::string, double> default_params(const std::string& name) {
    if (name == "buy-hold")
        return {};
    if (name == "sma-cross")
        return {{"fast", 10}, {"slow", 30}};
    if (name == "rsi-reversion")
        return {{"period", 14}, {"lower", 30}, {"upper", 70}, {"exit", 50}};
    if (name == "donchian-breakout")
        return {{"entry", 20}, {"exit", 10}};
    if (name == "signals")
        return {{"long-above", 0.55}, {"short-below", 0.45}};
    std::string known;
    for (const auto& n : strategy_names())
        known += (known.empty() ? "" : ", ") + n;
    throw InputError("unknown strategy '" + name + "' (known: " + known + ")");
}

std::unique_ptr<Strategy> make_strategy(const StrategySpec& spec) {
    if (spec.build) {
        if (!spec.params.empty())
            throw InputError("strategy '" + spec.name + "' takes no parameters");
        return spec.build();
    }
    std::map<std::string, double> p = default_params(spec.name);
    const double stop_loss =
        guard_fraction_param(spec.params, kStopLossParam, true, "0.05 for a stop 5 %");
    const double take_profit =
        guard_fraction_param(spec.params, kTakeProfitParam, false, "0.08 for a target 8 %");
    for (const auto& [k, v] : spec.params) {
        if (k == kStopLossParam || k == kTakeProfitParam)
            continue;
        if (!p.count(k)) {
            std::string known;
            for (const auto& [kk, vv] : p)
                known += kk + ", ";
            throw InputError("strategy '" + spec.name + "' has no parameter '" + k + "' (has: " +
                             known + kStopLossParam + ", " + kTakeProfitParam + ")");
        }
        if (!std::isfinite(v))
            throw InputError("strategy parameter '" + k + "' is not finite");
        p[k] = v;
    }
    const SizingConfig& s = spec.sizing;
    std::unique_ptr<TargetStrategy> made;
    if (spec.name == "buy-hold")
        made = std::make_unique<BuyHold>(s);
    if (spec.name == "sma-cross") {
        const int fast = period(p, "fast"), slow = period(p, "slow");
        if (fast >= slow)
            throw InputError("sma-cross: --fast (" + std::to_string(fast) +
                             ") must be less than --slow (" + std::to_string(slow) + ")");
        made = std::make_unique<SmaCross>(s, fast, slow);
    }
    if (spec.name == "rsi-reversion") {
        const int n = period(p, "period");
        const double lo = p["lower"], hi = p["upper"], ex = p["exit"];
        if (!(0 < lo && lo <= ex && ex <= hi && hi < 100))
            throw InputError("rsi-reversion: need 0 < lower <= exit <= upper < 100 (got lower " +
                             std::to_string(lo) + ", exit " + std::to_string(ex) + ", upper " +
                             std::to_string(hi) + ")");
        made = std::make_unique<RsiReversion>(s, n, lo, hi, ex);
    }
    if (spec.name == "donchian-breakout")
        made = std::make_unique<DonchianBreakout>(s, period(p, "entry"), period(p, "exit"));
    if (spec.name == "signals") {
        if (!spec.signals)
            throw InputError("strategy 'signals' needs --signals FILE.csv or --signals-table TABLE");
        const double la = p["long-above"], sb = p["short-below"];
        if (!(0 <= sb && sb <= la && la <= 1))
            throw InputError("signals: need 0 <= short-below <= long-above <= 1");
        made = std::make_unique<SignalsStrategy>(s, spec.signals, la, sb);
    }
    made->set_stop_loss(stop_loss);
    made->set_take_profit(take_profit);
    return made;
}

} // namespace aurum
