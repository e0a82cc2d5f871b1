// libFuzzer target: generic OHLCV CSV and Binance klines parsers.
#include "fuzz_import_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1)
        return 0;
    const auto format =
        (data[0] & 128) ? aurum::ImportFormat::BinanceCsv : aurum::ImportFormat::Csv;
    return aurum::fuzz::run_import(data, size, format);
}
