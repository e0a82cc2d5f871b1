#include "risk/risk_limits.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "core/config.hpp"
#include "core/error.hpp"

namespace aurum {

namespace {

void check_fraction(const std::string& where, const char* name, double v, double lo, double hi) {
    if (!std::isfinite(v) || v < lo || v > hi)
        throw InputError(fmt::format("{}: risk.{}: must be in [{}, {}], got {}", where, name, lo,
                                     hi, v));
}

std::string num(double v) { return fmt::format("{}", v); }

} // namespace

void RiskLimits::validate(const std::string& where) const {
    check_fraction(where, "max_position", max_position, 1e-6, 10.0);
    check_fraction(where, "max_portfolio_heat", max_portfolio_heat, 1e-6, 20.0);
    check_fraction(where, "max_leverage", max_leverage, 1e-6, 100.0);
    check_fraction(where, "daily_loss_limit", daily_loss_limit, 1e-6, 1.0);
    check_fraction(where, "max_drawdown", max_drawdown, 1e-6, 1.0);
    check_fraction(where, "correlation_threshold", correlation_threshold, 0.0, 1.0);
    check_fraction(where, "max_correlated_exposure", max_correlated_exposure, 1e-6, 20.0);
    check_fraction(where, "min_equity", min_equity, 0.0, 1e15);
    check_fraction(where, "max_loosen_factor", max_loosen_factor, 1.0, 1000.0);
    if (loss_streak < 1 || loss_streak > 1000)
        throw InputError(fmt::format("{}: risk.loss_streak: must be in [1, 1000], got {}", where,
                                     loss_streak));
    if (cooldown < 0)
        throw InputError(fmt::format("{}: risk.cooldown: must not be negative", where));
    if (correlation_window < 5 || correlation_window > 10000)
        throw InputError(fmt::format("{}: risk.correlation_window: must be in [5, 10000], got {}",
                                     where, correlation_window));
}

RiskLimits parse_risk_limits(const std::string& yaml_text, const std::string& file) {
    RiskLimits l;
    const ConfigNode root = ConfigNode::parse(yaml_text, file);
    if (!root.defined()) return l;
    root.allow_keys({"risk"});
    const ConfigNode r = root.child("risk");
    r.allow_keys({"max_position", "max_portfolio_heat", "max_leverage", "daily_loss_limit",
                  "max_drawdown", "loss_streak", "cooldown", "correlation_threshold",
                  "max_correlated_exposure", "correlation_window", "min_equity",
                  "max_loosen_factor"});
    l.max_position = r.get_in_range("max_position", l.max_position, 1e-6, 10.0);
    l.max_portfolio_heat = r.get_in_range("max_portfolio_heat", l.max_portfolio_heat, 1e-6, 20.0);
    l.max_leverage = r.get_in_range("max_leverage", l.max_leverage, 1e-6, 100.0);
    l.daily_loss_limit = r.get_in_range("daily_loss_limit", l.daily_loss_limit, 1e-6, 1.0);
    l.max_drawdown = r.get_in_range("max_drawdown", l.max_drawdown, 1e-6, 1.0);
    l.loss_streak = static_cast<int>(r.get_int("loss_streak", l.loss_streak));
    if (l.loss_streak < 1) r.fail("loss_streak", "must be >= 1");
    if (r.has("cooldown")) {
        const std::string text = r.get_string("cooldown");
        const auto d = parse_duration(text);
        if (!d) r.fail("cooldown", "expected a duration such as 12h or 1d, got '" + text + "'");
        l.cooldown = *d;
    }
    l.correlation_threshold =
        r.get_in_range("correlation_threshold", l.correlation_threshold, 0.0, 1.0);
    l.max_correlated_exposure =
        r.get_in_range("max_correlated_exposure", l.max_correlated_exposure, 1e-6, 20.0);
    l.correlation_window = static_cast<int>(r.get_int("correlation_window", l.correlation_window));
    if (l.correlation_window < 5 || l.correlation_window > 10000)
        r.fail("correlation_window", "must be in [5, 10000]");
    l.min_equity = r.get_non_negative("min_equity", l.min_equity);
    l.max_loosen_factor = r.get_in_range("max_loosen_factor", l.max_loosen_factor, 1.0, 1000.0);
    l.validate(file);
    return l;
}

RiskLimits load_risk_limits(const std::string& path) {
    if (!std::filesystem::exists(path)) return RiskLimits{};
    std::ifstream in(path);
    if (!in) throw InputError(path + ": cannot read risk config");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_risk_limits(ss.str(), path);
}

std::string render_risk_yaml(const RiskLimits& l) {
    // format_duration writes "1d 2h"; YAML wants one token parse_duration reads back.
    const auto hours = l.cooldown / kMsPerHour;
    const std::string cooldown = l.cooldown % kMsPerHour == 0
                                     ? std::to_string(hours) + "h"
                                     : std::to_string(l.cooldown / kMsPerSecond) + "s";
    return fmt::format(
        "# Account-level risk limits. Every order (strategy, model or manual) passes the risk\n"
        "# manager; `aurum risk set --max-position 0.15` rewrites this file and applies it at once.\n"
        "# Fractions are of current account equity. See docs/risk.md.\n"
        "risk:\n"
        "  max_position: {}            # one symbol's notional\n"
        "  max_portfolio_heat: {}      # gross notional of all open positions\n"
        "  max_leverage: {}            # hard ceiling on gross notional\n"
        "  daily_loss_limit: {}        # loss since 00:00 UTC: no new entries until the next day\n"
        "  max_drawdown: {}            # from peak equity: close everything and halt (kill switch)\n"
        "  loss_streak: {}             # consecutive losing trades on one symbol ...\n"
        "  cooldown: {}                # ... then no new entries on it for this long\n"
        "  correlation_threshold: {}   # |correlation| of recent returns counted as correlated\n"
        "  max_correlated_exposure: {} # new position + |rho| x correlated open positions\n"
        "  correlation_window: {}      # bars of returns behind the correlation\n"
        "  min_equity: {}              # below this equity nothing new is opened\n"
        "  max_loosen_factor: {}       # `risk set` loosening a limit more than this needs --confirm\n",
        num(l.max_position), num(l.max_portfolio_heat), num(l.max_leverage),
        num(l.daily_loss_limit), num(l.max_drawdown), l.loss_streak, cooldown,
        num(l.correlation_threshold), num(l.max_correlated_exposure), l.correlation_window,
        num(l.min_equity), num(l.max_loosen_factor));
}

std::vector<std::pair<std::string, std::string>> risk_limit_fields(const RiskLimits& l) {
    return {{"max_position", num(l.max_position)},
            {"max_portfolio_heat", num(l.max_portfolio_heat)},
            {"max_leverage", num(l.max_leverage)},
            {"daily_loss_limit", num(l.daily_loss_limit)},
            {"max_drawdown", num(l.max_drawdown)},
            {"loss_streak", std::to_string(l.loss_streak)},
            {"cooldown", format_duration(l.cooldown)},
            {"correlation_threshold", num(l.correlation_threshold)},
            {"max_correlated_exposure", num(l.max_correlated_exposure)},
            {"correlation_window", std::to_string(l.correlation_window)},
            {"min_equity", num(l.min_equity)},
            {"max_loosen_factor", num(l.max_loosen_factor)}};
}

std::string risk_limit_value(const RiskLimits& limits, const std::string& key) {
    for (const auto& [k, v] : risk_limit_fields(limits))
        if (k == key) return v;
    return {};
}

std::vector<std::string> risk_limit_conflicts(const RiskLimits& l) {
    std::vector<std::string> out;
    auto above = [&](const char* a, double va, const char* b, double vb) {
        if (va > vb + 1e-12)
            out.push_back(fmt::format("{} {} is above {} {} (one position cannot exceed what all "
                                      "positions together may hold)",
                                      a, num(va), b, num(vb)));
    };
    above("max_position", l.max_position, "max_portfolio_heat", l.max_portfolio_heat);
    above("max_position", l.max_position, "max_leverage", l.max_leverage);
    above("max_portfolio_heat", l.max_portfolio_heat, "max_leverage", l.max_leverage);
    return out;
}

std::string set_risk_limit(RiskLimits& limits, const std::string& raw_key,
                           const std::string& value) {
    std::string key = raw_key;
    for (char& c : key)
        if (c == '-') c = '_';
    if (key == "heat") key = "max_portfolio_heat";
    if (key == "max_heat") key = "max_portfolio_heat";
    // Re-parse through the YAML path so every range check and message is the config file's.
    std::string previous;
    bool known = false;
    for (const auto& [k, v] : risk_limit_fields(limits)) {
        if (k == key) {
            previous = v;
            known = true;
        }
    }
    if (!known) {
        std::string list;
        for (const auto& [k, v] : risk_limit_fields(limits)) list += (list.empty() ? "" : ", ") + k;
        throw InputError("risk set: unknown limit '" + raw_key + "' (known: " + list + ")");
    }
    const std::string text = render_risk_yaml(limits);
    // Replace the one line in the rendered file and parse it back.
    std::string out;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("  " + key + ":", 0) == 0) line = "  " + key + ": " + value;
        out += line + "\n";
    }
    limits = parse_risk_limits(out, "risk set --" + raw_key);
    return previous;
}

} // namespace aurum
