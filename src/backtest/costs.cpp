#include "backtest/costs.hpp"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/error.hpp"

namespace aurum {

namespace {

double parse_number(const std::string& text, const std::string& what) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v) || v < 0)
        throw InputError(what + ": '" + text + "' is not a non-negative number");
    return v;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

SlippageModel parse_slippage(const std::string& text) {
    SlippageModel m;
    std::stringstream ss(text);
    std::string part;
    bool any = false;
    while (std::getline(ss, part, ',')) {
        any = true;
        const std::string what = "--slippage part '" + part + "'";
        if (part == "0" || part == "none")
            continue;
        if (ends_with(part, "bps")) {
            m.fixed_bps = parse_number(part.substr(0, part.size() - 3), what);
        } else if (part.rfind("vol:", 0) == 0) {
            m.vol_k = parse_number(part.substr(4), what);
        } else if (part.rfind("sqrt:", 0) == 0) {
            m.impact_y = parse_number(part.substr(5), what);
        } else {
            throw InputError("--slippage: unknown part '" + part +
                             "' (expected e.g. 5bps, vol:0.1, sqrt:0.5, or 0)");
        }
    }
    if (!any)
        throw InputError("--slippage: empty value (expected e.g. 5bps, vol:0.1, sqrt:0.5)");
    return m;
}

SpreadModel parse_spread(const std::string& text) {
    SpreadModel m;
    if (text == "none" || text == "0")
        return m;
    if (text == "column") {
        m.mode = SpreadModel::Mode::Column;
        return m;
    }
    if (ends_with(text, "bps")) {
        m.mode = SpreadModel::Mode::FixedBps;
        m.fixed_bps = parse_number(text.substr(0, text.size() - 3), "--spread");
        return m;
    }
    m.mode = SpreadModel::Mode::Fixed;
    m.fixed = parse_number(text, "--spread");
    return m;
}

} // namespace aurum
