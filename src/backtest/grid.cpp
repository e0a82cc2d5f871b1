#include "backtest/grid.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/error.hpp"

namespace aurum {

namespace {

double parse_num(const std::string& s, const std::string& part) {
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v))
        throw InputError("--grid: '" + part + "': '" + s + "' is not a number");
    return v;
}

double key_of(const GridRow& r, const std::string& k) {
    if (k == "sharpe")
        return r.sharpe;
    if (k == "sortino")
        return r.sortino;
    if (k == "total_return")
        return r.total_return;
    if (k == "cagr")
        return r.cagr;
    if (k == "max_drawdown")
        return r.max_drawdown;
    if (k == "win_rate")
        return r.win_rate;
    return std::isfinite(r.profit_factor) ? r.profit_factor : 1e300; // profit_factor
}

} // namespace

const std::vector<std::string>& grid_rank_keys() {
    static const std::vector<std::string> k = {"sharpe",       "sortino",  "total_return", "cagr",
                                               "max_drawdown", "win_rate", "profit_factor"};
    return k;
}

std::vector<GridAxis> parse_grid(const std::string& spec) {
    std::vector<GridAxis> axes;
    std::stringstream ss(spec);
    std::string part;
    double combos = 1;
    while (std::getline(ss, part, ',')) {
        const auto eq = part.find('=');
        if (eq == std::string::npos || eq == 0)
            throw InputError("--grid: '" + part + "' should look like name=start:stop:step");
        GridAxis a;
        a.name = part.substr(0, eq);
        for (const auto& x : axes)
            if (x.name == a.name)
                throw InputError("--grid: parameter '" + a.name + "' given twice");
        const std::string range = part.substr(eq + 1);
        std::vector<std::string> f;
        std::stringstream rs(range);
        std::string t;
        while (std::getline(rs, t, ':'))
            f.push_back(t);
        if (f.size() == 1) {
            a.values.push_back(parse_num(f[0], part));
        } else if (f.size() == 3) {
            const double lo = parse_num(f[0], part), hi = parse_num(f[1], part),
                         step = parse_num(f[2], part);
            if (!(step > 0) || hi < lo)
                throw InputError("--grid: '" + part + "' needs start <= stop and step > 0");
            const double count = std::floor((hi - lo) / step + 1e-9) + 1;
            if (count > 100000)
                throw InputError("--grid: '" + part + "' has too many values");
            for (double k = 0; k < count; ++k)
                a.values.push_back(lo + k * step);
        } else {
            throw InputError("--grid: '" + part + "' should look like name=start:stop:step");
        }
        combos *= static_cast<double>(a.values.size());
        axes.push_back(std::move(a));
    }
    if (axes.empty())
        throw InputError("--grid: empty specification");
    if (combos > 100000)
        throw InputError("--grid: " + std::to_string(static_cast<long long>(combos)) +
                         " combinations is more than the 100000 allowed");
    return axes;
}

GridCombinations grid_combinations(const StrategySpec& base, const std::vector<GridAxis>& axes) {
    GridCombinations out;
    std::vector<std::size_t> idx(axes.size(), 0);
    for (;;) {
        StrategySpec s = base;
        for (std::size_t a = 0; a < axes.size(); ++a)
            s.params[axes[a].name] = axes[a].values[idx[a]];
        try {
            (void)make_strategy(s);
            out.specs.push_back(std::move(s));
        } catch (const InputError& e) {
            if (out.skipped++ == 0)
                out.first_skip_reason = e.what();
        }
        std::size_t a = 0;
        for (; a < axes.size(); ++a) {
            if (++idx[a] < axes[a].values.size())
                break;
            idx[a] = 0;
        }
        if (a == axes.size())
            break;
    }
    return out;
}

GridRow run_grid_row(const StrategySpec& spec, const std::vector<Instrument>& instruments,
                     const std::vector<const BarSeries*>& data, const BacktestConfig& config,
                     const BacktestRunner& runner) {
    BacktestConfig cfg = config;
    cfg.record_fills = false;
    cfg.record_events = false;
    auto st = make_strategy(spec);
    const BacktestResult r = runner.run(instruments, data, *st, cfg);
    const Metrics m = compute_metrics(r, data, nullptr);
    GridRow row;
    row.params = spec.params;
    row.total_return = m.total_return;
    row.cagr = m.cagr;
    row.sharpe = m.sharpe;
    row.sortino = m.sortino;
    row.max_drawdown = m.max_drawdown;
    row.win_rate = m.win_rate;
    row.profit_factor = m.profit_factor;
    row.fees = m.fees;
    row.final_equity = m.final_equity;
    row.trades = m.trades;
    return row;
}

double grid_rank_value(const GridRow& row, const std::string& rank_by) {
    return key_of(row, rank_by);
}

void check_grid_rank_key(const std::string& rank_by) {
    const auto& keys = grid_rank_keys();
    if (std::find(keys.begin(), keys.end(), rank_by) == keys.end())
        throw InputError("--rank-by '" + rank_by +
                         "' is not one of sharpe, sortino, total_return, cagr, max_drawdown, "
                         "win_rate, profit_factor");
}

void rank_grid_rows(std::vector<GridRow>& rows, const std::string& rank_by) {
    check_grid_rank_key(rank_by);
    std::stable_sort(rows.begin(), rows.end(), [&](const GridRow& a, const GridRow& b) {
        return key_of(a, rank_by) > key_of(b, rank_by);
    });
}

GridResult run_grid(const StrategySpec& base, const std::vector<GridAxis>& axes,
                    const std::vector<Instrument>& instruments,
                    const std::vector<const BarSeries*>& data, const BacktestConfig& config,
                    const std::string& rank_by, unsigned threads,
                    const BacktestRunner& runner) {
    check_grid_rank_key(rank_by); // before any work
    // Enumerate combinations and check each one builds before spending threads.
    GridCombinations combos = grid_combinations(base, axes);
    const std::vector<StrategySpec>& specs = combos.specs;
    GridResult out;
    out.skipped = combos.skipped;
    out.first_skip_reason = combos.first_skip_reason;
    if (specs.empty())
        throw InputError("--grid: no valid combination (" + out.first_skip_reason + ")");

    std::vector<GridRow> rows(specs.size());
    std::atomic<std::size_t> next{0};
    std::mutex err_mu;
    std::string error;
    auto worker = [&] {
        for (std::size_t k; (k = next.fetch_add(1)) < specs.size();) {
            try {
                rows[k] = run_grid_row(specs[k], instruments, data, config, runner);
            } catch (const std::exception& e) {
                std::lock_guard<std::mutex> lock(err_mu);
                if (error.empty())
                    error = e.what();
            }
        }
    };
    unsigned n = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
    n = static_cast<unsigned>(std::min<std::size_t>(n, specs.size()));
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < n; ++t)
        pool.emplace_back(worker);
    worker();
    for (auto& t : pool)
        t.join();
    if (!error.empty())
        throw SystemError("grid run failed: " + error);
    rank_grid_rows(rows, rank_by);
    out.rows = std::move(rows);
    return out;
}

} // namespace aurum
