#include "rl/ppo_trainer.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace aurum {

std::size_t greedy_action(std::span<const float> probs) {
    return static_cast<std::size_t>(std::max_element(probs.begin(), probs.end()) - probs.begin());
}

PpoTrainer::PpoTrainer(BatchEnv& env, PolicyNet& net, ObsNorm& norm, std::vector<double> levels,
                       const PpoParams& params, std::size_t rollout_steps, double reward_scale)
    : env_(env), net_(net), norm_(norm), levels_(std::move(levels)), p_(params), T_(rollout_steps),
      E_(env.size()), obs_size_(env.obs_size()), reward_scale_(reward_scale),
      rng_(params.seed ^ 0x9E3779B97F4A7C15ULL) {
    if (levels_.size() < 2)
        throw InputError("rl: the agent needs at least two action levels");
    if (T_ == 0)
        throw InputError("rl: rollout_steps must be at least 1");
    if (norm_.columns() != obs_size_)
        throw InputError("rl: observation statistics do not fit");
    const std::size_t n = T_ * E_;
    obs_.resize(n * obs_size_);
    probs_.resize(E_ * levels_.size());
    values_.resize(n);
    logp_.resize(n);
    rewards_.resize(n);
    adv_.resize(n);
    ret_.resize(n);
    last_obs_.resize(E_ * obs_size_);
    last_value_.resize(E_);
    actions_.resize(n);
    dones_.resize(n);
    targets_.resize(E_);
    lengths_.assign(E_, 0);
}

void PpoTrainer::collect(PpoUpdateReport& r) {
    const std::size_t A = levels_.size();
    const std::uint64_t shield_before = env_.shield_total().interventions();
    double ep_return = 0, ep_length = 0, target_sum = 0;
    for (std::size_t t = 0; t < T_; ++t) {
        const std::span<float> o(obs_.data() + t * E_ * obs_size_, E_ * obs_size_);
        norm_.update(env_.observations(), E_);
        norm_.normalize(env_.observations(), o);
        net_.evaluate(o, E_, probs_, std::span<float>(values_.data() + t * E_, E_));
        for (std::size_t i = 0; i < E_; ++i) {
            // Categorical draw with our own uniform (std:: distributions differ by library).
            const double u = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
            const float* p = probs_.data() + i * A;
            std::size_t a = 0;
            for (double acc = p[0]; a + 1 < A && u >= acc; acc += p[++a]) {
            }
            actions_[t * E_ + i] = static_cast<std::int32_t>(a);
            logp_[t * E_ + i] = std::log(std::max(p[a], 1e-12f));
            targets_[i] = levels_[a];
            target_sum += levels_[a];
        }
        env_.step(targets_);
        for (std::size_t i = 0; i < E_; ++i) {
            const double rew = env_.rewards()[i];
            rewards_[t * E_ + i] = static_cast<float>(rew * reward_scale_);
            dones_[t * E_ + i] = env_.dones()[i];
            r.reward += rew;
            r.reward_fees += env_.fee_rewards()[i];
            r.reward_market += env_.log_returns()[i] - env_.fee_rewards()[i];
            ++lengths_[i];
            if (env_.dones()[i]) {
                ++r.episodes;
                ep_return += env_.last_episode_return(i);
                ep_length += static_cast<double>(lengths_[i]);
                lengths_[i] = 0;
            }
        }
    }
    const double n = static_cast<double>(T_ * E_);
    r.reward /= n;
    r.reward_fees /= n;
    r.reward_market /= n;
    r.mean_target = target_sum / n;
    if (r.episodes > 0) {
        r.episode_return = ep_return / static_cast<double>(r.episodes);
        r.episode_length = ep_length / static_cast<double>(r.episodes);
    }
    double vsum = 0;
    for (float v : values_)
        vsum += v;
    r.value = vsum / n / reward_scale_; // in reward units, like the logged rewards
    r.shield_interventions = env_.shield_total().interventions() - shield_before;
    // Bootstrap from the observation after the last step (statistics not updated with it).
    norm_.normalize(env_.observations(), last_obs_);
    net_.evaluate(last_obs_, E_, probs_, last_value_);
}

void PpoTrainer::advantages() {
    // GAE(gamma, lambda); an episode's end (done) cuts the bootstrap.
    for (std::size_t i = 0; i < E_; ++i) {
        double next_adv = 0, next_value = last_value_[i];
        for (std::size_t t = T_; t-- > 0;) {
            const std::size_t k = t * E_ + i;
            const double live = dones_[k] ? 0.0 : 1.0;
            const double delta = rewards_[k] + p_.gamma * next_value * live - values_[k];
            next_adv = delta + p_.gamma * p_.gae_lambda * live * next_adv;
            adv_[k] = static_cast<float>(next_adv);
            ret_[k] = static_cast<float>(next_adv + values_[k]);
            next_value = values_[k];
        }
    }
    double mean = 0, sq = 0;
    for (float a : adv_)
        mean += a;
    mean /= static_cast<double>(adv_.size());
    for (float a : adv_)
        sq += (a - mean) * (a - mean);
    const double sd = std::sqrt(sq / static_cast<double>(adv_.size())) + 1e-8;
    for (float& a : adv_)
        a = static_cast<float>((a - mean) / sd);
}

PpoUpdateReport PpoTrainer::step() {
    PpoUpdateReport r;
    r.update = ++updates_;
    collect(r);
    advantages();
    RolloutView v;
    v.n = T_ * E_;
    v.obs_size = obs_size_;
    v.obs = obs_;
    v.actions = actions_;
    v.logp = logp_;
    v.advantages = adv_;
    v.returns = ret_;
    r.stats = net_.update(v);
    steps_ += T_ * E_;
    r.env_steps = steps_;
    return r;
}

} // namespace aurum
