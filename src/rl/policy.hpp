#pragma once
// The policy network an RL agent trains, seen from the rl layer: an actor-critic over discrete
// actions whose PPO update runs in the libtorch plugin (rl/torch/ppo_net.cpp, loaded on first use
// like the LSTM and GNN models). This header stays free of torch includes.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

#include <nlohmann/json_fwd.hpp>

namespace aurum {

/// Network shape and PPO settings (config/rl.yaml `ppo:`).
struct PpoParams {
    int hidden = 64;          ///< units per hidden layer (tanh MLP)
    int layers = 2;           ///< hidden layers, shared by no one: actor and critic have their own
    double lr = 3e-4;         ///< Adam learning rate
    double gamma = 0.99;      ///< discount
    double gae_lambda = 0.95; ///< GAE's lambda
    double clip = 0.2;        ///< PPO's ratio clip
    double entropy_coef = 0.01; ///< entropy bonus
    double value_coef = 0.5;    ///< value loss weight
    double max_grad_norm = 0.5; ///< global gradient-norm clip
    int epochs = 4;             ///< passes over each rollout
    int minibatch = 256;        ///< samples per gradient step
    int threads = 1;            ///< torch intra-op threads (1: bit-identical reruns)
    std::uint64_t seed = 42;    ///< initial weights and minibatch order

    nlohmann::json to_json() const;
};

/// One rollout, flattened (n samples), as PPO's update reads it. Observations are normalised.
struct RolloutView {
    std::size_t n = 0, obs_size = 0;
    std::span<const float> obs; ///< n x obs_size
    std::span<const std::int32_t> actions;
    std::span<const float> logp;       ///< log-probability of the action when it was taken
    std::span<const float> advantages; ///< GAE, normalised by the trainer
    std::span<const float> returns;    ///< value targets (advantage + value)
};

/// What one PPO update measured (means over its minibatches).
struct PpoUpdateStats {
    double policy_loss = 0, value_loss = 0, entropy = 0;
    double approx_kl = 0;     ///< mean of (ratio - 1) - log ratio (k3 estimator)
    double clip_fraction = 0; ///< share of samples whose ratio left [1 - clip, 1 + clip]
    double grad_norm = 0;     ///< before clipping
};

/// Actor-critic over `actions` discrete choices.
class PolicyNet {
  public:
    virtual ~PolicyNet() = default;
    /// For n observations (n x obs_size, normalised): action probabilities (n x actions) and
    /// value estimates (n). No gradient is kept.
    virtual void evaluate(std::span<const float> obs, std::size_t n, std::span<float> probs,
                          std::span<float> values) = 0;
    /// One PPO update over the rollout (epochs x shuffled minibatches, clipped objective, entropy
    /// bonus, value loss, gradient clipping).
    virtual PpoUpdateStats update(const RolloutView& rollout) = 0;
    /// Writes / reads the parameters and the optimiser state (one file).
    virtual void save(const std::filesystem::path& file) const = 0;
    virtual void load(const std::filesystem::path& file) = 0;
    /// FNV-1a over every parameter's bytes, in registration order (the reproducibility check).
    virtual std::uint64_t parameter_hash() const = 0;
    virtual std::size_t parameter_count() const = 0;
};

/// A new network from the libtorch plugin (loaded on first call; InputError saying how to get it
/// when it cannot be loaded).
std::unique_ptr<PolicyNet> make_policy_net(std::size_t obs_size, std::size_t actions,
                                           const PpoParams& params);

} // namespace aurum
