#include "risk/trading_state.hpp"

#include <nlohmann/json.hpp>

#include "core/enum_table.hpp"

namespace aurum {

namespace {

// One table per enum: the text written to the state store <-> the value.
constexpr EnumTable<TradingMode, 4> kModes{{{{TradingMode::Active, "ACTIVE"},
                                             {TradingMode::Paused, "PAUSED"},
                                             {TradingMode::Reducing, "REDUCING"},
                                             {TradingMode::Halted, "HALTED"}}}};
constexpr EnumTable<HaltCause, 4> kCauses{{{{HaltCause::None, "none"},
                                            {HaltCause::DrawdownBreaker, "drawdown_breaker"},
                                            {HaltCause::EmergencyStop, "emergency_stop"},
                                            {HaltCause::Manual, "manual"}}}};

} // namespace

std::string to_string(TradingMode m) { return kModes.name(m); }

TradingMode parse_trading_mode(const std::string& text) {
    return kModes.parse(text, "trading state");
}

std::string to_string(HaltCause c) { return kCauses.name(c); }

HaltCause parse_halt_cause(const std::string& text) {
    return kCauses.parse(text, "halt cause");
}

std::string TradingState::describe() const {
    std::string s = to_string(mode);
    if (mode == TradingMode::Paused) s += " until " + format_time(until);
    if (!reason.empty()) s += " (" + reason + ")";
    return s;
}

nlohmann::json trading_state_json(const TradingState& s) {
    return {{"state", to_string(s.mode)},
            {"cause", to_string(s.cause)},
            {"reason", s.reason},
            {"since", s.since},
            {"until", s.until ? nlohmann::json(s.until) : nlohmann::json(nullptr)}};
}

} // namespace aurum
