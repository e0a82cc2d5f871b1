#pragma once
// First-order meta-learning (Reptile) of the LSTM over tasks = (symbol, regime window), and its
// held-out evaluation: few-shot adaptation against the same network trained jointly and against
// no adaptation, with bootstrap confidence intervals; gating decides whether adaptation is used.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/gating.hpp"
#include "models/meta_config.hpp"
#include "models/meta_net.hpp"
#include "models/meta_tasks.hpp"
#include "models/model.hpp"

namespace aurum {

/// The input of one network: each symbol's standardised sequences (rows x seq_len x cols).
struct MetaInputs {
    const std::vector<SymbolRows>* symbols = nullptr;
    std::vector<std::vector<float>> seq; ///< per symbol
    int seq_len = 0;
    std::size_t cols = 0;
    /// Rows [begin, end) of symbol k as the network's batch (views, no copy).
    SequenceBatch rows(std::size_t k, std::size_t begin, std::size_t end) const;
};
MetaInputs meta_inputs(const std::vector<SymbolRows>& symbols, const Standardiser& s, int seq_len);

/// The network shape a config asks for, over `cols` features.
MetaNetShape meta_shape(const MetaConfig& cfg, std::size_t cols);

/// Reptile: `iterations` times, a task drawn (seeded), a copy of the parameters trained
/// `inner_steps` Adam steps on it, the parameters moved toward the copy by epsilon (linear
/// schedule epsilon -> epsilon_end). `curve` (optional) gets each iteration's inner loss.
std::unique_ptr<MetaNet> reptile_train(const MetaInputs& in, const std::vector<MetaTask>& tasks,
                                       const MetaConfig& cfg, std::vector<double>* curve = nullptr);
/// The baseline: the same network trained on all the tasks' rows together, with the same number
/// of Adam steps (iterations x inner_steps), batch and learning rate.
std::unique_ptr<MetaNet> joint_train(const MetaInputs& in, const std::vector<MetaTask>& tasks,
                                     const MetaConfig& cfg);
/// A copy of `init` after the few-shot adaptation (adapt.steps Adam steps on the support rows).
std::unique_ptr<MetaNet> adapt(const MetaNet& init, const SequenceBatch& support,
                               const MetaConfig& cfg, std::uint64_t seed);

/// The methods compared on every held-out task.
enum class MetaMethod { MetaAdapted = 0, MetaOnly = 1, Joint = 2, JointAdapted = 3 };
inline constexpr int kMetaMethods = 4;
std::string to_string(MetaMethod m); ///< "meta+adapt", "meta", "joint", "joint+adapt"

/// One held-out task's query labels and each method's P(up).
struct TaskScore {
    MetaTask task;
    std::string symbol;
    FewShotSplit split;
    TimeMs support_from = 0, query_from = 0, query_to = 0;
    std::vector<float> y;
    std::vector<double> p[kMetaMethods];
};

/// A gain of `candidate` over `baseline` (positive = better: lower log-loss, higher accuracy and
/// AUC) with its bootstrap confidence interval over tasks.
struct Gain {
    double value = 0, low = 0, high = 0;
};
struct Comparison {
    MetaMethod candidate{}, baseline{};
    Gain logloss, accuracy, auc;
};

/// One held-out split: new regime windows (all symbols, after the split time) or one symbol left
/// out of meta-training.
struct MetaFold {
    std::string name; ///< "new-regime" or "leave-out <symbol>"
    std::vector<std::string> train_symbols, test_symbols;
    TimeMs split_time = 0;
    std::size_t train_tasks = 0, skipped_tasks = 0;
    std::vector<TaskScore> tasks;
    ClassificationMetrics metrics[kMetaMethods];
    std::vector<Comparison> gains;
    std::vector<double> meta_curve; ///< Reptile's inner loss per iteration
};

/// Everything `aurum meta train` reports.
struct MetaEvaluation {
    MetaConfig config;
    std::vector<MetaFold> folds;
    GatingVerdict verdict;     ///< on the new-regime fold: adaptation beats no adaptation
    bool adaptation_used = false;
    std::string reason;
    nlohmann::json to_json() const;
    std::string text() const;  ///< the readable report
};

/// Scores every few-shot task of `test` (windows with too few query rows are counted, skipped).
std::vector<TaskScore> score_tasks(const MetaInputs& in, const std::vector<MetaTask>& test,
                                   const MetaNet& meta, const MetaNet& joint,
                                   const MetaConfig& cfg, std::size_t* skipped);
/// Metrics of every method and the gains (with bootstrap CIs over tasks) of a fold's tasks.
void summarise_fold(MetaFold& fold, const MetaConfig& cfg);

/// A meta-trained network and the standardisation it reads.
struct MetaModel {
    Standardiser standardiser;
    std::unique_ptr<MetaNet> net;
};

/// Runs every fold (new regime windows, then leave-one-symbol-out) and the gating; `final_model`
/// (optional) gets the new-regime fold's meta-trained network, trained on rows whose labels end
/// before its split time only. InputError when there are too few tasks.
MetaEvaluation evaluate_meta_learning(const std::vector<SymbolRows>& symbols,
                                      const MetaConfig& cfg, MetaModel* final_model = nullptr);

/// FNV hash (hex) of the network's flattened parameters, for reproducibility checks.
std::string params_hash(const MetaNet& net);

} // namespace aurum
