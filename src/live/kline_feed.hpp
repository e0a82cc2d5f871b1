#pragma once
// Where a real-time session's candles come from. With a market stream (venue.stream_url) a closed
// candle reaches the store the moment its kline closes on the WebSocket and the daemon is woken to
// act on it; REST (the `aurum data backfill` code, through the session's one transport) fills the
// store at start-up, after every stream (re)connect, and for any candle the stream skipped or did
// not deliver on time. Without a stream, REST alone at every look.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/timeframe.hpp"
#include "data/binance_streams.hpp"
#include "data/market_store.hpp"
#include "live/venue.hpp"

namespace aurum {

class BinanceMarketDataClient;

/// What the feed did (status, tests).
struct KlineFeedStats {
    std::int64_t streamed = 0;  ///< candles written from the stream
    std::int64_t backfills = 0; ///< REST backfill rounds (start, resyncs, gaps, late candles)
    std::int64_t gaps = 0;      ///< streamed candles that came after a missing one
    std::int64_t late = 0;      ///< candles not streamed within the grace after their close
};

class KlineFeed {
  public:
    /// Starts the stream (when venue.stream_url is set) and backfills the symbols' history.
    /// Throws when the exchange cannot be reached over REST.
    KlineFeed(const LiveVenueOptions& venue, MarketStore& store, std::vector<std::string> symbols,
              Timeframe timeframe, int history_bars);
    ~KlineFeed();

    /// New closed candles: REST backfills go to the store at once, streamed candles are taken and
    /// stored by save(). Engine thread; throws on a REST failure.
    void pump();
    /// Streamed candles taken by pump() but not stored yet into the store, in one transaction
    /// (the session calls it after its step's orders are out: a candle is acted on first).
    void save();
    /// After pump(): the candles it took from the stream, in arrival order, when it took nothing
    /// else (no REST backfill), so the session can use them without reading them back; else null.
    const std::vector<StreamedBar>* streamed_only() const {
        return rest_in_pump_ ? nullptr : &taken_;
    }
    /// Stops the stream's thread (idempotent).
    void stop() {
        if (stream_) stream_->stop();
    }
    /// A streamed candle or a resync waits for pump().
    bool ready() const { return stream_ && stream_->pending(); }
    bool streaming() const { return stream_ != nullptr; }
    const BinanceMarketStream* stream() const { return stream_.get(); }
    const KlineFeedStats& stats() const { return stats_; }

  private:
    void backfill(const std::string& symbol);
    void backfill_all();
    void take(const std::vector<StreamedBar>& bars);
    std::size_t index_of(const std::string& symbol) const;

    MarketStore& store_;
    std::vector<std::string> symbols_;
    Timeframe tf_;
    int history_bars_;
    std::shared_ptr<BinanceMarketDataClient> md_;
    std::unique_ptr<BinanceMarketStream> stream_;
    std::vector<std::optional<TimeMs>> last_; ///< newest stored open time per symbol
    std::vector<BarSeries> one_;              ///< per symbol: the one-bar chunk written
    TimeMs last_late_check_ = 0;
    std::vector<StreamedBar> taken_; ///< by the last pump()
    std::vector<StreamedBar> unsaved_; ///< taken from the stream, not stored yet
    bool rest_in_pump_ = true;         ///< the last pump() asked REST
    KlineFeedStats stats_;
};

} // namespace aurum
