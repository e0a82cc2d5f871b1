#pragma once
// Candle importers: freqtrade JSON, generic OHLCV CSV, Binance klines CSV and MetaTrader 5
// "Export Bars" files, streamed in blocks into a MarketStore inside one transaction.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bar_series.hpp"
#include "core/time.hpp"
#include "core/timeframe.hpp"

namespace aurum {

class MarketStore;

/// The file formats `aurum data import` reads.
enum class ImportFormat { Auto, FreqtradeJson, Csv, BinanceCsv, Mt5 };

/// "auto", "freqtrade-json", "csv", "binance-csv", "mt5".
std::string to_string(ImportFormat f);
/// Inverse of to_string; nullopt for an unknown name.
std::optional<ImportFormat> parse_import_format(std::string_view text);
/// "auto|freqtrade-json|csv|binance-csv|mt5", for help texts and error messages.
std::string import_format_choices();

/// What one import run needs to know besides the bytes.
struct ImportOptions {
    ImportFormat format = ImportFormat::Auto;
    std::string symbol;        ///< normalised symbol the bars are stored under
    Timeframe timeframe;       ///< bar duration; every bar time must sit on its grid
    TimeMs tz_offset = 0;      ///< source text times are UTC + tz_offset (subtracted on import)
    double point = 0.01;       ///< price value of one MT5 spread point (Instrument::point)
    bool skip_invalid = false; ///< skip bad rows (and report them) instead of failing the file
    std::size_t chunk_rows = 65536;    ///< bars per chunk handed to the store
    std::size_t block_bytes = 1 << 20; ///< bytes read from the file per block
    std::size_t max_skip_examples = 5; ///< skipped rows kept (with file:line) for the report
    bool force_timeframe = false; ///< accept bars spaced unlike `timeframe` (import_files)
    bool replace = false;         ///< overwrite stored bars that hold different values
};

/// A row left out under --skip-invalid: where and why.
struct SkippedRow {
    std::size_t line = 0;
    std::string reason;
};

/// What parsing one file produced (the store's inserted/updated counts are in ImportSummary).
struct FileImportReport {
    std::string file;
    ImportFormat format = ImportFormat::Auto; ///< the format actually used (after detection)
    std::string symbol;
    Timeframe timeframe;
    std::int64_t rows_read = 0;    ///< data rows seen (valid + skipped)
    std::int64_t rows_written = 0; ///< rows handed to the store
    std::int64_t rows_skipped = 0;
    TimeMs first = 0, last = 0;               ///< open time of the first/last written bar (UTC)
    std::vector<SkippedRow> skipped_examples; ///< the first few skipped rows
};

/// One file to import with its own symbol and timeframe (they may differ per file).
struct ImportJob {
    std::string path;
    ImportOptions options;
};

/// Result of importing several files in one transaction.
struct ImportSummary {
    std::vector<FileImportReport> files;
    std::int64_t inserted = 0;
    std::int64_t updated = 0; ///< bars that were already stored (same or different values)
    std::int64_t changed = 0; ///< of those, bars whose stored values differed (replaced)
};

/// Receives the parsed bars chunk by chunk (each chunk is cleared after the call).
using BarChunkFn = std::function<void(const BarSeries&)>;

/// Parses one file in blocks of options.block_bytes (bounded memory whatever the file size) and
/// hands validated bars to `on_chunk`. Throws InputError naming file:line, column and value on
/// the first bad row (unless options.skip_invalid), for an empty file, or an unknown format.
FileImportReport parse_file(const std::string& path, const ImportOptions& options,
                            const BarChunkFn& on_chunk);

/// Same as parse_file over bytes in memory (`name` is used in messages). Fuzz targets and the
/// parse benchmark call this.
FileImportReport parse_buffer(std::string_view bytes, const std::string& name,
                              const ImportOptions& options, const BarChunkFn& on_chunk);

/// Looks at the start of a file (already decoded to UTF-8) and names its format. Throws
/// InputError listing what it saw and the --format choices when it cannot tell.
ImportFormat detect_format(std::string_view head, const std::string& name);

/// Imports every job into the store through one writer (one transaction): either every file is
/// written or, on any error, nothing is. Re-importing the same data is idempotent (upsert).
/// Throws InputError (nothing written) when a file's bars are spaced unlike its timeframe
/// (unless options.force_timeframe) or when stored bars would change value (unless
/// options.replace; the message says how many).
ImportSummary import_files(MarketStore& store, const std::vector<ImportJob>& jobs);

/// Symbol and timeframe a file name states, e.g. freqtrade `BTC_USDT-5m.json`, MT5
/// `XAUUSD_H1_201501020900_202512221100.csv`, Binance `BTCUSDT-1h-2024-01.csv`, `BTCUSDT_4h.csv`.
struct NameHint {
    std::string symbol;    ///< as written in the name (not normalised), empty when not stated
    std::string timeframe; ///< as written ("5m", "H1"), empty when not stated
    std::string note;      ///< why nothing was inferred, when the name is ambiguous
};
NameHint infer_from_filename(const std::string& path);

} // namespace aurum
