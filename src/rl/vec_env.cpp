#include "rl/vec_env.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace aurum {

VecEnv::VecEnv(std::vector<const MarketTape*> tapes, const EnvConfig& config, std::size_t count,
               std::uint64_t seed)
    : tapes_(std::move(tapes)), episode_bars_(config.episode_bars) {
    if (tapes_.empty()) throw InputError("rl: no market to trade");
    if (count == 0) throw InputError("rl: need at least one environment");
    for (const MarketTape* t : tapes_) {
        if (t->columns != tapes_[0]->columns)
            throw InputError(fmt::format("rl: {} has {} feature columns, {} has {}",
                                         t->bars.symbol, t->columns, tapes_[0]->bars.symbol,
                                         tapes_[0]->columns));
        if (t->first_ready + episode_bars_ + 1 > t->bars.size())
            throw InputError(fmt::format("rl: {} has {} bars, {} of warm-up: no room for an "
                                         "episode of {} steps",
                                         t->bars.symbol, t->bars.size(), t->first_ready,
                                         episode_bars_));
    }
    ObsLayout layout;
    layout.features = tapes_[0]->columns;
    obs_size_ = layout.size();
    envs_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) envs_.push_back(std::make_unique<TradingEnv>(config));
    obs_.assign(count * obs_size_, 0.0f);
    rewards_.assign(count, 0.0);
    fees_.assign(count, 0.0);
    running_.assign(count, 0.0);
    last_return_.assign(count, 0.0);
    dones_.assign(count, 0);
    reset(seed);
}

void VecEnv::start(std::size_t i) {
    const MarketTape& t = *tapes_[i % tapes_.size()];
    // Start bars: from the first warm feature row to the last that leaves a whole episode.
    const std::uint64_t span = t.bars.size() - episode_bars_ - t.first_ready; // >= 1
    const std::size_t s = t.first_ready + static_cast<std::size_t>(rng_() % span);
    envs_[i]->reset(t, s, std::span<float>(obs_).subspan(i * obs_size_, obs_size_));
    running_[i] = 0;
}

void VecEnv::reset(std::uint64_t seed) {
    rng_.seed(seed);
    episodes_ = bars_ = 0;
    for (std::size_t i = 0; i < envs_.size(); ++i) {
        start(i);
        rewards_[i] = fees_[i] = 0;
        dones_[i] = 0;
    }
}

void VecEnv::step(std::span<const double> actions) {
    if (actions.size() != envs_.size())
        throw InputError(fmt::format("rl: {} actions for {} environments", actions.size(),
                                     envs_.size()));
    for (std::size_t i = 0; i < envs_.size(); ++i) step_one(i, actions[i]);
}

StepOutcome VecEnv::step_one(std::size_t i, double action, double limit_bps) {
    const StepOutcome o = envs_[i]->step(
        action, std::span<float>(obs_).subspan(i * obs_size_, obs_size_), limit_bps);
    ++bars_;
    rewards_[i] = o.reward;
    fees_[i] = o.fees;
    running_[i] += o.reward;
    dones_[i] = o.done ? 1 : 0;
    if (o.done) {
        last_return_[i] = running_[i];
        ++episodes_;
        start(i);
    }
    return o;
}

ShieldStats VecEnv::shield_total() const {
    ShieldStats s;
    for (const auto& e : envs_) s += e->shield();
    return s;
}

} // namespace aurum
