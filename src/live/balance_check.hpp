#pragma once
// Start-up and restart reconciliation of a live session's account with the exchange's balances
// (issue 17 item 4): what the engine holds against what the exchange says is free + locked, so a
// difference is reported (log + alert) before anything trades on it, never silently absorbed.
#include <map>
#include <string>
#include <vector>

#include "backtest/portfolio.hpp"
#include "core/instrument.hpp"
#include "execution/binance_spot_client.hpp"
#include "live/alert_outbox.hpp"

namespace aurum {

/// One line of the comparison (Info: agrees or dust; Warning/Critical: a real difference).
struct BalanceFinding {
    AlertSeverity severity = AlertSeverity::Info;
    std::string asset;
    std::string text;
};

/// Compares each instrument's position with its base asset's free + locked balance (a difference
/// below one lot step is dust: Info), and the engine's cash with the quote asset's balance (the
/// account may hold more than the session's capital; less is a Warning). A position the exchange
/// does not hold is Critical: selling it would fail or sell someone else's coins.
std::vector<BalanceFinding> compare_balances(const Portfolio& portfolio,
                                             const std::vector<Instrument>& instruments,
                                             const std::vector<BinanceSymbolRules>& rules,
                                             const std::map<std::string, BinanceBalance>& balances);

} // namespace aurum
