// `aurum data import FILE...`: load candle files (freqtrade JSON, CSV, Binance klines, MT5
// exports) into the store in one transaction.
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/instrument.hpp"
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
};

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
        if (symbol.empty() || timeframe.empty()) {
            const NameHint hint = infer_from_filename(path);
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
    on_run(sub, ctx, [args, &ctx] {
        const std::vector<ImportJob> jobs = plan_jobs(*args, ctx);
        auto store = ctx.open_store();
        const ImportSummary summary = import_files(*store, jobs);
        if (ctx.json)
            std::cout << to_json(summary).dump(2) << "\n";
        else
            print_summary(summary);
        return 0;
    });
}

} // namespace aurum
