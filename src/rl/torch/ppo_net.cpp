// The PPO actor-critic: the rl layer's only libtorch code, built into the plugin
// libaurum_torch.so beside the LSTM and GNN (make_policy_net loads it on first use), so commands
// that train no policy never load libtorch.
#include <cstring>
#include <random>

#include <fmt/format.h>
#include <torch/torch.h>

#include "core/error.hpp"
#include "rl/policy.hpp"

namespace aurum {

namespace {

torch::nn::Sequential mlp(std::int64_t in, std::int64_t out, const PpoParams& p) {
    torch::nn::Sequential s;
    std::int64_t width = in;
    for (int l = 0; l < p.layers; ++l) {
        s->push_back(torch::nn::Linear(width, p.hidden));
        s->push_back(torch::nn::Tanh());
        width = p.hidden;
    }
    s->push_back(torch::nn::Linear(width, out));
    return s;
}

struct ActorCriticImpl : torch::nn::Module {
    torch::nn::Sequential actor{nullptr}, critic{nullptr};
    ActorCriticImpl(std::int64_t obs, std::int64_t actions, const PpoParams& p) {
        actor = register_module("actor", mlp(obs, actions, p));
        critic = register_module("critic", mlp(obs, 1, p));
        // Small last actor layer: the first policy is close to uniform (PPO practice).
        torch::NoGradGuard ng;
        auto last = actor->ptr<torch::nn::LinearImpl>(actor->size() - 1);
        last->weight.mul_(0.01);
        last->bias.zero_();
    }
};
TORCH_MODULE(ActorCritic);

torch::Tensor view_floats(std::span<const float> v, std::vector<std::int64_t> shape) {
    return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32);
}

class TorchPolicyNet final : public PolicyNet {
  public:
    TorchPolicyNet(std::size_t obs_size, std::size_t actions, const PpoParams& p)
        : p_(p), obs_(static_cast<std::int64_t>(obs_size)),
          actions_(static_cast<std::int64_t>(actions)), rng_(p.seed) {
        torch::set_num_threads(p.threads);
        torch::manual_seed(p.seed);
        net_ = ActorCritic(obs_, actions_, p);
        opt_ = std::make_unique<torch::optim::Adam>(net_->parameters(),
                                                    torch::optim::AdamOptions(p.lr).eps(1e-5));
    }

    void evaluate(std::span<const float> obs, std::size_t n, std::span<float> probs,
                  std::span<float> values) override {
        torch::NoGradGuard ng;
        const auto rows = static_cast<std::int64_t>(n);
        const torch::Tensor o = view_floats(obs.first(n * obs_), {rows, obs_});
        const torch::Tensor pr = torch::softmax(net_->actor->forward(o), 1).contiguous();
        const torch::Tensor v = net_->critic->forward(o).reshape({rows}).contiguous();
        std::memcpy(probs.data(), pr.data_ptr<float>(), n * actions_ * sizeof(float));
        std::memcpy(values.data(), v.data_ptr<float>(), n * sizeof(float));
    }

    PpoUpdateStats update(const RolloutView& r) override {
        const auto n = static_cast<std::int64_t>(r.n);
        const torch::Tensor obs = view_floats(r.obs, {n, obs_});
        const torch::Tensor act =
            torch::from_blob(const_cast<std::int32_t*>(r.actions.data()), {n}, torch::kInt32)
                .to(torch::kLong);
        const torch::Tensor old_logp = view_floats(r.logp, {n});
        const torch::Tensor adv = view_floats(r.advantages, {n});
        const torch::Tensor ret = view_floats(r.returns, {n});
        std::vector<std::int64_t> perm(r.n);
        PpoUpdateStats s;
        int batches = 0;
        const std::int64_t mb = std::max<std::int64_t>(1, std::min<std::int64_t>(p_.minibatch, n));
        for (int e = 0; e < p_.epochs; ++e) {
            shuffle(perm);
            for (std::int64_t at = 0; at + mb <= n; at += mb) {
                const torch::Tensor idx = torch::from_blob(perm.data() + at, {mb}, torch::kLong);
                minibatch(obs.index_select(0, idx), act.index_select(0, idx),
                          old_logp.index_select(0, idx), adv.index_select(0, idx),
                          ret.index_select(0, idx), s);
                ++batches;
            }
        }
        if (batches > 0) {
            const double k = 1.0 / batches;
            s.policy_loss *= k, s.value_loss *= k, s.entropy *= k;
            s.approx_kl *= k, s.clip_fraction *= k, s.grad_norm *= k;
        }
        return s;
    }

    void save(const std::filesystem::path& file) const override {
        try {
            torch::serialize::OutputArchive a, o;
            net_->save(a);
            opt_->save(o);
            a.write("optimizer", o);
            a.save_to(file.string());
        } catch (const c10::Error& e) {
            throw SystemError(fmt::format("{}: cannot write the policy: {}", file.string(),
                                          e.what_without_backtrace()));
        }
    }

    void load(const std::filesystem::path& file) override {
        try {
            torch::serialize::InputArchive a, o;
            a.load_from(file.string());
            net_->load(a);
            a.read("optimizer", o);
            opt_->load(o);
        } catch (const c10::Error& e) {
            throw InputError(fmt::format("{}: not a policy of this shape ({} observations, {} "
                                         "actions): {}",
                                         file.string(), obs_, actions_,
                                         e.what_without_backtrace()));
        }
    }

    std::uint64_t parameter_hash() const override {
        std::uint64_t h = 1469598103934665603ULL;
        for (const auto& t : net_->parameters()) {
            const torch::Tensor c = t.detach().contiguous();
            const auto* b = static_cast<const unsigned char*>(c.data_ptr());
            for (std::size_t i = 0; i < static_cast<std::size_t>(c.nbytes()); ++i) {
                h ^= b[i];
                h *= 1099511628211ULL;
            }
        }
        return h;
    }

    std::size_t parameter_count() const override {
        std::size_t c = 0;
        for (const auto& t : net_->parameters())
            c += static_cast<std::size_t>(t.numel());
        return c;
    }

  private:
    /// Fisher-Yates with our own index draw (std::shuffle's is library-defined).
    void shuffle(std::vector<std::int64_t>& perm) {
        for (std::size_t i = 0; i < perm.size(); ++i)
            perm[i] = static_cast<std::int64_t>(i);
        for (std::size_t i = perm.size(); i > 1; --i)
            std::swap(perm[i - 1], perm[rng_() % i]);
    }

    void minibatch(const torch::Tensor& o, const torch::Tensor& a, const torch::Tensor& old_logp,
                   const torch::Tensor& adv, const torch::Tensor& ret, PpoUpdateStats& s) {
        const torch::Tensor logp_all = torch::log_softmax(net_->actor->forward(o), 1);
        const torch::Tensor logp = logp_all.gather(1, a.unsqueeze(1)).squeeze(1);
        const torch::Tensor log_ratio = logp - old_logp;
        const torch::Tensor ratio = log_ratio.exp();
        const torch::Tensor surr =
            torch::min(ratio * adv, torch::clamp(ratio, 1 - p_.clip, 1 + p_.clip) * adv);
        const torch::Tensor policy_loss = -surr.mean();
        const torch::Tensor entropy = -(logp_all.exp() * logp_all).sum(1).mean();
        const torch::Tensor v = net_->critic->forward(o).squeeze(1);
        const torch::Tensor value_loss = (v - ret).pow(2).mean();
        const torch::Tensor loss =
            policy_loss + p_.value_coef * value_loss - p_.entropy_coef * entropy;
        opt_->zero_grad();
        loss.backward();
        const double gn = torch::nn::utils::clip_grad_norm_(net_->parameters(), p_.max_grad_norm);
        opt_->step();
        torch::NoGradGuard ng;
        s.policy_loss += policy_loss.item<double>();
        s.value_loss += value_loss.item<double>();
        s.entropy += entropy.item<double>();
        s.approx_kl += ((ratio - 1) - log_ratio).mean().item<double>();
        s.clip_fraction += ((ratio - 1).abs() > p_.clip).to(torch::kFloat32).mean().item<double>();
        s.grad_norm += gn;
    }

    PpoParams p_;
    std::int64_t obs_, actions_;
    std::mt19937_64 rng_;
    ActorCritic net_{nullptr};
    std::unique_ptr<torch::optim::Adam> opt_;
};

} // namespace

} // namespace aurum

/// The plugin's entry point for make_policy_net (rl/policy.cpp).
extern "C" __attribute__((visibility("default"))) aurum::PolicyNet*
aurum_torch_make_policy(std::size_t obs_size, std::size_t actions, const aurum::PpoParams* params) {
    return new aurum::TorchPolicyNet(obs_size, actions, *params);
}
