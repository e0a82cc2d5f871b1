// libFuzzer target: MT5 Export Bars parser (UTF-8/UTF-16, LF/CRLF) and format auto-detection.
#include "fuzz_import_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1)
        return 0;
    const auto format = (data[0] & 128) ? aurum::ImportFormat::Auto : aurum::ImportFormat::Mt5;
    return aurum::fuzz::run_import(data, size, format);
}
