// `aurum sweep` and `aurum walkforward --universe`: thin front doors to aurum.distributed (Dask).
// The CLI hands its flags to `/usr/bin/python3 -m aurum.distributed`, whose tasks run this same
// engine through `import aurum` on the scheduler's workers (or a local cluster of this machine).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <cerrno>
#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/error.hpp"

namespace aurum {

namespace {

/// The directory holding the `aurum` Python package: $AURUM_PYTHONPATH, else the build tree's
/// <bin>/../python next to this executable.
std::filesystem::path python_package_dir() {
    if (const char* env = std::getenv("AURUM_PYTHONPATH"); env && *env)
        return env;
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec)
        throw SystemError("cannot locate the aurum executable (/proc/self/exe): " + ec.message());
    return exe.parent_path().parent_path() / "python";
}

struct SweepFlags {
    std::string symbols, timeframes = "1h", strategy = "sma-cross", grid, rank_by = "sharpe";
    std::string from, to, slippage = "0", risk, scheduler;
    double capital = 10000, fee = 0.001;
    int top = 20, workers = 0, batch = 1;
};

} // namespace

int run_distributed(const CliContext& ctx, const std::vector<std::string>& args) {
    const std::filesystem::path dir = python_package_dir();
    if (!std::filesystem::exists(dir / "aurum" / "distributed.py"))
        throw SystemError("the aurum Python package is not at " + dir.string() +
                          " (build it with `make build`, or set AURUM_PYTHONPATH)");
    std::string path = dir.string();
    if (const char* old = std::getenv("PYTHONPATH"); old && *old)
        path += std::string(":") + old;
    ::setenv("PYTHONPATH", path.c_str(), 1);
    std::vector<std::string> argv = {"/usr/bin/python3", "-m", "aurum.distributed",
                                     "--home", ctx.home};
    if (!ctx.db.empty())
        argv.insert(argv.end(), {"--db", ctx.db});
    if (ctx.json)
        argv.push_back("--json");
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv)
        cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::cout.flush();
    ::execv(cargv[0], cargv.data());
    throw SystemError(std::string("cannot run /usr/bin/python3: ") + std::strerror(errno));
}

void register_sweep(CLI::App& app, CliContext& ctx) {
    auto fl = std::make_shared<SweepFlags>();
    CLI::App* sub = app.add_subcommand(
        "sweep", "Parameter sweep over symbols x timeframes on a Dask cluster (one task per "
                 "combination, results in the store, resumable)");
    sub->add_option("--symbols", fl->symbols, "Symbols, comma-separated (BTC/USDT,ETH/USDT)")
        ->required();
    sub->add_option("--timeframes", fl->timeframes, "Timeframes, comma-separated (1h,4h)");
    sub->add_option("--strategy", fl->strategy,
                    "sma-cross | rsi-reversion | donchian-breakout (a rule strategy)");
    sub->add_option("--grid", fl->grid, "Parameter grid, e.g. fast=5:50:5,slow=20:200:10")
        ->required();
    sub->add_option("--rank-by", fl->rank_by,
                    "sharpe | sortino | total_return | cagr | max_drawdown | win_rate | "
                    "profit_factor");
    sub->add_option("--top", fl->top, "Rows of the ranked table to print");
    sub->add_option("--from", fl->from, "First bar open time (UTC), e.g. 2024-01-01");
    sub->add_option("--to", fl->to, "End (exclusive)");
    sub->add_option("--capital", fl->capital, "Initial capital in quote currency");
    sub->add_option("--fee", fl->fee, "Fee as a fraction of notional (0.001 = 0.1%)");
    sub->add_option("--slippage", fl->slippage, "As `aurum backtest --slippage`");
    sub->add_option("--risk", fl->risk, "A risk.yaml, or off (the default, as `aurum backtest`)");
    sub->add_option("--scheduler", fl->scheduler,
                    "Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a local cluster)");
    sub->add_option("--workers", fl->workers, "Local cluster: worker processes (default: cores)");
    sub->add_option("--batch", fl->batch,
                    "Combinations per Dask task (default 1; more amortises Dask's ~2 ms per task "
                    "when each backtest is short). Still one stored row per combination");
    on_run(sub, ctx, [&ctx, fl] {
        std::vector<std::string> a = {"sweep",       "--symbols", fl->symbols,   "--timeframes",
                                      fl->timeframes, "--strategy", fl->strategy, "--grid",
                                      fl->grid,      "--rank-by", fl->rank_by,   "--top",
                                      std::to_string(fl->top),     "--capital",
                                      fmt::format("{}", fl->capital), "--fee",
                                      fmt::format("{}", fl->fee), "--slippage", fl->slippage};
        for (const auto& [flag, v] : {std::pair{"--from", fl->from}, {"--to", fl->to},
                                      {"--risk", fl->risk}, {"--scheduler", fl->scheduler}})
            if (!v.empty())
                a.insert(a.end(), {flag, v});
        if (fl->workers > 0)
            a.insert(a.end(), {"--workers", std::to_string(fl->workers)});
        a.insert(a.end(), {"--batch", std::to_string(fl->batch)});
        return run_distributed(ctx, a);
    });
}

} // namespace aurum
