// `aurum data list` and `aurum data show`: what the store holds, and the newest bars of a series
// printed like the seed's `psql -c "SELECT time, open, ... ORDER BY time DESC LIMIT 10"`.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "data/postgres_database.hpp"

namespace aurum {

namespace {

/// The store named by --db / the workspace, or nullptr when that SQLite file does not exist yet
/// (a query must not create an empty database as a side effect).
std::unique_ptr<MarketStore> open_existing_store(const CliContext& ctx) {
    const std::string spec = ctx.db_spec();
    if (!is_postgres_spec(spec) && spec.find("://") == std::string::npos &&
        !std::filesystem::exists(spec))
        return nullptr;
    return open_market_store(spec);
}

std::string describe_spec(const CliContext& ctx) {
    const std::string spec = ctx.db_spec();
    return is_postgres_spec(spec) ? redact_postgres_url(spec) : spec;
}

std::string with_thousands(std::int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

// A table in psql's aligned format: centred headers, " | " between columns, numbers on the right.
void print_psql_table(const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows,
                      const std::vector<bool>& right_align) {
    std::vector<std::size_t> width(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) {
        width[c] = header[c].size();
        for (const auto& r : rows)
            width[c] = std::max(width[c], r[c].size());
    }
    std::string line;
    for (std::size_t c = 0; c < header.size(); ++c) {
        const std::size_t pad = width[c] - header[c].size();
        line += (c ? "|" : "") + std::string(" ") + std::string(pad / 2, ' ') + header[c] +
                std::string(pad - pad / 2, ' ') + " ";
    }
    std::cout << line << "\n";
    line.clear();
    for (std::size_t c = 0; c < header.size(); ++c)
        line += (c ? "+" : "") + std::string(width[c] + 2, '-');
    std::cout << line << "\n";
    for (const auto& r : rows) {
        line.clear();
        for (std::size_t c = 0; c < header.size(); ++c) {
            const std::string cell = right_align[c] ? fmt::format("{:>{}}", r[c], width[c])
                                                    : fmt::format("{:<{}}", r[c], width[c]);
            line += (c ? "| " : " ") + cell + " ";
        }
        while (!line.empty() && line.back() == ' ')
            line.pop_back();
        std::cout << line << "\n";
    }
    std::cout << "(" << rows.size() << (rows.size() == 1 ? " row)" : " rows)") << "\n";
}

// ----- list ----------------------------------------------------------------------------------

int run_list(CliContext& ctx) {
    auto store = open_existing_store(ctx);
    const std::vector<SeriesInfo> list = store ? store->list_series() : std::vector<SeriesInfo>{};
    if (ctx.json) {
        nlohmann::json series = nlohmann::json::array();
        for (const SeriesInfo& s : list)
            series.push_back({{"symbol", s.symbol},
                              {"timeframe", s.timeframe.name()},
                              {"first", format_iso(s.first)},
                              {"last", format_iso(s.last)},
                              {"rows", s.rows}});
        std::cout << nlohmann::json{{"database", describe_spec(ctx)}, {"series", series}}.dump(2)
                  << "\n";
        return 0;
    }
    if (list.empty()) {
        std::cout << "No market data in " << describe_spec(ctx)
                  << " (import, backfill or synthesize some first: aurum data import --help)\n";
        return 0;
    }
    std::cout << "Market data in " << describe_spec(ctx) << "\n\n";
    std::vector<std::vector<std::string>> rows;
    std::int64_t total = 0;
    for (const SeriesInfo& s : list) {
        rows.push_back({s.symbol, s.timeframe.name(), format_time(s.first), format_time(s.last),
                        with_thousands(s.rows)});
        total += s.rows;
    }
    print_psql_table({"symbol", "timeframe", "first", "last", "rows"}, rows,
                     {false, false, false, false, true});
    std::cout << with_thousands(total) << " bars in " << list.size() << " series\n";
    return 0;
}

// ----- show ----------------------------------------------------------------------------------

struct ShowArgs {
    std::string symbol;
    std::string timeframe;
    int limit = 10;
    std::string from, to;
};

TimeMs parse_time_flag(const std::string& flag, const std::string& value) {
    const auto t = parse_time(value);
    if (!t)
        throw InputError(flag +
                         ": expected a UTC date or time like 2024-01-02 or "
                         "2024-01-02T03:00:00Z, got '" +
                         value + "'");
    return *t;
}

// a - b without overflow (times may be the INT64_MIN/MAX range ends).
TimeMs saturating_sub(TimeMs a, TimeMs b) {
    TimeMs r;
    if (__builtin_sub_overflow(a, b, &r))
        return std::numeric_limits<TimeMs>::min();
    return r;
}

std::string number(double v) {
    return fmt::format("{}", v);
}

int run_show(const ShowArgs& a, CliContext& ctx) {
    const Timeframe tf = Timeframe::parse_or_throw(a.timeframe);
    if (a.symbol.empty())
        throw InputError("--symbol: empty symbol");
    if (a.limit < 0)
        throw InputError("--limit: expected 0 (all) or more, got " + std::to_string(a.limit));
    TimeRange range;
    if (!a.from.empty())
        range.from = parse_time_flag("--from", a.from);
    if (!a.to.empty())
        range.to = parse_time_flag("--to", a.to);
    if (range.from >= range.to)
        throw InputError("--from " + a.from + " is not before --to " + a.to);

    auto store = open_existing_store(ctx);
    const auto last = store ? store->last_bar_time(a.symbol, tf) : std::nullopt;
    if (!last) {
        std::string known;
        if (store)
            for (const SeriesInfo& s : store->list_series())
                known += (known.empty() ? "" : ", ") + s.symbol + " " + s.timeframe.name();
        throw InputError("no " + a.symbol + " " + tf.name() + " bars in " + describe_spec(ctx) +
                         (known.empty() ? " (the store is empty)" : " (stored: " + known + ")"));
    }

    // Only the newest `limit` bars are wanted: load a window back from the end of the range and
    // widen it until it holds enough bars or reaches the start of the range.
    const TimeMs hi = std::min(range.to, *last + 1);
    BarSeries bars;
    if (a.limit == 0) {
        bars = store->load_bars(a.symbol, tf, {range.from, hi});
    } else {
        TimeMs window = tf.ms() * a.limit * 2;
        for (;;) {
            const TimeMs lo = std::max(range.from, saturating_sub(hi, window));
            bars = store->load_bars(a.symbol, tf, {lo, hi});
            if (static_cast<int>(bars.size()) >= a.limit || lo == range.from)
                break;
            window = window > std::numeric_limits<TimeMs>::max() / 8
                         ? std::numeric_limits<TimeMs>::max()
                         : window * 8;
        }
    }
    if (bars.empty())
        throw InputError("no " + a.symbol + " " + tf.name() + " bars between " +
                         (a.from.empty() ? "the start" : a.from) + " and " +
                         (a.to.empty() ? "the end" : a.to) + " (the last stored bar opens at " +
                         format_time(*last) + ")");
    const std::size_t n =
        a.limit == 0 ? bars.size() : std::min(bars.size(), static_cast<std::size_t>(a.limit));

    if (ctx.json) {
        nlohmann::json rows = nlohmann::json::array();
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t i = bars.size() - 1 - k;
            nlohmann::json r{{"time", format_iso(bars.time[i])},
                             {"open", bars.open[i]},
                             {"high", bars.high[i]},
                             {"low", bars.low[i]},
                             {"close", bars.close[i]},
                             {"volume", bars.volume[i]}};
            if (bars.has_spread())
                r["spread"] = bars.spread[i];
            rows.push_back(std::move(r));
        }
        std::cout << nlohmann::json{{"symbol", a.symbol}, {"timeframe", tf.name()}, {"bars", rows}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    std::vector<std::string> header{"time", "open", "high", "low", "close", "volume"};
    if (bars.has_spread())
        header.push_back("spread");
    std::vector<std::vector<std::string>> rows;
    for (std::size_t k = 0; k < n; ++k) {
        const std::size_t i = bars.size() - 1 - k; // newest first, as ORDER BY time DESC
        std::vector<std::string> r{format_time(bars.time[i]), number(bars.open[i]),
                                   number(bars.high[i]),      number(bars.low[i]),
                                   number(bars.close[i]),     number(bars.volume[i])};
        if (bars.has_spread())
            r.push_back(number(bars.spread[i]));
        rows.push_back(std::move(r));
    }
    std::vector<bool> right(header.size(), true);
    right[0] = false;
    print_psql_table(header, rows, right);
    return 0;
}

} // namespace

void register_data_store_commands(CLI::App& data, CliContext& ctx) {
    CLI::App* list = data.add_subcommand(
        "list", "List stored series: symbol, timeframe, first and last bar time (UTC), row count");
    on_run(list, ctx, [&ctx] { return run_list(ctx); });

    auto args = std::make_shared<ShowArgs>();
    CLI::App* show = data.add_subcommand(
        "show", "Print the newest bars of one series (newest first), like a psql query");
    show->add_option("--symbol,-s", args->symbol, "Symbol, e.g. BTC/USDT or XAUUSD")->required();
    show->add_option("--timeframe,-t", args->timeframe, "Timeframe, e.g. 1h, 4h, 1d (or H1, D1)")
        ->required();
    show->add_option("--limit,-n", args->limit, "How many bars (0: all in range)");
    show->add_option("--from", args->from, "Only bars opening at or after this UTC time");
    show->add_option("--to", args->to, "Only bars opening before this UTC time");
    on_run(show, ctx, [args, &ctx] { return run_show(*args, ctx); });
}

} // namespace aurum
