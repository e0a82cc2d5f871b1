#include "rl/safety.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "rl/rl_training.hpp"

namespace aurum {

std::string to_string(SafetyLevel l) {
    switch (l) {
    case SafetyLevel::Pass:
        return "PASS";
    case SafetyLevel::Warn:
        return "WARN";
    case SafetyLevel::Fail:
        return "FAIL";
    }
    return "?";
}

bool SafetyReport::failed() const {
    return std::any_of(checks.begin(), checks.end(),
                       [](const SafetyCheck& c) { return c.level == SafetyLevel::Fail; });
}

nlohmann::json SafetyReport::to_json() const {
    nlohmann::json j{{"passed", !failed()},
                     {"checks", nlohmann::json::array()},
                     {"scenarios", nlohmann::json::array()}};
    for (const SafetyCheck& c : checks)
        j["checks"].push_back(
            {{"name", c.name}, {"level", to_string(c.level)}, {"message", c.message}});
    for (const SimulationReport& s : scenarios)
        j["scenarios"].push_back({{"scenario", s.label},
                                  {"total_return", s.metrics.total_return},
                                  {"buy_hold_return", s.buy_hold_return},
                                  {"sharpe", s.metrics.sharpe},
                                  {"max_drawdown", s.metrics.max_drawdown},
                                  {"trades", s.metrics.trades},
                                  {"max_entry_exposure", s.shield.max_entry_exposure},
                                  {"shield_interventions", s.shield.interventions()},
                                  {"shield", shield_json(s.shield)}});
    return j;
}

namespace {

SafetyCheck position_check(const ShieldStats& all, const SafetyRequirements& req) {
    const double cap = req.max_position * 100, got = all.max_entry_exposure * 100;
    if (all.max_entry_exposure <= req.max_position * (1 + kEntryGapTolerance))
        return {"position size", SafetyLevel::Pass,
                fmt::format("Never exceeded {:.0f}% position size (largest entry {:.1f} % of "
                            "equity, {} orders cut by the shield)",
                            cap, got, all.reduced + all.denied)};
    return {
        "position size", SafetyLevel::Fail,
        fmt::format("Exceeded {:.0f}% position size: largest entry {:.1f} % of equity", cap, got)};
}

SafetyCheck drawdown_check(const ShieldStats& all, const SafetyRequirements& req) {
    const double limit = req.drawdown_limit * 100;
    if (all.max_entry_drawdown >= req.drawdown_limit)
        return {"drawdown halt", SafetyLevel::Fail,
                fmt::format("Kept opening positions past the {:.0f}% drawdown halt (an entry at "
                            "{:.1f} % drawdown)",
                            limit, all.max_entry_drawdown * 100)};
    if (all.max_open_drawdown >= req.drawdown_limit)
        return {"drawdown halt", SafetyLevel::Fail,
                fmt::format("Did not stop trading at the {:.0f}% drawdown halt (still open at "
                            "{:.1f} % drawdown)",
                            limit, all.max_open_drawdown * 100)};
    if (all.halts > 0)
        return {"drawdown halt", SafetyLevel::Pass,
                fmt::format("Stopped trading at {:.1f}% drawdown (halt at {:.0f}%; worst {:.1f} "
                            "%, {} halted episodes)",
                            all.halt_drawdown * 100, limit, all.max_drawdown * 100, all.halts)};
    return {"drawdown halt", SafetyLevel::Pass,
            fmt::format("Never reached the {:.0f}% drawdown halt (worst drawdown {:.1f} %, no "
                        "entry past {:.1f} %)",
                        limit, all.max_drawdown * 100, all.max_entry_drawdown * 100)};
}

SafetyCheck bull_check(const SimulationReport& bull, const SafetyRequirements& req) {
    const double got = bull.metrics.total_return, bh = bull.buy_hold_return;
    const double capture = bh > 0 ? got / bh : 0.0;
    const std::string figures =
        fmt::format("{:+.1f} % vs buy-and-hold {:+.1f} %", got * 100, bh * 100);
    if (capture >= req.bull_capture)
        return {"bull capture", SafetyLevel::Pass,
                fmt::format("Captured {:.0f}% of the bull run ({})", capture * 100, figures)};
    return {"bull capture", SafetyLevel::Warn,
            fmt::format("Only captured {:.0f}% of bull run ({}; too conservative? positions are "
                        "capped at {:.0f} %)",
                        capture * 100, figures, req.max_position * 100)};
}

SafetyCheck crash_check(const SimulationReport& crash, const SafetyRequirements& req) {
    const double loss = -crash.metrics.max_drawdown * 100, bh = crash.buy_hold_return * 100;
    if (loss < req.drawdown_limit * 100)
        return {"crash loss", SafetyLevel::Pass,
                fmt::format("Limited loss to {:.1f}% in the flash crash (buy-and-hold {:+.1f} %)",
                            loss, bh)};
    return {"crash loss", SafetyLevel::Warn,
            fmt::format("Lost {:.1f}% in the flash crash (buy-and-hold {:+.1f} %)", loss, bh)};
}

} // namespace

SafetyReport run_safety_suite(const PolicyFactory& make_policy, const EnvConfig& config,
                              std::uint64_t seed, int days, const SafetyRequirements& req,
                              const std::string& feature_set, const ExecutionFn& execution) {
    SafetyReport r;
    ShieldStats all;
    for (Scenario s : {Scenario::Bull, Scenario::Bear, Scenario::FlashCrash, Scenario::Ranging}) {
        r.scenarios.push_back(simulate_scenario(s, seed, days, config, make_policy(), feature_set,
                                                 execution));
        all += r.scenarios.back().shield;
    }
    r.checks.push_back(position_check(all, req));
    r.checks.push_back(drawdown_check(all, req));
    r.checks.push_back(bull_check(r.scenarios[0], req));
    r.checks.push_back(crash_check(r.scenarios[2], req));
    return r;
}

} // namespace aurum
