#pragma once
// Human-readable reports: experiment summary.txt + index.html, walk-forward summary.md + HTML.
#include <filesystem>
#include <string>

#include "models/gating.hpp"
#include "models/registry.hpp"
#include "models/walkforward.hpp"

namespace aurum {

/// What one training run produced, for its report.
struct ExperimentInfo {
    std::string id;
    const WalkForwardResult* wf = nullptr;
    const GatingVerdict* verdict = nullptr;
    const ModelRecord* record = nullptr; ///< the registered candidate (may be null)
    const TrainedModel* final_model = nullptr;
    std::string label_spec, feature_set_name, feature_set_id;
    std::string promotion; ///< what happened to production
    /// Experiment group (`aurum train --experiment`): empty, an experiment of its own.
    std::string group;
    std::string name; ///< the model's registry name (its directory within a group)
};

std::string experiment_summary_text(const ExperimentInfo& e);
std::string walkforward_markdown(const WalkForwardResult& wf, const GatingVerdict& v);
/// Self-contained HTML with inline SVG: importance bars, learning curves, confusion matrix, OOS
/// equity against buy-and-hold, fold table.
std::string report_html(const std::string& title, const WalkForwardResult& wf, const GatingVerdict& v,
                        const std::string& summary_text);

/// Writes reports/experiments/<id>/{summary.txt,index.html} and points reports/experiments/latest
/// at it. Returns the directory. In a group, the model's report goes to
/// reports/experiments/<group>/<name>/, the group's summary.txt lists every model of the group
/// (one line each, then each report in full) and `latest` points at the group.
std::filesystem::path write_experiment_report(const std::filesystem::path& reports_dir,
                                              const ExperimentInfo& e);
/// Writes reports/walkforward/<name>/{summary.md,summary.html,equity.csv,summary.json} and
/// reports/walkforward/summary.{md,html}: a table of every validated model plus this run in full.
/// Returns the top-level summary.md's path.
std::filesystem::path write_walkforward_report(const std::filesystem::path& reports_dir,
                                               const WalkForwardResult& wf, const GatingVerdict& v,
                                               const std::string& name);

} // namespace aurum
