#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

#include "cli/cli_context.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/logging.hpp"

#ifndef AURUM_VERSION
#define AURUM_VERSION "0.1.0"
#endif

namespace aurum {

namespace {

/// Top-level commands in the order a user meets them; any other command follows, as defined.
const std::vector<std::string>& workflow_order() {
    static const std::vector<std::string> order{
        "data",    "features", "labels",  "regimes", "backtest", "train",    "walkforward",
        "predict", "registry", "run",     "status",  "summary",  "health",   "dashboard",
        "report",  "monitor",  "alerts",  "watchdog", "pause",   "resume",   "stop",
        "trade",   "signals",  "tickets", "risk",    "retrain",  "rl",      "meta",    "db"};
    return order;
}

/// Lists the top-level commands in workflow order (CLI11 prints them in definition order).
class WorkflowFormatter : public CLI::Formatter {
public:
    std::string make_subcommands(const CLI::App* app, CLI::AppFormatMode mode) const override {
        if (app->get_parent() != nullptr || mode == CLI::AppFormatMode::All)
            return CLI::Formatter::make_subcommands(app, mode);
        std::vector<const CLI::App*> subs =
            app->get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); });
        const auto& order = workflow_order();
        auto rank = [&order](const CLI::App* s) {
            return std::find(order.begin(), order.end(), s->get_name()) - order.begin();
        };
        std::stable_sort(subs.begin(), subs.end(),
                         [&rank](const CLI::App* a, const CLI::App* b) { return rank(a) < rank(b); });
        std::string out = "\nCommands (in workflow order):\n";
        for (const CLI::App* s : subs) out += make_subcommand(s);
        return out;
    }
};

} // namespace

std::string CliContext::db_spec() const { return db.empty() ? workspace().default_db() : db; }

std::unique_ptr<MarketStore> CliContext::open_store() const {
    if (db.empty()) workspace().ensure_dirs();
    return open_market_store(db_spec());
}

InstrumentRegistry CliContext::instruments() const {
    return InstrumentRegistry::load(workspace().config_file("instruments.yaml").string());
}

namespace {

/// `p` made absolute with symlinks resolved as far as they exist, for comparing paths.
std::filesystem::path resolved(const std::filesystem::path& p) {
    std::error_code ec;
    auto r = std::filesystem::weakly_canonical(std::filesystem::absolute(p, ec), ec);
    return ec ? std::filesystem::absolute(p) : r;
}

bool is_under(const std::filesystem::path& p, const std::filesystem::path& dir) {
    const auto rp = resolved(p), rd = resolved(dir);
    auto [d, q] = std::mismatch(rd.begin(), rd.end(), rp.begin(), rp.end());
    return d == rd.end();
}

bool is_sqlite_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    char magic[16] = {};
    in.read(magic, sizeof magic);
    return in && std::string(magic, 15) == "SQLite format 3";
}

} // namespace

void CliContext::check_output_path(const std::string& flag, const std::string& path,
                                   bool force) const {
    namespace fs = std::filesystem;
    if (path.empty()) throw InputError(flag + ": empty file path");
    const fs::path out = resolved(path);
    const auto refuse = [&](const std::string& what) {
        throw InputError(flag + " " + path + ": refusing to write over " + what +
                         " (even with --force); choose another file");
    };
    const std::string spec = db_spec();
    if (spec.rfind("postgresql://", 0) != 0 && spec.rfind("postgres://", 0) != 0)
        for (const char* suffix : {"", "-wal", "-shm", "-journal"})
            if (out == resolved(spec + suffix)) refuse("the database");
    const Workspace ws = workspace();
    if (is_under(out, ws.config_dir())) refuse("a config file (config/)");
    if (is_under(out, ws.models_dir())) refuse("the model registry (models/)");
    std::error_code ec;
    if (fs::is_directory(out, ec)) throw InputError(flag + " " + path + ": is a directory");
    if (!fs::exists(out, ec)) return;
    if (is_sqlite_file(out)) refuse("a SQLite database");
    if (!force)
        throw InputError(flag + " " + path + ": file exists (use --force to overwrite it)");
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
    // Global options anywhere on the line: an option a subcommand does not know falls through to
    // its parent (inherited by every subcommand created below).
    app.fallthrough();
    register_models(app, ctx);
    register_backtest(app, ctx);
    register_live(app, ctx);
    register_retrain(app, ctx);
    register_alerts(app, ctx);
    register_features_commands(app, ctx);
    register_monitor(app, ctx);
    register_dashboard(app, ctx);
    register_rl(app, ctx);
    register_meta(app, ctx);
    register_exchange(app, ctx);
    register_sweep(app, ctx);

    CLI::App* data = app.add_subcommand("data", "Import, download, validate, resample and query candles");
    data->require_subcommand(1);
    register_data_backfill_command(*data, ctx);
    register_data_quality_commands(*data, ctx);
    register_data_import_command(*data, ctx);
    register_data_store_commands(*data, ctx);

    CLI::App* report = app.add_subcommand("report", "Reports a trader reads (HTML + text, under reports/)");
    report->require_subcommand(1);
    register_report(*report, ctx);
    register_data_reports(*report, ctx);
    register_db(app, ctx);

    app.formatter(std::make_shared<WorkflowFormatter>());

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : static_cast<int>(ExitCode::BadInput);
    } catch (const InputError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return static_cast<int>(ExitCode::BadInput);
    } catch (const InvariantError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return static_cast<int>(ExitCode::Invariant);
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
    } catch (const InvariantError& e) {
        spdlog::error("{}", e.what());
        std::cerr << "error: " << e.what() << "\n";
        return static_cast<int>(ExitCode::Invariant);
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
