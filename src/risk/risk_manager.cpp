#include "risk/risk_manager.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace aurum {

std::string to_string(RiskVerdict v) {
    switch (v) {
    case RiskVerdict::Approve: return "approve";
    case RiskVerdict::Reduce: return "reduce";
    case RiskVerdict::Deny: return "deny";
    }
    return "?";
}

std::string format_qty(double q) {
    std::string s = fmt::format("{:.8f}", q);
    // 8 decimals covers every lot step we trade; trim the zeros a person does not want to read.
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    if (s == "-0") s = "0";
    return s;
}

std::string RiskRuntime::to_json() const {
    nlohmann::json j;
    j["mode"] = to_string(state.mode);
    j["since"] = state.since;
    j["until"] = state.until;
    j["close_positions"] = state.close_positions;
    j["cause"] = to_string(state.cause);
    j["reason"] = state.reason;
    j["peak_equity"] = peak_equity;
    j["day_start_equity"] = day_start_equity;
    j["day"] = day;
    nlohmann::json syms = nlohmann::json::object();
    for (const auto& [s, st] : symbols)
        syms[s] = {{"losing_streak", st.losing_streak}, {"cooldown_until", st.cooldown_until}};
    j["symbols"] = syms;
    return j.dump();
}

RiskRuntime RiskRuntime::from_json(const std::string& text) {
    RiskRuntime rt;
    const auto j = nlohmann::json::parse(text);
    rt.state.mode = parse_trading_mode(j.at("mode").get<std::string>());
    rt.state.since = j.at("since").get<TimeMs>();
    rt.state.until = j.at("until").get<TimeMs>();
    rt.state.close_positions = j.at("close_positions").get<bool>();
    rt.state.cause = parse_halt_cause(j.at("cause").get<std::string>());
    rt.state.reason = j.at("reason").get<std::string>();
    rt.peak_equity = j.at("peak_equity").get<double>();
    rt.day_start_equity = j.at("day_start_equity").get<double>();
    rt.day = j.at("day").get<std::int64_t>();
    for (const auto& [s, v] : j.at("symbols").items())
        rt.symbols[s] = {v.at("losing_streak").get<int>(), v.at("cooldown_until").get<TimeMs>()};
    return rt;
}

RiskManager::RiskManager(RiskLimits limits, InstrumentRegistry instruments)
    : limits_(std::move(limits)), instruments_(std::move(instruments)) {}

void RiskManager::set_state(TradingState s) {
    rt_.state = std::move(s);
    ++version_;
}

namespace {

RiskAssessment deny(const OrderIntent& in, TimeMs now, std::string rule, std::string reason) {
    RiskAssessment d;
    d.time = now;
    d.symbol = in.symbol;
    d.source = in.source;
    d.verdict = RiskVerdict::Deny;
    d.requested = in.quantity;
    d.approved = 0;
    d.rule = std::move(rule);
    d.reason = std::move(reason);
    return d;
}

double pct(double f) { return f * 100.0; }

} // namespace

RiskRuntime RiskRuntime::for_new_session() const {
    RiskRuntime fresh;
    const bool deliberate = state.cause == HaltCause::EmergencyStop || state.cause == HaltCause::Manual;
    if (deliberate && state.mode != TradingMode::Active) fresh.state = state;
    return fresh;
}

RiskAssessment RiskManager::check(const OrderIntent& in, const AccountView& acct) const {
    const auto inst_opt = instruments_.find(in.symbol);
    if (!inst_opt) return deny(in, acct.now, "unknown_symbol", "Unknown symbol '" + in.symbol + "'");
    const Instrument& inst = *inst_opt;
    const std::string unit = inst.base.empty() ? inst.symbol : inst.base;
    const std::string requested_text = "Requested " + format_qty(std::fabs(in.quantity)) + " " +
                                       unit + (in.quantity >= 0 ? " buy" : " sell");
    if (!std::isfinite(in.quantity) || in.quantity == 0)
        return deny(in, acct.now, "bad_quantity", requested_text + ": quantity must be non-zero");
    if (!std::isfinite(in.price) || in.price <= 0)
        return deny(in, acct.now, "no_price",
                    requested_text + ": no valid price for " + in.symbol + " yet");

    double cur = 0;
    double gross_other = 0;
    for (const auto& p : acct.positions) {
        if (p.symbol == in.symbol)
            cur = p.quantity;
        else
            gross_other += std::fabs(p.quantity * p.price);
    }
    const double target = cur + in.quantity;
    // Part of the intent that only reduces the open position (always allowed: it lowers risk).
    double reduce_part = 0;
    if (cur != 0 && (in.quantity > 0) != (cur > 0))
        reduce_part = std::min(std::fabs(in.quantity), std::fabs(cur));
    const double entry_part = std::fabs(in.quantity) - reduce_part; // new exposure asked for
    const double sign = in.quantity > 0 ? 1.0 : -1.0;

    RiskAssessment d;
    d.time = acct.now;
    d.symbol = in.symbol;
    d.source = in.source;
    d.requested = in.quantity;

    // Quantities here are base units (ounces of gold); the instrument's lot rules are in lots
    // of `contract_size` base units, so they are scaled once here, never applied to base units
    // (that counted the contract size twice and rounded every gold order to nothing).
    const double lot_step = inst.lot_step * inst.contract_size;
    const double min_qty = inst.min_qty * inst.contract_size;
    auto finish = [&](double allowed_entry, std::string rule, std::string why) {
        // Round the new exposure down to the lot step; a full close stays exact.
        double entry = 0;
        if (allowed_entry > 0 && lot_step > 0)
            entry = std::floor(allowed_entry / lot_step + 1e-9) * lot_step;
        else if (allowed_entry > 0)
            entry = allowed_entry;
        std::string min_note;
        if (entry > 0 &&
            (entry < min_qty - 1e-12 || entry * in.price < inst.min_notional)) {
            min_note = fmt::format(" (below the minimum order of {} {} / {} {})",
                                   format_qty(min_qty), unit, inst.min_notional, inst.quote);
            entry = 0;
        }
        double reduce = reduce_part;
        if (reduce > 0 && std::fabs(reduce - std::fabs(cur)) > 1e-12 && lot_step > 0) {
            reduce = std::floor(reduce / lot_step + 1e-9) * lot_step;
        }
        const double approved = reduce + entry;
        d.approved = sign * approved;
        const bool full = std::fabs(approved - std::fabs(in.quantity)) <=
                          std::max(1e-9, lot_step * 1e-6);
        if (approved <= 0) {
            d.verdict = RiskVerdict::Deny;
            d.approved = 0;
            d.rule = rule.empty() ? "min_notional" : rule;
            d.reason = requested_text + "; denied" + (why.empty() ? "" : " due to " + why) + min_note;
        } else if (full) {
            d.verdict = RiskVerdict::Approve;
            d.approved = in.quantity;
            d.rule = "none";
            d.reason = requested_text + "; approved";
        } else {
            d.verdict = RiskVerdict::Reduce;
            d.rule = rule.empty() ? "lot_rounding" : rule;
            d.reason = requested_text + "; reduced to " + format_qty(approved) + " " + unit +
                       (why.empty() ? " by lot rounding" : " due to " + why) + min_note;
        }
        return d;
    };

    if (entry_part <= 0) return finish(0, "", "");

    // From here on the intent adds exposure: every gate applies to the entry part.
    const TradingState& st = rt_.state;
    std::string gate_rule, gate_why;
    if (st.mode == TradingMode::Halted) {
        gate_rule = "kill_switch";
        gate_why = "kill switch engaged (" + st.reason + ")";
    } else if (st.mode == TradingMode::Reducing) {
        gate_rule = "reducing";
        gate_why = "positions being closed (" + st.reason + ")";
    } else if (st.mode == TradingMode::Paused && acct.now < st.until) {
        gate_rule = "paused";
        gate_why = "trading paused until " + format_time(st.until) + " (" + st.reason + ")";
    } else if (target < 0 && !inst.shortable) {
        gate_rule = "no_shorting";
        gate_why = in.symbol + " is spot and cannot be sold short";
    } else if (!(acct.equity > 0) || acct.equity < limits_.min_equity) {
        gate_rule = "min_equity";
        gate_why = fmt::format("equity {:.2f} below the minimum {:.2f}", acct.equity,
                               limits_.min_equity);
    } else if (rt_.day_start_equity > 0 &&
               acct.equity <= rt_.day_start_equity * (1.0 - limits_.daily_loss_limit)) {
        gate_rule = "daily_loss_limit";
        gate_why = fmt::format("daily loss {:.1f}% at the {:.1f}% limit",
                               pct(1.0 - acct.equity / rt_.day_start_equity),
                               pct(limits_.daily_loss_limit));
    } else if (rt_.peak_equity > 0 &&
               acct.equity <= rt_.peak_equity * (1.0 - limits_.max_drawdown)) {
        gate_rule = "max_drawdown";
        gate_why = fmt::format("drawdown {:.1f}% at the {:.1f}% circuit breaker",
                               pct(1.0 - acct.equity / rt_.peak_equity), pct(limits_.max_drawdown));
    } else if (auto it = rt_.symbols.find(in.symbol);
               it != rt_.symbols.end() && acct.now < it->second.cooldown_until) {
        gate_rule = "cooldown";
        gate_why = fmt::format("{} cooldown after {} losing trades until {}", in.symbol,
                               limits_.loss_streak, format_time(it->second.cooldown_until));
    }
    if (!gate_rule.empty()) return finish(0, gate_rule, gate_why);

    // Caps on the absolute notional of this symbol after the order (base units x price).
    const double unit_value = in.price;
    const double E = acct.equity;
    const double existing_same_side = (target > 0) == (cur > 0) ? std::fabs(cur) : 0.0;
    struct Cap {
        double notional;
        const char* rule;
        std::string why;
    };
    std::vector<Cap> caps;
    caps.push_back({limits_.max_position * E, "max_position",
                    fmt::format("the {:.0f}% max position limit", pct(limits_.max_position))});
    caps.push_back({limits_.max_portfolio_heat * E - gross_other, "max_portfolio_heat",
                    fmt::format("portfolio heat (other positions {:.0f}% of equity, max {:.0f}%)",
                                pct(gross_other / E), pct(limits_.max_portfolio_heat))});
    const double lev = std::min(limits_.max_leverage, std::max(inst.max_leverage, 1e-9));
    caps.push_back({lev * E - gross_other, "max_leverage",
                    fmt::format("the {:.2f}x leverage limit", lev)});
    if (!inst.shortable && inst.max_leverage <= 1.0 && in.quantity > 0) {
        // Spot: the buy must be paid from cash, with a margin for fees and the next open's gap.
        caps.push_back({existing_same_side * unit_value + acct.cash * 0.99, "cash",
                        fmt::format("available cash {:.2f} {}", acct.cash, inst.quote)});
    }
    double corr_load = 0;
    std::string corr_names;
    double corr_max = 0;
    for (const auto& p : acct.positions) {
        if (p.symbol == in.symbol || p.quantity == 0) continue;
        const double rho = correlation(in.symbol, p.symbol);
        // Same-direction exposure in positively correlated assets adds up (and opposite
        // directions in negatively correlated ones).
        const double aligned = rho * (p.quantity > 0 ? 1.0 : -1.0) * (target > 0 ? 1.0 : -1.0);
        if (aligned >= limits_.correlation_threshold) {
            corr_load += aligned * std::fabs(p.quantity * p.price);
            const auto pi = instruments_.find(p.symbol);
            corr_names += (corr_names.empty() ? "" : ", ") +
                          ((pi && !pi->base.empty()) ? pi->base : p.symbol);
            corr_max = std::max(corr_max, aligned);
        }
    }
    if (corr_load > 0) {
        caps.push_back({limits_.max_correlated_exposure * E - corr_load, "correlation",
                        fmt::format("existing {} position (correlation {:.2f}; correlated "
                                    "exposure max {:.0f}%)",
                                    corr_names, corr_max, pct(limits_.max_correlated_exposure))});
    }
    double allowed_abs = std::fabs(target) * unit_value; // what was asked for
    const Cap* binding = nullptr;
    for (const auto& c : caps) {
        if (c.notional < allowed_abs - 1e-9) {
            allowed_abs = std::max(0.0, c.notional);
            binding = &c;
        }
    }
    double allowed_entry = allowed_abs / unit_value - existing_same_side;
    allowed_entry = std::clamp(allowed_entry, 0.0, entry_part);
    return finish(allowed_entry, binding ? binding->rule : "", binding ? binding->why : "");
}

void RiskManager::observe_price(const std::string& symbol, double close) {
    if (!(close > 0)) return;
    Returns& r = returns_[symbol];
    if (r.last_close > 0) {
        r.values.push_back(std::log(close / r.last_close));
        const auto window = static_cast<std::size_t>(std::max(0, limits_.correlation_window));
        if (r.values.size() > window)
            r.values.erase(r.values.begin(),
                           r.values.begin() + static_cast<std::ptrdiff_t>(r.values.size() - window));
    }
    r.last_close = close;
}

double RiskManager::correlation(const std::string& a, const std::string& b) const {
    auto ia = returns_.find(a), ib = returns_.find(b);
    if (ia == returns_.end() || ib == returns_.end()) return 0;
    const auto& x = ia->second.values;
    const auto& y = ib->second.values;
    const std::size_t n = std::min(x.size(), y.size());
    if (n < 5) return 0;
    // Align on the most recent n returns of each.
    double mx = 0, my = 0;
    for (std::size_t i = 0; i < n; ++i) {
        mx += x[x.size() - n + i];
        my += y[y.size() - n + i];
    }
    mx /= static_cast<double>(n);
    my /= static_cast<double>(n);
    double sxy = 0, sxx = 0, syy = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double dx = x[x.size() - n + i] - mx, dy = y[y.size() - n + i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if (sxx <= 0 || syy <= 0) return 0;
    return sxy / std::sqrt(sxx * syy);
}

std::vector<std::string> RiskManager::on_equity(TimeMs now, double equity, bool flat) {
    std::vector<std::string> events;
    const std::int64_t day = floor_to(now, kMsPerDay) / kMsPerDay;
    bool changed = false;
    if (day != rt_.day) {
        rt_.day = day;
        rt_.day_start_equity = equity;
        changed = true;
    }
    if (equity > rt_.peak_equity) {
        rt_.peak_equity = equity;
        changed = true;
    }
    // Runs on every bar: the state is copied only when it changes (a copy of a paused or
    // halted state allocates its reason).
    std::optional<TradingState> next;
    const auto st = [&]() -> const TradingState& { return next ? *next : rt_.state; };
    if (st().mode == TradingMode::Paused && now >= st().until) {
        events.push_back("pause ended at " + format_time(now) + " (" + st().reason + "): ACTIVE");
        next = TradingState{TradingMode::Active, now, 0, false, HaltCause::None, ""};
    }
    if (st().mode != TradingMode::Halted && st().mode != TradingMode::Reducing && rt_.peak_equity > 0 &&
        equity <= rt_.peak_equity * (1.0 - limits_.max_drawdown)) {
        const std::string why = fmt::format(
            "drawdown circuit breaker: equity {:.2f} is {:.1f}% below the peak {:.2f} (limit {:.0f}%)",
            equity, pct(1.0 - equity / rt_.peak_equity), rt_.peak_equity, pct(limits_.max_drawdown));
        next = TradingState{TradingMode::Reducing, now, 0, true, HaltCause::DrawdownBreaker, why};
        events.push_back("KILL SWITCH: " + why + "; closing all positions");
    }
    if (st().mode == TradingMode::Active && rt_.day_start_equity > 0 &&
        equity <= rt_.day_start_equity * (1.0 - limits_.daily_loss_limit)) {
        const std::string why = fmt::format("daily loss limit: {:.1f}% today (limit {:.0f}%)",
                                            pct(1.0 - equity / rt_.day_start_equity),
                                            pct(limits_.daily_loss_limit));
        next = TradingState{TradingMode::Paused, now, (day + 1) * kMsPerDay, false, HaltCause::None,
                          why};
        events.push_back("no new entries until " + format_time(next->until) + ": " + why);
    }
    if (st().mode == TradingMode::Reducing && flat) {
        if (!next) next = rt_.state;
        next->mode = TradingMode::Halted;
        next->since = now;
        next->close_positions = false;
        events.push_back("all positions closed: HALTED (" + next->reason + ")");
    }
    if (next && !(*next == rt_.state)) {
        set_state(std::move(*next));
    } else if (changed) {
        ++version_;
    }
    return events;
}

std::vector<std::string> RiskManager::on_trade_closed(const std::string& symbol, double pnl,
                                                      TimeMs now) {
    std::vector<std::string> events;
    auto& s = rt_.symbols[symbol];
    if (pnl < 0) {
        if (++s.losing_streak >= limits_.loss_streak) {
            s.cooldown_until = now + limits_.cooldown;
            events.push_back(fmt::format("{}: {} losing trades in a row; no new entries until {}",
                                         symbol, s.losing_streak, format_time(s.cooldown_until)));
            s.losing_streak = 0;
        }
    } else {
        s.losing_streak = 0;
    }
    ++version_;
    return events;
}

void RiskManager::pause(TimeMs now, TimeMs duration, const std::string& reason,
                        bool close_positions) {
    if (duration <= 0) throw InputError("pause: --duration must be positive");
    const auto& st = rt_.state;
    if (st.mode == TradingMode::Halted || st.mode == TradingMode::Reducing)
        throw InputError("pause: trading is " + st.describe() +
                         "; a halted account cannot be paused");
    set_state(TradingState{TradingMode::Paused, now, now + duration, close_positions,
                           HaltCause::Manual, reason});
}

void RiskManager::resume(TimeMs now, const std::string& reason) {
    const auto& st = rt_.state;
    if (st.mode == TradingMode::Active) throw InputError("resume: trading is already ACTIVE");
    if (st.mode != TradingMode::Paused)
        throw InputError("resume: trading is " + st.describe() +
                         "; only `aurum killswitch reset --confirm \"<reason>\"` leaves it");
    set_state(TradingState{TradingMode::Active, now, 0, false, HaltCause::None, reason});
}

void RiskManager::emergency_stop(TimeMs now, const std::string& reason) {
    set_state(TradingState{TradingMode::Reducing, now, 0, true, HaltCause::EmergencyStop,
                           "emergency stop: " + reason});
}

void RiskManager::reset_kill_switch(TimeMs now, const std::string& confirmation) {
    const auto& st = rt_.state;
    if (confirmation.find_first_not_of(" \t") == std::string::npos)
        throw InputError("killswitch reset: --confirm needs the reason in words");
    if (st.mode != TradingMode::Halted && st.mode != TradingMode::Reducing)
        throw InputError("killswitch reset: the kill switch is not engaged (state " +
                         st.describe() + ")");
    if (st.cause == HaltCause::EmergencyStop)
        throw InputError("killswitch reset: this is an emergency stop; restart with "
                         "`aurum run --acknowledge-stop`");
    set_state(TradingState{TradingMode::Active, now, 0, false, HaltCause::None, ""});
    // The breaker measures drawdown from the peak after the reset, or it would trip again at once.
    rt_.peak_equity = 0;
    rt_.day = INT64_MIN;
}

void RiskManager::acknowledge_stop(TimeMs now, const std::string& reason) {
    if (rt_.state.cause != HaltCause::EmergencyStop)
        throw InputError("--acknowledge-stop: there is no emergency stop to acknowledge");
    set_state(TradingState{TradingMode::Active, now, 0, false, HaltCause::None, reason});
    rt_.peak_equity = 0;
    rt_.day = INT64_MIN;
}

bool RiskManager::wants_flatten() const {
    return rt_.state.mode == TradingMode::Reducing ||
           (rt_.state.mode == TradingMode::Paused && rt_.state.close_positions);
}

} // namespace aurum
