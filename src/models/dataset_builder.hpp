#pragma once
// Adapts the features layer's FeatureMatrix + LabelSet into model Datasets.
#include <vector>

#include "features/feature_matrix.hpp"
#include "models/dataset.hpp"

namespace aurum {

/// One symbol's built features and labels.
struct SymbolData {
    FeatureMatrix features;
    LabelSet labels;
};

/// Joins features and labels on decision time. A row's sample time t is the decision bar's close
/// (open time + timeframe); t1 is the close of the last bar its label depends on. The class is
/// 1 when the label is +1 (up), else 0. Several symbols are stacked in (t, symbol) order; all
/// must share the feature set and columns. Throws InputError on a mismatch or no aligned rows.
Dataset build_dataset(const std::vector<SymbolData>& symbols);

/// The feature rows of `m` (no labels) as a dataset for prediction: y = 0, t1 = t.
Dataset features_only_dataset(const std::vector<FeatureMatrix>& matrices);

} // namespace aurum
