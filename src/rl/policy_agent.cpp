#include "rl/policy_agent.hpp"

#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/workspace.hpp"
#include "rl/ppo_trainer.hpp"

namespace aurum {

PolicyAgent::PolicyAgent(std::size_t obs_size, std::vector<double> levels, const PpoParams& params,
                         std::string level)
    : level_(std::move(level)), obs_size_(obs_size), levels_(std::move(levels)), params_(params),
      net_(make_policy_net(obs_size, levels_.size(), params)), norm_(obs_size), scratch_(obs_size),
      probs_(levels_.size()) {}

double PolicyAgent::act(std::span<const float> obs) {
    norm_.normalize(obs, std::span<float>(scratch_).first(obs_size_));
    net_->evaluate(scratch_, 1, probs_, std::span<float>(&value_, 1));
    return levels_[greedy_action(std::span<const float>(probs_).first(levels_.size()))];
}

void PolicyAgent::act_batch(std::span<const float> obs, std::size_t n, std::span<double> out) {
    scratch_.resize(n * obs_size_);
    probs_.resize(n * levels_.size());
    values_.resize(n);
    norm_.normalize(obs.first(n * obs_size_), scratch_);
    net_->evaluate(scratch_, n, probs_, values_);
    const std::size_t a = levels_.size();
    for (std::size_t i = 0; i < n; ++i)
        out[i] = levels_[greedy_action(std::span<const float>(probs_).subspan(i * a, a))];
}

ActionFn PolicyAgent::action_fn() {
    return [this](std::span<const float> obs, const ObsLayout&) { return act(obs); };
}

void PolicyAgent::save(const std::filesystem::path& dir) const {
    std::filesystem::create_directories(dir);
    net_->save(dir / "policy.pt");
    const nlohmann::json j{{"level", level_},
                           {"obs_size", obs_size_},
                           {"action_levels", levels_},
                           {"ppo", params_.to_json()},
                           {"obs_norm", norm_.to_json()},
                           {"parameter_hash", fmt::format("{:016x}", net_->parameter_hash())}};
    std::ofstream out(dir / "agent.json");
    out << j.dump(2) << '\n';
    if (!out)
        throw SystemError((dir / "agent.json").string() + ": cannot write");
}

PolicyAgent PolicyAgent::load(const std::filesystem::path& dir) {
    const auto file = dir / "agent.json";
    if (!std::filesystem::exists(file))
        throw InputError(file.string() + ": missing (not an rl model directory)");
    nlohmann::json j;
    PpoParams p;
    std::size_t obs = 0;
    std::vector<double> levels;
    std::string level;
    try {
        j = nlohmann::json::parse(read_file(file));
        obs = j.at("obs_size").get<std::size_t>();
        levels = j.at("action_levels").get<std::vector<double>>();
        level = j.value("level", "tactical");
        const auto& q = j.at("ppo");
        p.hidden = q.at("hidden").get<int>();
        p.layers = q.at("layers").get<int>();
        p.threads = q.at("threads").get<int>();
        p.seed = q.at("seed").get<std::uint64_t>();
    } catch (const nlohmann::json::exception& e) {
        throw InputError(fmt::format("{}: unreadable: {}", file.string(), e.what()));
    }
    PolicyAgent a(obs, std::move(levels), p, level);
    a.norm_ = ObsNorm::from_json(j.at("obs_norm"), obs, file.string());
    a.net_->load(dir / "policy.pt");
    return a;
}

} // namespace aurum
