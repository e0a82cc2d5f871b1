#pragma once
// The risk manager's verdict on one exact manual order, without placing or storing anything
// (the dashboard's "what would happen if I sent this" before `trade`).
#include <nlohmann/json.hpp>

#include "core/instrument.hpp"
#include "live/command.hpp"
#include "risk/risk_manager.hpp"

namespace aurum {

/// Sizes `trade` (a Trade command) as LiveSession::apply_order does and asks `rm.check` (const:
/// nothing changes) for its verdict at `price`. Returns {verdict, requested_qty, final_qty, unit,
/// price, notional, heat_before, heat_after, correlated_exposure, rule, reason, reduced_by,
/// blocked_by, below_min_qty}. Throws InputError for a close with no open position.
nlohmann::json preview_order(const RiskManager& rm, const AccountView& account,
                             const Instrument& instrument, double price, const Command& trade);

} // namespace aurum
