#include "rl/portfolio_eval.hpp"

#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"

namespace aurum {

namespace {

/// Return and Sharpe ratio (simple bar returns, annualised as Metrics does) of an equity curve.
std::pair<double, double> curve_stats(const std::vector<double>& eq, double start,
                                      double periods_per_year) {
    if (eq.empty() || !(start > 0)) return {0.0, 0.0};
    double prev = start, sum = 0, sq = 0;
    for (double e : eq) {
        const double r = e / prev - 1;
        sum += r;
        sq += r * r;
        prev = e;
    }
    const double n = static_cast<double>(eq.size());
    const double var = n > 1 ? (sq - sum * sum / n) / (n - 1) : 0.0;
    const double sharpe = var > 0 ? sum / n / std::sqrt(var) * std::sqrt(periods_per_year) : 0.0;
    return {eq.back() / start - 1, sharpe};
}

} // namespace

PortfolioEpisodeReport run_portfolio_episode(std::span<const MarketTape* const> tapes,
                                             std::size_t start, EnvConfig config,
                                             const PortfolioFn& policy, std::size_t cadence) {
    if (tapes.empty() || start + 2 > tapes[0]->bars.size())
        throw InputError(fmt::format("rl: no room for a portfolio episode from bar {}", start));
    if (cadence == 0) throw InputError("agent.cadence: must be at least 1");
    config.episode_bars = tapes[0]->bars.size() - start - 1;
    config.spec.engine.record_fills = true;
    PortfolioEnv env(config);
    const std::size_t N = tapes.size();
    std::vector<float> obs(N * PortfolioLayout{tapes[0]->columns}.size());
    std::vector<double> alloc(N, 0.0);
    env.reset(tapes, start, obs);
    PortfolioEpisodeReport r;
    r.allocations.assign(N, {});
    for (auto& a : r.allocations) a.reserve(config.episode_bars);
    double sum = 0, sq = 0;
    std::size_t k = 0;
    for (bool done = false; !done; ++k) {
        if (k % cadence == 0) policy(obs, alloc);
        for (std::size_t i = 0; i < N; ++i) r.allocations[i].push_back(alloc[i]);
        const PortfolioStep o = env.step(alloc, obs);
        sum += o.reward;
        sq += o.reward * o.reward;
        done = o.done;
    }
    EpisodeReport& e = r.total;
    const double n = static_cast<double>(k);
    const double var = n > 1 ? (sq - sum * sum / n) / (n - 1) : 0.0;
    e.t_stat = var > 1e-30 ? (sum / n) / std::sqrt(var / n) : 0.0;
    e.decisions = k;
    e.from = tapes[0]->bars.time[start];
    e.to = tapes[0]->bars.time.back();
    e.shield = env.shield();
    r.max_entry_exposure = env.max_entry_exposure();
    std::vector<const BarSeries*> data;
    for (std::size_t i = 0; i < N; ++i) {
        r.symbols.push_back(tapes[i]->bars.symbol);
        data.push_back(&env.bars(i));
        double s = 0;
        for (double a : r.allocations[i]) s += a;
        r.mean_allocation.push_back(n > 0 ? s / n : 0.0);
    }
    e.result = env.finish();
    e.metrics = compute_metrics(e.result, data);
    const auto [ret, sharpe] = curve_stats(buy_hold_curve(e.result, data),
                                           e.result.initial_capital, e.metrics.periods_per_year);
    e.buy_hold_return = ret;
    e.buy_hold_sharpe = sharpe;
    return r;
}

} // namespace aurum
