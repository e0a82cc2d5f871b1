#pragma once
// Paper against backtest (`aurum monitor divergence`): the session's options are rebuilt from its
// record and config/live.yaml exactly as `aurum run` builds them (confirmed by the session id, a
// hash of those options), its bars are replayed through the same engine stack (the composition
// root) in a scratch database with no manual command, approval or restart, and every closed trade
// that differs is listed with the reason found in the session's journal (manual trades, pauses,
// risk changes, rejected signals, model swaps).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/instrument.hpp"
#include "core/workspace.hpp"
#include "data/market_store.hpp"
#include "live/state_store.hpp"

namespace aurum {

/// One closed trade present on one side only, or with another outcome on the other.
struct TradeDifference {
    std::string symbol;
    TimeMs entry_time = 0;
    std::string session; ///< the session's trade in words ("" = none)
    std::string replay;  ///< the replay's trade in words ("" = none)
    std::string reason;
};

/// The comparison.
struct DivergenceReport {
    std::string session_id;
    bool settings_confirmed = false; ///< the rebuilt options hash to the session's id
    std::string note;
    std::size_t session_trades = 0, replay_trades = 0, matched = 0;
    std::vector<TradeDifference> differences;
    nlohmann::json to_json() const;
    std::string to_text() const;
};

/// The reason given to a difference nothing in the session's journal explains (no manual
/// order, command or signal decision): the session ran with settings other than its replay's.
inline constexpr const char* kUnexplainedDifference = "nothing in the journal explains it";

/// Compares session `session_id` (empty: the one `aurum status` shows) with its clean replay.
/// InputError for an unknown session or one whose options cannot be rebuilt.
DivergenceReport find_divergence(StateStore& store, MarketStore& market, const Workspace& ws,
                                 const InstrumentRegistry& instruments,
                                 const std::string& session_id);

} // namespace aurum
