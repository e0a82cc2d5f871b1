#pragma once
// A trained XGBoost tree ensemble flattened into one contiguous node array, for single-row and
// small-batch prediction without the XGBoost runtime: no JSON config parsing, no DMatrix, no
// allocation per call. XGBoost stays the trainer and the reference; the arithmetic here follows
// its CPU predictor (float accumulation in tree order, float sigmoid) so probabilities and SHAP
// contributions agree with it (tests compare every row of real-data models).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace aurum {

namespace detail {
/// One step of a TreeSHAP path (Lundberg et al. 2018, Algorithm 2).
template <class F>
struct ShapPathElement {
    int feature_index;
    F zero_fraction;
    F one_fraction;
    F pweight;
};
} // namespace detail

/// Gradient-boosted trees (one output group) compiled from an XGBoost UBJSON model.
class CompiledTrees {
public:
    CompiledTrees() = default;
    /// Parses XGBoost's UBJSON model bytes (`XGBoosterSaveModelToBuffer` format "ubj").
    /// Throws InputError when the model is not a single-group gbtree of a supported objective.
    static CompiledTrees from_ubjson(std::span<const char> bytes);

    bool empty() const { return roots_.empty(); }
    std::size_t num_features() const { return num_features_; }
    std::size_t num_trees() const { return roots_.size(); }

    /// The raw margin (sum of leaves + base score) for one row of num_features() floats; NaN is
    /// a missing value and takes the default branch.
    float margin(const float* row) const;
    /// XGBoost's prediction: sigmoid(margin) for binary:logistic, the margin for regression.
    float predict(const float* row) const;
    /// TreeSHAP contributions (XGBoost `pred_contribs`): num_features() values then the bias,
    /// in margin units, summing to margin(row). `out` has num_features() + 1 slots. Trees up to
    /// depth 5 use precomputed per-leaf tables (the path algebra depends on the row only through
    /// which of each leaf's path features the row agrees with); deeper ones run TreeSHAP.
    void contributions(const float* row, std::span<double> out) const;

private:
    /// One node. A leaf has left < 0 and its value in `value`.
    struct Node {
        float value;        ///< split threshold (go left when x < value), or the leaf value
        std::int32_t left;  ///< absolute index of the left child, -1 for a leaf
        std::int32_t right; ///< absolute index of the right child
        std::uint32_t feature : 31;
        std::uint32_t default_left : 1;
    };
    using PathElement = detail::ShapPathElement<float>;

    std::int32_t next(const Node& n, const float* row) const;
    void tree_shap(const float* row, float* phi, std::int32_t node, unsigned depth,
                   PathElement* parent_path, float parent_zero, float parent_one,
                   int parent_feature) const;
    void fill_mean_values(std::int32_t node);
    void build_complete_layout();
    float margin_complete(const float* row) const;
    void build_shap_tables();
    void contributions_from_tables(const float* row, double* phi) const;

    std::vector<Node> nodes_;
    std::vector<float> cover_;      ///< sum of hessians per node (TreeSHAP's weights)
    std::vector<float> mean_value_; ///< cover-weighted mean leaf value below each node
    std::vector<std::int32_t> roots_;
    std::size_t num_features_ = 0;
    float base_margin_ = 0.0f;
    bool logistic_ = true;
    int max_depth_ = 0;
    /// Trees no deeper than this are also stored complete (leaves above the bottom copied down),
    /// so prediction walks them without a branch: child = 2 i + 1 + (go right).
    static constexpr int kCompleteDepth = 6;
    struct Split {
        float threshold;
        std::uint32_t feature : 31;
        std::uint32_t default_left : 1;
    };
    std::vector<Split> splits_;  ///< per tree 2^depth - 1 splits, heap order
    std::vector<float> leaves_;  ///< per tree 2^depth leaf values

    /// Deepest tree whose SHAP values come from tables (a leaf's table has 2^U rows of U values,
    /// U <= depth unique path features).
    static constexpr int kTableDepth = 5;
    struct ShapTree {
        std::uint32_t first_split, n_splits; ///< its internal nodes in shap_splits_
        std::uint32_t first_leaf, n_leaves;  ///< its leaves in shap_leaves_
    };
    /// One feature on a leaf's path: the row agrees when it goes the path's way at every node
    /// (bits of the tree's internal nodes) that splits on it.
    struct ShapPathFeature {
        std::uint32_t mask;    ///< the path's nodes that split on this feature
        std::uint32_t want;    ///< the directions the path takes there (1 = right)
        std::uint32_t feature;
    };
    struct ShapLeaf {
        std::uint32_t first_feature; ///< in shap_features_
        std::uint32_t n_features;
        std::uint32_t table;         ///< offset in shap_table_: 2^n rows of n contributions
    };
    std::vector<ShapTree> shap_trees_;
    std::vector<Split> shap_splits_;
    std::vector<ShapLeaf> shap_leaves_;
    std::vector<ShapPathFeature> shap_features_;
    std::vector<float> shap_table_;
};

} // namespace aurum
