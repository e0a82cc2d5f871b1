// `aurum data backfill`: download exchange candles into the store (Binance spot klines).
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/instrument.hpp"
#include "data/binance_backfill.hpp"

namespace aurum {

namespace {

struct BackfillArgs {
    std::string exchange = "binance";
    std::string symbol;
    std::string timeframe;
    int days = 30;
    std::string from; ///< overrides --days when given
    std::string base_url;
    long long timeout_ms = 10000;
    int max_retries = 5;
};

/// --base-url, else binance.base_url in <home>/config/exchanges.yaml, else the public endpoint.
std::string resolve_base_url(const BackfillArgs& a, const CliContext& ctx) {
    if (!a.base_url.empty())
        return a.base_url;
    const auto file = ctx.workspace().config_file("exchanges.yaml");
    if (std::filesystem::exists(file)) {
        const ConfigNode root = ConfigNode::load_file(file.string());
        const ConfigNode binance = root.child("binance");
        if (binance.defined() && binance.has("base_url"))
            return binance.get_string("base_url");
    }
    return kBinanceSpotBaseUrl;
}

std::string opt_time(const std::optional<TimeMs>& t) {
    return t ? format_time(*t) : "-";
}

nlohmann::json to_json(const BackfillReport& r) {
    nlohmann::json j;
    j["exchange"] = "binance";
    j["symbol"] = r.symbol;
    j["exchange_symbol"] = r.exchange_symbol;
    j["timeframe"] = r.timeframe.name();
    j["base_url"] = r.base_url;
    j["from"] = r.from;
    j["to"] = r.to;
    j["fetch_from"] = r.fetch_from;
    j["resumed_after"] =
        r.resumed_after ? nlohmann::json(*r.resumed_after) : nlohmann::json(nullptr);
    j["pages"] = r.pages;
    j["bars_received"] = r.bars_received;
    j["bars_stored"] = r.bars_stored;
    j["inserted"] = r.inserted;
    j["updated"] = r.updated;
    j["dropped_open"] = r.dropped_open;
    j["first_bar"] = r.first_bar ? nlohmann::json(*r.first_bar) : nlohmann::json(nullptr);
    j["last_bar"] = r.last_bar ? nlohmann::json(*r.last_bar) : nlohmann::json(nullptr);
    j["requests"] = r.requests.requests;
    j["retries"] = r.requests.retries;
    j["rate_limit_waits"] = r.requests.rate_limit_waits;
    j["weight_waits"] = r.requests.weight_waits;
    j["waited_ms"] = r.requests.waited_ms;
    j["used_weight"] =
        r.requests.used_weight ? nlohmann::json(*r.requests.used_weight) : nlohmann::json(nullptr);
    return j;
}

void print_report(const BackfillReport& r, int weight_limit) {
    std::cout << fmt::format("Backfilled {} {} from binance ({} at {})\n", r.symbol,
                             r.timeframe.name(), r.exchange_symbol, r.base_url);
    std::cout << fmt::format("  window        {} .. {} UTC\n", format_time(r.from),
                             format_time(r.to));
    if (r.resumed_after)
        std::cout << fmt::format("  resumed after {} (already stored)\n",
                                 format_time(*r.resumed_after));
    std::cout << fmt::format("  pages fetched {} ({} requests)\n", r.pages, r.requests.requests);
    std::cout << fmt::format("  bars stored   {} ({} new, {} updated); open candle dropped: {}\n",
                             r.bars_stored, r.inserted, r.updated, r.dropped_open);
    std::cout << fmt::format("  range stored  {} .. {}\n", opt_time(r.first_bar),
                             opt_time(r.last_bar));
    std::cout << fmt::format(
        "  waits         {} rate-limit (429/418), {} weight throttle, {} retries; "
        "{} ms waited\n",
        r.requests.rate_limit_waits, r.requests.weight_waits, r.requests.retries,
        r.requests.waited_ms);
    if (r.requests.used_weight)
        std::cout << fmt::format("  used weight   {} of {} per minute (last response)\n",
                                 *r.requests.used_weight, weight_limit);
    if (r.bars_stored == 0 && r.resumed_after)
        std::cout << "  already up to date\n";
}

} // namespace

void register_data_backfill_command(CLI::App& data, CliContext& ctx) {
    auto args = std::make_shared<BackfillArgs>();
    CLI::App* sub = data.add_subcommand(
        "backfill",
        "Download exchange candles (Binance spot klines) into the store, resuming after "
        "the newest stored bar");
    sub->add_option("--exchange", args->exchange, "Exchange to download from")
        ->check(CLI::IsMember({"binance"}));
    sub->add_option("--symbol", args->symbol, "Pair, e.g. BTC/USDT (BTCUSDT and btc-usdt work too)")
        ->required();
    sub->add_option("--timeframe", args->timeframe,
                    "Kline interval: 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w")
        ->required();
    sub->add_option("--days", args->days, "How many days back from now to cover")
        ->check(CLI::Range(1, 36500));
    sub->add_option("--from", args->from,
                    "Start date/time (UTC, e.g. 2024-01-01); overrides --days");
    sub->add_option("--base-url", args->base_url,
                    "REST base URL (default: binance.base_url in config/exchanges.yaml, else " +
                        std::string(kBinanceSpotBaseUrl) + ")");
    sub->add_option("--timeout-ms", args->timeout_ms, "Connect and read timeout per request")
        ->check(CLI::Range(1LL, 600000LL));
    sub->add_option("--max-retries", args->max_retries, "Retries of a 5xx or timed-out request")
        ->check(CLI::Range(0, 20));
    // Also accepted after the subcommand (`aurum data backfill ... --json`), same as the global
    // flag.
    sub->add_flag("--json", ctx.json, "Print the report as JSON");

    on_run(sub, ctx, [&ctx, args] {
        const BackfillArgs& a = *args;
        // Validate every input before touching the network or the store.
        BackfillRequest req;
        req.symbol = normalize_symbol(a.symbol);
        to_binance_symbol(a.symbol);
        req.timeframe = Timeframe::parse_or_throw(a.timeframe);
        binance_interval(req.timeframe);
        BinanceOptions opts;
        opts.base_url = resolve_base_url(a, ctx);
        BaseUrl::parse(opts.base_url);
        opts.connect_timeout_ms = a.timeout_ms;
        opts.read_timeout_ms = a.timeout_ms;
        opts.retry.max_retries = a.max_retries;
        SystemClock clock;
        const TimeMs now = clock.now();
        if (!a.from.empty()) {
            const auto t = parse_time(a.from);
            if (!t)
                throw InputError(fmt::format(
                    "--from: cannot parse '{}' as a date/time (e.g. 2024-01-01)", a.from));
            if (*t >= now)
                throw InputError(fmt::format("--from: {} is not in the past", a.from));
            req.from = *t;
        } else {
            req.from = now - static_cast<TimeMs>(a.days) * kMsPerDay;
        }
        req.to = now;

        BinanceMarketDataClient client(opts, clock, thread_sleeper());
        auto store = ctx.open_store();
        const BackfillReport rep =
            backfill_klines(client, *store, req, [](const BackfillReport& r) {
                spdlog::info("page {}: {} bars stored, up to {}", r.pages, r.bars_stored,
                             opt_time(r.last_bar));
            });
        if (ctx.json)
            std::cout << to_json(rep).dump(2) << "\n";
        else
            print_report(rep, opts.weight_limit);
        return 0;
    });
}

} // namespace aurum
