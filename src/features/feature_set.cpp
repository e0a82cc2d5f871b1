#include "features/feature_set.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <set>
#include <sstream>

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/workspace.hpp"
#include "features/indicators.hpp"
#include "features/regimes.hpp"

namespace aurum {

/// One indicator instance inside a pipeline: consumes bars, writes its outputs.
class FeatureNode {
public:
    virtual ~FeatureNode() = default;
    virtual void update(const Bar& b) = 0;
    virtual bool ready() const = 0;
    virtual void reset() = 0;
    /// Writes every output, in the indicator's declared order.
    virtual void write(double* out) const = 0;
};

namespace {

// ---------------------------------------------------------------------------------------------
// Inputs and node adapters

enum class Field { Open, High, Low, Close, Volume, Typical, Median, Return };

const std::vector<std::string>& field_names() {
    static const std::vector<std::string> names = {"open",   "high",    "low",    "close",
                                                   "volume", "typical", "median", "return"};
    return names;
}

Field parse_field(const std::string& s) {
    const auto& names = field_names();
    return static_cast<Field>(std::find(names.begin(), names.end(), s) - names.begin());
}

inline double pick(const Bar& b, Field f) {
    switch (f) {
    case Field::Open:
        return b.open;
    case Field::High:
        return b.high;
    case Field::Low:
        return b.low;
    case Field::Close:
    case Field::Return:
        return b.close;
    case Field::Volume:
        return b.volume;
    case Field::Typical:
        return typical_price(b);
    case Field::Median:
        return 0.5 * (b.high + b.low);
    }
    return b.close;
}

/// An indicator fed one input field per bar (or the 1-bar log return of the close).
template <class Ind, class Out> class ScalarNode final : public FeatureNode {
public:
    ScalarNode(Ind ind, Field f, Out out) : ind_(std::move(ind)), field_(f), out_(std::move(out)) {}
    void update(const Bar& b) override {
        if (field_ == Field::Return) {
            if (!has_prev_) {
                prev_ = b.close;
                has_prev_ = true;
                return;
            }
            const double r = std::log(b.close / prev_);
            prev_ = b.close;
            ind_.update(r);
            return;
        }
        ind_.update(pick(b, field_));
    }
    bool ready() const override { return ind_.ready(); }
    void reset() override {
        ind_.reset();
        has_prev_ = false;
    }
    void write(double* out) const override { out_(ind_, out); }

private:
    Ind ind_;
    Field field_;
    Out out_;
    bool has_prev_ = false;
    double prev_ = 0;
};

/// An indicator fed whole bars.
template <class Ind, class Out> class BarNode final : public FeatureNode {
public:
    BarNode(Ind ind, Out out) : ind_(std::move(ind)), out_(std::move(out)) {}
    void update(const Bar& b) override { ind_.update(b); }
    bool ready() const override { return ind_.ready(); }
    void reset() override { ind_.reset(); }
    void write(double* out) const override { out_(ind_, out); }

private:
    Ind ind_;
    Out out_;
};

template <class Ind, class Out> std::unique_ptr<FeatureNode> scalar(Ind ind, Field f, Out out) {
    return std::make_unique<ScalarNode<Ind, Out>>(std::move(ind), f, std::move(out));
}
template <class Ind, class Out> std::unique_ptr<FeatureNode> bar_node(Ind ind, Out out) {
    return std::make_unique<BarNode<Ind, Out>>(std::move(ind), std::move(out));
}

/// Distance of the input from a moving average, x / MA - 1.
template <class Ma> class MaDistance {
public:
    explicit MaDistance(int n) : ma_(n) {}
    void update(double x) {
        ma_.update(x);
        last_ = x;
    }
    bool ready() const { return ma_.ready(); }
    double value() const { return ma_.value() != 0 ? last_ / ma_.value() - 1.0 : 0.0; }
    void reset() { ma_.reset(); }

private:
    Ma ma_;
    double last_ = 0;
};

/// Spread in basis points of the close, and its z-score over n bars.
class SpreadFeatures {
public:
    explicit SpreadFeatures(int n) : z_(n, false) {}
    void update(const Bar& b) {
        bps_ = b.close != 0 ? 1e4 * b.spread / b.close : 0.0;
        z_.update(bps_);
    }
    bool ready() const { return z_.ready(); }
    double bps() const { return bps_; }
    double z() const { return z_.zscore(); }
    void reset() { z_.reset(); }

private:
    RollingStats z_;
    double bps_ = 0;
};

class TimeNode final : public FeatureNode {
public:
    void update(const Bar& b) override { enc_.update(b.time); }
    bool ready() const override { return true; }
    void reset() override {}
    void write(double* out) const override {
        out[0] = enc_.tod_sin;
        out[1] = enc_.tod_cos;
        out[2] = enc_.dow_sin;
        out[3] = enc_.dow_cos;
    }

private:
    TimeEncoding enc_;
};

class RegimeNode final : public FeatureNode {
public:
    explicit RegimeNode(const RegimeParams& p) : c_(p) {}
    void update(const Bar& b) override { c_.update(b); }
    bool ready() const override { return c_.ready(); }
    void reset() override { c_.reset(); }
    void write(double* out) const override {
        const Regime r = c_.regime();
        out[0] = r == Regime::Bull;
        out[1] = r == Regime::Bear;
        out[2] = r == Regime::Ranging;
        out[3] = r == Regime::HighVol;
    }

private:
    RegimeClassifier c_;
};

/// Reference-asset features joined as-of: at the close of each own bar, the reference's latest
/// bar whose close time is not after it. Returns, volatility, trend of the reference (sampled at
/// own bars), and rolling correlation and beta of own returns on reference returns.
class CrossAssetNode final : public FeatureNode {
public:
    CrossAssetNode(const BarSeries& ref, Timeframe tf, int n, int max_stale_bars)
        : ref_(ref), tf_(tf.ms()), max_stale_(static_cast<TimeMs>(max_stale_bars) * tf.ms()),
          sma_(n), ret_(n, 2), cov_(n) {}
    void update(const Bar& b) override {
        const TimeMs decision = b.time + tf_;
        while (idx_ < ref_.size() && ref_.close_time(idx_) <= decision) {
            ref_close_ = ref_.close[idx_];
            ref_time_ = ref_.close_time(idx_);
            have_ref_ = true;
            ++idx_;
        }
        fresh_ = have_ref_ && decision - ref_time_ <= max_stale_;
        if (!fresh_) {
            // A stale reference must not be bridged over: start the windows again when it returns.
            reset();
            return;
        }
        sma_.update(ref_close_);
        if (has_prev_) {
            last_ret_ = std::log(ref_close_ / prev_ref_);
            ret_.update(last_ret_);
            cov_.update(std::log(b.close / prev_own_), last_ret_);
        }
        prev_ref_ = ref_close_;
        prev_own_ = b.close;
        has_prev_ = true;
    }
    bool ready() const override { return fresh_ && cov_.ready() && sma_.ready(); }
    void reset() override {
        sma_.reset();
        ret_.reset();
        cov_.reset();
        has_prev_ = false;
    }
    void write(double* out) const override {
        out[0] = last_ret_;
        out[1] = ret_.stddev();
        out[2] = sma_.value() != 0 ? ref_close_ / sma_.value() - 1.0 : 0.0;
        out[3] = cov_.correlation();
        out[4] = cov_.beta_x_on_y();
    }

private:
    const BarSeries& ref_;
    TimeMs tf_, max_stale_;
    std::size_t idx_ = 0;
    bool have_ref_ = false, fresh_ = false, has_prev_ = false;
    TimeMs ref_time_ = 0;
    double ref_close_ = 0, prev_ref_ = 0, prev_own_ = 0, last_ret_ = 0;
    Sma sma_;
    RollingMoments ret_;
    RollingCovariance cov_;
};

/// An external series joined as-of with a publication lag: observation i becomes usable at the
/// end of its period plus `lag`; the transform runs over observations (not bars), so its window
/// is in the series' own periods (days). Bar gaps do not reset it.
class ExternalNode final : public FeatureNode {
public:
    enum class Transform { Raw, ZScore, Diff, PctChange };
    ExternalNode(const ExternalSeries& s, Timeframe tf, Transform tr, int window, TimeMs lag,
                 TimeMs max_age)
        : s_(s), tf_(tf.ms()), tr_(tr), lag_ms_(lag), max_age_(max_age), stats_(window, false),
          lag_(window) {}
    void update(const Bar& b) override {
        const TimeMs decision = b.time + tf_;
        while (idx_ < s_.size() && s_.available_at(idx_, lag_ms_) <= decision) {
            feed(s_.value[idx_]);
            avail_ = s_.available_at(idx_, lag_ms_);
            ++idx_;
        }
        fresh_ = idx_ > 0 && decision - avail_ <= max_age_;
    }
    bool ready() const override {
        if (!fresh_) return false;
        switch (tr_) {
        case Transform::Raw:
            return true;
        case Transform::ZScore:
            return stats_.ready();
        default:
            return lag_.ready();
        }
    }
    void reset() override {}
    void write(double* out) const override {
        switch (tr_) {
        case Transform::Raw:
            out[0] = last_;
            break;
        case Transform::ZScore:
            out[0] = stats_.zscore();
            break;
        case Transform::Diff:
            out[0] = lag_.current() - lag_.lagged();
            break;
        case Transform::PctChange:
            out[0] = lag_.lagged() != 0 ? lag_.current() / lag_.lagged() - 1.0 : 0.0;
            break;
        }
    }

private:
    void feed(double v) {
        last_ = v;
        stats_.update(v);
        lag_.update(v);
    }
    const ExternalSeries& s_;
    TimeMs tf_;
    Transform tr_;
    TimeMs lag_ms_, max_age_;
    RollingStats stats_;
    Lag lag_;
    std::size_t idx_ = 0;
    TimeMs avail_ = 0;
    bool fresh_ = false;
    double last_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The indicator registry

enum class PType { Int, Double, Bool, Field, Choice, Text };

struct ParamDef {
    std::string name;
    PType type;
    std::string def; ///< default as canonical text ("" = required)
    double lo = 1, hi = 100000;
    std::vector<std::string> choices;
};

using Params = std::map<std::string, std::string>;

struct BuildArgs {
    const Params& p;
    const FeatureContext& ctx;
    const FeatureSpec& spec;
    int i(const std::string& k) const { return std::stoi(p.at(k)); }
    double d(const std::string& k) const { return std::stod(p.at(k)); }
    bool b(const std::string& k) const { return p.at(k) == "true"; }
    const std::string& s(const std::string& k) const { return p.at(k); }
    Field f() const { return parse_field(p.at("input")); }
};

struct IndicatorDef {
    std::string name;
    std::string summary;
    std::vector<ParamDef> params;
    std::vector<std::string> outputs; ///< "" = the feature's own name
    std::vector<std::string> name_params; ///< parameters shown in the default column name
    std::function<std::unique_ptr<FeatureNode>(const BuildArgs&)> make;
};

ParamDef period(int def, int lo = 1) {
    return {"period", PType::Int, std::to_string(def), static_cast<double>(lo), 100000, {}};
}
ParamDef input(const std::string& def = "close") {
    return {"input", PType::Field, def, 0, 0, {}};
}

template <class T> auto one(double (T::*fn)() const) {
    return [fn](const T& ind, double* out) { out[0] = (ind.*fn)(); };
}

const std::vector<IndicatorDef>& registry() {
    static const std::vector<IndicatorDef> defs = [] {
        std::vector<IndicatorDef> v;
        auto simple = [&v](std::string name, std::string summary, int def_period, auto factory) {
            v.push_back({std::move(name), std::move(summary), {period(def_period), input()}, {""},
                         {"period"}, factory});
        };
        simple("sma", "simple moving average", 20, [](const BuildArgs& a) {
            return scalar(Sma(a.i("period")), a.f(), one(&Sma::value));
        });
        simple("ema", "exponential moving average (SMA-seeded)", 20, [](const BuildArgs& a) {
            return scalar(Ema(a.i("period")), a.f(), one(&Ema::value));
        });
        simple("wma", "linearly weighted moving average", 20, [](const BuildArgs& a) {
            return scalar(Wma(a.i("period")), a.f(), one(&Wma::value));
        });
        simple("rsi", "Wilder's relative strength index", 14, [](const BuildArgs& a) {
            return scalar(Rsi(a.i("period")), a.f(), one(&Rsi::value));
        });
        simple("roc", "rate of change, percent", 10, [](const BuildArgs& a) {
            return scalar(Roc(a.i("period")), a.f(), one(&Roc::value));
        });
        simple("momentum", "x - x[n]", 10, [](const BuildArgs& a) {
            return scalar(Momentum(a.i("period")), a.f(), one(&Momentum::value));
        });
        simple("log_return", "ln(x / x[n])", 1, [](const BuildArgs& a) {
            return scalar(LogReturn(a.i("period")), a.f(), one(&LogReturn::value));
        });
        simple("rolling_std", "rolling population standard deviation", 20, [](const BuildArgs& a) {
            return scalar(RollingStats(a.i("period"), false), a.f(),
                          one(&RollingStats::stddev));
        });
        simple("zscore", "(x - mean) / std over n", 20, [](const BuildArgs& a) {
            return scalar(RollingStats(a.i("period"), false), a.f(),
                          one(&RollingStats::zscore));
        });
        simple("skew", "rolling skewness (population)", 30, [](const BuildArgs& a) {
            return scalar(RollingStats(a.i("period"), true), a.f(),
                          one(&RollingStats::skewness));
        });
        simple("kurtosis", "rolling excess kurtosis (population)", 30, [](const BuildArgs& a) {
            return scalar(RollingStats(a.i("period"), true), a.f(),
                          one(&RollingStats::kurtosis));
        });
        v.push_back({"rolling_min", "rolling minimum (monotonic deque)", {period(20), input("low")},
                     {""}, {"period"}, [](const BuildArgs& a) {
                         return scalar(RollingMin(a.i("period")), a.f(),
                                       one(&RollingMin::value));
                     }});
        v.push_back({"rolling_max", "rolling maximum (monotonic deque)",
                     {period(20), input("high")}, {""}, {"period"}, [](const BuildArgs& a) {
                         return scalar(RollingMax(a.i("period")), a.f(),
                                       one(&RollingMax::value));
                     }});
        v.push_back({"macd",
                     "MACD line, signal, histogram (normalize: percent of the slow EMA)",
                     {{"fast", PType::Int, "12", 1, 100000, {}},
                      {"slow", PType::Int, "26", 1, 100000, {}},
                      {"signal", PType::Int, "9", 1, 100000, {}},
                      {"normalize", PType::Bool, "false", 0, 0, {}},
                      input()},
                     {"line", "signal", "hist"},
                     {"fast", "slow", "signal"},
                     [](const BuildArgs& a) {
                         if (a.i("fast") >= a.i("slow"))
                             throw InputError("macd: fast (" + a.s("fast") +
                                              ") must be shorter than slow (" + a.s("slow") + ")");
                         return scalar(Macd(a.i("fast"), a.i("slow"), a.i("signal"), a.b("normalize")),
                                       a.f(), [](const Macd& m, double* out) {
                                           out[0] = m.line();
                                           out[1] = m.signal();
                                           out[2] = m.histogram();
                                       });
                     }});
        v.push_back({"bollinger",
                     "Bollinger bands: middle, upper, lower, %b, bandwidth",
                     {period(20, 2), {"k", PType::Double, "2", 0, 100, {}}, input()},
                     {"middle", "upper", "lower", "pctb", "bandwidth"},
                     {"period", "k"},
                     [](const BuildArgs& a) {
                         return scalar(Bollinger(a.i("period"), a.d("k")), a.f(),
                                       [](const Bollinger& b, double* out) {
                                           out[0] = b.middle();
                                           out[1] = b.upper();
                                           out[2] = b.lower();
                                           out[3] = b.percent_b();
                                           out[4] = b.bandwidth();
                                       });
                     }});
        v.push_back({"atr", "Wilder's average true range; pct = 100 * ATR / close", {period(14)},
                     {"", "pct"}, {"period"}, [](const BuildArgs& a) {
                         return bar_node(Atr(a.i("period")), [](const Atr& x, double* out) {
                             out[0] = x.value();
                             out[1] = x.normalized();
                         });
                     }});
        v.push_back({"adx", "Wilder's ADX with +DI and -DI", {period(14)},
                     {"", "plus_di", "minus_di"}, {"period"}, [](const BuildArgs& a) {
                         return bar_node(Adx(a.i("period")), [](const Adx& x, double* out) {
                             out[0] = x.adx();
                             out[1] = x.plus_di();
                             out[2] = x.minus_di();
                         });
                     }});
        v.push_back({"stoch",
                     "slow stochastic %K and %D",
                     {{"k", PType::Int, "14", 1, 100000, {}},
                      {"slow_k", PType::Int, "3", 1, 100000, {}},
                      {"d", PType::Int, "3", 1, 100000, {}}},
                     {"k", "d"},
                     {"k", "slow_k", "d"},
                     [](const BuildArgs& a) {
                         return bar_node(Stochastic(a.i("k"), a.i("slow_k"), a.i("d")),
                                         [](const Stochastic& s, double* out) {
                                             out[0] = s.k();
                                             out[1] = s.d();
                                         });
                     }});
        v.push_back({"williams_r", "Williams %R", {period(14)}, {""}, {"period"},
                     [](const BuildArgs& a) {
                         return bar_node(WilliamsR(a.i("period")), one(&WilliamsR::value));
                     }});
        v.push_back({"cci", "commodity channel index", {period(20)}, {""}, {"period"},
                     [](const BuildArgs& a) {
                         return bar_node(Cci(a.i("period")), one(&Cci::value));
                     }});
        v.push_back({"obv", "on-balance volume; norm = signed / total volume over n", {period(20)},
                     {"", "norm"}, {"period"}, [](const BuildArgs& a) {
                         return bar_node(Obv(a.i("period")), [](const Obv& o, double* out) {
                             out[0] = o.obv();
                             out[1] = o.normalized();
                         });
                     }});
        v.push_back({"mfi", "money flow index", {period(14)}, {""}, {"period"},
                     [](const BuildArgs& a) {
                         return bar_node(Mfi(a.i("period")), one(&Mfi::value));
                     }});
        v.push_back({"vwap", "rolling VWAP; dist = close / VWAP - 1", {period(20)}, {"", "dist"},
                     {"period"}, [](const BuildArgs& a) {
                         return bar_node(RollingVwap(a.i("period")),
                                         [](const RollingVwap& w, double* out) {
                                             out[0] = w.value();
                                             out[1] = w.distance();
                                         });
                     }});
        v.push_back({"rv_cc", "close-to-close realised volatility (per bar)", {period(20, 2)},
                     {""}, {"period"}, [](const BuildArgs& a) {
                         return scalar(RealizedVolCC(a.i("period")), Field::Close,
                                       one(&RealizedVolCC::value));
                     }});
        v.push_back({"rv_parkinson", "Parkinson high-low volatility (per bar)", {period(20)}, {""},
                     {"period"}, [](const BuildArgs& a) {
                         return bar_node(ParkinsonVol(a.i("period")), one(&ParkinsonVol::value));
                     }});
        v.push_back({"rv_gk", "Garman-Klass OHLC volatility (per bar)", {period(20)}, {""},
                     {"period"}, [](const BuildArgs& a) {
                         return bar_node(GarmanKlassVol(a.i("period")),
                                         one(&GarmanKlassVol::value));
                     }});
        v.push_back({"volume_zscore", "z-score of volume over n", {period(20, 2)}, {""},
                     {"period"}, [](const BuildArgs& a) {
                         return scalar(RollingStats(a.i("period"), false), Field::Volume,
                                       one(&RollingStats::zscore));
                     }});
        v.push_back({"ma_distance",
                     "x / MA(n) - 1",
                     {period(50), {"type", PType::Choice, "sma", 0, 0, {"sma", "ema", "wma"}},
                      input()},
                     {""},
                     {"period", "type"},
                     [](const BuildArgs& a) -> std::unique_ptr<FeatureNode> {
                         const int n = a.i("period");
                         if (a.s("type") == "ema")
                             return scalar(MaDistance<Ema>(n), a.f(),
                                           one(&MaDistance<Ema>::value));
                         if (a.s("type") == "wma")
                             return scalar(MaDistance<Wma>(n), a.f(),
                                           one(&MaDistance<Wma>::value));
                         return scalar(MaDistance<Sma>(n), a.f(),
                                       one(&MaDistance<Sma>::value));
                     }});
        v.push_back({"time_encoding", "sin/cos of time of day and day of week (UTC open time)", {},
                     {"tod_sin", "tod_cos", "dow_sin", "dow_cos"}, {}, [](const BuildArgs&) {
                         return std::unique_ptr<FeatureNode>(std::make_unique<TimeNode>());
                     }});
        v.push_back({"spread", "spread in bps of close, and its z-score (needs a spread column)",
                     {period(20, 2)}, {"bps", "z"}, {"period"},
                     [](const BuildArgs& a) -> std::unique_ptr<FeatureNode> {
                         if (!a.ctx.has_spread)
                             throw InputError("feature '" + a.spec.name + "' needs a spread column, "
                                              "but the bars of " + a.ctx.symbol +
                                              " have none (spread comes from MT5 exports)");
                         return bar_node(SpreadFeatures(a.i("period")),
                                         [](const SpreadFeatures& s, double* out) {
                                             out[0] = s.bps();
                                             out[1] = s.z();
                                         });
                     }});
        v.push_back({"regime",
                     "causal percentile regime, one-hot (see docs/features.md)",
                     {{"trend_window", PType::Int, "50", 2, 100000, {}},
                      {"vol_window", PType::Int, "20", 2, 100000, {}},
                      {"lookback", PType::Int, "1000", 10, 100000, {}},
                      {"min_history", PType::Int, "200", 1, 100000, {}},
                      {"high_vol_pct", PType::Double, "0.8", 0.01, 1, {}},
                      {"high_vol_ratio", PType::Double, "1.5", 0, 100, {}},
                      {"trend_threshold", PType::Double, "0.5", 0, 100, {}}},
                     {"bull", "bear", "ranging", "high_vol"},
                     {},
                     [](const BuildArgs& a) {
                         RegimeParams p;
                         p.trend_window = a.i("trend_window");
                         p.vol_window = a.i("vol_window");
                         p.lookback = a.i("lookback");
                         p.min_history = a.i("min_history");
                         p.high_vol_pct = a.d("high_vol_pct");
                         p.high_vol_ratio = a.d("high_vol_ratio");
                         p.trend_threshold = a.d("trend_threshold");
                         return std::unique_ptr<FeatureNode>(std::make_unique<RegimeNode>(p));
                     }});
        v.push_back({"cross_asset",
                     "reference asset return, volatility, trend; rolling correlation and beta",
                     {{"reference", PType::Text, "", 0, 0, {}},
                      period(20, 2),
                      {"max_stale_bars", PType::Int, "3", 0, 100000, {}}},
                     {"ret", "vol", "trend", "corr", "beta"},
                     {"reference", "period"},
                     [](const BuildArgs& a) -> std::unique_ptr<FeatureNode> {
                         auto it = a.ctx.references.find(a.s("reference"));
                         if (it == a.ctx.references.end() || it->second.empty())
                             throw InputError("feature '" + a.spec.name + "': no " +
                                              a.ctx.timeframe.name() + " bars of reference " +
                                              a.s("reference") + " (import them first)");
                         return std::make_unique<CrossAssetNode>(it->second, a.ctx.timeframe,
                                                                 a.i("period"),
                                                                 a.i("max_stale_bars"));
                     }});
        v.push_back({"external",
                     "external daily series joined as-of after publication",
                     {{"series", PType::Text, "", 0, 0, {}},
                      {"transform", PType::Choice, "raw", 0, 0, {"raw", "zscore", "diff", "pct_change"}},
                      {"window", PType::Int, "30", 1, 100000, {}},
                      {"lag_hours", PType::Double, "0", 0, 24 * 365, {}},
                      {"max_age_days", PType::Double, "7", 0, 3650, {}}},
                     {""},
                     {"series", "transform"},
                     [](const BuildArgs& a) -> std::unique_ptr<FeatureNode> {
                         auto it = a.ctx.externals.find(a.s("series"));
                         if (it == a.ctx.externals.end() || it->second.size() == 0)
                             throw InputError("feature '" + a.spec.name + "': external series '" +
                                              a.s("series") +
                                              "' has no data (fetch or import it first)");
                         const std::string& t = a.s("transform");
                         auto tr = t == "zscore" ? ExternalNode::Transform::ZScore
                                   : t == "diff" ? ExternalNode::Transform::Diff
                                   : t == "pct_change" ? ExternalNode::Transform::PctChange
                                                       : ExternalNode::Transform::Raw;
                         return std::make_unique<ExternalNode>(
                             it->second, a.ctx.timeframe, tr, a.i("window"),
                             static_cast<TimeMs>(a.d("lag_hours") * kMsPerHour),
                             static_cast<TimeMs>(a.d("max_age_days") * kMsPerDay));
                     }});
        return v;
    }();
    return defs;
}

const IndicatorDef* find_indicator(const std::string& name) {
    for (const auto& d : registry())
        if (d.name == name) return &d;
    return nullptr;
}

std::string sanitize(const std::string& s) {
    std::string out;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        out += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_';
    }
    return out;
}

std::string canonical_number(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    // Prefer the shortest text that reads back to the same double ("2" rather than "2.0000...").
    for (int prec = 1; prec <= 17; ++prec) {
        char b2[40];
        std::snprintf(b2, sizeof b2, "%.*g", prec, v);
        if (std::strtod(b2, nullptr) == v) return b2;
    }
    return buf;
}

std::string output_label(const std::string& o) { return o.empty() ? "value" : o; }

std::string column_name(const FeatureSpec& f, const std::string& output) {
    return output.empty() ? f.name : f.name + "_" + output;
}

/// Parses one `features:` entry, filling defaults and naming the key of anything wrong.
FeatureSpec parse_feature(const ConfigNode& item) {
    if (!item.raw().IsMap()) item.fail("", "expected a map such as {indicator: rsi, period: 14}");
    const std::string ind = item.get_string("indicator");
    const IndicatorDef* def = find_indicator(ind);
    if (!def) {
        std::string best, known;
        std::size_t best_d = 1000;
        for (const auto& d : registry()) {
            known += (known.empty() ? "" : ", ") + d.name;
            const auto dist = edit_distance(ind, d.name);
            if (dist < best_d) {
                best_d = dist;
                best = d.name;
            }
        }
        item.fail("indicator", "unknown indicator '" + ind + "'" +
                                   (best_d <= 3 ? " (did you mean '" + best + "'?)" : "") +
                                   "; known: " + known);
    }
    FeatureSpec spec;
    spec.indicator = ind;
    for (const auto& key : item.keys()) {
        if (key == "indicator" || key == "name" || key == "outputs") continue;
        bool known = false;
        for (const auto& p : def->params) known = known || p.name == key;
        if (!known) {
            std::string list;
            for (const auto& p : def->params) list += (list.empty() ? "" : ", ") + p.name;
            item.fail(key, "unknown parameter for indicator '" + ind + "' (parameters: " +
                               (list.empty() ? "none" : list) + ")");
        }
    }
    for (const auto& p : def->params) {
        std::string value;
        if (!item.has(p.name)) {
            if (p.def.empty() && p.type == PType::Text)
                item.fail(p.name, "required parameter of indicator '" + ind + "' is missing");
            value = p.def;
        } else {
            switch (p.type) {
            case PType::Int: {
                const long long v = item.get_int(p.name, 0);
                if (v < p.lo || v > p.hi)
                    item.fail(p.name, "must be a whole number in [" + canonical_number(p.lo) +
                                          ", " + canonical_number(p.hi) + "], got " +
                                          std::to_string(v));
                value = std::to_string(v);
                break;
            }
            case PType::Double:
                value = canonical_number(item.get_in_range(p.name, 0, p.lo, p.hi));
                break;
            case PType::Bool:
                value = item.get_bool(p.name, false) ? "true" : "false";
                break;
            case PType::Field: {
                value = item.get_string(p.name);
                const auto& names = field_names();
                if (std::find(names.begin(), names.end(), value) == names.end())
                    item.fail(p.name, "unknown input '" + value +
                                          "' (open, high, low, close, volume, typical, median, "
                                          "return)");
                break;
            }
            case PType::Choice: {
                value = item.get_string(p.name);
                if (std::find(p.choices.begin(), p.choices.end(), value) == p.choices.end()) {
                    std::string list;
                    for (const auto& c : p.choices) list += (list.empty() ? "" : ", ") + c;
                    item.fail(p.name, "must be one of " + list + ", got '" + value + "'");
                }
                break;
            }
            case PType::Text:
                value = item.get_string(p.name);
                if (value.empty()) item.fail(p.name, "must not be empty");
                break;
            }
        }
        spec.params[p.name] = value;
    }
    if (item.has("outputs")) {
        for (const auto& o : item.get_strings("outputs")) {
            bool ok = false;
            for (const auto& d : def->outputs) ok = ok || output_label(d) == o;
            if (!ok) {
                std::string list;
                for (const auto& d : def->outputs) list += (list.empty() ? "" : ", ") + output_label(d);
                item.fail("outputs", "indicator '" + ind + "' has no output '" + o +
                                         "' (outputs: " + list + ")");
            }
            spec.outputs.push_back(o);
        }
    }
    if (item.has("name")) {
        spec.name = item.get_string("name");
        if (spec.name.empty() || sanitize(spec.name) != spec.name)
            item.fail("name", "must be lowercase letters, digits and '_', got '" + spec.name + "'");
    } else {
        spec.name = ind == "cross_asset" ? "x" : ind == "external" ? "ext" : ind;
        for (const auto& np : def->name_params) {
            std::string v = sanitize(spec.params.at(np));
            // Trim separators a symbol or series name leaves behind ("coinmetrics:btc:x").
            while (v.find("__") != std::string::npos) v.erase(v.find("__"), 1);
            spec.name += "_" + v;
        }
        for (const auto& p : def->params)
            if (p.type == PType::Field && spec.params.at(p.name) != p.def)
                spec.name += "_" + spec.params.at(p.name);
    }
    return spec;
}

std::vector<std::string> selected_outputs(const FeatureSpec& f, const IndicatorDef& def) {
    std::vector<std::string> out;
    for (const auto& o : def.outputs) {
        if (f.outputs.empty() ||
            std::find(f.outputs.begin(), f.outputs.end(), output_label(o)) != f.outputs.end())
            out.push_back(o);
    }
    return out;
}

std::string sha256_hex(const std::string& text) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

/// In-session bars that should have opened strictly between two bar times.
long long missing_bars(TimeMs last, TimeMs t, TimeMs step, const TradingSessions& s, int cap) {
    if (t - last <= step) return 0;
    if (s.always_open) return (t - last) / step - 1;
    long long n = 0;
    for (TimeMs x = last + step; x < t; x += step)
        if (s.is_open(x) && ++n > cap) return n;
    return n;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// FeatureSetDef / FeatureConfig

std::string FeatureSetDef::canonical_text() const {
    std::ostringstream out;
    out << "aurum-feature-set v1\n";
    out << "max_gap_bars=" << max_gap_bars << "\n";
    for (const auto& f : features) {
        out << "feature name=" << f.name << " indicator=" << f.indicator;
        for (const auto& [k, v] : f.params) out << " " << k << "=" << v;
        out << " outputs=";
        const IndicatorDef* def = find_indicator(f.indicator);
        bool first = true;
        for (const auto& o : selected_outputs(f, *def)) {
            out << (first ? "" : ",") << output_label(o);
            first = false;
        }
        out << "\n";
    }
    return out.str();
}

std::string FeatureSetDef::id() const { return sha256_hex(canonical_text()); }

std::vector<std::string> FeatureSetDef::column_names() const {
    std::vector<std::string> names;
    for (const auto& f : features)
        for (const auto& o : selected_outputs(f, *find_indicator(f.indicator)))
            names.push_back(column_name(f, o));
    return names;
}

std::vector<std::string> FeatureSetDef::reference_symbols() const {
    std::vector<std::string> out;
    for (const auto& f : features)
        if (f.indicator == "cross_asset") out.push_back(f.params.at("reference"));
    return out;
}

std::vector<std::string> FeatureSetDef::external_series() const {
    std::vector<std::string> out;
    for (const auto& f : features)
        if (f.indicator == "external") out.push_back(f.params.at("series"));
    return out;
}

FeatureConfig FeatureConfig::load_file(const std::string& path) {
    return parse(read_file(path), path);
}

FeatureConfig FeatureConfig::parse(const std::string& yaml, const std::string& file) {
    const ConfigNode root = ConfigNode::parse(yaml, file);
    root.allow_keys({"max_gap_bars", "default_set", "sets"});
    FeatureConfig cfg;
    const int global_gap = static_cast<int>(root.get_int("max_gap_bars", 3));
    if (global_gap < 0) root.fail("max_gap_bars", "must be >= 0");

    const ConfigNode sets = root.child("sets");
    if (!sets.defined()) root.fail("sets", "required key is missing");
    // Resolve `extends` in file order: a set may extend any set defined above it.
    for (const auto& name : sets.keys()) {
        const ConfigNode s = sets.child(name);
        s.allow_keys({"description", "extends", "max_gap_bars", "features"});
        FeatureSetDef def;
        def.name = name;
        def.max_gap_bars = static_cast<int>(s.get_int("max_gap_bars", global_gap));
        if (def.max_gap_bars < 0) s.fail("max_gap_bars", "must be >= 0");
        if (s.has("extends")) {
            const std::string base = s.get_string("extends");
            auto it = cfg.sets.find(base);
            if (it == cfg.sets.end())
                s.fail("extends", "unknown set '" + base + "' (a set can extend one defined above it)");
            def.features = it->second.features;
        }
        for (const auto& item : s.child("features").items()) def.features.push_back(parse_feature(item));
        if (def.features.empty()) s.fail("features", "a feature set needs at least one feature");
        std::set<std::string> seen;
        for (const auto& col : def.column_names())
            if (!seen.insert(col).second)
                s.fail("features", "duplicate column '" + col + "' (give one of them a name:)");
        cfg.sets[name] = std::move(def);
    }
    // Without default_set: the set called "default", else the first one in the file.
    const auto names = sets.keys();
    cfg.default_set = root.get_string(
        "default_set", cfg.sets.count("default") || names.empty() ? "default" : names.front());
    if (!cfg.sets.count(cfg.default_set))
        root.fail("default_set", "no set named '" + cfg.default_set + "'");
    return cfg;
}

const FeatureSetDef& FeatureConfig::get(const std::string& name) const {
    const std::string& n = name.empty() ? default_set : name;
    auto it = sets.find(n);
    if (it == sets.end()) {
        std::string list;
        for (const auto& [k, v] : sets) list += (list.empty() ? "" : ", ") + k;
        throw InputError("unknown feature set '" + n + "' (sets: " + list + ")");
    }
    return it->second;
}

std::vector<IndicatorInfo> indicator_catalogue() {
    std::vector<IndicatorInfo> out;
    for (const auto& d : registry()) {
        IndicatorInfo info{d.name, d.summary, {}, {}};
        for (const auto& p : d.params) info.params.push_back(p.name + "=" + (p.def.empty() ? "(required)" : p.def));
        for (const auto& o : d.outputs) info.outputs.push_back(output_label(o));
        out.push_back(std::move(info));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Pipeline

FeaturePipeline::FeaturePipeline(const FeatureSetDef& def, const FeatureContext& ctx)
    : symbol_(ctx.symbol), timeframe_(ctx.timeframe), sessions_(ctx.sessions),
      max_gap_bars_(def.max_gap_bars) {
    std::size_t width = 0;
    for (const auto& f : def.features) {
        const IndicatorDef* d = find_indicator(f.indicator);
        if (!d) throw InputError("unknown indicator '" + f.indicator + "'");
        nodes_.push_back(d->make(BuildArgs{f.params, ctx, f}));
        std::vector<int> sel;
        for (std::size_t o = 0; o < d->outputs.size(); ++o) {
            const std::string& out = d->outputs[o];
            if (f.outputs.empty() ||
                std::find(f.outputs.begin(), f.outputs.end(), output_label(out)) != f.outputs.end()) {
                sel.push_back(static_cast<int>(o));
                names_.push_back(column_name(f, out));
            }
        }
        selected_.push_back(std::move(sel));
        width = std::max(width, d->outputs.size());
    }
    scratch_.assign(width, 0.0);
    row_.assign(names_.size(), 0.0);
}

FeaturePipeline::~FeaturePipeline() = default;
FeaturePipeline::FeaturePipeline(FeaturePipeline&&) noexcept = default;

void FeaturePipeline::reset() {
    for (auto& n : nodes_) n->reset();
}

bool FeaturePipeline::update(const Bar& bar) {
    if (has_last_) {
        if (bar.time <= last_time_)
            throw InputError(symbol_ + " " + timeframe_.name() + ": bar at " +
                             format_time(bar.time) + " is not after the previous bar (" +
                             format_time(last_time_) + ")");
        const long long missing =
            missing_bars(last_time_, bar.time, timeframe_.ms(), sessions_, max_gap_bars_);
        if (missing > max_gap_bars_) {
            reset();
            resets_.push_back(bar.time);
            spdlog::debug("{} {}: gap of more than {} missing bars before {}: indicators reset",
                          symbol_, timeframe_.name(), max_gap_bars_, format_time(bar.time));
        }
    }
    last_time_ = bar.time;
    has_last_ = true;
    bool all = true;
    for (auto& n : nodes_) {
        n->update(bar);
        all = all && n->ready();
    }
    if (!all) return false;
    std::size_t c = 0;
    for (std::size_t k = 0; k < nodes_.size(); ++k) {
        nodes_[k]->write(scratch_.data());
        for (int o : selected_[k]) row_[c++] = scratch_[static_cast<std::size_t>(o)];
    }
    return true;
}

FeatureMatrix build_feature_matrix(const BarSeries& bars, const FeatureSetDef& def,
                                   const FeatureContext& ctx, BuildReport* report) {
    if (bars.empty())
        throw InputError("no " + ctx.timeframe.name() + " bars of " + ctx.symbol +
                         " in the requested range (import or backfill them first)");
    FeaturePipeline pipe(def, ctx);
    FeatureMatrix m;
    m.symbol = bars.symbol.empty() ? ctx.symbol : bars.symbol;
    m.timeframe = bars.timeframe;
    m.feature_set_name = def.name;
    m.feature_set_id = def.id();
    m.names = pipe.names();
    const std::size_t n = bars.size(), cols = m.names.size();
    m.time.resize(n);
    m.values.resize(n * cols);
    std::size_t r = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!pipe.update(bars.at(i))) continue;
        const auto row = pipe.row();
        for (std::size_t c = 0; c < cols; ++c) {
            if (!std::isfinite(row[c]))
                throw InputError(m.symbol + " " + m.timeframe.name() + ": feature '" + m.names[c] +
                                 "' is " + (std::isnan(row[c]) ? "NaN" : "infinite") +
                                 " at bar " + format_time(bars.time[i]) +
                                 " (check the bars around it: zero or negative prices?)");
            m.values[c * n + r] = row[c];
        }
        m.time[r++] = bars.time[i];
    }
    if (r == 0)
        throw InputError(m.symbol + " " + m.timeframe.name() + ": feature set '" + def.name +
                         "' produced no complete row from " + std::to_string(n) +
                         " bars (not enough history for its warm-up, or no external data in range)");
    // Compact the columns from stride n to stride r (forward moves never overlap badly).
    for (std::size_t c = 1; c < cols; ++c)
        std::memmove(m.values.data() + c * r, m.values.data() + c * n, r * sizeof(double));
    m.values.resize(r * cols);
    m.time.resize(r);
    if (!pipe.resets().empty())
        spdlog::info("{} {}: {} gap(s) longer than {} bars reset the indicators (first before {})",
                     m.symbol, m.timeframe.name(), pipe.resets().size(), def.max_gap_bars,
                     format_time(pipe.resets().front()));
    if (report) {
        report->bars = n;
        report->rows = r;
        report->warmup_rows = n - r;
        report->resets = pipe.resets();
    }
    return m;
}

} // namespace aurum
