#include "data/binance_backfill.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/instrument.hpp"

namespace aurum {

BackfillReport backfill_klines(BinanceMarketDataClient& client, MarketStore& store,
                               const BackfillRequest& request, const BackfillProgress& progress) {
    BackfillReport rep;
    rep.symbol = normalize_symbol(request.symbol);
    rep.exchange_symbol = to_binance_symbol(request.symbol);
    rep.timeframe = request.timeframe;
    binance_interval(request.timeframe); // rejects timeframes Binance does not offer, before any I/O
    rep.base_url = client.base_url();
    const TimeMs now = client.clock().now();
    rep.from = request.from;
    rep.to = request.to ? std::min(*request.to, now) : now;
    if (rep.from >= rep.to)
        throw InputError(fmt::format("backfill range is empty: from {} is not before to {}",
                                     format_time(rep.from), format_time(rep.to)));

    // Resume only when the stored series already covers the start of the window; otherwise the
    // older part would stay missing, so download the whole window (upserts make that idempotent).
    TimeMs cursor = rep.from;
    if (const auto last = store.last_bar_time(rep.symbol, rep.timeframe); last && *last >= rep.from) {
        std::optional<TimeMs> first;
        for (const auto& s : store.list_series())
            if (s.symbol == rep.symbol && s.timeframe == rep.timeframe) first = s.first;
        if (first && *first <= rep.from) {
            rep.resumed_after = *last;
            cursor = *last + rep.timeframe.ms();
        }
    }
    rep.fetch_from = cursor;
    const int limit = client.options().page_limit;
    spdlog::info("backfill {} {} from {}: [{}, {}){}", rep.symbol, rep.timeframe.name(), rep.base_url,
                 format_time(rep.from), format_time(rep.to),
                 rep.resumed_after ? " resuming after " + format_time(*rep.resumed_after) : "");

    while (cursor < rep.to) {
        KlinePage page = client.fetch_klines(rep.symbol, rep.timeframe, cursor, rep.to, limit);
        ++rep.pages;
        rep.bars_received += static_cast<std::int64_t>(page.received);
        rep.dropped_open += static_cast<std::int64_t>(page.dropped_open);
        if (!page.bars.empty()) {
            // One transaction per page: the page is complete and validated at this point.
            auto writer = store.open_writer();
            writer->write(page.bars);
            const UpsertStats st = writer->commit();
            rep.inserted += st.inserted;
            rep.updated += st.updated;
            rep.bars_stored += st.inserted + st.updated;
            if (!rep.first_bar) rep.first_bar = page.bars.time.front();
            rep.last_bar = page.bars.time.back();
        }
        rep.requests = client.stats();
        spdlog::debug("backfill {} {}: page {} with {} bars, {} stored so far", rep.symbol,
                      rep.timeframe.name(), rep.pages, page.received, rep.bars_stored);
        if (progress) progress(rep);
        // Fewer than a full page: Binance has nothing more before `to` (klines are returned oldest
        // first from startTime, so a short page is the end of the range).
        if (page.received < static_cast<std::size_t>(limit) || !page.last_open) break;
        const TimeMs next = *page.last_open + rep.timeframe.ms();
        if (next <= cursor)
            throw SystemError(fmt::format("binance: pagination made no progress at {} for {} {}",
                                          format_time(cursor), rep.symbol, rep.timeframe.name()));
        cursor = next;
    }
    rep.requests = client.stats();
    spdlog::info("backfill {} {}: {} pages, {} bars stored ({} new), {} retries, {} rate-limit waits, "
                 "{} weight waits",
                 rep.symbol, rep.timeframe.name(), rep.pages, rep.bars_stored, rep.inserted,
                 rep.requests.retries, rep.requests.rate_limit_waits, rep.requests.weight_waits);
    return rep;
}

} // namespace aurum
