#pragma once
// Exchange backfill: download a range of Binance klines into the MarketStore page by page,
// resuming after the bars already stored.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "data/binance_market_data.hpp"
#include "data/market_store.hpp"

namespace aurum {

/// What to download: bars of `symbol`/`timeframe` with open time in [from, to).
struct BackfillRequest {
    std::string symbol; ///< "BTC/USDT" (any spelling normalize_symbol accepts)
    Timeframe timeframe;
    TimeMs from = 0;
    std::optional<TimeMs> to; ///< default: the client's clock now (open candle excluded)
};

/// What a backfill did (the CLI prints it; --json emits it).
struct BackfillReport {
    std::string symbol;          ///< as stored, "BTC/USDT"
    std::string exchange_symbol; ///< as sent, "BTCUSDT"
    Timeframe timeframe;
    std::string base_url;
    TimeMs from = 0, to = 0;             ///< the requested window
    std::optional<TimeMs> resumed_after; ///< newest stored bar the download continued after
    TimeMs fetch_from = 0;               ///< where downloading started (first segment)
    std::int64_t pages = 0;              ///< kline responses processed
    std::int64_t bars_received = 0;      ///< klines received, including dropped open candles
    std::int64_t bars_stored = 0;        ///< inserted + updated
    std::int64_t inserted = 0, updated = 0;
    std::int64_t dropped_open = 0;             ///< still-open candles not stored
    std::optional<TimeMs> first_bar, last_bar; ///< range of the bars stored by this run
    BinanceRequestStats requests;              ///< requests, retries, waits, last used weight
};

/// Called after each committed page (progress output).
using BackfillProgress = std::function<void(const BackfillReport&)>;

/// Downloads [from, to) with GET /api/v3/klines (options().page_limit bars per request).
/// Resume: when stored bars of this series reach into the window, downloading continues after the
/// newest one (MarketStore::last_bar_time), so a rerun fetches only new bars; if the stored series
/// starts later than the window, the part before it is fetched too (one empty page for a pair
/// listed later). Gaps inside the stored series are not refetched.
/// Each page is validated completely, then committed in its own transaction: a failure midway
/// keeps the pages already committed (a rerun resumes after them) and never writes part of a page.
BackfillReport backfill_klines(BinanceMarketDataClient& client, MarketStore& store,
                               const BackfillRequest& request,
                               const BackfillProgress& progress = {});

} // namespace aurum
