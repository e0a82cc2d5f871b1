#pragma once
// The weekly analysis (seed 000's Sunday deep dive, `weekly_analysis.py --generate-report`):
// performance against BTC and ETH buy-and-hold (return and Sharpe), risk metrics, the models'
// accuracy trend, feature importance this week against last week, wins and losses, and
// recommendations derived from those numbers. One JSON document, rendered as text and HTML.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/instrument.hpp"
#include "data/market_store.hpp"
#include "live/prediction_outcomes.hpp"
#include "risk/risk_limits.hpp"
#include "surfaces/reports/session_view.hpp"

namespace aurum {

/// What a weekly report is built from.
struct WeeklyReportInput {
    const SessionView* view = nullptr;
    MarketStore* market = nullptr;             ///< benchmark bars
    const InstrumentRegistry* instruments = nullptr;
    const RiskLimits* limits = nullptr;
    TimeMs day = 0;                            ///< the week ends at this day's end
    std::vector<std::string> benchmarks{"BTC/USDT", "ETH/USDT"};
    std::vector<PredictionOutcome> outcomes;   ///< resolved predictions of the session
    double entry_threshold = 0.70;             ///< the decision policy's threshold in force
    nlohmann::json model_health;               ///< optional: monitor flags
    nlohmann::json drift;                      ///< optional: session_drift's verdict
};

nlohmann::json weekly_report_data(const WeeklyReportInput& in);
std::string weekly_report_text(const nlohmann::json& report);
std::string weekly_report_html(const nlohmann::json& report);

} // namespace aurum
