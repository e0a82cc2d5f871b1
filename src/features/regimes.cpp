#include "features/regimes.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "features/hmm.hpp"

namespace aurum {

std::string to_string(Regime r) {
    switch (r) {
    case Regime::Unknown:
        return "unknown";
    case Regime::Bull:
        return "bull";
    case Regime::Bear:
        return "bear";
    case Regime::Ranging:
        return "ranging";
    case Regime::HighVol:
        return "high_vol";
    }
    return "unknown";
}

std::optional<Regime> parse_regime(const std::string& text) {
    for (int i = 0; i < kRegimeCount; ++i)
        if (to_string(static_cast<Regime>(i)) == text) return static_cast<Regime>(i);
    return std::nullopt;
}


RegimeClassifier::RegimeClassifier(const RegimeParams& p)
    : p_(p), sma_(p.trend_window), vol_(p.vol_window),
      vols_(static_cast<std::size_t>(p.lookback)),
      scratch_(static_cast<std::size_t>(p.lookback)) {}

double RegimeClassifier::median_vol() {
    const std::size_t n = vols_.size();
    for (std::size_t i = 0; i < n; ++i) scratch_[i] = vols_[i];
    const auto mid = scratch_.begin() + static_cast<std::ptrdiff_t>(n / 2);
    std::nth_element(scratch_.begin(), mid, scratch_.begin() + static_cast<std::ptrdiff_t>(n));
    return *mid;
}

double RegimeClassifier::rank(const RingBuffer<double>& w, double x) {
    std::size_t le = 0;
    for (std::size_t i = 0; i < w.size(); ++i) le += w[i] <= x;
    return static_cast<double>(le) / static_cast<double>(w.size());
}

void RegimeClassifier::update(const Bar& b) {
    sma_.update(b.close);
    vol_.update(b.close);
    regime_ = Regime::Unknown;
    if (!sma_.ready() || !vol_.ready()) return;
    const double vol = vol_.value();
    vols_.push(vol);
    if (static_cast<int>(vols_.size()) < std::max(1, std::min(p_.min_history, p_.lookback))) return;
    const double trend = sma_.value() > 0 && b.close > 0 ? std::log(b.close / sma_.value()) : 0.0;
    const double score = vol > 0 ? trend / (vol * std::sqrt(static_cast<double>(p_.trend_window))) : 0.0;
    if (rank(vols_, vol) >= p_.high_vol_pct && vol >= p_.high_vol_ratio * median_vol())
        regime_ = Regime::HighVol;
    else if (score >= p_.trend_threshold)
        regime_ = Regime::Bull;
    else if (score <= -p_.trend_threshold)
        regime_ = Regime::Bear;
    else
        regime_ = Regime::Ranging;
}

void RegimeClassifier::reset() {
    sma_.reset();
    vol_.reset();
    vols_.clear();
    regime_ = Regime::Unknown;
}

namespace {
void check_params(const RegimeParams& p) {
    if (p.trend_window < 2 || p.vol_window < 2 || p.lookback < 2)
        throw InputError("regime windows must be >= 2 (trend_window " +
                         std::to_string(p.trend_window) + ", vol_window " +
                         std::to_string(p.vol_window) + ", lookback " +
                         std::to_string(p.lookback) + ")");
    if (!(p.high_vol_pct > 0 && p.high_vol_pct <= 1))
        throw InputError("regime high_vol_pct must be in (0, 1], got " +
                         std::to_string(p.high_vol_pct));
    if (!(p.high_vol_ratio >= 0) || !std::isfinite(p.high_vol_ratio))
        throw InputError("regime high_vol_ratio must be >= 0, got " +
                         std::to_string(p.high_vol_ratio));
    if (!(p.trend_threshold >= 0) || !std::isfinite(p.trend_threshold))
        throw InputError("regime trend_threshold must be >= 0, got " +
                         std::to_string(p.trend_threshold));
}
} // namespace

std::vector<Regime> classify_regimes(const BarSeries& bars, const RegimeParams& params) {
    check_params(params);
    RegimeClassifier c(params);
    std::vector<Regime> out(bars.size(), Regime::Unknown);
    for (std::size_t i = 0; i < bars.size(); ++i) {
        c.update(bars.at(i));
        out[i] = c.regime();
    }
    return out;
}

std::vector<Regime> hmm_regimes(const BarSeries& bars, const HmmParams& params) {
    if (params.states < 2 || params.states > 8)
        throw InputError("hmm states must be in [2, 8], got " + std::to_string(params.states));
    if (params.vol_window < 2 || params.trend_window < 1)
        throw InputError("hmm windows must be >= 2 (vol) and >= 1 (trend), got " +
                         std::to_string(params.vol_window) + " and " +
                         std::to_string(params.trend_window));
    // Observations: mean log return over trend_window and log of the rolling volatility,
    // standardised. Smoothed returns make trend states identifiable; single-bar returns are noise.
    RealizedVolCC vol(params.vol_window);
    LogReturn trend(params.trend_window);
    std::vector<std::size_t> idx;
    std::vector<double> r, v;
    for (std::size_t i = 0; i < bars.size(); ++i) {
        vol.update(bars.close[i]);
        trend.update(bars.close[i]);
        if (!vol.ready() || !trend.ready()) continue;
        const double sd = vol.value();
        if (!(sd > 0)) continue;
        idx.push_back(i);
        r.push_back(trend.value() / params.trend_window);
        v.push_back(std::log(sd));
    }
    std::vector<Regime> out(bars.size(), Regime::Unknown);
    if (idx.size() < static_cast<std::size_t>(10 * params.states))
        throw InputError(bars.symbol + " " + bars.timeframe.name() + ": " +
                         std::to_string(bars.size()) + " bars are too few for a " +
                         std::to_string(params.states) + "-state HMM");
    const auto t = static_cast<Eigen::Index>(idx.size());
    Eigen::MatrixXd X(t, 2);
    for (Eigen::Index i = 0; i < t; ++i) {
        X(i, 0) = r[static_cast<std::size_t>(i)];
        X(i, 1) = v[static_cast<std::size_t>(i)];
    }
    const Eigen::RowVectorXd mean = X.colwise().mean();
    Eigen::RowVectorXd sd = ((X.rowwise() - mean).array().square().colwise().mean()).sqrt();
    for (Eigen::Index j = 0; j < 2; ++j)
        if (!(sd(j) > 0)) sd(j) = 1;
    const Eigen::MatrixXd Z = (X.rowwise() - mean).array().rowwise() / sd.array();
    GaussianHmm::FitOptions o;
    o.max_iter = params.max_iter;
    o.tol = params.tol;
    o.seed = params.seed;
    o.restarts = params.restarts;
    const GaussianHmm hmm = GaussianHmm::fit(Z, params.states, o);
    const std::vector<int> path = hmm.viterbi(Z);

    // Map states to regimes by their means: highest volatility, then return order.
    const int k = hmm.states();
    std::vector<Regime> map(static_cast<std::size_t>(k), Regime::Ranging);
    std::vector<int> order(static_cast<std::size_t>(k));
    std::iota(order.begin(), order.end(), 0);
    const int hv = static_cast<int>(std::max_element(order.begin(), order.end(), [&](int a, int b) {
                                        return hmm.means()(a, 1) < hmm.means()(b, 1);
                                    }) - order.begin());
    map[static_cast<std::size_t>(hv)] = Regime::HighVol;
    std::vector<int> rest;
    for (int s = 0; s < k; ++s)
        if (s != hv) rest.push_back(s);
    std::sort(rest.begin(), rest.end(),
              [&](int a, int b) { return hmm.means()(a, 0) < hmm.means()(b, 0); });
    if (rest.size() >= 2) {
        map[static_cast<std::size_t>(rest.front())] = Regime::Bear;
        map[static_cast<std::size_t>(rest.back())] = Regime::Bull;
    }
    for (std::size_t i = 0; i < idx.size(); ++i)
        out[idx[i]] = map[static_cast<std::size_t>(path[i])];
    return out;
}

std::vector<std::int64_t> regime_counts(const std::vector<Regime>& regimes) {
    std::vector<std::int64_t> counts(kRegimeCount, 0);
    for (Regime r : regimes) ++counts[static_cast<std::size_t>(r)];
    return counts;
}

namespace {
void ensure_regime_table(Database& db) {
    db.exec("CREATE TABLE IF NOT EXISTS regimes ("
            "symbol TEXT NOT NULL, timeframe_ms BIGINT NOT NULL, method TEXT NOT NULL, "
            "open_time BIGINT NOT NULL, regime TEXT NOT NULL, "
            "PRIMARY KEY (symbol, timeframe_ms, method, open_time))");
}
} // namespace

void store_regimes(Database& db, const BarSeries& bars, const std::string& method,
                   const std::vector<Regime>& regimes) {
    if (regimes.size() != bars.size())
        throw SystemError("store_regimes: " + std::to_string(regimes.size()) + " regimes for " +
                          std::to_string(bars.size()) + " bars");
    ensure_regime_table(db);
    Transaction tx(db);
    const SqlValue sym = bars.symbol, tf = static_cast<std::int64_t>(bars.timeframe.ms()),
                   m = method;
    db.exec("DELETE FROM regimes WHERE symbol = $1 AND timeframe_ms = $2 AND method = $3",
            std::vector<SqlValue>{sym, tf, m});
    std::vector<SqlValue> p(5);
    p[0] = sym;
    p[1] = tf;
    p[2] = m;
    for (std::size_t i = 0; i < bars.size(); ++i) {
        if (regimes[i] == Regime::Unknown) continue;
        p[3] = static_cast<std::int64_t>(bars.time[i]);
        p[4] = to_string(regimes[i]);
        db.exec("INSERT INTO regimes (symbol, timeframe_ms, method, open_time, regime) "
                "VALUES ($1, $2, $3, $4, $5)",
                p);
    }
    tx.commit();
}

RegimeSeries load_regimes(Database& db, const std::string& symbol, Timeframe tf,
                          const std::string& method) {
    ensure_regime_table(db);
    RegimeSeries out;
    const auto rows = db.query("SELECT open_time, regime FROM regimes WHERE symbol = $1 AND "
                               "timeframe_ms = $2 AND method = $3 ORDER BY open_time",
                               std::vector<SqlValue>{symbol, static_cast<std::int64_t>(tf.ms()),
                                                     method});
    out.time.reserve(rows.size());
    out.regime.reserve(rows.size());
    for (const auto& row : rows) {
        out.time.push_back(row.as_int(0));
        out.regime.push_back(parse_regime(row.as_string(1)).value_or(Regime::Unknown));
    }
    return out;
}

Regime RegimeSeries::at(TimeMs t) const {
    auto it = std::upper_bound(time.begin(), time.end(), t);
    if (it == time.begin()) return Regime::Unknown;
    return regime[static_cast<std::size_t>(it - time.begin() - 1)];
}

} // namespace aurum
