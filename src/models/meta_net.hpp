#pragma once
// The small LSTM classifier that meta-learning (Reptile) trains, seen from the models layer: its
// gradient steps run in the libtorch plugin (models/torch/meta_net.cpp, loaded on first use like
// the LSTM and GNN models). This header stays free of torch includes.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

namespace aurum {

/// Shape of the network: an LSTM over `seq_len` standardised feature vectors, a logistic head.
struct MetaNetShape {
    int features = 1;
    int seq_len = 8;
    int hidden = 16;
    int layers = 1;
    int threads = 1;         ///< torch intra-op threads (1: bit-identical reruns)
    std::uint64_t seed = 42; ///< initial weights
};

/// Sequences and labels: x is n x seq_len x features (row-major), y is n labels in {0, 1}.
struct SequenceBatch {
    std::span<const float> x;
    std::span<const float> y;
    std::size_t n = 0;
};

/// An LSTM classifier whose parameters Reptile moves (clone, train a copy, move toward it).
class MetaNet {
public:
    virtual ~MetaNet() = default;
    /// A deep copy (parameters only; no optimiser state is kept between calls).
    virtual std::unique_ptr<MetaNet> clone() const = 0;
    /// `steps` Adam steps (a fresh optimiser, learning rate `lr`) on minibatches of up to `batch`
    /// samples of `data`, drawn with `seed`. Returns the mean training log-loss of the steps.
    virtual double train_steps(const SequenceBatch& data, int steps, int batch, double lr,
                               std::uint64_t seed) = 0;
    /// Reptile's outer step: theta += epsilon * (other.theta - theta).
    virtual void move_toward(const MetaNet& other, double epsilon) = 0;
    /// P(up) of each of the n sequences in x (no gradient kept).
    virtual std::vector<double> predict(std::span<const float> x, std::size_t n) const = 0;
    /// Every parameter, flattened in a fixed order (for hashing and tests).
    virtual std::vector<float> flat_params() const = 0;
    virtual void save(const std::filesystem::path& file) const = 0;
    /// Reads what save() wrote; InputError naming the file when it is missing or corrupt.
    virtual void load(const std::filesystem::path& file) = 0;
    virtual const MetaNetShape& shape() const = 0;
};

/// A new network of `shape` from the plugin libaurum_torch.so (loaded on first use). InputError
/// saying how to get it when the plugin cannot be loaded.
std::unique_ptr<MetaNet> make_meta_net(const MetaNetShape& shape);

} // namespace aurum
