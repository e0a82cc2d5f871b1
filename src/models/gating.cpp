#include "models/gating.hpp"

#include <cmath>

#include <fmt/format.h>

#include "models/walkforward.hpp"

namespace aurum {

std::string GatingVerdict::failures() const {
    std::string s;
    for (const auto& r : rules)
        if (!r.passed) s += r.detail + "\n";
    return s;
}

nlohmann::json GatingVerdict::to_json() const {
    nlohmann::json j = {{"passed", passed}, {"rules", nlohmann::json::array()}};
    for (const auto& r : rules)
        j["rules"].push_back({{"name", r.name}, {"passed", r.passed}, {"actual", r.actual},
                              {"threshold", r.threshold}, {"detail", r.detail}});
    return j;
}

GatingVerdict GatingVerdict::from_json(const nlohmann::json& j) {
    GatingVerdict v;
    v.passed = j.at("passed").get<bool>();
    for (const auto& r : j.at("rules"))
        v.rules.push_back({r.at("name").get<std::string>(), r.at("passed").get<bool>(),
                           r.at("actual").get<double>(), r.at("threshold").get<double>(),
                           r.at("detail").get<std::string>()});
    return v;
}

GatingVerdict evaluate_gating(const WalkForwardResult& wf, const GatingConfig& g) {
    GatingVerdict v;
    auto add = [&](std::string name, bool ok, double actual, double threshold, std::string detail) {
        v.rules.push_back({std::move(name), ok, actual, threshold, std::move(detail)});
    };
    const double sharpe = std::isfinite(wf.backtest.sharpe) ? wf.backtest.sharpe : 0.0;
    add("sharpe", sharpe > g.min_sharpe, sharpe, g.min_sharpe,
        sharpe > g.min_sharpe
            ? fmt::format("walk-forward Sharpe {:.2f} > {:.2f}", sharpe, g.min_sharpe)
            : fmt::format("walk-forward Sharpe {:.2f} <= {:.2f} (short by {:.2f})", sharpe,
                          g.min_sharpe, g.min_sharpe - sharpe));
    const double dd = std::abs(wf.backtest.max_drawdown);
    add("max_drawdown", dd < g.max_drawdown, dd, g.max_drawdown,
        dd < g.max_drawdown
            ? fmt::format("max drawdown {:.1f}% < {:.1f}%", dd * 100, g.max_drawdown * 100)
            : fmt::format("max drawdown {:.1f}% >= {:.1f}% (over by {:.1f} points)", dd * 100,
                          g.max_drawdown * 100, (dd - g.max_drawdown) * 100));
    const auto trades = static_cast<double>(wf.backtest.trades);
    add("min_trades", trades >= g.min_trades, trades, g.min_trades,
        trades >= g.min_trades
            ? fmt::format("{} trades >= {}", wf.backtest.trades, g.min_trades)
            : fmt::format("{} trades < {} (short by {})", wf.backtest.trades, g.min_trades,
                          g.min_trades - static_cast<int>(wf.backtest.trades)));
    if (g.beat_buy_hold) {
        const bool ok = sharpe > wf.buy_hold_sharpe;
        add("beat_buy_hold", ok, sharpe, wf.buy_hold_sharpe,
            ok ? fmt::format("Sharpe {:.2f} > buy-and-hold Sharpe {:.2f}", sharpe, wf.buy_hold_sharpe)
               : fmt::format("Sharpe {:.2f} <= buy-and-hold Sharpe {:.2f} (short by {:.2f})",
                             sharpe, wf.buy_hold_sharpe, wf.buy_hold_sharpe - sharpe));
    }
    if (g.require_clean_leakage) {
        const bool ok = wf.leakage.clean();
        add("leakage", ok, static_cast<double>(wf.leakage.flags.size()), 0,
            ok ? std::string("leakage controls clean")
               : "leakage controls flagged: " + wf.leakage.flags.front());
    }
    v.passed = true;
    for (const auto& r : v.rules) v.passed = v.passed && r.passed;
    return v;
}

} // namespace aurum
