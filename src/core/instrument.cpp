#include "core/instrument.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <yaml-cpp/yaml.h>

#include "core/config.hpp"
#include "core/error.hpp"

namespace aurum {

std::string to_string(AssetClass c) {
    switch (c) {
    case AssetClass::CryptoSpot: return "crypto_spot";
    case AssetClass::MetalCfd: return "metal_cfd";
    }
    return "unknown";
}

bool TradingSessions::is_open(TimeMs t) const {
    if (always_open) return true;
    const int mod = minute_of_day(t);
    const int mow = weekday(t) * 1440 + mod;
    if (mow >= week_close_minute || mow < week_open_minute) return false;
    if (daily_break_start != daily_break_end && mod >= daily_break_start && mod < daily_break_end)
        return false;
    return !(holidays && holidays->closed(t));
}

TradingSessions TradingSessions::crypto() { return TradingSessions{}; }

TradingSessions TradingSessions::forex_metal() {
    TradingSessions s;
    s.always_open = false;
    // Opens Sunday 22:00/23:00 UTC (summer/winter); closes Friday 20:00/21:00 UTC (plus the
    // last broker hour). Daily break 21:00-22:00 (summer) or 22:00-23:00 (winter) UTC.
    s.week_open_minute = 0;                   // Monday 00:00: Sunday-evening bars are tolerated
    s.week_close_minute = 4 * 1440 + 22 * 60; // Friday 22:00
    s.daily_break_start = 21 * 60;
    s.daily_break_end = 23 * 60;
    static const auto gold = std::make_shared<const HolidayCalendar>(HolidayCalendar::gold_rules());
    s.holidays = gold;
    return s;
}

namespace {

Instrument crypto_pair(const std::string& base, const std::string& quote, double tick,
                       double lot, double min_notional) {
    Instrument i;
    i.symbol = base + "/" + quote;
    i.venue = "binance";
    i.asset_class = AssetClass::CryptoSpot;
    i.base = base;
    i.quote = quote;
    i.tick_size = tick;
    i.lot_step = lot;
    i.min_qty = lot;
    i.min_notional = min_notional;
    i.sessions = TradingSessions::crypto();
    return i;
}

const char* const kQuotes[] = {"USDT", "USDC", "BUSD", "FDUSD", "TUSD", "BTC", "ETH", "BNB", "EUR"};

std::vector<HolidayRule> read_rules(const ConfigNode& list) {
    std::vector<HolidayRule> out;
    for (const ConfigNode& h : list.items()) {
        h.allow_keys({"name", "date", "closed", "observed", "since"});
        const long long since = h.get_int("since", 0);
        if (since < 0 || since > 2199) h.fail("since", "must be a year, got " + std::to_string(since));
        const std::string date = h.get_string("date");
        try {
            out.push_back(HolidayRule::parse(h.get_string("name", date), date,
                                             h.get_string("closed", "all day"),
                                             h.get_string("observed", "none"),
                                             static_cast<int>(since), ""));
        } catch (const InputError& e) {
            const std::string m = e.what(); // "<field>: <what>"
            const auto colon = m.find(": ");
            h.fail(m.substr(0, colon), m.substr(colon + 2));
        }
    }
    return out;
}

/// `holidays:` replaces the instrument's calendar (an empty list clears it); `add_holidays:`
/// appends rules to it (e.g. a one-off broker closure).
void read_holidays(const ConfigNode& n, TradingSessions& sessions) {
    if (!n.has("holidays") && !n.has("add_holidays")) return;
    std::vector<HolidayRule> rules;
    if (n.has("holidays"))
        rules = read_rules(n.child("holidays"));
    else if (sessions.holidays)
        rules = sessions.holidays->rules();
    for (HolidayRule& r : read_rules(n.child("add_holidays"))) rules.push_back(std::move(r));
    if (sessions.always_open && !rules.empty())
        n.fail("holidays", "a 24/7 market (sessions: '24/7') has no holidays");
    sessions.holidays =
        rules.empty() ? nullptr : std::make_shared<const HolidayCalendar>(std::move(rules));
}

} // namespace

InstrumentRegistry::InstrumentRegistry() {
    add(crypto_pair("BTC", "USDT", 0.01, 0.00001, 5.0));
    add(crypto_pair("ETH", "USDT", 0.01, 0.0001, 5.0));
    add(crypto_pair("SOL", "USDT", 0.01, 0.001, 5.0));
    add(crypto_pair("BNB", "USDT", 0.01, 0.001, 5.0));
    add(crypto_pair("XRP", "USDT", 0.0001, 0.1, 5.0));
    add(crypto_pair("ETH", "BTC", 0.00001, 0.0001, 0.0001));
    Instrument gold;
    gold.symbol = "XAUUSD";
    gold.venue = "mt5";
    gold.asset_class = AssetClass::MetalCfd;
    gold.base = "XAU";
    gold.quote = "USD";
    gold.tick_size = 0.01;
    gold.lot_step = 0.01;
    gold.min_qty = 0.01;
    gold.min_notional = 0.0;
    gold.contract_size = 100.0;
    gold.point = 0.01;
    gold.shortable = true;
    gold.max_leverage = 20.0;
    gold.sessions = TradingSessions::forex_metal();
    add(gold);
}

void InstrumentRegistry::add(Instrument inst) {
    const std::string key = inst.symbol;
    by_symbol_[key] = std::move(inst);
}

std::vector<std::string> InstrumentRegistry::symbols() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : by_symbol_) out.push_back(k);
    return out;
}

std::optional<Instrument> InstrumentRegistry::find(const std::string& symbol) const {
    auto it = by_symbol_.find(symbol);
    if (it != by_symbol_.end()) return it->second;
    const auto slash = symbol.find('/');
    if (slash != std::string::npos && slash > 0 && slash + 1 < symbol.size() &&
        symbol.find('/', slash + 1) == std::string::npos) {
        return crypto_pair(symbol.substr(0, slash), symbol.substr(slash + 1), 1e-8, 1e-8, 0.0);
    }
    return std::nullopt;
}

Instrument InstrumentRegistry::get(const std::string& symbol) const {
    if (auto i = find(symbol)) return *i;
    std::string known;
    for (const auto& s : symbols()) known += (known.empty() ? "" : ", ") + s;
    throw InputError("unknown symbol '" + symbol + "' (known: " + known +
                     ", or any BASE/QUOTE crypto pair; add others to config/instruments.yaml)");
}

InstrumentRegistry InstrumentRegistry::load(const std::string& path) {
    InstrumentRegistry reg;
    if (!std::filesystem::exists(path)) return reg;
    ConfigNode root = ConfigNode::load_file(path);
    root.allow_keys({"instruments"});
    for (const ConfigNode& n : root.child("instruments").items()) {
        n.allow_keys({"symbol", "venue", "asset_class", "base", "quote", "tick_size", "lot_step",
                      "min_qty", "min_notional", "contract_size", "point", "shortable",
                      "max_leverage", "sessions", "holidays", "add_holidays"});
        const std::string symbol = n.get_string("symbol");
        Instrument inst = reg.find(symbol).value_or(Instrument{});
        inst.symbol = symbol;
        inst.venue = n.get_string("venue", inst.venue);
        const std::string cls = n.get_string("asset_class", to_string(inst.asset_class));
        if (cls == "crypto_spot") {
            inst.asset_class = AssetClass::CryptoSpot;
        } else if (cls == "metal_cfd") {
            inst.asset_class = AssetClass::MetalCfd;
        } else {
            n.fail("asset_class", "must be crypto_spot or metal_cfd, got '" + cls + "'");
        }
        inst.base = n.get_string("base", inst.base);
        inst.quote = n.get_string("quote", inst.quote);
        inst.tick_size = n.get_positive("tick_size", inst.tick_size);
        inst.lot_step = n.get_positive("lot_step", inst.lot_step);
        inst.min_qty = n.get_positive("min_qty", inst.min_qty);
        inst.min_notional = n.get_non_negative("min_notional", inst.min_notional);
        inst.contract_size = n.get_positive("contract_size", inst.contract_size);
        inst.point = n.get_positive("point", inst.point);
        inst.shortable = n.get_bool("shortable", inst.shortable);
        inst.max_leverage = n.get_positive("max_leverage", inst.max_leverage);
        const std::string sessions =
            n.get_string("sessions", inst.sessions.always_open ? "24/7" : "24/5");
        if (sessions == "24/7") {
            inst.sessions = TradingSessions::crypto();
        } else if (sessions == "24/5") {
            inst.sessions = TradingSessions::forex_metal();
        } else {
            n.fail("sessions", "must be '24/7' or '24/5', got '" + sessions + "'");
        }
        read_holidays(n, inst.sessions);
        reg.add(inst);
    }
    return reg;
}

std::string normalize_symbol(const std::string& text) {
    std::string s;
    for (char c : text) s += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (char& c : s)
        if (c == '-' || c == '_') c = '/';
    if (s.find('/') != std::string::npos) return s;
    if (s == "XAUUSD" || s.size() <= 4) return s;
    for (const char* q : kQuotes) {
        const std::string quote = q;
        if (s.size() > quote.size() && s.compare(s.size() - quote.size(), quote.size(), quote) == 0)
            return s.substr(0, s.size() - quote.size()) + "/" + quote;
    }
    return s;
}

std::vector<std::string> split_symbols(const std::string& text, const std::string& flag) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        if (comma > start) out.push_back(normalize_symbol(text.substr(start, comma - start)));
        start = comma + 1;
    }
    if (out.empty())
        throw InputError(flag + ": give at least one symbol, e.g. BTC/USDT or BTC/USDT,ETH/USDT");
    return out;
}

} // namespace aurum
