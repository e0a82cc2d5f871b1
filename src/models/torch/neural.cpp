// The LSTM and GNN models: the only translation unit that includes libtorch. Built into the
// plugin libaurum_torch.so, which make_model loads on first use (models/torch_plugin.hpp), so a
// command that trains or loads no neural model never loads libtorch (0.45 s, 160 MB).
#include "models/neural.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include <fmt/format.h>
#include <torch/torch.h>

#include "core/error.hpp"
#include "core/workspace.hpp"

namespace aurum {

namespace {

struct LstmNetImpl : torch::nn::Module {
    torch::nn::LSTM lstm{nullptr};
    torch::nn::Linear head{nullptr};
    LstmNetImpl(int in, int hidden, int layers) {
        lstm = register_module(
            "lstm", torch::nn::LSTM(torch::nn::LSTMOptions(in, hidden).num_layers(layers).batch_first(true)));
        head = register_module("head", torch::nn::Linear(hidden, 1));
    }
    /// x: [B, T, F] -> logits [B]
    torch::Tensor forward(const torch::Tensor& x) {
        auto out = std::get<0>(lstm->forward(x));
        return head->forward(out.select(1, out.size(1) - 1)).squeeze(-1);
    }
};
TORCH_MODULE(LstmNet);

struct GnnNetImpl : torch::nn::Module {
    torch::nn::Linear in{nullptr}, q{nullptr}, k{nullptr}, v{nullptr}, upd{nullptr}, out{nullptr};
    torch::nn::Embedding node{nullptr};
    int rounds = 1;
    double scale = 1.0;
    GnnNetImpl(int features, int hidden, int n_nodes, int message_rounds) : rounds(message_rounds) {
        in = register_module("embed_in", torch::nn::Linear(features, hidden));
        node = register_module("node", torch::nn::Embedding(n_nodes, hidden));
        q = register_module("q", torch::nn::Linear(hidden, hidden));
        k = register_module("k", torch::nn::Linear(hidden, hidden));
        v = register_module("v", torch::nn::Linear(hidden, hidden));
        upd = register_module("upd", torch::nn::Linear(2 * hidden, hidden));
        out = register_module("out", torch::nn::Linear(hidden, 1));
        scale = 1.0 / std::sqrt(static_cast<double>(hidden));
    }
    /// x: [B, S, F], mask: [B, S] (true where the asset has a row) -> logits [B, S]
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask) {
        const auto S = x.size(1);
        auto h = torch::relu(in->forward(x)) + node->forward(torch::arange(S, torch::kLong));
        const auto key_mask = mask.logical_not().unsqueeze(1); // [B, 1, S]
        for (int r = 0; r < rounds; ++r) {
            auto scores = torch::matmul(q->forward(h), k->forward(h).transpose(1, 2)) * scale;
            scores = scores.masked_fill(key_mask, -1e9);
            auto msg = torch::matmul(torch::softmax(scores, -1), v->forward(h));
            h = torch::relu(upd->forward(torch::cat({h, msg}, -1)));
        }
        return out->forward(h).squeeze(-1);
    }
};
TORCH_MODULE(GnnNet);

torch::Tensor to_tensor(const std::vector<float>& v) {
    return torch::from_blob(const_cast<float*>(v.data()), {static_cast<long>(v.size())},
                            torch::kFloat32)
        .clone();
}

} // namespace

/// Everything a trained neural model holds.
struct NeuralState {
    LstmNet lstm{nullptr};
    GnnNet gnn{nullptr};
    torch::Tensor mean, stdev; ///< per-feature standardisation from the fit rows
    std::size_t cols = 0;
    std::vector<std::string> names;
    std::vector<std::string> symbols; ///< GNN node order
    LearningCurve curve;
    std::vector<FeatureImportance> importance;
};

namespace {

void seed_torch(const NeuralParams& p) {
    torch::manual_seed(p.seed);
    torch::set_num_threads(p.threads);
}

void standardiser(NeuralState& s, const Dataset& d, std::span<const std::size_t> fit) {
    std::vector<double> m(d.cols, 0.0), sq(d.cols, 0.0);
    for (std::size_t i : fit)
        for (std::size_t j = 0; j < d.cols; ++j) m[j] += d.at(i, j);
    for (auto& v : m) v /= static_cast<double>(fit.size());
    for (std::size_t i : fit)
        for (std::size_t j = 0; j < d.cols; ++j) sq[j] += (d.at(i, j) - m[j]) * (d.at(i, j) - m[j]);
    std::vector<float> mf(d.cols), sf(d.cols);
    for (std::size_t j = 0; j < d.cols; ++j) {
        mf[j] = static_cast<float>(m[j]);
        sf[j] = static_cast<float>(std::max(std::sqrt(sq[j] / static_cast<double>(fit.size())), 1e-6));
    }
    s.mean = to_tensor(mf);
    s.stdev = to_tensor(sf);
}

/// Standardised rows of `d` (a zero row appended last, used as padding).
torch::Tensor standardised_rows(const NeuralState& s, const Dataset& d,
                                const std::vector<long>& rows) {
    std::vector<float> buf((rows.size() + 1) * d.cols, 0.0f);
    for (std::size_t k = 0; k < rows.size(); ++k)
        std::copy(d.row(static_cast<std::size_t>(rows[k])), d.row(static_cast<std::size_t>(rows[k])) + d.cols,
                  buf.begin() + static_cast<long>(k * d.cols));
    auto t = torch::from_blob(buf.data(), {static_cast<long>(rows.size() + 1), static_cast<long>(d.cols)},
                              torch::kFloat32)
                 .clone();
    auto z = (t - s.mean) / s.stdev;
    z[static_cast<long>(rows.size())].zero_();
    return z;
}

/// [n, T, F] sequences ending at each of `rows`: the row and its symbol's previous T-1 rows
/// (zero-padded at the start of history). Only rows at or before each row are read.
torch::Tensor sequences(const NeuralState& s, const Dataset& d, std::span<const std::size_t> rows,
                        int T) {
    std::map<std::size_t, long> slot; // dataset row -> position in the gathered matrix
    std::vector<long> gathered;
    std::vector<long> idx(rows.size() * static_cast<std::size_t>(T), -1);
    for (std::size_t k = 0; k < rows.size(); ++k) {
        std::size_t i = rows[k];
        int filled = 0;
        // Walk back through the same symbol's rows.
        for (long j = static_cast<long>(i); j >= 0 && filled < T; --j) {
            if (d.sym[static_cast<std::size_t>(j)] != d.sym[i]) continue;
            auto [it, inserted] = slot.emplace(static_cast<std::size_t>(j), static_cast<long>(gathered.size()));
            if (inserted) gathered.push_back(j);
            idx[k * static_cast<std::size_t>(T) + static_cast<std::size_t>(T - 1 - filled)] = it->second;
            ++filled;
        }
    }
    const long pad = static_cast<long>(gathered.size());
    for (auto& v : idx)
        if (v < 0) v = pad;
    auto z = standardised_rows(s, d, gathered);
    auto it = torch::from_blob(idx.data(), {static_cast<long>(idx.size())}, torch::kLong).clone();
    return z.index_select(0, it).view({static_cast<long>(rows.size()), T, static_cast<long>(d.cols)});
}

/// A batch of graph snapshots: for each distinct time among `rows`, all assets' rows at that time.
struct GraphBatch {
    torch::Tensor x, mask, y, w; ///< [B,S,F], [B,S] bool, [B,S], [B,S] (0 where not a target)
    std::vector<std::pair<long, long>> where; ///< per requested row: (snapshot, node)
};

GraphBatch graphs(const NeuralState& s, const Dataset& d, std::span<const std::size_t> rows) {
    const long S = static_cast<long>(s.symbols.size());
    std::map<std::string, long> node_of;
    for (long n = 0; n < S; ++n) node_of[s.symbols[static_cast<std::size_t>(n)]] = n;
    std::vector<long> node_of_sym(d.symbols.size(), -1);
    for (std::size_t k = 0; k < d.symbols.size(); ++k) {
        auto f = node_of.find(d.symbols[k]);
        if (f == node_of.end())
            throw InputError(fmt::format("gnn: symbol '{}' is not a node of this model", d.symbols[k]));
        node_of_sym[k] = f->second;
    }
    std::vector<std::size_t> snap_first; // first dataset row of each snapshot
    std::map<TimeMs, long> snap_of;
    GraphBatch g;
    for (std::size_t i : rows) {
        auto [it, inserted] = snap_of.emplace(d.t[i], static_cast<long>(snap_first.size()));
        if (inserted) {
            std::size_t a = i;
            while (a > 0 && d.t[a - 1] == d.t[i]) --a;
            snap_first.push_back(a);
        }
        g.where.emplace_back(it->second, node_of_sym[static_cast<std::size_t>(d.sym[i])]);
    }
    const long B = static_cast<long>(snap_first.size());
    std::vector<long> peer_rows;
    std::vector<long> cell; // snapshot*S + node per gathered row
    for (long b = 0; b < B; ++b) {
        for (std::size_t a = snap_first[static_cast<std::size_t>(b)];
             a < d.rows() && d.t[a] == d.t[snap_first[static_cast<std::size_t>(b)]]; ++a) {
            peer_rows.push_back(static_cast<long>(a));
            cell.push_back(b * S + node_of_sym[static_cast<std::size_t>(d.sym[a])]);
        }
    }
    auto z = standardised_rows(s, d, peer_rows);
    const long F = static_cast<long>(d.cols);
    g.x = torch::zeros({B * S, F});
    std::vector<float> ybuf(static_cast<std::size_t>(B * S), 0.0f), wbuf(static_cast<std::size_t>(B * S), 0.0f);
    std::vector<std::uint8_t> mbuf(static_cast<std::size_t>(B * S), 0);
    auto cells = torch::from_blob(cell.data(), {static_cast<long>(cell.size())}, torch::kLong).clone();
    g.x.index_copy_(0, cells, z.narrow(0, 0, static_cast<long>(peer_rows.size())));
    for (long c : cell) mbuf[static_cast<std::size_t>(c)] = 1;
    for (std::size_t k = 0; k < rows.size(); ++k) {
        const auto [b, n] = g.where[k];
        ybuf[static_cast<std::size_t>(b * S + n)] = d.y[rows[k]];
        wbuf[static_cast<std::size_t>(b * S + n)] = d.w[rows[k]];
    }
    g.x = g.x.view({B, S, F});
    g.mask = torch::from_blob(mbuf.data(), {B, S}, torch::kUInt8).clone().to(torch::kBool);
    g.y = torch::from_blob(ybuf.data(), {B, S}, torch::kFloat32).clone();
    g.w = torch::from_blob(wbuf.data(), {B, S}, torch::kFloat32).clone();
    return g;
}

double weighted_bce(const torch::Tensor& logits, const torch::Tensor& y, const torch::Tensor& w,
                    torch::Tensor* out = nullptr) {
    auto l = torch::binary_cross_entropy_with_logits(logits, y, w, {}, torch::Reduction::Sum) /
             w.sum().clamp_min(1e-12);
    if (out) *out = l;
    return l.item<double>();
}

/// Generic epoch loop with early stopping; `loss(batch indices, training)` returns the loss of a
/// batch (samples are indices into the model's own sample list). Restores the best parameters.
void train_loop(torch::nn::Module& net, const NeuralParams& p, long n_fit, long n_valid,
                const std::function<torch::Tensor(const torch::Tensor&)>& fit_loss,
                const std::function<double()>& valid_loss, LearningCurve& curve) {
    torch::optim::Adam opt(net.parameters(),
                           torch::optim::AdamOptions(p.lr).weight_decay(p.weight_decay));
    curve = {};
    curve.metric = "logloss";
    double best = std::numeric_limits<double>::infinity();
    std::vector<torch::Tensor> best_params;
    int since = 0;
    for (int epoch = 0; epoch < p.epochs; ++epoch) {
        net.train();
        auto perm = torch::randperm(n_fit, torch::kLong);
        double total = 0;
        long seen = 0;
        for (long a = 0; a < n_fit; a += p.batch) {
            const long len = std::min<long>(p.batch, n_fit - a);
            auto idx = perm.narrow(0, a, len);
            opt.zero_grad();
            auto loss = fit_loss(idx);
            loss.backward();
            opt.step();
            total += loss.item<double>() * static_cast<double>(len);
            seen += len;
        }
        curve.train.push_back(total / static_cast<double>(std::max<long>(seen, 1)));
        if (n_valid == 0) {
            curve.best_iteration = epoch;
            continue;
        }
        net.eval();
        const double v = valid_loss();
        curve.valid.push_back(v);
        if (v < best - 1e-7) {
            best = v;
            curve.best_iteration = epoch;
            since = 0;
            torch::NoGradGuard ng;
            best_params.clear();
            for (auto& t : net.parameters()) best_params.push_back(t.detach().clone());
        } else if (++since >= p.patience) {
            break;
        }
    }
    if (!best_params.empty()) {
        torch::NoGradGuard ng;
        auto params = net.parameters();
        for (std::size_t k = 0; k < params.size(); ++k) params[k].copy_(best_params[k]);
    }
    net.eval();
}

void save_common(const NeuralState& s, const NeuralParams& p, torch::nn::Module& net,
                 const std::string& kind, const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    torch::serialize::OutputArchive ar;
    net.save(ar);
    ar.write("aurum_mean", s.mean);
    ar.write("aurum_std", s.stdev);
    const auto tmp = dir / "model.pt.tmp";
    ar.save_to(tmp.string());
    std::filesystem::rename(tmp, dir / "model.pt");
    nlohmann::json imp = nlohmann::json::array();
    for (const auto& f : s.importance) imp.push_back({f.feature, f.score});
    nlohmann::json meta = {{"kind", kind},
                           {"params", p.to_json()},
                           {"cols", s.cols},
                           {"feature_names", s.names},
                           {"symbols", s.symbols},
                           {"importance", imp},
                           {"curve", {{"metric", s.curve.metric},
                                      {"train", s.curve.train},
                                      {"valid", s.curve.valid},
                                      {"best_iteration", s.curve.best_iteration}}}};
    write_file_atomic(dir / (kind + ".json"), meta.dump(2));
}

/// Reads metadata; returns params. Fills s (except the network).
NeuralParams load_meta(NeuralState& s, const std::string& kind, const std::filesystem::path& dir) {
    const auto path = dir / (kind + ".json");
    try {
        auto meta = nlohmann::json::parse(read_file(path));
        if (meta.at("kind") != kind)
            throw InputError(fmt::format("{}: holds a '{}' model, expected '{}'", path.string(),
                                         meta.at("kind").get<std::string>(), kind));
        auto p = NeuralParams::from_json(meta.at("params"), kind);
        s.cols = meta.at("cols").get<std::size_t>();
        s.names = meta.at("feature_names").get<std::vector<std::string>>();
        s.symbols = meta.at("symbols").get<std::vector<std::string>>();
        s.importance.clear();
        for (const auto& f : meta.at("importance"))
            s.importance.push_back({f.at(0).get<std::string>(), f.at(1).get<double>()});
        const auto& c = meta.at("curve");
        s.curve.metric = c.at("metric").get<std::string>();
        s.curve.train = c.at("train").get<std::vector<double>>();
        s.curve.valid = c.at("valid").get<std::vector<double>>();
        s.curve.best_iteration = c.at("best_iteration").get<int>();
        return p;
    } catch (const nlohmann::json::exception& e) {
        throw InputError(fmt::format("{}: corrupt model metadata: {}", path.string(), e.what()));
    }
}

void load_weights(NeuralState& s, torch::nn::Module& net, const std::filesystem::path& dir) {
    const auto path = dir / "model.pt";
    if (!std::filesystem::exists(path))
        throw InputError(fmt::format("{}: model file missing", path.string()));
    try {
        torch::serialize::InputArchive ar;
        ar.load_from(path.string());
        net.load(ar);
        ar.read("aurum_mean", s.mean);
        ar.read("aurum_std", s.stdev);
    } catch (const c10::Error& e) {
        std::string msg = e.what_without_backtrace();
        throw InputError(fmt::format("{}: corrupt model file: {}", path.string(), msg.substr(0, 200)));
    }
    if (s.mean.numel() != static_cast<long>(s.cols))
        throw InputError(fmt::format("{}: standardisation has {} features, metadata says {}",
                                     path.string(), s.mean.numel(), s.cols));
    net.eval();
}

/// Mean |d logit / d input| per feature over `x` (standardised inputs), normalised to sum 1.
std::vector<FeatureImportance> gradient_importance(const torch::Tensor& grad_abs_mean,
                                                   const std::vector<std::string>& names) {
    std::vector<FeatureImportance> out;
    const double total = grad_abs_mean.sum().item<double>();
    for (std::size_t j = 0; j < names.size(); ++j)
        out.push_back({names[j], total > 0 ? grad_abs_mean[static_cast<long>(j)].item<double>() / total : 0.0});
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
    return out;
}

torch::Tensor rows_tensor(const Dataset& d, std::span<const std::size_t> rows, bool labels) {
    std::vector<float> v(rows.size());
    for (std::size_t k = 0; k < rows.size(); ++k) v[k] = labels ? d.y[rows[k]] : d.w[rows[k]];
    return torch::from_blob(v.data(), {static_cast<long>(v.size())}, torch::kFloat32).clone();
}

/// What both networks do before training: check the rows, seed, and standardise on the fit rows.
std::unique_ptr<NeuralState> begin_fit(const char* kind, const NeuralParams& p, const Dataset& data,
                                       std::span<const std::size_t> fit) {
    if (fit.empty()) throw InputError(fmt::format("{}: no training rows", kind));
    data.require_two_classes(fit);
    seed_torch(p);
    auto s = std::make_unique<NeuralState>();
    s->cols = data.cols;
    s->names = data.feature_names;
    standardiser(*s, data, fit);
    return s;
}

/// Importance from the input gradients of `xs` (after backward), then drops every gradient so a
/// saved or reused network carries none.
void finish_fit(NeuralState& s, torch::nn::Module& net, const torch::Tensor& xs) {
    s.importance = gradient_importance(xs.grad().abs().mean(std::vector<int64_t>{0, 1}), s.names);
    for (auto& prm : net.parameters()) prm.mutable_grad() = torch::Tensor();
}

/// The checks and the gradient-free loop both networks predict with: `chunk` appends the
/// probabilities of up to 4096 rows at a time (bounded memory for any request size).
std::vector<double> predict_in_chunks(
    const char* kind, bool trained, const NeuralState& s, const NeuralParams& p,
    const Dataset& data, std::span<const std::size_t> rows,
    const std::function<void(std::span<const std::size_t>, std::vector<double>&)>& chunk) {
    if (!trained) throw InputError(fmt::format("{}: model is not trained or loaded", kind));
    if (data.cols != s.cols)
        throw InputError(fmt::format("{}: model expects {} features, dataset has {}", kind, s.cols, data.cols));
    torch::set_num_threads(p.threads);
    torch::NoGradGuard ng;
    std::vector<double> out;
    out.reserve(rows.size());
    for (std::size_t a = 0; a < rows.size(); a += 4096)
        chunk(rows.subspan(a, std::min<std::size_t>(4096, rows.size() - a)), out);
    return out;
}

/// Reads a saved model: metadata, the network `make` builds from it, then the weights. `params`
/// changes only when everything loaded.
std::unique_ptr<NeuralState> load_state(
    const char* kind, const std::filesystem::path& dir, NeuralParams& params,
    const std::function<torch::nn::Module&(NeuralState&, const NeuralParams&)>& make) {
    auto s = std::make_unique<NeuralState>();
    const NeuralParams p = load_meta(*s, kind, dir);
    load_weights(*s, make(*s, p), dir);
    params = p;
    return s;
}

} // namespace

// ---------------------------------------------------------------- both

NeuralModel::NeuralModel(NeuralParams params)
    : params_(params), s_(std::make_unique<NeuralState>()) {}
NeuralModel::~NeuralModel() = default;
LearningCurve NeuralModel::learning_curve() const { return s_->curve; }
std::vector<FeatureImportance> NeuralModel::importance() const { return s_->importance; }

// ---------------------------------------------------------------- LSTM


void LstmModel::fit(const Dataset& data, std::span<const std::size_t> fit,
                    std::span<const std::size_t> valid) {
    s_ = begin_fit("lstm", params_, data, fit);
    s_->lstm = LstmNet(static_cast<int>(data.cols), params_.hidden, params_.layers);
    const auto xf = sequences(*s_, data, fit, params_.seq_len);
    const auto yf = rows_tensor(data, fit, true), wf = rows_tensor(data, fit, false);
    torch::Tensor xv, yv, wv;
    if (!valid.empty()) {
        xv = sequences(*s_, data, valid, params_.seq_len);
        yv = rows_tensor(data, valid, true);
        wv = rows_tensor(data, valid, false);
    }
    auto& net = s_->lstm;
    train_loop(
        *net, params_, xf.size(0), valid.empty() ? 0 : xv.size(0),
        [&](const torch::Tensor& idx) {
            torch::Tensor l;
            weighted_bce(net->forward(xf.index_select(0, idx)), yf.index_select(0, idx),
                         wf.index_select(0, idx), &l);
            return l;
        },
        [&] {
            torch::NoGradGuard ng;
            return weighted_bce(net->forward(xv), yv, wv);
        },
        s_->curve);
    // Importance: input gradients on (up to 512 of) the validation or fit sequences.
    auto xs = (valid.empty() ? xf : xv).narrow(0, 0, std::min<long>(512, (valid.empty() ? xf : xv).size(0)))
                  .clone()
                  .set_requires_grad(true);
    net->forward(xs).sum().backward();
    finish_fit(*s_, *net, xs);
}

std::vector<double> LstmModel::predict_proba(const Dataset& data,
                                             std::span<const std::size_t> rows) const {
    return predict_in_chunks(
        "lstm", !s_->lstm.is_empty(), *s_, params_, data, rows,
        [&](std::span<const std::size_t> part, std::vector<double>& out) {
            auto p = torch::sigmoid(s_->lstm->forward(sequences(*s_, data, part, params_.seq_len)))
                         .contiguous();
            const float* pp = p.data_ptr<float>();
            out.insert(out.end(), pp, pp + p.numel());
        });
}

void LstmModel::save(const std::filesystem::path& dir) const {
    if (!s_->lstm) throw InputError("lstm: model is not trained or loaded");
    save_common(*s_, params_, *s_->lstm, "lstm", dir);
}

void LstmModel::load(const std::filesystem::path& dir) {
    s_ = load_state("lstm", dir, params_,
                    [](NeuralState& s, const NeuralParams& p) -> torch::nn::Module& {
                        s.lstm = LstmNet(static_cast<int>(s.cols), p.hidden, p.layers);
                        return *s.lstm;
                    });
}


// ---------------------------------------------------------------- GNN


void GnnModel::fit(const Dataset& data, std::span<const std::size_t> fit,
                   std::span<const std::size_t> valid) {
    s_ = begin_fit("gnn", params_, data, fit);
    s_->symbols = data.symbols.empty() ? std::vector<std::string>{"?"} : data.symbols;
    s_->gnn = GnnNet(static_cast<int>(data.cols), params_.hidden,
                     static_cast<int>(s_->symbols.size()), params_.layers);
    const auto gf = graphs(*s_, data, fit);
    GraphBatch gv;
    if (!valid.empty()) gv = graphs(*s_, data, valid);
    auto& net = s_->gnn;
    // Batches are of snapshots (bars); `batch` counts rows, so divide by the node count.
    NeuralParams p = params_;
    p.batch = std::max<int>(1, params_.batch / static_cast<int>(s_->symbols.size()));
    train_loop(
        *net, p, gf.x.size(0), valid.empty() ? 0 : gv.x.size(0),
        [&](const torch::Tensor& idx) {
            torch::Tensor l;
            weighted_bce(net->forward(gf.x.index_select(0, idx), gf.mask.index_select(0, idx)),
                         gf.y.index_select(0, idx), gf.w.index_select(0, idx), &l);
            return l;
        },
        [&] {
            torch::NoGradGuard ng;
            return weighted_bce(net->forward(gv.x, gv.mask), gv.y, gv.w);
        },
        s_->curve);
    const GraphBatch& gi = valid.empty() ? gf : gv;
    const long n = std::min<long>(256, gi.x.size(0));
    auto xs = gi.x.narrow(0, 0, n).clone().set_requires_grad(true);
    (net->forward(xs, gi.mask.narrow(0, 0, n)) * gi.w.narrow(0, 0, n)).sum().backward();
    finish_fit(*s_, *net, xs);
}

std::vector<double> GnnModel::predict_proba(const Dataset& data,
                                            std::span<const std::size_t> rows) const {
    return predict_in_chunks(
        "gnn", !s_->gnn.is_empty(), *s_, params_, data, rows,
        [&](std::span<const std::size_t> part, std::vector<double>& out) {
            auto g = graphs(*s_, data, part);
            auto p = torch::sigmoid(s_->gnn->forward(g.x, g.mask)).contiguous();
            const long S = p.size(1);
            const float* pp = p.data_ptr<float>();
            for (const auto& [b, node] : g.where) out.push_back(pp[b * S + node]);
        });
}

void GnnModel::save(const std::filesystem::path& dir) const {
    if (!s_->gnn) throw InputError("gnn: model is not trained or loaded");
    save_common(*s_, params_, *s_->gnn, "gnn", dir);
}

void GnnModel::load(const std::filesystem::path& dir) {
    s_ = load_state("gnn", dir, params_,
                    [](NeuralState& s, const NeuralParams& p) -> torch::nn::Module& {
                        s.gnn = GnnNet(static_cast<int>(s.cols), p.hidden,
                                       static_cast<int>(s.symbols.size()), p.layers);
                        return *s.gnn;
                    });
}


} // namespace aurum

/// The plugin's entry point (found by dlsym): a new LSTM or GNN model, owned by the caller.
extern "C" __attribute__((visibility("default"))) aurum::Model*
aurum_torch_make_model(const char* kind, const aurum::NeuralParams* params) {
    const std::string k = kind;
    if (k == "lstm") return new aurum::LstmModel(*params);
    if (k == "gnn") return new aurum::GnnModel(*params);
    return nullptr;
}
