#pragma once
// Feature sets (declared in config/features.yaml), their ID, and the one streaming pipeline that
// computes them: live code feeds it bar by bar, and the training matrix is built by running the
// very same pipeline over history.
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/bar_series.hpp"
#include "core/config.hpp"
#include "core/instrument.hpp"
#include "features/external_data.hpp"
#include "features/feature_matrix.hpp"

namespace aurum {

/// One entry of a feature set: an indicator with its parameters (canonical text values).
struct FeatureSpec {
    std::string name;      ///< column name, or prefix of "<name>_<output>" for multi-output ones
    std::string indicator; ///< registry name ("rsi", "macd", ...)
    std::map<std::string, std::string> params; ///< every parameter, defaults filled in
    std::vector<std::string> outputs;           ///< selected outputs (all when the set says none)
};

/// A named, ordered list of features plus the options that change their values.
struct FeatureSetDef {
    std::string name;
    std::vector<FeatureSpec> features;
    int max_gap_bars = 3; ///< a gap of more missing (in-session) bars than this resets indicators

    /// Canonical definition text: one line per feature, parameters sorted, defaults explicit.
    /// The set's name is not part of it (renaming a set keeps its ID).
    std::string canonical_text() const;
    /// SHA-256 of canonical_text(), lowercase hex (64 characters).
    std::string id() const;
    /// Column names in matrix order.
    std::vector<std::string> column_names() const;
    /// Reference symbols (cross_asset) and external series names the set needs.
    std::vector<std::string> reference_symbols() const;
    std::vector<std::string> external_series() const;
};

/// The contents of config/features.yaml.
struct FeatureConfig {
    std::map<std::string, FeatureSetDef> sets;
    std::string default_set = "default";

    /// Loads and validates; InputError names file:line and key for an unknown indicator, an
    /// unknown or out-of-range parameter, a duplicate column, or a missing set.
    static FeatureConfig load_file(const std::string& path);
    static FeatureConfig parse(const std::string& yaml, const std::string& file);
    /// The built-in configuration (the same text as the shipped config/features.yaml).
    static const std::string& default_yaml();
    /// The set called `name` (empty: default_set); InputError listing the known ones.
    const FeatureSetDef& get(const std::string& name) const;
};

/// Everything the available indicators are, for `aurum features show --indicators` and docs.
struct IndicatorInfo {
    std::string name;
    std::string summary;
    std::vector<std::string> params;  ///< "period=14"
    std::vector<std::string> outputs; ///< output suffixes ("" for a single output)
};
std::vector<IndicatorInfo> indicator_catalogue();

/// What a pipeline needs besides the bars of its own symbol.
struct FeatureContext {
    std::string symbol;
    Timeframe timeframe;
    TradingSessions sessions = TradingSessions::crypto(); ///< which missing bars count as a gap
    bool has_spread = false;
    /// Bars of reference symbols (same or coarser timeframe), by symbol. Must outlive the pipeline.
    std::map<std::string, BarSeries> references;
    /// External series by name. Must outlive the pipeline.
    std::map<std::string, ExternalSeries> externals;
};

class FeatureNode;

/// The streaming feature computation of one feature set over one symbol's bars.
/// update() is O(number of features) and does not allocate.
class FeaturePipeline {
public:
    FeaturePipeline(const FeatureSetDef& def, const FeatureContext& ctx);
    ~FeaturePipeline();
    FeaturePipeline(FeaturePipeline&&) noexcept;

    /// Feeds the next bar (strictly later than the previous one, else InputError). Returns true
    /// when every feature is warmed up, so row() is a complete feature vector for this bar.
    bool update(const Bar& bar);
    /// The current values, one per column (meaningful when the last update returned true).
    std::span<const double> row() const { return row_; }
    const std::vector<std::string>& names() const { return names_; }
    /// Clears every indicator's state (as after a gap).
    void reset();
    /// Gaps that reset the indicators so far: open time of the bar after each gap.
    const std::vector<TimeMs>& resets() const { return resets_; }

private:
    std::string symbol_;
    Timeframe timeframe_;
    TradingSessions sessions_;
    int max_gap_bars_;
    std::vector<std::unique_ptr<FeatureNode>> nodes_;
    std::vector<std::vector<int>> selected_; ///< per node: output indices copied to the row
    std::vector<double> scratch_;
    std::vector<double> row_;
    std::vector<std::string> names_;
    std::vector<TimeMs> resets_;
    TimeMs last_time_ = 0;
    bool has_last_ = false;
};

/// What a build did, for the CLI to print.
struct BuildReport {
    std::size_t bars = 0;        ///< bars fed
    std::size_t rows = 0;        ///< complete rows in the matrix
    std::size_t warmup_rows = 0; ///< bars dropped while indicators warmed up (incl. after gaps)
    std::vector<TimeMs> resets;  ///< gaps that reset the indicators
};

/// Runs the pipeline over `bars` and keeps every complete row. Throws InputError when the bars are
/// empty or produce no complete row ("no data in range"), or when a value is NaN or infinite
/// (naming symbol, bar time and feature).
FeatureMatrix build_feature_matrix(const BarSeries& bars, const FeatureSetDef& def,
                                   const FeatureContext& ctx, BuildReport* report = nullptr);

} // namespace aurum
