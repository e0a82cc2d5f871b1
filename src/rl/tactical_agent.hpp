#pragma once
// A trained tactical agent: the policy network, the frozen observation statistics and the action
// levels; what the registry stores (policy.pt + agent.json) and what evaluation runs greedily.
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "rl/obs_norm.hpp"
#include "rl/policy.hpp"
#include "rl/policy_eval.hpp"

namespace aurum {

/// Network + observation statistics + action levels.
class TacticalAgent {
  public:
    /// A fresh, untrained agent (the network from the libtorch plugin).
    TacticalAgent(std::size_t obs_size, std::vector<double> levels, const PpoParams& params);

    /// The most probable action's target fraction for one (raw) observation.
    double act(std::span<const float> obs);
    /// act() as an ActionFn (the agent must outlive it).
    ActionFn action_fn();

    /// Writes `dir`/policy.pt and `dir`/agent.json.
    void save(const std::filesystem::path& dir) const;
    /// Reads what save() wrote. InputError naming the file when absent or of another shape.
    static TacticalAgent load(const std::filesystem::path& dir);

    PolicyNet& net() { return *net_; }
    ObsNorm& norm() { return norm_; }
    const std::vector<double>& levels() const { return levels_; }
    std::size_t obs_size() const { return obs_size_; }

  private:
    std::size_t obs_size_;
    std::vector<double> levels_;
    PpoParams params_;
    std::unique_ptr<PolicyNet> net_;
    ObsNorm norm_;
    std::vector<float> scratch_, probs_;
    float value_ = 0;
};

} // namespace aurum
