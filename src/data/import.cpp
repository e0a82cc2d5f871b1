// Importing into the store (one transaction for all files) and reading symbol/timeframe from
// file names. The parsers themselves are in import_parse.cpp.
#include "data/import.hpp"

#include <filesystem>
#include <regex>

#include "core/error.hpp"
#include "data/market_store.hpp"

namespace aurum {

ImportSummary import_files(MarketStore& store, const std::vector<ImportJob>& jobs) {
    ImportSummary summary;
    // One writer = one transaction: an exception anywhere destroys it uncommitted (rollback).
    auto writer = store.open_writer();
    for (const ImportJob& job : jobs) {
        summary.files.push_back(parse_file(job.path, job.options,
                                           [&](const BarSeries& chunk) { writer->write(chunk); }));
    }
    const UpsertStats stats = writer->commit();
    summary.inserted = stats.inserted;
    summary.updated = stats.updated;
    return summary;
}

NameHint infer_from_filename(const std::string& path) {
    NameHint hint;
    const std::string name = std::filesystem::path(path).filename().string();
    std::smatch m;
    // freqtrade: BTC_USDT-5m.json (spot); futures/mark/funding files carry a candle-type suffix.
    static const std::regex freqtrade(
        R"(^([A-Za-z0-9]+)_([A-Za-z0-9]+)(_[A-Za-z0-9]+)?-(\d+[mhdwM])(-[A-Za-z_]+)?\.json(\.gz)?$)");
    // MT5 Export Bars default name: XAUUSD_H1_201501020900_202512221100.csv
    static const std::regex mt5(
        R"(^([A-Za-z0-9.#]+?)_((?:M|H|D|W)\d+)(_\d{12}_\d{12})?\.(csv|txt)$)");
    // data.binance.vision: BTCUSDT-1h-2024-01.csv / BTCUSDT-1h-2024-01-02.csv
    static const std::regex binance(R"(^([A-Z0-9]+)-(\d+[smhdw])-\d{4}-\d{2}(-\d{2})?\.csv$)");
    // SYMBOL_TF.csv, e.g. BTCUSDT_4h.csv
    static const std::regex plain(R"(^([A-Za-z0-9]+)_(\d+[mhdw])\.(csv|txt)$)");
    if (std::regex_match(name, m, freqtrade)) {
        if (m[3].matched || m[5].matched) {
            hint.note = "'" + name + "' looks like a freqtrade futures/mark/funding-rate file (" +
                        m[1].str() + "_" + m[2].str() + m[3].str() + m[5].str() +
                        "), not spot candles; pass --symbol and --timeframe explicitly";
            return hint;
        }
        hint.symbol = m[1].str() + "/" + m[2].str();
        hint.timeframe = m[4].str();
    } else if (std::regex_match(name, m, mt5)) {
        hint.symbol = m[1].str();
        hint.timeframe = m[2].str();
    } else if (std::regex_match(name, m, binance)) {
        hint.symbol = m[1].str();
        hint.timeframe = m[2].str();
    } else if (std::regex_match(name, m, plain)) {
        hint.symbol = m[1].str();
        hint.timeframe = m[2].str();
    } else {
        hint.note = "cannot infer symbol and timeframe from the file name '" + name +
                    "' (recognised: BTC_USDT-5m.json, XAUUSD_H1_....csv, BTCUSDT-1h-2024-01.csv, "
                    "BTCUSDT_4h.csv); pass --symbol and --timeframe";
    }
    return hint;
}

} // namespace aurum
