#include "live/balance_check.hpp"

#include <cmath>

#include <fmt/format.h>

namespace aurum {

namespace {
double total(const std::map<std::string, BinanceBalance>& balances, const std::string& asset) {
    const auto it = balances.find(asset);
    return it == balances.end() ? 0.0 : it->second.free + it->second.locked;
}
} // namespace

std::vector<BalanceFinding> compare_balances(const Portfolio& portfolio,
                                             const std::vector<Instrument>& instruments,
                                             const std::vector<BinanceSymbolRules>& rules,
                                             const std::map<std::string, BinanceBalance>& balances) {
    std::vector<BalanceFinding> out;
    std::map<std::string, double> held; // base asset -> the engine's position (several pairs)
    for (std::size_t i = 0; i < instruments.size() && i < rules.size(); ++i)
        held[rules[i].base] += portfolio.position(static_cast<InstrumentId>(i)).qty;
    for (std::size_t i = 0; i < instruments.size() && i < rules.size(); ++i) {
        const std::string& base = rules[i].base;
        if (!held.count(base)) continue; // reported with the first pair of this base
        const double engine = held[base], exchange = total(balances, base);
        held.erase(base);
        const double dust = std::max(rules[i].step_size, 1e-9);
        const double diff = exchange - engine;
        BalanceFinding f;
        f.asset = base;
        if (std::fabs(diff) < dust) {
            f.text = fmt::format("{}: the engine holds {:.8g}, the exchange {:.8g} (free + locked){}",
                                 base, engine, exchange,
                                 std::fabs(diff) > 1e-12
                                     ? fmt::format("; {:.8g} of dust below the lot step {:.8g}",
                                                   std::fabs(diff), rules[i].step_size)
                                     : "");
        } else if (diff < 0) {
            f.severity = AlertSeverity::Critical;
            f.text = fmt::format("{}: the engine holds {:.8g} but the exchange only {:.8g} (free + "
                                 "locked): {:.8g} {} is missing at the exchange (sold or withdrawn "
                                 "outside this session?); sells of it will be rejected. Check the "
                                 "account before trading {}",
                                 base, engine, exchange, -diff, base, instruments[i].symbol);
        } else {
            f.severity = AlertSeverity::Warning;
            f.text = fmt::format("{}: the exchange holds {:.8g} (free + locked), the engine {:.8g}: "
                                 "{:.8g} {} belongs to no position of this session and is left "
                                 "alone",
                                 base, exchange, engine, diff, base);
        }
        out.push_back(std::move(f));
    }
    if (!rules.empty()) {
        const std::string& quote = rules[0].quote;
        const double cash = portfolio.cash(), exchange = total(balances, quote);
        BalanceFinding f;
        f.asset = quote;
        if (cash > exchange + 0.01) {
            f.severity = AlertSeverity::Warning;
            f.text = fmt::format("{}: the engine counts on {:.2f} cash but the exchange holds {:.2f} "
                                 "(free + locked); buys beyond that will be rejected",
                                 quote, cash, exchange);
        } else {
            f.text = fmt::format("{}: the engine's cash {:.2f} is covered by the exchange's {:.2f} "
                                 "(free + locked)",
                                 quote, cash, exchange);
        }
        out.push_back(std::move(f));
    }
    return out;
}

} // namespace aurum
