#pragma once
// Instruments and their trading sessions: what an exchange or broker allows and when it trades.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/holiday_calendar.hpp"
#include "core/time.hpp"

namespace aurum {

enum class AssetClass { CryptoSpot, MetalCfd };
std::string to_string(AssetClass c);

/// When an instrument trades, in UTC. Crypto: always. XAUUSD: Sunday evening to Friday evening
/// with a daily maintenance break; broker DST shifts move both by an hour, so the closed windows
/// below cover both the summer and the winter schedule.
struct TradingSessions {
    bool always_open = true;
    int week_open_minute = 0;   ///< minute of week (Monday 00:00 = 0) the week opens
    int week_close_minute = 0;  ///< minute of week the week closes
    int daily_break_start = 0;  ///< minute of day (UTC) the daily break starts
    int daily_break_end = 0;    ///< minute of day it ends (== start: no break)
    /// Exchange holidays and early closes (none for 24/7 markets); shared, never mutated.
    std::shared_ptr<const HolidayCalendar> holidays;

    /// True when a bar opening at t is expected to exist (market open at t).
    bool is_open(TimeMs t) const;
    static TradingSessions crypto();
    static TradingSessions forex_metal();
};

/// Everything the engine needs to trade a symbol the way its venue would.
struct Instrument {
    std::string symbol;      ///< "BTC/USDT", "XAUUSD"
    std::string venue;       ///< "binance", "mt5"
    AssetClass asset_class = AssetClass::CryptoSpot;
    std::string base, quote; ///< "BTC", "USDT"; for XAUUSD "XAU", "USD"
    double tick_size = 0.01;     ///< price increment
    double lot_step = 0.00001;   ///< quantity increment (in lots for CFDs)
    double min_qty = 0.00001;    ///< smallest quantity
    double min_notional = 5.0;   ///< smallest order value in quote currency
    double contract_size = 1.0;  ///< units of base per lot (100 oz for XAUUSD)
    double point = 0.01;         ///< MT5 point: the price value of one spread point
    bool shortable = false;      ///< spot is long-only; CFDs can short
    double max_leverage = 1.0;
    TradingSessions sessions;
};

/// Known instruments: built-in defaults (major crypto pairs, XAUUSD) plus config/instruments.yaml.
/// A symbol of the form BASE/QUOTE not listed is treated as a generic crypto spot pair.
class InstrumentRegistry {
public:
    InstrumentRegistry(); ///< built-ins only
    /// Built-ins overlaid with a YAML file (missing file: built-ins only). Throws InputError
    /// naming the file and key on bad content.
    static InstrumentRegistry load(const std::string& yaml_path);

    /// The instrument, or nullopt for a symbol that is neither known nor a BASE/QUOTE pair.
    std::optional<Instrument> find(const std::string& symbol) const;
    /// Like find, but throws InputError "unknown symbol 'X' (known: ...)".
    Instrument get(const std::string& symbol) const;
    void add(Instrument inst);
    std::vector<std::string> symbols() const;

private:
    std::map<std::string, Instrument> by_symbol_;
};

/// Normalises user spellings of a symbol: "btcusdt", "BTC-USDT", "BTC_USDT" -> "BTC/USDT" for
/// quote currencies we recognise; other symbols are upper-cased.
std::string normalize_symbol(const std::string& text);
/// "BTC/USDT,ethusdt" -> {"BTC/USDT", "ETH/USDT"} (normalized; empty items skipped). Throws
/// InputError naming `flag` when nothing is left.
std::vector<std::string> split_symbols(const std::string& text, const std::string& flag = "--symbols");

} // namespace aurum
