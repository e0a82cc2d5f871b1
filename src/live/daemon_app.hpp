#pragma once
// The daemon application's parts below the CLI: the config/live.yaml schema, the process stop
// flag set by SIGINT/SIGTERM or `aurum stop`, and the scheduled gap check. `aurum run` (cli)
// keeps only flags and output.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/instrument.hpp"
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

/// Where the daily summary due at `due` goes: reports/daily/YYYY-MM-DD_<session>.txt, so a new
/// session never overwrites the history of an earlier one.
std::filesystem::path daily_report_path(const std::filesystem::path& reports_dir, TimeMs due,
                                        const std::string& session_id);

/// One run of missing bars while the market was open.
struct DataGap {
    TimeMs after = 0;         ///< open time of the last bar before the hole
    TimeMs until = 0;         ///< open time of the first bar after it
    std::int64_t missing = 0; ///< bars the instrument's sessions expected in between
};

/// Holes in `bars` that the sessions expected bars in; closures (weekends, daily breaks,
/// holidays) are not gaps. Only holes ending after `reported_until` are returned.
std::vector<DataGap> find_open_market_gaps(const BarSeries& bars, const TradingSessions& sessions,
                                           TimeMs reported_until = INT64_MIN);

/// How to repair a gap for this instrument's source: MT5 data is re-exported and imported,
/// exchange data is backfilled.
std::string gap_repair_advice(const Instrument& instrument, const std::string& timeframe);

/// The gap_check job: judges holes against each instrument's sessions and reports each hole once
/// per daemon (it remembers the end of the last reported gap per symbol).
class GapChecker {
  public:
    explicit GapChecker(InstrumentRegistry instruments) : instruments_(std::move(instruments)) {}
    /// Gaps of `bars` not reported before; each is logged once with advice fitting the source.
    std::vector<DataGap> check(const std::string& symbol, const BarSeries& bars);
    /// Polls the store, then checks the last week of bars of each symbol the session trades.
    void run(LiveSession& session, MarketStore& store, const LiveOptions& options);

  private:
    InstrumentRegistry instruments_;
    std::map<std::string, TimeMs> reported_until_; ///< symbol -> end of its last reported gap
};

} // namespace aurum
