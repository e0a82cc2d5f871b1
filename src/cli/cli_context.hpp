#pragma once
// What every CLI command gets: the global options and ways to open the workspace's resources.
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "core/instrument.hpp"
#include "core/workspace.hpp"
#include "data/market_store.hpp"

namespace aurum {

struct CliContext {
    std::string home = ".";  ///< --home
    std::string db;          ///< --db; empty: <home>/data/aurum.db
    bool json = false;       ///< --json: machine-readable output on commands that support it
    bool verbose = false;    ///< -v
    bool quiet = false;      ///< -q

    /// The command chosen on the command line; run after parsing and logging setup.
    std::function<int()> action;

    Workspace workspace() const { return Workspace(home); }
    /// The database spec in force: --db, else <home>/data/aurum.db.
    std::string db_spec() const;
    /// Opens the market store (creating the workspace directories for a SQLite default).
    std::unique_ptr<MarketStore> open_store() const;
    /// Built-in instruments overlaid with <home>/config/instruments.yaml.
    InstrumentRegistry instruments() const;
    /// Checks an output file given by `flag` before anything is computed or written: refused
    /// (InputError) when it exists, unless `force`; always when it is the database in force (or
    /// its -wal/-shm/-journal), a SQLite database, or under config/ or models/ (the registry).
    void check_output_path(const std::string& flag, const std::string& path, bool force) const;
};

/// Makes `sub` run `fn` once the command line is fully parsed. `fn` returns the exit code.
void on_run(CLI::App* sub, CliContext& ctx, std::function<int()> fn);

/// Entry point of the `aurum` binary: parses, runs the chosen command, maps errors to exit codes
/// (InputError/SystemError: message on stderr, exit 2; CheckFailed: exit 1; InvariantError: exit 3).
int run_cli(int argc, char** argv);

} // namespace aurum
