#include "risk/trading_state.hpp"

#include <array>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "core/error.hpp"

namespace aurum {

namespace {

// One table per enum: the text written to the state store <-> the value.
constexpr std::array<std::pair<TradingMode, std::string_view>, 4> kModes{{
    {TradingMode::Active, "ACTIVE"},
    {TradingMode::Paused, "PAUSED"},
    {TradingMode::Reducing, "REDUCING"},
    {TradingMode::Halted, "HALTED"}}};
constexpr std::array<std::pair<HaltCause, std::string_view>, 4> kCauses{{
    {HaltCause::None, "none"},
    {HaltCause::DrawdownBreaker, "drawdown_breaker"},
    {HaltCause::EmergencyStop, "emergency_stop"},
    {HaltCause::Manual, "manual"}}};

template <typename E, std::size_t N>
E parse_table(const std::array<std::pair<E, std::string_view>, N>& table, const std::string& text,
              const char* what) {
    for (const auto& [e, n] : table)
        if (n == text) return e;
    std::string list;
    for (const auto& [e, n] : table) list += (list.empty() ? "" : ", ") + std::string(n);
    throw InputError(std::string(what) + ": unknown value '" + text + "' (known: " + list + ")");
}

template <typename E, std::size_t N>
std::string name_in(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
    for (const auto& [v, n] : table)
        if (v == e) return std::string(n);
    throw std::logic_error("enum value without a name");
}

} // namespace

std::string to_string(TradingMode m) { return name_in(kModes, m); }

TradingMode parse_trading_mode(const std::string& text) {
    return parse_table(kModes, text, "trading state");
}

std::string to_string(HaltCause c) { return name_in(kCauses, c); }

HaltCause parse_halt_cause(const std::string& text) {
    return parse_table(kCauses, text, "halt cause");
}

std::string TradingState::describe() const {
    std::string s = to_string(mode);
    if (mode == TradingMode::Paused) s += " until " + format_time(until);
    if (!reason.empty()) s += " (" + reason + ")";
    return s;
}

} // namespace aurum
