#include "backtest/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "backtest/sizing.hpp"
#include "core/error.hpp"
#include "features/regimes.hpp"

namespace aurum {

namespace {

constexpr double kMsPerYear = 365.25 * kMsPerDay;

struct Moments {
    double mean = 0, stdev = 0, downside = 0;
};

Moments moments(const std::vector<double>& r) {
    Moments m;
    if (r.empty())
        return m;
    double s = 0, d = 0;
    for (double x : r) {
        s += x;
        if (x < 0)
            d += x * x;
    }
    m.mean = s / static_cast<double>(r.size());
    m.downside = std::sqrt(d / static_cast<double>(r.size()));
    if (r.size() > 1) {
        double v = 0;
        for (double x : r)
            v += (x - m.mean) * (x - m.mean);
        m.stdev = std::sqrt(v / static_cast<double>(r.size() - 1));
    }
    return m;
}

double sharpe_of(const Moments& m, double ppy) {
    return m.stdev > 0 ? m.mean / m.stdev * std::sqrt(ppy) : 0.0;
}

double max_dd(const std::vector<double>& v, double start) {
    double peak = start, dd = 0;
    for (double x : v) {
        peak = std::max(peak, x);
        if (peak > 0)
            dd = std::min(dd, x / peak - 1);
    }
    return dd;
}

double cagr_of(double total_return, double years) {
    if (years <= 0)
        return 0;
    if (total_return <= -1)
        return -1;
    return std::pow(1 + total_return, 1 / years) - 1;
}

} // namespace

std::string RegimeTimeline::at(TimeMs t) const {
    auto it = std::upper_bound(time.begin(), time.end(), t);
    if (it == time.begin())
        return {};
    return label[static_cast<std::size_t>(it - time.begin()) - 1];
}

RegimeTimeline RegimeTimeline::from(const RegimeSeries& regimes) {
    RegimeTimeline t;
    t.time = regimes.time;
    for (Regime r : regimes.regime)
        t.label.push_back(to_string(r));
    return t;
}

RegimeTimeline RegimeTimeline::classify(const BarSeries& bars) {
    const std::vector<Regime> rs = classify_regimes(bars);
    RegimeTimeline t;
    t.time = bars.time;
    for (Regime r : rs)
        t.label.push_back(to_string(r));
    return t;
}

RegimeTimeline RegimeTimeline::load_csv(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in)
        throw InputError("cannot open regimes file " + path.string());
    std::string line;
    int lineno = 0;
    RegimeTimeline t;
    while (std::getline(in, line)) {
        ++lineno;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (lineno == 1) {
            if (line.rfind("time", 0) != 0)
                throw InputError(path.string() + ":1: header must be 'time,regime'");
            continue;
        }
        if (line.empty())
            continue;
        const auto comma = line.find(',');
        if (comma == std::string::npos)
            throw InputError(path.string() + ":" + std::to_string(lineno) +
                             ": expected time,regime");
        const std::string ts = line.substr(0, comma);
        const auto tm = parse_time(ts);
        if (!tm)
            throw InputError(path.string() + ":" + std::to_string(lineno) + ": time '" + ts +
                             "' is not a date/time");
        if (!t.time.empty() && *tm <= t.time.back())
            throw InputError(path.string() + ":" + std::to_string(lineno) +
                             ": times must be strictly increasing");
        t.time.push_back(*tm);
        t.label.push_back(line.substr(comma + 1));
    }
    return t;
}

std::vector<double> buy_hold_curve(const BacktestResult& r,
                                   const std::vector<const BarSeries*>& data) {
    const std::size_t n = data.size();
    std::vector<double> out(r.curve.size(), r.initial_capital);
    std::vector<std::size_t> cur(n, 0);
    std::vector<double> base(n, 0), last(n, 0);
    for (std::size_t s = 0; s < r.curve.size(); ++s) {
        const TimeMs t = r.curve.time[s];
        double v = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const BarSeries& b = *data[i];
            while (cur[i] < b.size() && b.time[cur[i]] <= t) {
                if (base[i] == 0)
                    base[i] = b.open[cur[i]];
                last[i] = b.close[cur[i]];
                ++cur[i];
            }
            // Before an instrument's first bar its share sits in cash.
            v += base[i] > 0 ? r.initial_capital / static_cast<double>(n) * last[i] / base[i]
                             : r.initial_capital / static_cast<double>(n);
        }
        out[s] = v;
    }
    return out;
}

Metrics compute_metrics(const BacktestResult& r, const std::vector<const BarSeries*>& data,
                        const RegimeTimeline* regimes) {
    Metrics m;
    const EquityCurve& c = r.curve;
    const std::size_t n = c.size();
    m.bars = n;
    m.initial_capital = r.initial_capital;
    m.final_equity = n ? c.equity.back() : r.initial_capital;
    m.fees = r.fees;
    m.spread_cost = r.spread_cost;
    m.slippage_cost = r.slippage_cost;
    m.orders = r.orders_submitted + r.orders_rejected;
    m.rejected = r.orders_rejected;
    m.cancelled = r.orders_cancelled;
    m.fills = r.fills_count;
    m.open_positions = r.open_trades.size();

    bool always_open = true;
    for (const auto& inst : r.instruments)
        always_open = always_open && inst.sessions.always_open;
    m.periods_per_year = bars_per_year(r.timeframe, true);
    if (!always_open && n > 1) {
        // Sessions with breaks: count the bars that actually exist per year.
        const double span_years =
            static_cast<double>(c.time.back() - c.time.front() + r.timeframe.ms()) / kMsPerYear;
        if (span_years > 0.05)
            m.periods_per_year = static_cast<double>(n) / span_years;
        else
            m.periods_per_year = bars_per_year(r.timeframe, false);
    }
    m.years = static_cast<double>(n) / m.periods_per_year;

    // Per-bar returns; the first is measured from the initial capital.
    std::vector<double> rets;
    rets.reserve(n);
    double prev = r.initial_capital;
    for (double e : c.equity) {
        rets.push_back(prev > 0 ? e / prev - 1 : 0.0);
        prev = e;
    }
    const Moments mo = moments(rets);
    m.total_return = m.final_equity / r.initial_capital - 1;
    m.cagr = cagr_of(m.total_return, m.years);
    m.ann_volatility = mo.stdev * std::sqrt(m.periods_per_year);
    m.sharpe = sharpe_of(mo, m.periods_per_year);
    m.sortino = mo.downside > 0 ? mo.mean / mo.downside * std::sqrt(m.periods_per_year) : 0.0;

    // Drawdown depth, and the longest stretch below a previous peak.
    double peak = r.initial_capital;
    std::size_t peak_idx = 0, longest = 0;
    TimeMs peak_time = n ? c.time[0] : 0;
    bool under = false;
    std::size_t under_start = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const double e = c.equity[k];
        if (e >= peak) {
            if (under)
                longest = std::max(longest, k - under_start);
            under = false;
            peak = e;
            peak_idx = k;
            peak_time = c.time[k];
        } else {
            if (!under) {
                under = true;
                under_start = k;
            }
            const double dd = peak > 0 ? e / peak - 1 : 0;
            if (dd < m.max_drawdown) {
                m.max_drawdown = dd;
                m.max_drawdown_peak = peak_time;
                m.max_drawdown_trough = c.time[k];
            }
        }
    }
    (void)peak_idx;
    if (under)
        longest = std::max(longest, n - under_start);
    m.max_drawdown_bars = longest;
    m.max_drawdown_days = static_cast<double>(longest) / m.periods_per_year * 365.25;
    m.calmar = m.max_drawdown < 0 ? m.cagr / -m.max_drawdown : 0.0;

    // Trades.
    double gross_win = 0, gross_loss = 0, ret_sum = 0, held = 0;
    m.trades = r.trades.size();
    m.best_trade = m.trades ? -std::numeric_limits<double>::infinity() : 0;
    m.worst_trade = m.trades ? std::numeric_limits<double>::infinity() : 0;
    for (const Trade& t : r.trades) {
        const double p = t.net_pnl();
        if (p > 0) {
            ++m.wins;
            gross_win += p;
        } else {
            ++m.losses;
            gross_loss -= p;
        }
        ret_sum += t.return_pct;
        held += static_cast<double>(t.exit_step - t.entry_step);
        m.best_trade = std::max(m.best_trade, p);
        m.worst_trade = std::min(m.worst_trade, p);
    }
    if (m.trades) {
        const double nt = static_cast<double>(m.trades);
        m.win_rate = static_cast<double>(m.wins) / nt;
        m.avg_win = m.wins ? gross_win / static_cast<double>(m.wins) : 0;
        m.avg_loss = m.losses ? -gross_loss / static_cast<double>(m.losses) : 0;
        m.expectancy = (gross_win - gross_loss) / nt;
        m.avg_trade_return = ret_sum / nt;
        m.avg_bars_held = held / nt;
        m.profit_factor =
            gross_loss > 0 ? gross_win / gross_loss : std::numeric_limits<double>::infinity();
    }

    // Exposure and turnover.
    double lev = 0, eq_sum = 0;
    std::size_t in_market = 0;
    for (std::size_t k = 0; k < n; ++k) {
        if (c.exposure[k] > 1e-12)
            ++in_market;
        lev += c.exposure[k];
        eq_sum += c.equity[k];
    }
    if (n) {
        m.exposure = static_cast<double>(in_market) / static_cast<double>(n);
        m.avg_leverage = lev / static_cast<double>(n);
        const double mean_eq = eq_sum / static_cast<double>(n);
        if (mean_eq > 0 && m.years > 0)
            m.turnover = r.traded_notional / mean_eq / m.years;
    }

    // Monthly returns (month-end equity over the previous month-end's).
    double month_start = r.initial_capital;
    for (std::size_t k = 0; k < n; ++k) {
        const CivilTime ct = civil_from_time(c.time[k]);
        const bool last_of_month = k + 1 == n || [&] {
            const CivilTime nx = civil_from_time(c.time[k + 1]);
            return nx.year != ct.year || nx.month != ct.month;
        }();
        if (last_of_month) {
            m.monthly.push_back(
                {ct.year, ct.month, month_start > 0 ? c.equity[k] / month_start - 1 : 0.0});
            month_start = c.equity[k];
        }
    }

    // Buy-and-hold of each asset over the run's span.
    const TimeMs t0 = n ? c.time.front() : 0, t1 = n ? c.time.back() : 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
        const BarSeries& b = *data[i];
        BenchmarkStats bs;
        bs.symbol = r.instruments[i].symbol;
        std::vector<double> eq;
        double base = 0;
        for (std::size_t k = b.lower_bound(t0); k < b.size() && b.time[k] <= t1; ++k) {
            if (base == 0)
                base = b.open[k];
            eq.push_back(b.close[k] / base);
        }
        if (!eq.empty()) {
            bs.total_return = eq.back() - 1;
            std::vector<double> br;
            double pv = 1;
            for (double e : eq) {
                br.push_back(e / pv - 1);
                pv = e;
            }
            bs.sharpe = sharpe_of(moments(br), m.periods_per_year);
            bs.max_drawdown = max_dd(eq, 1.0);
            bs.cagr = cagr_of(bs.total_return, static_cast<double>(eq.size()) / m.periods_per_year);
        }
        m.buy_hold.push_back(bs);
    }

    // Per-regime breakdown.
    if (regimes && !regimes->empty() && n) {
        std::map<std::string, std::vector<double>> by;
        std::map<std::string, double> bh;
        const BarSeries& b0 = *data[0];
        std::size_t cur = 0;
        double last_close = 0;
        for (std::size_t k = 0; k < n; ++k) {
            // The regime in force during bar k: the label known at the previous bar's close.
            std::string lab = regimes->at(c.time[k] - 1);
            if (lab.empty())
                lab = "unknown";
            by[lab].push_back(rets[k]);
            double bar_ret = 0;
            while (cur < b0.size() && b0.time[cur] <= c.time[k]) {
                const double pc = last_close > 0 ? last_close : b0.open[cur];
                bar_ret = (1 + bar_ret) * (b0.close[cur] / pc) - 1;
                last_close = b0.close[cur];
                ++cur;
            }
            auto [it, fresh] = bh.emplace(lab, 1.0);
            it->second *= 1 + bar_ret;
            (void)fresh;
        }
        for (auto& [lab, rs] : by) {
            RegimeStats s;
            s.regime = lab;
            s.bars = rs.size();
            s.time_share = static_cast<double>(rs.size()) / static_cast<double>(n);
            double g = 1;
            for (double x : rs)
                g *= 1 + x;
            s.total_return = g - 1;
            s.ann_return =
                cagr_of(s.total_return, static_cast<double>(rs.size()) / m.periods_per_year);
            s.sharpe = sharpe_of(moments(rs), m.periods_per_year);
            s.buy_hold_return = bh[lab] - 1;
            std::size_t w = 0;
            for (const Trade& t : r.trades) {
                std::string tl = regimes->at(t.entry_time - 1);
                if (tl.empty())
                    tl = "unknown";
                if (tl != lab)
                    continue;
                ++s.trades;
                if (t.net_pnl() > 0)
                    ++w;
            }
            s.win_rate = s.trades ? static_cast<double>(w) / static_cast<double>(s.trades) : 0;
            m.regimes.push_back(s);
        }
    }
    return m;
}

} // namespace aurum
