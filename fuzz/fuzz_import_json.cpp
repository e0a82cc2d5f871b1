// libFuzzer target: freqtrade JSON scanner.
#include "fuzz_import_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return aurum::fuzz::run_import(data, size, aurum::ImportFormat::FreqtradeJson);
}
