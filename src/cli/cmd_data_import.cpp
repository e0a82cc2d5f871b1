// `aurum data import FILE...`: load candle files (freqtrade JSON, CSV, Binance klines, MT5
// exports) into the store in one transaction.
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/instrument.hpp"
#include "core/logging.hpp"
#include "data/import.hpp"

namespace aurum {

namespace {

struct ImportArgs {
    std::vector<std::string> files;
    std::string symbol;
    std::string timeframe;
    std::string format = "auto";
    std::string tz_offset;
    bool skip_invalid = false;
    bool force = false;   ///< --force: a --symbol/--timeframe that contradicts the file
    bool replace = false; ///< --replace: overwrite stored bars that hold different values
};

/// Refuses (unless --force) a --symbol or --timeframe flag that contradicts the file name, e.g.
/// ETHUSDT_1d.csv imported with --symbol BTC/USDT.
void check_flags_against_name(const ImportArgs& a, const std::string& path, const NameHint& hint) {
    if (a.force) return;
    if (!a.symbol.empty() && !hint.symbol.empty() &&
        normalize_symbol(a.symbol) != normalize_symbol(hint.symbol))
        throw InputError(fmt::format("--symbol {}: the file name '{}' says {}; refusing to store "
                                     "its bars under another symbol (--force to do it anyway)",
                                     a.symbol, std::filesystem::path(path).filename().string(),
                                     normalize_symbol(hint.symbol)));
    if (!a.timeframe.empty() && !hint.timeframe.empty()) {
        const auto named = Timeframe::parse(hint.timeframe);
        if (named && *named != Timeframe::parse_or_throw(a.timeframe))
            throw InputError(fmt::format("--timeframe {}: the file name '{}' says {} (--force to "
                                         "import it as {} anyway)",
                                         a.timeframe,
                                         std::filesystem::path(path).filename().string(),
                                         named->name(), a.timeframe));
    }
}

/// Symbol/timeframe per file: the flags, else what the file name states, else a clear error.
std::vector<ImportJob> plan_jobs(const ImportArgs& a, const CliContext& ctx) {
    const auto format = parse_import_format(a.format);
    if (!format)
        throw InputError("unknown --format '" + a.format +
                         "' (choices: " + import_format_choices() + ")");
    TimeMs tz = 0;
    if (!a.tz_offset.empty()) {
        const auto off = parse_utc_offset(a.tz_offset);
        if (!off)
            throw InputError("bad --tz-offset '" + a.tz_offset +
                             "' (expected e.g. +02:00, -05:30, +3)");
        tz = *off;
    }
    const InstrumentRegistry registry = ctx.instruments();
    std::vector<ImportJob> jobs;
    for (const std::string& path : a.files) {
        if (!std::filesystem::is_regular_file(path))
            throw InputError("no such file: '" + path + "'");
        std::string symbol = a.symbol, timeframe = a.timeframe;
        const NameHint hint = infer_from_filename(path);
        check_flags_against_name(a, path, hint);
        if (symbol.empty() || timeframe.empty()) {
            if ((symbol.empty() && hint.symbol.empty()) ||
                (timeframe.empty() && hint.timeframe.empty()))
                throw InputError(hint.note.empty() ? "cannot infer --symbol/--timeframe from '" +
                                                         path + "'; pass them explicitly"
                                                   : hint.note);
            if (symbol.empty())
                symbol = hint.symbol;
            if (timeframe.empty())
                timeframe = hint.timeframe;
        }
        const Instrument inst = registry.get(normalize_symbol(symbol));
        ImportJob job;
        job.path = path;
        job.options.format = *format;
        job.options.symbol = inst.symbol;
        job.options.timeframe = Timeframe::parse_or_throw(timeframe);
        job.options.tz_offset = tz;
        job.options.point = inst.point;
        job.options.skip_invalid = a.skip_invalid;
        job.options.force_timeframe = a.force;
        job.options.replace = a.replace;
        jobs.push_back(std::move(job));
    }
    return jobs;
}

nlohmann::json to_json(const ImportSummary& s) {
    nlohmann::json j;
    std::int64_t read = 0, written = 0, skipped = 0;
    j["files"] = nlohmann::json::array();
    for (const FileImportReport& f : s.files) {
        nlohmann::json fj;
        fj["file"] = f.file;
        fj["format"] = to_string(f.format);
        fj["symbol"] = f.symbol;
        fj["timeframe"] = f.timeframe.name();
        fj["rows_read"] = f.rows_read;
        fj["rows_written"] = f.rows_written;
        fj["rows_skipped"] = f.rows_skipped;
        fj["first"] = format_iso(f.first);
        fj["last"] = format_iso(f.last);
        fj["first_ms"] = f.first;
        fj["last_ms"] = f.last;
        fj["skipped"] = nlohmann::json::array();
        for (const SkippedRow& r : f.skipped_examples)
            fj["skipped"].push_back({{"line", r.line}, {"reason", r.reason}});
        j["files"].push_back(fj);
        read += f.rows_read;
        written += f.rows_written;
        skipped += f.rows_skipped;
    }
    j["rows_read"] = read;
    j["rows_written"] = written;
    j["rows_skipped"] = skipped;
    j["inserted"] = s.inserted;
    j["updated"] = s.updated;
    j["changed"] = s.changed;
    return j;
}

void print_summary(const ImportSummary& s) {
    std::int64_t read = 0, skipped = 0;
    for (const FileImportReport& f : s.files) {
        std::cout << fmt::format("Imported {} ({}) as {} {}: {} rows, {} .. {} UTC\n", f.file,
                                 to_string(f.format), f.symbol, f.timeframe.name(), f.rows_written,
                                 format_time(f.first), format_time(f.last));
        if (f.rows_skipped > 0) {
            std::cout << fmt::format(
                "  skipped {} invalid row{}{}:\n", f.rows_skipped, f.rows_skipped == 1 ? "" : "s",
                static_cast<std::int64_t>(f.skipped_examples.size()) < f.rows_skipped
                    ? fmt::format(" (first {})", f.skipped_examples.size())
                    : "");
            for (const SkippedRow& r : f.skipped_examples)
                std::cout << fmt::format("    {}:{}: {}\n", f.file, r.line, r.reason);
        }
        read += f.rows_read;
        skipped += f.rows_skipped;
    }
    std::cout << fmt::format("{} file{}: {} rows read, {} inserted, {} updated, {} skipped\n",
                             s.files.size(), s.files.size() == 1 ? "" : "s", read, s.inserted,
                             s.updated, skipped);
    if (s.changed > 0)
        std::cout << fmt::format("  {} stored bar{} replaced with different values (--replace)\n",
                                 s.changed, s.changed == 1 ? "" : "s");
}

} // namespace

void register_data_import_command(CLI::App& data, CliContext& ctx) {
    auto args = std::make_shared<ImportArgs>();
    CLI::App* sub = data.add_subcommand(
        "import", "Import candle files (freqtrade JSON, OHLCV CSV, Binance klines CSV, MT5 "
                  "Export Bars) into the store; all files in one transaction");
    sub->add_option("files", args->files, "Files to import")->required();
    sub->add_option(
        "--symbol,-s", args->symbol,
        "Symbol to store the bars under (BTC/USDT, XAUUSD); default: from the file name");
    sub->add_option("--timeframe,-t", args->timeframe,
                    "Bar timeframe (1m, 5m, 1h, 4h, 1d, H1, D1); default: from the file name");
    sub->add_option("--format,-f", args->format, "File format: " + import_format_choices());
    sub->add_option("--tz-offset", args->tz_offset,
                    "UTC offset of the file's text times (MT5 broker server time), e.g. +02:00; "
                    "subtracted to get UTC");
    sub->add_flag("--skip-invalid", args->skip_invalid,
                  "Skip invalid rows (and report them) instead of rejecting the file");
    sub->add_flag("--force", args->force,
                  "Accept a --symbol/--timeframe that contradicts the file name or the bar spacing");
    sub->add_flag("--replace", args->replace,
                  "Overwrite stored bars that hold different values (says how many changed)");
    on_run(sub, ctx, [args, &ctx] {
        const std::vector<ImportJob> jobs = plan_jobs(*args, ctx);
        auto store = ctx.open_store();
        const ImportSummary summary = import_files(*store, jobs);
        for (const FileImportReport& f : summary.files)
            file_logger().info("data import: {} ({}) as {} {}: {} rows, {} .. {} UTC", f.file,
                               to_string(f.format), f.symbol, f.timeframe.name(), f.rows_written,
                               format_time(f.first), format_time(f.last));
        file_logger().info("data import: {} inserted, {} updated, {} replaced with different "
                           "values", summary.inserted, summary.updated, summary.changed);
        if (ctx.json)
            std::cout << to_json(summary).dump(2) << "\n";
        else
            print_summary(summary);
        return 0;
    });
}

} // namespace aurum
