#include "data/binance_backfill.hpp"

#include <vector>

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
    binance_interval(
        request.timeframe); // rejects timeframes Binance does not offer, before any I/O
    rep.base_url = client.base_url();
    const TimeMs now = client.clock().now();
    rep.from = request.from;
    rep.to = request.to ? std::min(*request.to, now) : now;
    if (rep.from >= rep.to)
        throw InputError(fmt::format("backfill range is empty: from {} is not before to {}",
                                     format_time(rep.from), format_time(rep.to)));

    // Resume: when stored bars reach into the window, continue after the newest one. If the stored
    // series starts more than one interval after the window start (more history was asked for than
    // before, or the pair was listed later), fetch that head too: for a pair listed later it is a
    // single empty page. Internal gaps of the stored series are not refetched.
    struct Segment {
        TimeMs from, to;
    };
    std::vector<Segment> segments;
    const TimeMs step = rep.timeframe.ms();
    if (const auto last = store.last_bar_time(rep.symbol, rep.timeframe);
        last && *last >= rep.from) {
        std::optional<TimeMs> first;
        for (const auto& s : store.list_series())
            if (s.symbol == rep.symbol && s.timeframe == rep.timeframe)
                first = s.first;
        if (first && *first >= rep.from + step)
            segments.push_back({rep.from, *first});
        rep.resumed_after = *last;
        segments.push_back({*last + step, rep.to});
    } else {
        segments.push_back({rep.from, rep.to});
    }
    rep.fetch_from = segments.front().from;
    const int limit = client.options().page_limit;
    spdlog::info("backfill {} {} from {}: [{}, {}){}", rep.symbol, rep.timeframe.name(),
                 rep.base_url, format_time(rep.from), format_time(rep.to),
                 rep.resumed_after ? " resuming after " + format_time(*rep.resumed_after) : "");

    for (const Segment& seg : segments) {
        TimeMs cursor = seg.from;
        while (cursor < seg.to) {
            KlinePage page = client.fetch_klines(rep.symbol, rep.timeframe, cursor, seg.to, limit);
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
                if (!rep.first_bar || page.bars.time.front() < *rep.first_bar)
                    rep.first_bar = page.bars.time.front();
                if (!rep.last_bar || page.bars.time.back() > *rep.last_bar)
                    rep.last_bar = page.bars.time.back();
            }
            rep.requests = client.stats();
            spdlog::debug("backfill {} {}: page {} with {} bars, {} stored so far", rep.symbol,
                          rep.timeframe.name(), rep.pages, page.received, rep.bars_stored);
            if (progress)
                progress(rep);
            // Fewer than a full page: Binance has nothing more before seg.to (klines come oldest
            // first from startTime, so a short page is the end of the segment).
            if (page.received < static_cast<std::size_t>(limit) || !page.last_open)
                break;
            const TimeMs next = *page.last_open + step;
            if (next <= cursor)
                throw SystemError(
                    fmt::format("binance: pagination made no progress at {} for {} {}",
                                format_time(cursor), rep.symbol, rep.timeframe.name()));
            cursor = next;
        }
    }
    rep.requests = client.stats();
    spdlog::info(
        "backfill {} {}: {} pages, {} bars stored ({} new), {} retries, {} rate-limit waits, "
        "{} weight waits",
        rep.symbol, rep.timeframe.name(), rep.pages, rep.bars_stored, rep.inserted,
        rep.requests.retries, rep.requests.rate_limit_waits, rep.requests.weight_waits);
    return rep;
}

} // namespace aurum
