#pragma once
// A trained agent of one level (tactical: target fractions of equity; strategic: allocations):
// the policy network, the frozen observation statistics and the action levels; what the registry
// stores (policy.pt + agent.json) and what evaluation runs greedily.
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rl/obs_norm.hpp"
#include "rl/policy.hpp"
#include "rl/policy_eval.hpp"

namespace aurum {

/// Network + observation statistics + action levels, of one agent level.
class PolicyAgent {
  public:
    /// A fresh, untrained agent (the network from the libtorch plugin).
    PolicyAgent(std::size_t obs_size, std::vector<double> levels, const PpoParams& params,
                std::string level = "tactical");

    /// The most probable action's level for one (raw) observation.
    double act(std::span<const float> obs);
    /// act() for n observations (n x obs_size) in one network call; out: n levels.
    void act_batch(std::span<const float> obs, std::size_t n, std::span<double> out);
    /// act() as an ActionFn (the agent must outlive it).
    ActionFn action_fn();

    /// Writes `dir`/policy.pt and `dir`/agent.json.
    void save(const std::filesystem::path& dir) const;
    /// Reads what save() wrote. InputError naming the file when absent or of another shape.
    static PolicyAgent load(const std::filesystem::path& dir);

    PolicyNet& net() { return *net_; }
    ObsNorm& norm() { return norm_; }
    const std::vector<double>& levels() const { return levels_; }
    std::size_t obs_size() const { return obs_size_; }
    const std::string& level() const { return level_; } ///< "tactical" or "strategic"

  private:
    std::string level_;
    std::size_t obs_size_;
    std::vector<double> levels_;
    PpoParams params_;
    std::unique_ptr<PolicyNet> net_;
    ObsNorm norm_;
    std::vector<float> scratch_, probs_, values_;
    float value_ = 0;
};

} // namespace aurum
