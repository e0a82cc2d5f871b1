#pragma once
// Registration of every command group. Each lives in its own cmd_*.cpp: thin handlers that parse
// flags and call the core layers.
#include <CLI/CLI.hpp>

#include "cli/cli_context.hpp"

namespace aurum {

/// `aurum train|walkforward|predict|registry ...` (cmd_models.cpp).
void register_models(CLI::App& app, CliContext& ctx);

/// `aurum features ...`, `aurum labels build`, `aurum regimes build|show` (cmd_features.cpp).
void register_features_commands(CLI::App& app, CliContext& ctx);

/// `aurum run|status|summary|health|stop|pause|resume|trade|risk|signals|killswitch|restart`
/// (cmd_live.cpp).
void register_live(CLI::App& app, CliContext& ctx);
/// `aurum retrain` (cmd_retrain.cpp).
void register_retrain(CLI::App& app, CliContext& ctx);

/// `aurum alerts list|ack|test|check`, `aurum watchdog` (cmd_alerts.cpp).
void register_alerts(CLI::App& app, CliContext& ctx);

/// `aurum backtest` (cmd_backtest.cpp).
void register_backtest(CLI::App& app, CliContext& ctx);

/// `aurum rl simulate` (cmd_rl.cpp).
void register_rl(CLI::App& app, CliContext& ctx);
/// `aurum meta train|adapt` (cmd_meta.cpp).
void register_meta(CLI::App& app, CliContext& ctx);
/// `aurum exchange check` (src/cli/cmd_exchange.cpp).
void register_exchange(CLI::App& app, CliContext& ctx);

// `aurum data ...` is one group assembled from several files; each adds its subcommands.
/// `aurum data backfill` (cmd_data_backfill.cpp), added to the `data` group.
void register_data_backfill_command(CLI::App& data, CliContext& ctx);
/// `aurum data import` (cmd_data_import.cpp), added to the `data` group.
void register_data_import_command(CLI::App& data, CliContext& ctx);
/// `aurum data synth|validate|resample` (cmd_data_quality.cpp), added to the `data` group.
void register_data_quality_commands(CLI::App& data, CliContext& ctx);
/// `aurum data list|show` (cmd_data_store.cpp), added to the `data` group.
void register_data_store_commands(CLI::App& data, CliContext& ctx);

/// `aurum db maintain` (cmd_db.cpp).
void register_db(CLI::App& app, CliContext& ctx);
/// `aurum report data-quality` (cmd_report_data.cpp), added to the `report` group.
void register_data_reports(CLI::App& report, CliContext& ctx);
/// `aurum report daily|weekly|volatility|costs` (cmd_report.cpp), added to the `report` group.
void register_report(CLI::App& report, CliContext& ctx);
/// `aurum monitor accuracy` (cmd_report.cpp).
void register_monitor(CLI::App& app, CliContext& ctx);
struct DaemonEnvironment;
/// `aurum dashboard` (cmd_dashboard.cpp).
void register_dashboard(CLI::App& app, CliContext& ctx);
/// Gives the daemon its web dashboard; `print`: the login link goes to stdout (else the log).
void attach_dashboard(DaemonEnvironment& env, const CliContext& ctx, bool print);

/// `aurum sweep` (cmd_distributed.cpp): a Dask parameter sweep through aurum.distributed.
void register_sweep(CLI::App& app, CliContext& ctx);
/// Replaces this process with `/usr/bin/python3 -m aurum.distributed [global flags] ARGS`
/// (`aurum sweep`, `aurum walkforward --universe`); returns only by throwing.
int run_distributed(const CliContext& ctx, const std::vector<std::string>& args);

} // namespace aurum
