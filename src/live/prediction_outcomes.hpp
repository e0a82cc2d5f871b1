#pragma once
// Predictions against what happened: every stored prediction (live_predictions) gets its
// realised outcome once its model's label horizon has passed (the close `horizon` bars after the
// decided bar's close, from the market store), kept in live_prediction_outcomes. The daemon's
// accuracy job, `aurum monitor accuracy` and the reports read them.
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "data/market_store.hpp"
#include "live/state_store.hpp"

namespace aurum {

/// One prediction with its outcome.
struct PredictionOutcome {
    std::string session_id;
    TimeMs time = 0; ///< open time of the bar decided on
    std::string symbol;
    std::string model; ///< "gbdt-BTCUSDT-4h v3"
    double p_up = 0;
    int horizon = 0;        ///< bars
    TimeMs resolved_at = 0; ///< close time of the outcome bar
    double realized_return = 0; ///< close[t + horizon] / close[t] - 1
    bool up = false;        ///< realized_return > 0 (the fixed label with no dead zone)
    /// The prediction was right: P(up) >= 0.5 and it went up, or < 0.5 and it did not.
    bool hit() const { return (p_up >= 0.5) == up; }
};

/// What a model's registry record says about it: its label horizon and the walk-forward
/// expectation (out-of-sample accuracy and AUC) it was promoted on.
struct ModelExpectation {
    int horizon = 6;
    double wf_accuracy = 0, wf_auc = 0;
    double threshold = 0.70; ///< the decision policy's entry threshold
};
/// Looks a model label ("name vN") up; nullopt when unknown.
using ExpectationLookup = std::function<std::optional<ModelExpectation>(const std::string& model)>;
/// The registry under `registry_root` (models/registry), parsing each model's training-time
/// models.yaml; results cached per label.
ExpectationLookup registry_expectations(const std::filesystem::path& registry_root);

/// Resolves every prediction of `session_id` whose horizon has closed by session time `now`
/// and is not resolved yet; stores them. Returns how many were added. A prediction whose model
/// is unknown uses the default horizon (6 bars).
int resolve_outcomes(StateStore& store, MarketStore& market, const SessionRecord& session,
                     TimeMs now, const ExpectationLookup& lookup);

/// Every stored outcome of a session, oldest first.
std::vector<PredictionOutcome> load_outcomes(StateStore& store, const std::string& session_id);

} // namespace aurum
