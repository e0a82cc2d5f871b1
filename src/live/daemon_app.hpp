#pragma once
// The daemon application's parts below the CLI: the config/live.yaml schema, the process stop
// flag set by SIGINT/SIGTERM or `aurum stop`, and the scheduled gap check. `aurum run` (cli)
// keeps only flags and output.
#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "data/binance_market_data.hpp"
#include "data/market_store.hpp"
#include "live/live_session.hpp"
#include "live/scheduler.hpp"
#include "models/model_strategy.hpp"

namespace aurum {

/// Settings of config/live.yaml (all optional), overridden by flags.
struct LiveFileConfig {
    std::vector<std::string> symbols{"BTC/USDT", "ETH/USDT"};
    std::string timeframe = "4h";
    double capital = 10000;
    std::string strategy = "sma-cross";
    std::map<std::string, double> params;
    double fraction = 0.3;
    double fee = 0.001;
    double slippage_bps = 5;
    bool approval = false;
    TimeMs approval_expiry = 4 * kMsPerHour;
    ModelSelection model; ///< strategy "model": `model:`, `version:`, `kind:`
    int warmup_bars = 200;
    int port = 0;
    std::vector<JobSpec> jobs;
    std::string exchange = "binance";          ///< live mode: where orders go
    std::string exchange_url = kBinanceSpotBaseUrl;
    int recv_window_ms = 5000;
};

/// Reads config/live.yaml (defaults when missing); InputError naming file:line and key.
LiveFileConfig load_live_config(const std::filesystem::path& path);

/// The daemon's stop flag (one per process: signals can only reach a global).
std::atomic<bool>& daemon_stop_flag();
/// SIGINT and SIGTERM set daemon_stop_flag(): the daemon checkpoints and exits cleanly.
void install_stop_signals();

/// The gap_check job: polls the store, then warns about each hole in the last week of bars.
void gap_check(LiveSession& session, MarketStore& store, const LiveOptions& options);

} // namespace aurum
