#include "risk/trading_state.hpp"

namespace aurum {

std::string to_string(TradingMode m) {
    switch (m) {
    case TradingMode::Active: return "ACTIVE";
    case TradingMode::Paused: return "PAUSED";
    case TradingMode::Reducing: return "REDUCING";
    case TradingMode::Halted: return "HALTED";
    }
    return "?";
}

std::optional<TradingMode> parse_trading_mode(const std::string& text) {
    if (text == "ACTIVE") return TradingMode::Active;
    if (text == "PAUSED") return TradingMode::Paused;
    if (text == "REDUCING") return TradingMode::Reducing;
    if (text == "HALTED") return TradingMode::Halted;
    return std::nullopt;
}

std::string to_string(HaltCause c) {
    switch (c) {
    case HaltCause::None: return "none";
    case HaltCause::DrawdownBreaker: return "drawdown_breaker";
    case HaltCause::EmergencyStop: return "emergency_stop";
    case HaltCause::Manual: return "manual";
    }
    return "none";
}

HaltCause parse_halt_cause(const std::string& text) {
    if (text == "drawdown_breaker") return HaltCause::DrawdownBreaker;
    if (text == "emergency_stop") return HaltCause::EmergencyStop;
    if (text == "manual") return HaltCause::Manual;
    return HaltCause::None;
}

std::string TradingState::describe() const {
    std::string s = to_string(mode);
    if (mode == TradingMode::Paused) s += " until " + format_time(until);
    if (!reason.empty()) s += " (" + reason + ")";
    return s;
}

} // namespace aurum
