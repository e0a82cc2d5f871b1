// Fuzzes the signals CSV parser (SignalSeries::parse_csv): any input must either parse or throw
// InputError; crashes, sanitizer reports and other exceptions are bugs. Fuzz targets link only
// aurum_data, so the parser's source (which needs no more than core and data) is compiled in.
#include <cstdint>
#include <string_view>

#include "backtest/signals.cpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto s = aurum::SignalSeries::parse_csv(text, "fuzz.csv");
        for (const auto& sym : s.symbols())
            (void)s.value_at(s.index_of(sym), 0);
    } catch (const aurum::InputError&) {
    }
    return 0;
}
