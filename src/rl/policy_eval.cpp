#include "rl/policy_eval.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "core/error.hpp"
#include "rl/execution_env.hpp"

namespace aurum {

double ExecutionStats::shortfall_variance() const {
    if (parents < 2) return 0;
    const double n = static_cast<double>(parents);
    return std::max(0.0, (shortfall_sq - shortfall_sum * shortfall_sum / n) / (n - 1));
}

double shortfall_gain_t(const ExecutionStats& better, const ExecutionStats& baseline) {
    if (better.parents < 2 || baseline.parents < 2) return 0;
    const double se = std::sqrt(better.shortfall_variance() / static_cast<double>(better.parents) +
                                baseline.shortfall_variance() /
                                    static_cast<double>(baseline.parents));
    const double gain = (baseline.mean_shortfall_bps() - better.mean_shortfall_bps()) * 1e-4;
    return se > 0 ? gain / se : 0.0;
}

std::vector<std::pair<double, double>> action_shares(const std::vector<double>& targets) {
    std::map<double, std::size_t> count;
    for (double t : targets)
        ++count[t];
    std::vector<std::pair<double, double>> out;
    for (const auto& [t, c] : count)
        out.emplace_back(t, static_cast<double>(c) / static_cast<double>(targets.size()));
    return out;
}

EpisodeReport run_policy_episode(const MarketTape& tape, std::size_t start, EnvConfig config,
                                 const ActionFn& policy, const ExecutionFn& execution) {
    if (start + 2 > tape.bars.size())
        throw InputError(fmt::format("rl: no room for an episode from bar {} of {} ({} bars)",
                                     start, tape.bars.symbol, tape.bars.size()));
    config.episode_bars = tape.bars.size() - start - 1;
    config.spec.engine.record_fills = true;
    TradingEnv env(config);
    std::vector<float> obs(ObsLayout{tape.columns}.size());
    std::vector<float> exec_obs(obs.size() + kExecutionExtra);
    env.reset(tape, start, obs);
    EpisodeReport r;
    r.targets.reserve(config.episode_bars);
    r.regimes.reserve(config.episode_bars);
    r.positions.reserve(config.episode_bars);
    r.times.reserve(config.episode_bars);
    r.limit_bps.reserve(config.episode_bars);
    double sum = 0, sq = 0;
    const ObsLayout& layout = env.layout();
    for (bool done = false; !done;) {
        const double a = policy(obs, layout);
        r.targets.push_back(a);
        r.times.push_back(tape.bars.time[start + r.times.size()]);
        r.regimes.push_back(Regime::Unknown);
        for (int g = 0; g < kRegimeCount; ++g)
            if (obs[layout.regime() + static_cast<std::size_t>(g)] > 0.5f)
                r.regimes.back() = static_cast<Regime>(g);
        const double q = env.order_qty(a);
        // -1: no order; 0: market (a forced fill of a limit included); k: a k bps limit.
        double bps = q != 0 || env.limit_open() ? 0.0 : -1.0;
        if (q != 0 && execution) {
            execution_obs(obs, env, q, exec_obs);
            bps = execution(exec_obs);
        }
        r.limit_bps.push_back(bps);
        const StepOutcome o = env.step(a, obs, std::max(0.0, bps));
        r.positions.push_back(obs[layout.position()]);
        if (o.execution.completed) {
            ++r.execution.parents;
            r.execution.limits += o.execution.limit ? 1 : 0;
            r.execution.forced += o.execution.forced ? 1 : 0;
            r.execution.shortfall_sum += o.execution.shortfall;
            r.execution.shortfall_sq += o.execution.shortfall * o.execution.shortfall;
        }
        sum += o.reward;
        sq += o.reward * o.reward;
        done = o.done;
    }
    const double n = static_cast<double>(r.targets.size());
    const double var = n > 1 ? (sq - sum * sum / n) / (n - 1) : 0.0;
    r.t_stat = var > 1e-30 ? (sum / n) / std::sqrt(var / n) : 0.0;
    r.decisions = r.targets.size();
    r.from = tape.bars.time[start];
    r.to = tape.bars.time.back();
    r.shield = env.shield();
    const BarSeries window = tape.bars.slice({r.from, r.to + 1});
    r.result = env.finish();
    r.metrics = compute_metrics(r.result, {&window});
    if (!r.metrics.buy_hold.empty()) {
        r.buy_hold_return = r.metrics.buy_hold[0].total_return;
        r.buy_hold_sharpe = r.metrics.buy_hold[0].sharpe;
    }
    return r;
}

} // namespace aurum
