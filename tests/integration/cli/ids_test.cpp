// Stored ids that must never change (client order ids) and run ids built from separated fields.
#include <gtest/gtest.h>

#include "backtest/report.hpp"
#include "live/journal_execution.hpp"

namespace aurum {
namespace {

RunInfo info() {
    RunInfo i;
    i.strategy = "sma-cross";
    i.symbols = {"BTC/USDT"};
    i.timeframe = Timeframe(4 * kMsPerHour);
    return i;
}

TEST(RunId, fields_that_concatenated_alike_give_different_ids) {
    RunInfo a = info(), b = info();
    // spread fixed "1" + fixed_bps "23" read "123" like "12" + "3" before the fields had separators.
    a.config.fill.spread.fixed = 1;
    a.config.fill.spread.fixed_bps = 23;
    b.config.fill.spread.fixed = 12;
    b.config.fill.spread.fixed_bps = 3;
    EXPECT_NE(make_run_id(a, 0, 1), make_run_id(b, 0, 1));
    RunInfo c = info(), d = info();
    c.config.fill.slippage.fixed_bps = 1;
    c.config.fill.slippage.vol_k = 11;
    d.config.fill.slippage.fixed_bps = 11;
    d.config.fill.slippage.vol_k = 1;
    EXPECT_NE(make_run_id(c, 0, 1), make_run_id(d, 0, 1));
}

TEST(RunId, is_deterministic_and_names_strategy_symbols_and_timeframe) {
    const std::string id = make_run_id(info(), 0, 1);
    EXPECT_EQ(id, make_run_id(info(), 0, 1));
    EXPECT_EQ(id.rfind("sma-cross_BTCUSDT_4h_", 0), 0u) << id;
    EXPECT_EQ(id.size(), std::string("sma-cross_BTCUSDT_4h_").size() + 8);
}

TEST(ClientOrderId, values_are_frozen) {
    EXPECT_EQ(make_client_order_id("paper-0123456789ab", "BTC/USDT", 1704067200000, 0),
              "AE11d2f0cdc5dd4957");
    EXPECT_EQ(make_client_order_id("live-abcdef012345", "XAUUSD", 1, 12), "AEbf69727349f754dc");
}

} // namespace
} // namespace aurum
