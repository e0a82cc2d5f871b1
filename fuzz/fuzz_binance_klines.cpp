// libFuzzer target: the Binance klines response parser (network input). Any input must either
// parse into consistent bars or throw SystemError; nothing else may escape.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/error.hpp"
#include "data/binance_market_data.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace aurum;
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const Timeframe tf(kMsPerHour);
    try {
        const KlinePage p = parse_klines(body, "BTC/USDT", tf, 1700000000000, TimeRange{}, "fuzz");
        for (std::size_t i = 0; i < p.bars.size(); ++i) {
            if (!(p.bars.low[i] <= p.bars.open[i] && p.bars.open[i] <= p.bars.high[i] &&
                  p.bars.low[i] <= p.bars.close[i] && p.bars.close[i] <= p.bars.high[i] &&
                  p.bars.volume[i] >= 0))
                std::abort();
            if (i > 0 && p.bars.time[i] <= p.bars.time[i - 1])
                std::abort();
        }
        if (p.bars.size() + p.dropped_open != p.received)
            std::abort();
    } catch (const SystemError&) {
    }
    return 0;
}
