#include "models/compiled_trees.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace aurum {

namespace {

/// TreeSHAP keeps one path per recursion level: (maxd * (maxd + 1)) / 2 elements, maxd = depth + 2.
constexpr int kMaxDepth = 30;
constexpr std::size_t kPathSlots = (kMaxDepth + 2) * (kMaxDepth + 3) / 2;

const nlohmann::json& at(const nlohmann::json& j, const char* key) {
    if (!j.is_object() || !j.contains(key))
        throw InputError(fmt::format("gbdt model: field '{}' is missing", key));
    return j.at(key);
}

/// XGBoost stores its scalar parameters as strings ("5E-1").
double number_param(const nlohmann::json& j, const char* key) {
    const auto& v = at(j, key);
    if (v.is_number()) return v.get<double>();
    try {
        return std::stod(v.get<std::string>());
    } catch (const std::exception&) {
        throw InputError(fmt::format("gbdt model: '{}' is not a number: {}", key, v.dump()));
    }
}

int depth_below(const std::vector<std::int32_t>& left, const std::vector<std::int32_t>& right,
                std::int32_t n) {
    if (left[n] < 0) return 0;
    return 1 + std::max(depth_below(left, right, left[n]), depth_below(left, right, right[n]));
}


// TreeSHAP's path algebra: in float like XGBoost for the recursive walk, in double for the
// precomputed tables.
template <class F>
void extend_path(detail::ShapPathElement<F>* path, unsigned depth, F zero, F one, int feature) {
    path[depth] = {feature, zero, one, depth == 0 ? F(1) : F(0)};
    for (int i = static_cast<int>(depth) - 1; i >= 0; --i) {
        path[i + 1].pweight += one * path[i].pweight * static_cast<F>(i + 1) /
                               static_cast<F>(depth + 1);
        path[i].pweight = zero * path[i].pweight * static_cast<F>(depth - i) /
                          static_cast<F>(depth + 1);
    }
}

template <class F>
void unwind_path(detail::ShapPathElement<F>* path, unsigned depth, unsigned index) {
    const F one = path[index].one_fraction;
    const F zero = path[index].zero_fraction;
    F next_one = path[depth].pweight;
    for (int i = static_cast<int>(depth) - 1; i >= 0; --i) {
        if (one != 0) {
            const F tmp = path[i].pweight;
            path[i].pweight = next_one * static_cast<F>(depth + 1) /
                              static_cast<F>(static_cast<F>(i + 1) * one);
            next_one = tmp - path[i].pweight * zero * static_cast<F>(depth - i) /
                                 static_cast<F>(depth + 1);
        } else {
            path[i].pweight = (path[i].pweight * static_cast<F>(depth + 1)) /
                              static_cast<F>(zero * static_cast<F>(depth - i));
        }
    }
    for (auto i = index; i < depth; ++i) {
        path[i].feature_index = path[i + 1].feature_index;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
}

template <class F>
F unwound_path_sum(const detail::ShapPathElement<F>* path, unsigned depth, unsigned index) {
    const F one = path[index].one_fraction;
    const F zero = path[index].zero_fraction;
    F next_one = path[depth].pweight;
    F total = 0;
    for (int i = static_cast<int>(depth) - 1; i >= 0; --i) {
        if (one != 0) {
            const F tmp = next_one * static_cast<F>(depth + 1) /
                          static_cast<F>(static_cast<F>(i + 1) * one);
            total += tmp;
            next_one = path[i].pweight -
                       tmp * zero * (static_cast<F>(depth - i) / static_cast<F>(depth + 1));
        } else if (zero != 0) {
            total += (path[i].pweight / zero) /
                     (static_cast<F>(depth - i) / static_cast<F>(depth + 1));
        }
    }
    return total;
}

/// Split direction of a row at a node: right when x >= threshold, or when x is missing and the
/// default is right.
inline bool goes_right(float x, float threshold, bool default_left) {
    return (x >= threshold) | (std::isnan(x) & !default_left);
}


} // namespace

CompiledTrees CompiledTrees::from_ubjson(std::span<const char> bytes) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::from_ubjson(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& e) {
        throw InputError(fmt::format("gbdt model: not UBJSON: {}", e.what()));
    }
    const auto& learner = at(doc, "learner");
    const auto& booster = at(learner, "gradient_booster");
    if (at(booster, "name").get<std::string>() != "gbtree")
        throw InputError("gbdt model: only the gbtree booster can be compiled");
    const auto& model = at(booster, "model");
    const auto& mparam = at(learner, "learner_model_param");
    if (number_param(at(model, "gbtree_model_param"), "num_parallel_tree") != 1 ||
        number_param(mparam, "num_class") > 1)
        throw InputError("gbdt model: only one output group and one tree per round are supported");

    CompiledTrees c;
    const std::string objective = at(at(learner, "objective"), "name").get<std::string>();
    if (objective != "binary:logistic" && objective != "reg:squarederror")
        throw InputError(fmt::format("gbdt model: objective '{}' cannot be compiled", objective));
    c.logistic_ = objective == "binary:logistic";
    c.num_features_ = static_cast<std::size_t>(number_param(mparam, "num_feature"));
    const float base = static_cast<float>(number_param(mparam, "base_score"));
    c.base_margin_ = c.logistic_ ? -std::log(1.0f / base - 1.0f) : base; // ProbToMargin

    for (const auto& t : at(model, "trees")) {
        const auto left = at(t, "left_children").get<std::vector<std::int32_t>>();
        const auto right = at(t, "right_children").get<std::vector<std::int32_t>>();
        const auto cond = at(t, "split_conditions").get<std::vector<float>>();
        const auto feature = at(t, "split_indices").get<std::vector<std::uint32_t>>();
        const auto dleft = at(t, "default_left").get<std::vector<int>>();
        const auto hess = at(t, "sum_hessian").get<std::vector<float>>();
        const std::size_t n = left.size();
        if (n == 0 || right.size() != n || cond.size() != n || feature.size() != n ||
            dleft.size() != n || hess.size() != n)
            throw InputError("gbdt model: a tree's node arrays differ in length");
        const auto offset = static_cast<std::int32_t>(c.nodes_.size());
        for (std::size_t i = 0; i < n; ++i) {
            const bool leaf = left[i] < 0;
            if (!leaf && (left[i] >= static_cast<std::int32_t>(n) || right[i] < 0 ||
                          right[i] >= static_cast<std::int32_t>(n) ||
                          feature[i] >= c.num_features_))
                throw InputError(fmt::format("gbdt model: node {} of tree {} is malformed", i,
                                             c.roots_.size()));
            c.nodes_.push_back({cond[i], leaf ? -1 : offset + left[i], leaf ? -1 : offset + right[i],
                                leaf ? 0u : feature[i], dleft[i] != 0 ? 1u : 0u});
            c.cover_.push_back(hess[i]);
        }
        const int depth = depth_below(left, right, 0);
        if (depth > kMaxDepth)
            throw InputError(fmt::format("gbdt model: tree depth {} exceeds {}", depth, kMaxDepth));
        c.max_depth_ = std::max(c.max_depth_, depth);
        c.roots_.push_back(offset);
    }
    c.mean_value_.assign(c.nodes_.size(), 0.0f);
    for (const auto root : c.roots_) c.fill_mean_values(root);
    if (c.max_depth_ <= kCompleteDepth) c.build_complete_layout();
    if (c.max_depth_ <= kTableDepth) c.build_shap_tables();
    return c;
}

void CompiledTrees::build_shap_tables() {
    struct Edge {
        std::uint32_t bit;
        bool right;
        std::uint32_t feature;
        double zero; ///< cover share of the child the edge leads to
    };
    std::vector<Edge> path;
    ShapTree* tree = nullptr;
    auto add_leaf = [&](float value) {
        // The leaf's unique features, in the order TreeSHAP leaves them (a feature split on
        // again moves to the end), with the product of their edges' cover shares.
        std::vector<ShapPathFeature> feats;
        std::vector<double> zero;
        for (const Edge& e : path) {
            auto it = std::find_if(feats.begin(), feats.end(),
                                   [&](const auto& f) { return f.feature == e.feature; });
            ShapPathFeature f{0u, 0u, e.feature};
            double z = 1.0;
            if (it != feats.end()) {
                f = *it;
                z = zero[static_cast<std::size_t>(it - feats.begin())];
                zero.erase(zero.begin() + (it - feats.begin()));
                feats.erase(it);
            }
            f.mask |= 1u << e.bit;
            f.want |= static_cast<std::uint32_t>(e.right) << e.bit;
            feats.push_back(f);
            zero.push_back(z * e.zero);
        }
        const auto n = static_cast<unsigned>(feats.size());
        shap_leaves_.push_back({static_cast<std::uint32_t>(shap_features_.size()), n,
                                static_cast<std::uint32_t>(shap_table_.size())});
        shap_features_.insert(shap_features_.end(), feats.begin(), feats.end());
        // One row per agreement pattern: bit u set when the row agrees with feature u's edges.
        std::array<detail::ShapPathElement<double>, kTableDepth + 1> p{};
        for (unsigned pattern = 0; pattern < (1u << n); ++pattern) {
            extend_path<double>(p.data(), 0, 1.0, 1.0, -1);
            for (unsigned u = 0; u < n; ++u)
                extend_path<double>(p.data(), u + 1, zero[u], (pattern >> u) & 1u, 0);
            for (unsigned u = 0; u < n; ++u) {
                const double w = unwound_path_sum<double>(p.data(), n, u + 1);
                shap_table_.push_back(static_cast<float>(
                    w * (p[u + 1].one_fraction - p[u + 1].zero_fraction) * value));
            }
        }
        ++tree->n_leaves;
    };
    auto visit = [&](auto&& self, std::int32_t index) -> void {
        const Node& node = nodes_[index];
        if (node.left < 0) return add_leaf(node.value);
        const auto bit = tree->n_splits++;
        shap_splits_.push_back({node.value, node.feature, node.default_left});
        path.push_back({bit, false, node.feature, cover_[node.left] / cover_[index]});
        self(self, node.left);
        path.back() = {bit, true, node.feature, cover_[node.right] / cover_[index]};
        self(self, node.right);
        path.pop_back();
    };
    for (const auto root : roots_) {
        shap_trees_.push_back({static_cast<std::uint32_t>(shap_splits_.size()), 0u,
                               static_cast<std::uint32_t>(shap_leaves_.size()), 0u});
        tree = &shap_trees_.back();
        visit(visit, root);
    }
}

void CompiledTrees::contributions_from_tables(const float* row, double* phi) const {
    for (const ShapTree& t : shap_trees_) {
        std::uint32_t right = 0; // bit j: the row goes right at the tree's j-th split
        for (std::uint32_t j = 0; j < t.n_splits; ++j) {
            const Split& s = shap_splits_[t.first_split + j];
            right |= static_cast<std::uint32_t>(goes_right(row[s.feature], s.threshold,
                                                           s.default_left))
                     << j;
        }
        for (std::uint32_t l = t.first_leaf; l < t.first_leaf + t.n_leaves; ++l) {
            const ShapLeaf& leaf = shap_leaves_[l];
            const ShapPathFeature* f = shap_features_.data() + leaf.first_feature;
            std::uint32_t pattern = 0;
            for (std::uint32_t u = 0; u < leaf.n_features; ++u)
                pattern |= static_cast<std::uint32_t>(((right ^ f[u].want) & f[u].mask) == 0) << u;
            const float* v = shap_table_.data() + leaf.table + pattern * leaf.n_features;
            for (std::uint32_t u = 0; u < leaf.n_features; ++u) phi[f[u].feature] += v[u];
        }
    }
}

void CompiledTrees::build_complete_layout() {
    const std::size_t n_splits = (std::size_t{1} << max_depth_) - 1;
    splits_.assign(roots_.size() * n_splits, Split{0.0f, 0u, 0u});
    leaves_.assign(roots_.size() * (n_splits + 1), 0.0f);
    for (std::size_t t = 0; t < roots_.size(); ++t) {
        Split* splits = splits_.data() + t * n_splits;
        float* leaves = leaves_.data() + t * (n_splits + 1);
        // Walk the complete tree in heap order; `src` maps a slot to the original node. A leaf
        // reached above the bottom fills every slot below it (any branch gives its value).
        std::vector<std::int32_t> src(2 * n_splits + 1);
        src[0] = roots_[t];
        for (std::size_t k = 0; k < src.size(); ++k) {
            const Node& node = nodes_[src[k]];
            if (k >= n_splits) {
                leaves[k - n_splits] = node.value;
                continue;
            }
            if (node.left < 0) {
                // Both children are copies of this leaf: the split's test does not matter.
                splits[k] = {0.0f, 0u, 1u};
                src[2 * k + 1] = src[2 * k + 2] = src[k];
            } else {
                splits[k] = {node.value, node.feature, node.default_left};
                src[2 * k + 1] = node.left;
                src[2 * k + 2] = node.right;
            }
        }
    }
}

float CompiledTrees::margin_complete(const float* row) const {
    const std::size_t n_splits = (std::size_t{1} << max_depth_) - 1;
    const std::size_t n_trees = roots_.size();
    // Walk kGroup trees side by side: their index chains are independent, so the loads of one
    // overlap the others' instead of waiting in a single dependency chain.
    constexpr std::size_t kGroup = 8;
    float sum = base_margin_;
    std::size_t t = 0;
    for (; t + kGroup <= n_trees; t += kGroup) {
        std::size_t k[kGroup] = {};
        for (int d = 0; d < max_depth_; ++d) {
            for (std::size_t g = 0; g < kGroup; ++g) {
                const Split& s = splits_[(t + g) * n_splits + k[g]];
                const float x = row[s.feature];
                const bool right = goes_right(x, s.threshold, s.default_left);
                k[g] = 2 * k[g] + 1 + right;
            }
        }
        for (std::size_t g = 0; g < kGroup; ++g) // in tree order, as XGBoost adds them
            sum += leaves_[(t + g) * (n_splits + 1) + k[g] - n_splits];
    }
    for (; t < n_trees; ++t) {
        std::size_t k = 0;
        for (int d = 0; d < max_depth_; ++d) {
            const Split& s = splits_[t * n_splits + k];
            const float x = row[s.feature];
            const bool right = goes_right(x, s.threshold, s.default_left);
            k = 2 * k + 1 + right;
        }
        sum += leaves_[t * (n_splits + 1) + k - n_splits];
    }
    return sum;
}

void CompiledTrees::fill_mean_values(std::int32_t n) {
    const Node& node = nodes_[n];
    float result;
    if (node.left < 0) {
        result = node.value;
    } else {
        fill_mean_values(node.left);
        fill_mean_values(node.right);
        result = mean_value_[node.left] * cover_[node.left];
        result += mean_value_[node.right] * cover_[node.right];
        result /= cover_[n];
    }
    mean_value_[n] = result;
}

inline std::int32_t CompiledTrees::next(const Node& n, const float* row) const {
    const float x = row[n.feature];
    if (std::isnan(x)) return n.default_left ? n.left : n.right;
    return x < n.value ? n.left : n.right;
}

float CompiledTrees::margin(const float* row) const {
    if (!splits_.empty()) return margin_complete(row);
    float sum = base_margin_;
    for (const auto root : roots_) {
        const Node* n = &nodes_[root];
        while (n->left >= 0) n = &nodes_[next(*n, row)];
        sum += n->value;
    }
    return sum;
}

float CompiledTrees::predict(const float* row) const {
    const float m = margin(row);
    if (!logistic_) return m;
    // XGBoost's common::Sigmoid: the exponent is capped so the denominator never overflows.
    const float x = std::min(-m, 88.7f);
    return 1.0f / (std::exp(x) + 1.0f + 1e-16f);
}


void CompiledTrees::tree_shap(const float* row, float* phi, std::int32_t index, unsigned depth,
                              PathElement* parent_path, float parent_zero, float parent_one,
                              int parent_feature) const {
    const Node& node = nodes_[index];
    PathElement* path = parent_path + depth + 1;
    std::copy(parent_path, parent_path + depth + 1, path);
    extend_path(path, depth, parent_zero, parent_one, parent_feature);
    if (node.left < 0) {
        for (unsigned i = 1; i <= depth; ++i) {
            const float w = unwound_path_sum(path, depth, i);
            const PathElement& el = path[i];
            phi[el.feature_index] += w * (el.one_fraction - el.zero_fraction) * node.value;
        }
        return;
    }
    const std::int32_t hot = next(node, row);
    const std::int32_t cold = hot == node.left ? node.right : node.left;
    const float w = cover_[index];
    const float hot_zero = cover_[hot] / w;
    const float cold_zero = cover_[cold] / w;
    float incoming_zero = 1;
    float incoming_one = 1;
    // A feature split on again further down: undo its earlier extension first.
    unsigned k = 0;
    for (; k <= depth; ++k)
        if (path[k].feature_index == static_cast<int>(node.feature)) break;
    if (k != depth + 1) {
        incoming_zero = path[k].zero_fraction;
        incoming_one = path[k].one_fraction;
        unwind_path(path, depth, k);
        depth -= 1;
    }
    const int f = static_cast<int>(node.feature);
    tree_shap(row, phi, hot, depth + 1, path, hot_zero * incoming_zero, incoming_one, f);
    tree_shap(row, phi, cold, depth + 1, path, cold_zero * incoming_zero, 0, f);
}

void CompiledTrees::contributions(const float* row, std::span<double> out) const {
    if (out.size() != num_features_ + 1)
        throw InputError(fmt::format("gbdt: contributions need {} slots, got {}",
                                     num_features_ + 1, out.size()));
    // Each tree's expected value goes to the bias, summed in float like XGBoost, base last.
    float bias = 0.0f;
    for (const auto root : roots_) bias += mean_value_[root];
    bias += base_margin_;
    if (!shap_trees_.empty()) {
        std::fill(out.begin(), out.end(), 0.0);
        contributions_from_tables(row, out.data());
        out[num_features_] = bias;
        return;
    }
    // Deep trees: XGBoost's recursive TreeSHAP, per-thread work space (the first call sizes
    // it, later calls allocate nothing).
    thread_local std::vector<float> total, tree;
    total.assign(out.size(), 0.0f);
    tree.resize(out.size());
    std::array<PathElement, kPathSlots> path{};
    for (const auto root : roots_) {
        std::fill(tree.begin(), tree.end(), 0.0f);
        tree_shap(row, tree.data(), root, 0, path.data(), 1, 1, -1);
        for (std::size_t j = 0; j < num_features_; ++j) total[j] += tree[j];
    }
    for (std::size_t j = 0; j < num_features_; ++j) out[j] = total[j];
    out[num_features_] = bias;
}

} // namespace aurum
