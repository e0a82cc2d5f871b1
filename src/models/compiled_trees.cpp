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

// TreeSHAP's path algebra, in float like XGBoost.
using PathElement = detail::ShapPathElement;

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
    return c;
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
                // Right when x >= threshold, or when x is missing and the default is right.
                const bool right = (x >= s.threshold) | (std::isnan(x) & !s.default_left);
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
            const bool right = (x >= s.threshold) | (std::isnan(x) & !s.default_left);
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

namespace {

void extend_path(PathElement* path, unsigned depth, float zero, float one, int feature) {
    path[depth] = {feature, zero, one, depth == 0 ? 1.0f : 0.0f};
    for (int i = static_cast<int>(depth) - 1; i >= 0; --i) {
        path[i + 1].pweight += one * path[i].pweight * static_cast<float>(i + 1) /
                               static_cast<float>(depth + 1);
        path[i].pweight = zero * path[i].pweight * static_cast<float>(depth - i) /
                          static_cast<float>(depth + 1);
    }
}

void unwind_path(PathElement* path, unsigned depth, unsigned index) {
    const float one = path[index].one_fraction;
    const float zero = path[index].zero_fraction;
    float next_one = path[depth].pweight;
    for (int i = static_cast<int>(depth) - 1; i >= 0; --i) {
        if (one != 0) {
            const float tmp = path[i].pweight;
            path[i].pweight = next_one * static_cast<float>(depth + 1) /
                              static_cast<float>(static_cast<float>(i + 1) * one);
            next_one = tmp - path[i].pweight * zero * static_cast<float>(depth - i) /
                                 static_cast<float>(depth + 1);
        } else {
            path[i].pweight = (path[i].pweight * static_cast<float>(depth + 1)) /
                              static_cast<float>(zero * static_cast<float>(depth - i));
        }
    }
    for (auto i = index; i < depth; ++i) {
        path[i].feature_index = path[i + 1].feature_index;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
}

float unwound_path_sum(const PathElement* path, unsigned depth, unsigned index) {
    const float one = path[index].one_fraction;
    const float zero = path[index].zero_fraction;
    float next_one = path[depth].pweight;
    float total = 0;
    for (int i = static_cast<int>(depth) - 1; i >= 0; --i) {
        if (one != 0) {
            const float tmp = next_one * static_cast<float>(depth + 1) /
                              static_cast<float>(static_cast<float>(i + 1) * one);
            total += tmp;
            next_one = path[i].pweight -
                       tmp * zero * (static_cast<float>(depth - i) / static_cast<float>(depth + 1));
        } else if (zero != 0) {
            total += (path[i].pweight / zero) /
                     (static_cast<float>(depth - i) / static_cast<float>(depth + 1));
        }
    }
    return total;
}

} // namespace

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
    // Per-thread work space: the first call sizes it, later calls allocate nothing.
    thread_local std::vector<float> total, tree;
    total.assign(out.size(), 0.0f);
    tree.resize(out.size());
    std::array<PathElement, kPathSlots> path{};
    for (const auto root : roots_) {
        std::fill(tree.begin(), tree.end(), 0.0f);
        tree[num_features_] += mean_value_[root]; // the tree's expected value goes to the bias
        tree_shap(row, tree.data(), root, 0, path.data(), 1, 1, -1);
        for (std::size_t j = 0; j < out.size(); ++j) total[j] += tree[j];
    }
    total[num_features_] += base_margin_;
    for (std::size_t j = 0; j < out.size(); ++j) out[j] = total[j];
}

} // namespace aurum
