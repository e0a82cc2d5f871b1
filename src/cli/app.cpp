#include <iostream>

#include "cli/cli_context.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/logging.hpp"

#ifndef AURUM_VERSION
#define AURUM_VERSION "0.1.0"
#endif

namespace aurum {

std::string CliContext::db_spec() const { return db.empty() ? workspace().default_db() : db; }

std::unique_ptr<MarketStore> CliContext::open_store() const {
    if (db.empty()) workspace().ensure_dirs();
    return open_market_store(db_spec());
}

InstrumentRegistry CliContext::instruments() const {
    return InstrumentRegistry::load(workspace().config_file("instruments.yaml").string());
}

void on_run(CLI::App* sub, CliContext& ctx, std::function<int()> fn) {
    sub->callback([&ctx, fn = std::move(fn)] { ctx.action = fn; });
}

int run_cli(int argc, char** argv) {
    CliContext ctx;
    CLI::App app{"Aurum Edge: machine-learning trading for crypto spot pairs and gold", "aurum"};
    app.set_version_flag("--version", std::string("aurum ") + AURUM_VERSION);
    app.option_defaults()->always_capture_default();
    app.add_option("--home", ctx.home, "Workspace directory (config/, data/, logs/, reports/, models/)")
        ->envname("AURUM_HOME");
    app.add_option("--db", ctx.db,
                   "Database: a SQLite file path or a postgresql:// URL (default: <home>/data/aurum.db)")
        ->envname("AURUM_DB");
    app.add_flag("--json", ctx.json, "Machine-readable JSON output (where supported)");
    app.add_flag("-v,--verbose", ctx.verbose, "Debug output on the console");
    app.add_flag("-q,--quiet", ctx.quiet, "Only warnings and errors on the console");
    app.require_subcommand(1);
    register_models(app, ctx);
    register_backtest(app, ctx);
    register_live(app, ctx);
    register_retrain(app, ctx);
    register_features_commands(app, ctx);

    CLI::App* data = app.add_subcommand("data", "Import, download, validate, resample and query candles");
    data->require_subcommand(1);
    register_data_backfill_command(*data, ctx);
    register_data_quality_commands(*data, ctx);
    register_data_import_command(*data, ctx);
    register_data_store_commands(*data, ctx);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : static_cast<int>(ExitCode::BadInput);
    } catch (const InputError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return static_cast<int>(ExitCode::BadInput);
    }

    try {
        const bool has_workspace = std::filesystem::is_directory(ctx.workspace().home());
        init_logging(LogOptions{has_workspace ? ctx.workspace().logs_dir() : std::filesystem::path{},
                                ctx.verbose, ctx.quiet || ctx.json});
        if (!ctx.action) return 0;
        return ctx.action();
    } catch (const InputError& e) {
        spdlog::debug("input error: {}", e.what());
        std::cerr << "error: " << e.what() << "\n";
        return static_cast<int>(ExitCode::BadInput);
    } catch (const CheckFailed& e) {
        std::cerr << e.what() << "\n";
        return static_cast<int>(ExitCode::CheckFailed);
    } catch (const SystemError& e) {
        spdlog::error("{}", e.what());
        std::cerr << "error: " << e.what() << "\n";
        return static_cast<int>(ExitCode::BadInput);
    } catch (const std::exception& e) {
        spdlog::error("unexpected error: {}", e.what());
        std::cerr << "error: " << e.what() << "\n";
        return static_cast<int>(ExitCode::BadInput);
    }
}

} // namespace aurum
