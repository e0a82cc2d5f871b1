#include "rl/policy.hpp"

#include <nlohmann/json.hpp>

#include "models/torch_plugin.hpp"

namespace aurum {

nlohmann::json PpoParams::to_json() const {
    return {{"hidden", hidden},
            {"layers", layers},
            {"lr", lr},
            {"gamma", gamma},
            {"gae_lambda", gae_lambda},
            {"clip", clip},
            {"entropy_coef", entropy_coef},
            {"value_coef", value_coef},
            {"max_grad_norm", max_grad_norm},
            {"epochs", epochs},
            {"minibatch", minibatch},
            {"threads", threads},
            {"seed", seed}};
}

std::unique_ptr<PolicyNet> make_policy_net(std::size_t obs_size, std::size_t actions,
                                           const PpoParams& params) {
    using MakeFn = PolicyNet* (*)(std::size_t, std::size_t, const PpoParams*);
    const auto make = reinterpret_cast<MakeFn>(
        torch_plugin_symbol("libaurum_torch_rl.so", "aurum_torch_make_policy"));
    return std::unique_ptr<PolicyNet>(make(obs_size, actions, &params));
}

} // namespace aurum
