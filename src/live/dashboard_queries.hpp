#pragma once
// The reads behind the dashboard's pages (overview, equity, predictions, trades and their
// decision records, candles, risk, health, performance, signals, audit), as JSON from the state
// store and the market store. Queries only: the surface serves them, the engine is not touched.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/instrument.hpp"
#include "core/workspace.hpp"
#include "data/market_store.hpp"
#include "live/state_store.hpp"

namespace aurum {

/// What the dashboard reads on every page, kept between requests: the shown session's trades and
/// equity points. Both tables only grow, so each read adds just the rows stored since the last
/// one. Not thread-safe (one per connection, like the stores).
class DashboardCache {
  public:
    const std::vector<TradeRecord>& trades(StateStore& store, const std::string& session_id);
    const std::vector<std::pair<TimeMs, double>>& equity(StateStore& store,
                                                         const std::string& session_id);

  private:
    void reset_for(const std::string& session_id);
    std::string session_;
    std::vector<TradeRecord> trades_;
    std::vector<std::pair<TimeMs, double>> equity_;
};

/// What the dashboard's reads need: one connection's stores, the workspace, the instruments, and
/// `base` for the control API's queries (route_query names: status, summary, health, risk,
/// signals), which the daemon answers with the limits and daemon facts in force.
struct DashboardReadContext {
    StateStore& store;
    MarketStore& market;
    const Workspace& ws;
    const InstrumentRegistry& instruments;
    std::function<nlohmann::json(const std::string&, const nlohmann::json&)> base;
    TimeMs wall_now = 0;
    DashboardCache* cache = nullptr; ///< null: read everything afresh
};

/// Thrown for an id that does not exist (HTTP 404).
class NotFoundError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// Answers one dashboard read by name: overview, equity, predictions, trades, trade, candles,
/// risk, health, performance, signals, audit. `params` are the query string's values (text);
/// a bad one is an InputError naming the parameter and the value.
nlohmann::json dashboard_query(const std::string& name, const nlohmann::json& params,
                               const DashboardReadContext& c);

/// One stored prediction as `/api/predictions` shows it: direction, calibrated confidence, top
/// features and, for an ensemble, each member's P(up), vote and weight with the agreement.
nlohmann::json prediction_json(const PredictionRecord& p);

/// Days per year used to annualise an asset class: crypto trades 365 days, gold its trading days.
double days_per_year(AssetClass asset_class);

} // namespace aurum
