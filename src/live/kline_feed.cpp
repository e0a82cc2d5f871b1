#include "live/kline_feed.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "data/binance_backfill.hpp"
#include "data/binance_market_data.hpp"

namespace aurum {

namespace {
/// How long after its close a candle may take to arrive on the stream before REST is asked.
constexpr TimeMs kStreamGraceMs = 3000;
} // namespace

KlineFeed::KlineFeed(const LiveVenueOptions& venue, MarketStore& store,
                     std::vector<std::string> symbols, Timeframe timeframe, int history_bars)
    : store_(store), symbols_(std::move(symbols)), tf_(timeframe), history_bars_(history_bars),
      last_(symbols_.size()), one_(symbols_.size()) {
    for (std::size_t i = 0; i < symbols_.size(); ++i) {
        one_[i].symbol = symbols_[i];
        one_[i].timeframe = tf_;
    }
    BinanceOptions o;
    o.base_url = venue.base_url;
    o.read_timeout_ms = venue.read_timeout_ms;
    md_ = std::make_shared<BinanceMarketDataClient>(venue_transport(venue), o);
    if (!venue.stream_url.empty()) {
        stream_ = std::make_unique<BinanceMarketStream>(venue.stream_url, symbols_, tf_,
                                                        venue.stream_tuning, venue.wake);
        stream_->start();
    }
    backfill_all();
}

KlineFeed::~KlineFeed() = default;

void KlineFeed::backfill(const std::string& symbol) {
    save(); // the store first holds what the stream brought, so REST resumes after it
    rest_in_pump_ = true;
    const TimeMs now = md_->clock().now();
    BackfillRequest r;
    r.symbol = symbol;
    r.timeframe = tf_;
    // Resumes after the newest stored bar; the window only matters for an empty store.
    r.from = floor_to(now, tf_.ms()) - (history_bars_ + 1) * tf_.ms();
    const BackfillReport rep = backfill_klines(*md_, store_, r);
    if (rep.inserted > 0)
        spdlog::debug("data feed: {} new {} {} bars from {}", rep.inserted, symbol, tf_.name(),
                      md_->base_url());
    const std::size_t i = index_of(symbol);
    if (i < last_.size()) last_[i] = store_.last_bar_time(symbol, tf_);
}

void KlineFeed::backfill_all() {
    ++stats_.backfills;
    for (const auto& s : symbols_) backfill(s);
}

std::size_t KlineFeed::index_of(const std::string& symbol) const {
    return static_cast<std::size_t>(std::find(symbols_.begin(), symbols_.end(), symbol) -
                                    symbols_.begin());
}

void KlineFeed::take(const std::vector<StreamedBar>& bars) {
    // A candle after a missing one (a dropped message): REST first, so the store has no hole.
    for (const StreamedBar& b : bars) {
        const std::size_t i = index_of(b.symbol);
        if (i >= last_.size() || !last_[i] || b.bar.time <= *last_[i] + tf_.ms()) continue;
        ++stats_.gaps;
        ++stats_.backfills;
        spdlog::warn("data feed: {} {} candle at {} came after a missing one; backfilling",
                     b.symbol, tf_.name(), format_time(b.bar.time));
        backfill(b.symbol);
    }
    for (const StreamedBar& b : bars) {
        const std::size_t i = index_of(b.symbol);
        if (i >= last_.size()) continue;                       // not a symbol of this session
        if (last_[i] && b.bar.time <= *last_[i]) continue;    // REST already brought it
        last_[i] = b.bar.time;
        ++stats_.streamed;
        taken_.push_back(b);
        unsaved_.push_back(b);
    }
}

void KlineFeed::save() {
    if (unsaved_.empty()) return;
    // One transaction: one commit for the klines of all symbols closing together.
    auto w = store_.open_writer();
    for (const StreamedBar& b : unsaved_) {
        BarSeries& one = one_[index_of(b.symbol)];
        one.clear();
        one.push_back(b.bar);
        w->write(one);
    }
    w->commit();
    unsaved_.clear();
}

void KlineFeed::pump() {
    taken_.clear();
    rest_in_pump_ = false;
    if (!stream_) {
        backfill_all();
        return;
    }
    if (stream_->take_resync()) backfill_all();
    take(stream_->take_bars());
    // A candle that closed but has not come (the stream is silent, or its last message was
    // lost): REST, at most once per grace period.
    const TimeMs now = md_->clock().now();
    if (now - last_late_check_ >= kStreamGraceMs) {
        last_late_check_ = now;
        for (std::size_t i = 0; i < symbols_.size(); ++i) {
            if (!last_[i] || now < *last_[i] + 2 * tf_.ms() + kStreamGraceMs) continue;
            ++stats_.late;
            ++stats_.backfills;
            backfill(symbols_[i]);
        }
    }
    // The session reads the store back when REST was asked: the streamed candles go in now.
    if (rest_in_pump_) save();
}

} // namespace aurum
