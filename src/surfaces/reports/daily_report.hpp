#pragma once
// The daily report (seed 000's "DAILY SUMMARY" and 8 am email, seed 002's end-of-day review):
// positions, P&L today and this week, Sharpe and max drawdown, trades with the model's
// confidence, risk status against the limits, alerts; plus signals generated, approved and
// rejected, paper P&L, errors and the prediction confidence trend. One JSON document rendered as
// plain text (the seed's terminal layout) and as a self-contained HTML page.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/workspace.hpp"
#include "data/market_store.hpp"
#include "risk/risk_limits.hpp"
#include "surfaces/reports/session_view.hpp"

namespace aurum {

/// What a daily report is built from.
struct DailyReportInput {
    const SessionView* view = nullptr;
    StateStore* store = nullptr;
    MarketStore* market = nullptr; ///< marks of past days' positions
    const RiskLimits* limits = nullptr;
    const Workspace* ws = nullptr;  ///< logs/error.log
    TimeMs day = 0;                 ///< UTC midnight of the reported day
    TimeMs wall_now = 0;
    nlohmann::json model_health;    ///< optional: monitor flags (null: not shown)
};

/// The report's figures. For the session's current day `summary` is exactly `aurum summary`'s
/// answer (query_summary); for an earlier day the same fields are rebuilt from the fills.
nlohmann::json daily_report_data(const DailyReportInput& in);

/// The plain-text report: the seed's DAILY SUMMARY layout plus the end-of-day review.
std::string daily_report_text(const nlohmann::json& report);

/// The HTML report (inline CSS and SVG; opens offline).
std::string daily_report_html(const nlohmann::json& report);

} // namespace aurum
