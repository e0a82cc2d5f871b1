#pragma once
// The live engine's strategy wrapper is the account risk supervisor of src/risk (every risk-on
// engine, backtests included, runs it); the old name stays for the live code.
#include "risk/account_supervisor.hpp"

namespace aurum {

using LiveStrategy = AccountRiskSupervisor;

} // namespace aurum
