#pragma once
// Real candles from ../shared/data for tests, read by the project's own importer (the parser
// behind `aurum data import`), so no test keeps a private CSV reader that could drift from it.
// Lives in aurum_test_support_data (links aurum_data): for tests of the data layer and above.
#include <string>

#include "core/bar_series.hpp"
#include "core/time.hpp"

namespace aurum::test {

/// Every bar of `relative` (a path under ../shared/data, e.g. "crypto/binance/BTCUSDT_4h.csv"),
/// with the format detected from the content and the symbol ("BTC/USDT") and timeframe from the
/// file name, as `aurum data import` does. `tz_offset`: the file's times are UTC + tz_offset
/// (MT5 exports are in broker time). An empty series when the shared data is absent: guard the
/// test with AURUM_REQUIRE_SHARED_DATA. Throws InputError on a malformed file.
BarSeries load_shared_bars(const std::string& relative, TimeMs tz_offset = 0);

} // namespace aurum::test
