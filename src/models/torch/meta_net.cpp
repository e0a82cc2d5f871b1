// The meta-learning network (models/meta_net.hpp): a small LSTM classifier whose parameters
// Reptile copies, trains and moves. Built into the plugin libaurum_torch.so beside neural.cpp.
#include "models/meta_net.hpp"

#include <fmt/format.h>
#include <torch/torch.h>

#include "core/error.hpp"

namespace aurum {

namespace {

struct MetaLstmImpl : torch::nn::Module {
    torch::nn::LSTM lstm{nullptr};
    torch::nn::Linear head{nullptr};
    MetaLstmImpl(int in, int hidden, int layers) {
        lstm = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(in, hidden)
                                                           .num_layers(layers)
                                                           .batch_first(true)));
        head = register_module("head", torch::nn::Linear(hidden, 1));
    }
    /// x: [B, T, F] -> logits [B]
    torch::Tensor forward(const torch::Tensor& x) {
        auto out = std::get<0>(lstm->forward(x));
        return head->forward(out.select(1, out.size(1) - 1)).squeeze(-1);
    }
};
TORCH_MODULE(MetaLstm);

class TorchMetaNet final : public MetaNet {
public:
    explicit TorchMetaNet(const MetaNetShape& s) : shape_(s) {
        torch::set_num_threads(s.threads);
        torch::manual_seed(s.seed);
        net_ = MetaLstm(s.features, s.hidden, s.layers);
        net_->eval();
    }

    std::unique_ptr<MetaNet> clone() const override {
        auto out = std::make_unique<TorchMetaNet>(shape_);
        torch::NoGradGuard ng;
        auto dst = out->net_->parameters();
        auto src = net_->parameters();
        for (std::size_t k = 0; k < src.size(); ++k) dst[k].copy_(src[k]);
        return out;
    }

    double train_steps(const SequenceBatch& d, int steps, int batch, double lr,
                       std::uint64_t seed) override {
        if (d.n == 0 || steps <= 0) return 0.0;
        torch::set_num_threads(shape_.threads);
        torch::manual_seed(seed);
        const auto x = as_sequences(d.x, d.n);
        const auto y = torch::from_blob(const_cast<float*>(d.y.data()), {static_cast<long>(d.n)},
                                        torch::kFloat32);
        torch::optim::Adam opt(net_->parameters(), torch::optim::AdamOptions(lr));
        net_->train();
        const long n = static_cast<long>(d.n);
        const long b = std::min<long>(batch, n);
        double total = 0;
        torch::Tensor perm = torch::randperm(n, torch::kLong);
        long at = 0;
        for (int s = 0; s < steps; ++s) {
            if (at + b > n) {
                perm = torch::randperm(n, torch::kLong);
                at = 0;
            }
            const auto idx = perm.narrow(0, at, b);
            at += b;
            opt.zero_grad();
            auto loss = torch::binary_cross_entropy_with_logits(net_->forward(x.index_select(0, idx)),
                                                                y.index_select(0, idx));
            loss.backward();
            opt.step();
            total += loss.item<double>();
        }
        net_->eval();
        for (auto& p : net_->parameters()) p.mutable_grad() = torch::Tensor();
        return total / steps;
    }

    void move_toward(const MetaNet& other, double epsilon) override {
        const auto& o = dynamic_cast<const TorchMetaNet&>(other);
        torch::NoGradGuard ng;
        auto mine = net_->parameters();
        auto theirs = o.net_->parameters();
        for (std::size_t k = 0; k < mine.size(); ++k)
            mine[k].add_(theirs[k] - mine[k], epsilon);
    }

    std::vector<double> predict(std::span<const float> x, std::size_t n) const override {
        std::vector<double> out;
        out.reserve(n);
        if (n == 0) return out;
        torch::set_num_threads(shape_.threads);
        torch::NoGradGuard ng;
        const std::size_t per = x.size() / n;
        for (std::size_t a = 0; a < n; a += 4096) {
            const std::size_t len = std::min<std::size_t>(4096, n - a);
            auto p = torch::sigmoid(net_->forward(as_sequences(x.subspan(a * per, len * per), len)))
                         .contiguous();
            const float* pp = p.data_ptr<float>();
            out.insert(out.end(), pp, pp + len);
        }
        return out;
    }

    std::vector<float> flat_params() const override {
        std::vector<float> out;
        for (const auto& p : net_->parameters()) {
            auto c = p.detach().contiguous().view(-1);
            out.insert(out.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
        }
        return out;
    }

    void save(const std::filesystem::path& file) const override {
        torch::serialize::OutputArchive ar;
        net_->save(ar);
        const auto tmp = file.string() + ".tmp";
        ar.save_to(tmp);
        std::filesystem::rename(tmp, file);
    }

    void load(const std::filesystem::path& file) override {
        if (!std::filesystem::exists(file))
            throw InputError(fmt::format("{}: model file missing", file.string()));
        try {
            torch::serialize::InputArchive ar;
            ar.load_from(file.string());
            net_->load(ar);
        } catch (const c10::Error& e) {
            const std::string msg = e.what_without_backtrace();
            throw InputError(fmt::format("{}: corrupt meta-learning model: {}", file.string(),
                                         msg.substr(0, 200)));
        }
        net_->eval();
    }

    const MetaNetShape& shape() const override { return shape_; }

private:
    /// A view of n sequences (no copy; the caller's buffer outlives the use).
    torch::Tensor as_sequences(std::span<const float> x, std::size_t n) const {
        const long T = shape_.seq_len, F = shape_.features;
        if (x.size() != n * static_cast<std::size_t>(T * F))
            throw InputError(fmt::format("meta-learning network: {} values for {} sequences of {}x{}",
                                         x.size(), n, T, F));
        return torch::from_blob(const_cast<float*>(x.data()), {static_cast<long>(n), T, F},
                                torch::kFloat32);
    }

    MetaNetShape shape_;
    mutable MetaLstm net_{nullptr}; // forward() is not const in libtorch
};

} // namespace

} // namespace aurum

/// The plugin's entry point for meta-learning (found by dlsym): a new network, owned by the caller.
extern "C" __attribute__((visibility("default"))) aurum::MetaNet*
aurum_torch_make_meta_net(const aurum::MetaNetShape* shape) {
    return new aurum::TorchMetaNet(*shape);
}
