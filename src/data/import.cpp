// Importing into the store (one transaction for all files) and reading symbol/timeframe from
// file names. The parsers themselves are in import_parse.cpp.
#include "data/import.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <regex>

#include <fmt/format.h>

#include "core/error.hpp"
#include "data/market_store.hpp"

namespace aurum {

namespace {

bool same_value(double a, double b) {
    return a == b || std::fabs(a - b) <= 1e-12 * std::max(std::fabs(a), std::fabs(b));
}

/// Bars of `chunk` already stored with different values.
std::int64_t count_changed(MarketStore& store, const BarSeries& chunk) {
    if (chunk.empty()) return 0;
    const auto [lo, hi] = std::minmax_element(chunk.time.begin(), chunk.time.end());
    const BarSeries old = store.load_bars(chunk.symbol, chunk.timeframe, TimeRange{*lo, *hi + 1});
    std::int64_t changed = 0;
    for (std::size_t i = 0; i < chunk.size(); ++i) {
        const std::size_t k = old.lower_bound(chunk.time[i]);
        if (k == old.size() || old.time[k] != chunk.time[i]) continue;
        const Bar a = old.at(k), b = chunk.at(i);
        const bool spread_differs = chunk.has_spread() && old.has_spread() &&
                                    !same_value(a.spread, b.spread);
        if (!same_value(a.open, b.open) || !same_value(a.high, b.high) ||
            !same_value(a.low, b.low) || !same_value(a.close, b.close) ||
            !same_value(a.volume, b.volume) || spread_differs)
            ++changed;
    }
    return changed;
}

/// Smallest gap between consecutive bars, tracked across chunks.
struct SpacingProbe {
    std::optional<TimeMs> last;
    TimeMs min_gap = 0;
    void add(const BarSeries& chunk) {
        for (TimeMs t : chunk.time) {
            if (last && t != *last) {
                const TimeMs gap = t > *last ? t - *last : *last - t;
                if (min_gap == 0 || gap < min_gap) min_gap = gap;
            }
            last = t;
        }
    }
};

void check_spacing(const ImportJob& job, const SpacingProbe& probe) {
    const Timeframe tf = job.options.timeframe;
    if (job.options.force_timeframe || probe.min_gap == 0 || probe.min_gap == tf.ms()) return;
    throw InputError(fmt::format("{}: the bars are {} apart but the timeframe is {} ({}); pass "
                                 "--timeframe {} (or --force to store them as {} anyway)",
                                 job.path, Timeframe(probe.min_gap).name(), tf.name(),
                                 job.options.symbol, Timeframe(probe.min_gap).name(), tf.name()));
}

} // namespace

/// SQLite keeps an import's dirty pages in its page cache until the one transaction commits;
/// a smaller cache while importing spills them to the WAL sooner, so a 1 GB file imports in
/// bounded memory (docs/benchmarks.md, import peak RSS). Restored afterwards.
class ImportCacheLimit {
  public:
    explicit ImportCacheLimit(Database& db) : db_(db.dialect() == SqlDialect::Sqlite ? &db : nullptr) {
        if (!db_) return;
        before_ = db_->query_one("PRAGMA cache_size")->as_int(0);
        db_->exec("PRAGMA cache_size=-8192");
    }
    ~ImportCacheLimit() {
        try {
            if (db_) db_->exec("PRAGMA cache_size=" + std::to_string(before_));
        } catch (...) { // a failed restore only costs speed in a later query
        }
    }
    ImportCacheLimit(const ImportCacheLimit&) = delete;
    ImportCacheLimit& operator=(const ImportCacheLimit&) = delete;

  private:
    Database* db_;
    std::int64_t before_ = 0;
};

ImportSummary import_files(MarketStore& store, const std::vector<ImportJob>& jobs) {
    ImportSummary summary;
    const ImportCacheLimit cache(store.database());
    // One writer = one transaction: an exception anywhere destroys it uncommitted (rollback).
    auto writer = store.open_writer();
    for (const ImportJob& job : jobs) {
        SpacingProbe probe;
        std::int64_t changed = 0;
        summary.files.push_back(parse_file(job.path, job.options, [&](const BarSeries& chunk) {
            probe.add(chunk);
            changed += count_changed(store, chunk);
            writer->write(chunk);
        }));
        check_spacing(job, probe);
        if (changed > 0 && !job.options.replace)
            throw InputError(fmt::format(
                "{}: {} bar{} of {} {} {} already stored with different values; nothing "
                "imported (pass --replace to overwrite them)",
                job.path, changed, changed == 1 ? "" : "s", job.options.symbol,
                job.options.timeframe.name(), changed == 1 ? "is" : "are"));
        summary.changed += changed;
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
