#include "rl/portfolio_strategic_env.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.hpp"

namespace aurum {

namespace {
constexpr double kDsrClip = 10; // one block's differential Sharpe ratio, at most (as StrategicEnv)
}

PortfolioStrategicEnv::PortfolioStrategicEnv(std::vector<const MarketTape*> tapes,
                                             const EnvConfig& config, std::size_t envs,
                                             std::size_t cadence, double dsr_eta,
                                             std::uint64_t seed)
    : tapes_(std::move(tapes)), assets_(tapes_.size()), cadence_(cadence),
      episode_bars_(config.episode_bars), rng_(seed) {
    if (assets_ < 2)
        throw InputError("agent.portfolio: needs 2 or more market.symbols");
    if (envs == 0) throw InputError("rl: need at least one environment");
    if (cadence_ == 0 || episode_bars_ % cadence_ != 0)
        throw InputError(fmt::format("agent.cadence {}: must divide agent.episode_bars {} (every "
                                     "episode ends at a strategic decision)",
                                     cadence_, episode_bars_));
    for (const MarketTape* t : tapes_) first_ = std::max(first_, t->first_ready);
    const std::size_t bars = tapes_[0]->bars.size();
    if (first_ + episode_bars_ + 1 > bars)
        throw InputError(fmt::format("agent.episode_bars {}: no room in the {} common training "
                                     "bars ({} of features' warm-up)",
                                     episode_bars_, bars, first_));
    row_ = PortfolioLayout{tapes_[0]->columns}.size();
    for (std::size_t e = 0; e < envs; ++e) envs_.push_back(std::make_unique<PortfolioEnv>(config));
    const std::size_t n = size();
    obs_.assign(n * row_, 0.0f);
    rewards_.assign(n, 0.0);
    fees_.assign(n, 0.0);
    log_returns_.assign(n, 0.0);
    dones_.assign(n, 0);
    dsr_.assign(envs, DifferentialSharpe(dsr_eta));
    running_.assign(envs, 0.0);
    last_return_.assign(envs, 0.0);
    for (std::size_t e = 0; e < envs; ++e) start(e);
}

void PortfolioStrategicEnv::start(std::size_t e) {
    const std::uint64_t span = tapes_[0]->bars.size() - episode_bars_ - first_; // >= 1
    const std::size_t s = first_ + static_cast<std::size_t>(rng_() % span);
    envs_[e]->reset(tapes_, s, std::span<float>(obs_).subspan(e * assets_ * row_, assets_ * row_));
    running_[e] = 0;
}

void PortfolioStrategicEnv::step(std::span<const double> allocations) {
    if (allocations.size() != size())
        throw InputError(fmt::format("rl: {} actions for {} rows", allocations.size(), size()));
    for (std::size_t e = 0; e < envs_.size(); ++e) {
        const auto rows = allocations.subspan(e * assets_, assets_);
        const auto obs = std::span<float>(obs_).subspan(e * assets_ * row_, assets_ * row_);
        double ret = 0, fees = 0;
        bool done = false;
        for (std::size_t b = 0; b < cadence_ && !done; ++b) {
            const PortfolioStep o = envs_[e]->step(rows, obs);
            ++bars_;
            ret += o.reward;
            fees += o.fees;
            done = o.done;
        }
        // One differential Sharpe ratio per decision, of the block's portfolio return, shared by
        // every asset row of the environment.
        const double r = std::clamp(dsr_[e].update(ret), -kDsrClip, kDsrClip);
        running_[e] += ret;
        for (std::size_t i = 0; i < assets_; ++i) {
            const std::size_t row = e * assets_ + i;
            rewards_[row] = r;
            fees_[row] = fees;
            log_returns_[row] = ret;
            dones_[row] = done ? 1 : 0;
        }
        if (done) {
            last_return_[e] = running_[e];
            dsr_[e].reset(); // the next block trades a new account
            start(e);
        }
    }
}

ShieldStats PortfolioStrategicEnv::shield_total() const {
    ShieldStats s;
    for (const auto& e : envs_) s += e->shield();
    return s;
}

} // namespace aurum
