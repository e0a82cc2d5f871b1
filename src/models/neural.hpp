#pragma once
// LSTM and cross-asset graph models (libtorch, CPU). This header stays free of torch includes so
// the layers above compile fast; the implementation lives in neural.cpp alone.
#include <cstdint>
#include <memory>

#include "models/model.hpp"

namespace aurum {

/// Training settings shared by the neural models (config/models.yaml `models.lstm` / `models.gnn`).
struct NeuralParams {
    int seq_len = 16;       ///< LSTM: feature vectors per sequence (the last N bars)
    int hidden = 32;
    int layers = 1;         ///< LSTM layers / GNN message-passing rounds
    int epochs = 40;
    int batch = 128;
    double lr = 3e-3;
    double weight_decay = 1e-4;
    int patience = 6;       ///< early stopping: epochs without validation improvement
    int threads = 1;        ///< torch intra-op threads (fixed for determinism)
    std::uint64_t seed = 42;

    nlohmann::json to_json() const;
    /// `kind` names the config section in messages. Unknown keys throw InputError.
    static NeuralParams from_json(const nlohmann::json& j, const std::string& kind);
};

struct NeuralState; // torch modules, standardisation, curves (neural.cpp)

/// What both libtorch models share: parameters, the trained state, learning curve, importance.
class NeuralModel : public Model {
public:
    ~NeuralModel() override;
    LearningCurve learning_curve() const override;
    std::vector<FeatureImportance> importance() const override;
    nlohmann::json params() const override { return params_.to_json(); }

protected:
    explicit NeuralModel(NeuralParams params);
    NeuralParams params_;
    std::unique_ptr<NeuralState> s_;
};

/// LSTM over each row's last `seq_len` feature vectors (same symbol) with a logistic head.
class LstmModel final : public NeuralModel {
public:
    explicit LstmModel(NeuralParams params = {}) : NeuralModel(params) {}
    std::string kind() const override { return "lstm"; }
    void fit(const Dataset& data, std::span<const std::size_t> fit,
             std::span<const std::size_t> valid) override;
    std::vector<double> predict_proba(const Dataset& data,
                                      std::span<const std::size_t> rows) const override;
    void save(const std::filesystem::path& dir) const override;
    void load(const std::filesystem::path& dir) override;
};

/// Graph network whose nodes are the assets at one bar: per-asset embeddings exchange messages by
/// attention over all pairs, then a head predicts each asset's direction.
class GnnModel final : public NeuralModel {
public:
    explicit GnnModel(NeuralParams params = {}) : NeuralModel(params) {}
    std::string kind() const override { return "gnn"; }
    void fit(const Dataset& data, std::span<const std::size_t> fit,
             std::span<const std::size_t> valid) override;
    std::vector<double> predict_proba(const Dataset& data,
                                      std::span<const std::size_t> rows) const override;
    void save(const std::filesystem::path& dir) const override;
    void load(const std::filesystem::path& dir) override;
};

} // namespace aurum
