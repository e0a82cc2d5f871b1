// `aurum rl simulate`: thin handler over rl/scenarios.hpp (flags in, report out).
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "rl/scenarios.hpp"

namespace aurum {

void register_rl(CLI::App& app, CliContext& ctx) {
    CLI::App* rl = app.add_subcommand(
        "rl", "Reinforcement learning on the trading engine (environment foundation; agents are "
              "not built yet)");
    rl->require_subcommand(1);
    struct Flags {
        std::string scenario;
        std::uint64_t seed = 42;
        int days = 365;
    };
    auto f = std::make_shared<Flags>();
    CLI::App* sim = rl->add_subcommand(
        "simulate", "Run the scripted regime-trend baseline through the RL environment on a "
                    "synthetic scenario and print Sharpe, max drawdown, return vs buy-and-hold "
                    "and the shield's interventions");
    sim->add_option("--scenario", f->scenario, "bull, bear, flash-crash or ranging")->required();
    sim->add_option("--seed", f->seed, "Seed of the synthetic market");
    sim->add_option("--days", f->days, "Days of 4h bars (120-3650)");
    on_run(sim, ctx, [f] {
        const Scenario s = parse_scenario(f->scenario);
        const SimulationReport r = simulate_scenario(s, f->seed, f->days, default_env_config());
        const Metrics& m = r.metrics;
        const ShieldStats& sh = r.shield;
        std::cout << fmt::format(
            "Scenario {} (synthetic BTC/USDT 4h, seed {}): {} decisions, {} to {}\n"
            "Policy: regime-trend baseline (bull: 100 % target, ranging: 50 %, else flat), "
            "every order through the account risk manager\n"
            "Return          {:+.2f} %   (buy-and-hold {:+.2f} %)\n"
            "Sharpe          {:.2f}\n"
            "Max drawdown    {:.2f} %\n"
            "Trades          {}\n"
            "Shield          {} interventions (denied {}, reduced {}, breaker closes {}, invalid "
            "actions {}) of {} orders; largest entry {:.1f} % of equity\n",
            to_string(s), r.seed, r.decisions, format_time(r.from), format_time(r.to),
            m.total_return * 100, r.buy_hold_return * 100, m.sharpe, -m.max_drawdown * 100,
            m.trades, sh.interventions(), sh.denied, sh.reduced, sh.flattens, sh.invalid,
            sh.orders, sh.max_entry_exposure * 100);
        return 0;
    });
}

} // namespace aurum
