#pragma once
// The Sunday risk-parameter review and the monthly cost review (seed 000
// `volatility_analysis.py`, `cost_analysis.py`): realised volatility now against its own history
// per symbol with the largest position that keeps risk where it usually is, and the fees, spread
// and slippage a session paid with its P&L before and after them.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/instrument.hpp"
#include "data/market_store.hpp"
#include "risk/risk_limits.hpp"
#include "surfaces/reports/session_view.hpp"

namespace aurum {

/// Volatility of `symbols` (bars of `timeframe` up to `to`): 30-day realised volatility
/// (annualised stdev of log returns) at every bar, today's value against the median and 10th/90th
/// percentiles of the last two years, and max_position scaled by median / now. InputError naming
/// a symbol the store has too few bars of.
nlohmann::json volatility_report_data(MarketStore& market, const InstrumentRegistry& instruments,
                                      const std::vector<std::string>& symbols, Timeframe timeframe,
                                      TimeMs to, const RiskLimits& limits);
std::string volatility_report_text(const nlohmann::json& report);
std::string volatility_report_html(const nlohmann::json& report);

/// Costs a session paid over [from, to) (session time), per symbol and in total.
nlohmann::json costs_report_data(const SessionView& view, TimeMs from, TimeMs to);
std::string costs_report_text(const nlohmann::json& report);
std::string costs_report_html(const nlohmann::json& report);

} // namespace aurum
