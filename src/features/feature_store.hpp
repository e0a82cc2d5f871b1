#pragma once
// Where built matrices and label sets live: binary files under <workspace>/data/features/ with a
// metadata row each in the database (tables feature_matrices, label_sets).
#include <filesystem>
#include <string>
#include <vector>

#include "data/database.hpp"
#include "features/feature_matrix.hpp"

namespace aurum {

/// Metadata row of a stored feature matrix.
struct StoredMatrixInfo {
    std::string symbol;
    Timeframe timeframe;
    std::string set_name;
    std::string feature_set_id;
    TimeMs first = 0, last = 0; ///< open time of the first/last row
    std::int64_t rows = 0;
    std::vector<std::string> columns;
    std::string file; ///< file name under the features directory
};

/// Metadata row of a stored label set.
struct StoredLabelsInfo {
    std::string symbol;
    Timeframe timeframe;
    std::string method;
    std::string params;
    TimeMs first = 0, last = 0;
    std::int64_t rows = 0;
    std::int64_t negative = 0, neutral = 0, positive = 0;
    std::string file;
};

/// Saves and finds matrices and labels. One instance per database connection.
class FeatureStore {
public:
    /// `features_dir` is usually Workspace::data_dir() / "features".
    FeatureStore(Database& db, std::filesystem::path features_dir);

    /// Writes the matrix file (atomically) and replaces its metadata row, in one transaction:
    /// when either fails, the previous matrix stays in force.
    StoredMatrixInfo save(const FeatureMatrix& m);
    /// The stored matrix of (symbol, timeframe, set); InputError naming what is missing.
    FeatureMatrix load(const std::string& symbol, Timeframe tf, const std::string& set_name);
    std::vector<StoredMatrixInfo> list();

    StoredLabelsInfo save_labels(const LabelSet& labels);
    LabelSet load_labels(const std::string& symbol, Timeframe tf, const std::string& method);
    std::vector<StoredLabelsInfo> list_labels();

    const std::filesystem::path& dir() const { return dir_; }
    /// "BTC-USDT_4h_default.afm" / "BTC-USDT_4h_triple-barrier.alb".
    static std::string matrix_file_name(const std::string& symbol, Timeframe tf,
                                        const std::string& set_name);
    static std::string labels_file_name(const std::string& symbol, Timeframe tf,
                                        const std::string& method);

private:
    Database& db_;
    std::filesystem::path dir_;
};

} // namespace aurum
