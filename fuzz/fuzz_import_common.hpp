#pragma once
// Shared body of the importer fuzz targets: the first two bytes pick the options, the rest is the
// file. A parser may only ever throw InputError; anything else (a crash, a sanitizer report, a
// different exception escaping) is a bug libFuzzer reports.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "data/import.hpp"

namespace aurum::fuzz {

inline int run_import(const std::uint8_t* data, std::size_t size, ImportFormat format) {
    if (size < 2)
        return 0;
    static const char* kTimeframes[] = {"1m", "5m", "1h", "4h", "1d", "1w", "8h", "30m"};
    ImportOptions o;
    o.format = format;
    o.symbol = "FUZZ/USDT";
    o.timeframe = Timeframe::parse_or_throw(kTimeframes[data[0] & 7]);
    o.skip_invalid = (data[0] & 8) != 0;
    o.tz_offset = (data[0] & 16) ? 2 * kMsPerHour : 0;
    o.chunk_rows = 1 + (data[0] >> 5);
    // Small blocks exercise records (and UTF-16 code units) split across reads.
    o.block_bytes = 64 + data[1] * 4;
    const std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);
    std::size_t rows = 0;
    try {
        auto rep = parse_buffer(bytes, "fuzz", o, [&](const BarSeries& c) {
            // Invariants of everything a parser hands on.
            for (std::size_t i = 0; i < c.size(); ++i) {
                if (!(c.low[i] > 0) || c.high[i] < c.low[i] || c.volume[i] < 0)
                    __builtin_trap();
                if (i && c.time[i] <= c.time[i - 1])
                    __builtin_trap();
            }
            rows += c.size();
        });
        if (rep.rows_written != static_cast<std::int64_t>(rows))
            __builtin_trap();
        if (rep.rows_read != rep.rows_written + rep.rows_skipped)
            __builtin_trap();
    } catch (const InputError&) {
    }
    return 0;
}

} // namespace aurum::fuzz
