// `aurum data synth|validate|resample`: the synthetic market, data-quality checks and resampling.
#include <fstream>
#include <iostream>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "data/resample.hpp"
#include "data/synthetic_market.hpp"
#include "data/validation.hpp"

namespace aurum {

namespace {

std::vector<std::string> split_list(const std::vector<std::string>& items) {
    std::vector<std::string> out;
    for (const std::string& item : items) {
        std::size_t pos = 0;
        while (pos <= item.size()) {
            const std::size_t comma = item.find(',', pos);
            const std::string part =
                item.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
            if (!part.empty())
                out.push_back(part);
            if (comma == std::string::npos)
                break;
            pos = comma + 1;
        }
    }
    return out;
}

// ----- synth ---------------------------------------------------------------------------------

struct SynthArgs {
    std::vector<std::string> symbols;
    std::string timeframe = "1h";
    int days = 365;
    std::uint64_t seed = 42;
    std::string start = "2024-01-01";
    bool noise = false;
    std::string regimes_out;
    bool force = false;
};

int run_synth(const SynthArgs& a, CliContext& ctx) {
    if (!a.regimes_out.empty()) ctx.check_output_path("--regimes-out", a.regimes_out, a.force);
    const Timeframe tf = Timeframe::parse_or_throw(a.timeframe);
    const auto start = parse_time(a.start);
    if (!start)
        throw InputError("--start: expected a date like 2024-01-01, got '" + a.start + "'");
    const SynthConfig cfg = SynthConfig::defaults(ctx.instruments(), split_list(a.symbols), tf,
                                                  *start, a.days, a.seed, a.noise);
    const SynthMarket market = generate_synthetic_market(cfg);

    auto store = ctx.open_store();
    // Bars of an earlier, longer run would stay beside the new ones and form a seam: say so.
    std::vector<std::string> seams;
    for (const SeriesInfo& info : store->list_series())
        for (const BarSeries& s : market.series)
            if (info.symbol == s.symbol && info.timeframe == s.timeframe &&
                (info.first < cfg.start || info.last >= cfg.end))
                seams.push_back(fmt::format("{} {} ({} .. {})", info.symbol, info.timeframe.name(),
                                            format_time(info.first), format_time(info.last)));
    auto writer = store->open_writer();
    UpsertStats total;
    for (const BarSeries& s : market.series)
        writer->write(s);
    total = writer->commit();

    std::array<std::int64_t, kSynthRegimeCount> share{};
    for (SynthRegime r : market.regimes)
        ++share[static_cast<int>(r)];
    if (!a.regimes_out.empty()) {
        std::string csv = "time,regime\n";
        for (std::size_t i = 0; i < market.steps.size(); ++i)
            csv += format_iso(market.steps[i]) + "," + to_string(market.regimes[i]) + "\n";
        write_file_atomic(a.regimes_out, csv);
    }

    if (ctx.json) {
        nlohmann::json series = nlohmann::json::array();
        for (const BarSeries& s : market.series)
            series.push_back(
                {{"symbol", s.symbol},
                 {"timeframe", s.timeframe.name()},
                 {"bars", s.size()},
                 {"first",
                  s.empty() ? nlohmann::json() : nlohmann::json(format_iso(s.time.front()))},
                 {"last", s.empty() ? nlohmann::json() : nlohmann::json(format_iso(s.time.back()))},
                 {"has_spread", s.has_spread()}});
        nlohmann::json regimes;
        for (int r = 0; r < kSynthRegimeCount; ++r)
            regimes[to_string(static_cast<SynthRegime>(r))] = share[r];
        std::cout << nlohmann::json{{"seed", a.seed},
                                    {"noise", a.noise},
                                    {"series", series},
                                    {"regime_steps", regimes},
                                    {"inserted", total.inserted},
                                    {"updated", total.updated},
                                    {"kept_outside_range", seams}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    std::cout << fmt::format("Synthetic market ({}, seed {}, {} {} steps from {}) stored in {}\n",
                             a.noise ? "pure noise, no edge" : "regime-switching", a.seed,
                             market.steps.size(), tf.name(), format_date(*start), ctx.db_spec());
    for (const BarSeries& s : market.series) {
        if (s.empty()) {
            std::cout << fmt::format("  {:<10} {:>4}  no bars (market closed throughout)\n",
                                     s.symbol, tf.name());
            continue;
        }
        std::cout << fmt::format("  {:<10} {:>4}  {:>7} bars  {} .. {}  close {} -> {}{}\n",
                                 s.symbol, tf.name(), s.size(), format_time(s.time.front()),
                                 format_time(s.time.back()), s.close.front(), s.close.back(),
                                 s.has_spread() ? "  (with spread)" : "");
    }
    if (!a.noise) {
        std::cout << "  hidden regimes (share of steps):";
        for (int r = 0; r < kSynthRegimeCount; ++r)
            std::cout << fmt::format(
                " {} {:.0f}%", to_string(static_cast<SynthRegime>(r)),
                100.0 * static_cast<double>(share[r]) /
                    static_cast<double>(std::max<std::size_t>(1, market.regimes.size())));
        std::cout << "\n";
    }
    if (!a.regimes_out.empty())
        std::cout << "  true regime labels written to " << a.regimes_out << "\n";
    std::cout << fmt::format("  {} bars inserted, {} replaced\n", total.inserted, total.updated);
    for (const std::string& seam : seams)
        std::cout << "  note: the store already held " << seam
                  << "; bars outside the new range are kept and will not join smoothly (use a "
                     "fresh --home or another --start)\n";
    return 0;
}

// ----- validate ------------------------------------------------------------------------------

struct ValidateArgs {
    std::string symbol;
    std::string timeframe;
    std::string config;
    std::string since;
    bool brief = false;
};

/// Bars of one series from `since` on, plus the context before it: the last stored bar (the
/// join) and up to kContextBars earlier bars (the outlier check's return scale).
BarSeries load_since(MarketStore& store, const SeriesInfo& info, TimeMs since) {
    constexpr TimeMs kContextBars = 1000;
    const TimeMs tf = info.timeframe.ms();
    BarSeries bars = store.load_bars(info.symbol, info.timeframe,
                                     TimeRange{since - kContextBars * tf, INT64_MAX});
    if ((bars.empty() || bars.time.front() >= since) && info.first < since) {
        // A long hole before `since`: fetch the last bar before it for the join.
        const BarSeries before = store.load_bars(info.symbol, info.timeframe,
                                                 TimeRange{INT64_MIN, since});
        if (!before.empty()) {
            BarSeries joined;
            joined.symbol = bars.symbol.empty() ? before.symbol : bars.symbol;
            joined.timeframe = info.timeframe;
            joined.has_spread_column = before.has_spread_column;
            joined.reserve(bars.size() + 1);
            joined.push_back(before.at(before.size() - 1));
            for (std::size_t i = 0; i < bars.size(); ++i) joined.push_back(bars.at(i));
            bars = std::move(joined);
        }
    }
    return bars;
}

/// One line per series: status, size, range and the checks that did not pass.
std::string brief_line(const ValidationReport& r) {
    std::string line = fmt::format("{}  {:<10} {:>4} {:>9} bars", to_string(r.status()), r.symbol,
                                   r.timeframe.name(), r.bars);
    if (r.bars > 0)
        line += "  " + format_time(r.first) + " .. " + format_time(r.last);
    std::string notes;
    for (const auto& c : r.checks)
        if (c.status != Severity::Pass)
            notes += fmt::format("{}{} {}({})", notes.empty() ? "" : ", ", to_string(c.status),
                                 c.name, c.count);
    return line + (notes.empty() ? "" : "  [" + notes + "]");
}

int run_validate(const ValidateArgs& a, CliContext& ctx) {
    const std::string cfg_path =
        a.config.empty() ? ctx.workspace().config_file("validation.yaml").string() : a.config;
    if (!a.config.empty() && !std::filesystem::exists(a.config))
        throw InputError("--config: file not found: " + a.config);
    const ValidationConfig cfg = ValidationConfig::load(cfg_path);
    const InstrumentRegistry registry = ctx.instruments();
    const std::string symbol = a.symbol.empty() ? "" : normalize_symbol(a.symbol);
    std::optional<Timeframe> tf;
    if (!a.timeframe.empty())
        tf = Timeframe::parse_or_throw(a.timeframe);
    TimeMs since = INT64_MIN;
    if (!a.since.empty()) {
        const auto t = parse_time(a.since);
        if (!t)
            throw InputError("--since: expected a UTC date or time like 2024-06-05 or "
                             "2024-06-05T08:00, got '" + a.since + "'");
        since = *t;
    }

    auto store = ctx.open_store();
    std::vector<SeriesInfo> all = store->list_series();
    std::vector<SeriesInfo> chosen;
    for (const SeriesInfo& s : all)
        if ((symbol.empty() || s.symbol == symbol) && (!tf || s.timeframe == *tf))
            chosen.push_back(s);
    if (chosen.empty()) {
        std::string stored;
        for (const SeriesInfo& s : all)
            stored += (stored.empty() ? "" : ", ") + s.symbol + " " + s.timeframe.name();
        if (all.empty())
            throw InputError("nothing to validate: the store " + ctx.db_spec() +
                             " holds no bars (import, backfill or synthesize data first)");
        throw InputError("no stored bars for " +
                         (symbol.empty() ? std::string("any symbol") : symbol) +
                         (tf ? " " + tf->name() : std::string()) + " (stored: " + stored + ")");
    }

    std::vector<ValidationReport> reports;
    for (const SeriesInfo& info : chosen) {
        const Instrument inst = registry.find(info.symbol).value_or([&] {
            Instrument i; // an unknown non-pair symbol: validate as a 24/7 market
            i.symbol = info.symbol;
            return i;
        }());
        const BarSeries bars = since == INT64_MIN ? store->load_bars(info.symbol, info.timeframe)
                                                  : load_since(*store, info, since);
        reports.push_back(validate_series(bars, inst, cfg, since));
    }

    std::vector<std::string> reasons;
    int failed = 0, warned = 0;
    for (const auto& r : reports) {
        for (auto& why : r.failure_reasons())
            reasons.push_back(why);
        failed += r.status() == Severity::Fail ? 1 : 0;
        warned += r.status() == Severity::Warn ? 1 : 0;
    }
    for (const auto& why : reasons)
        spdlog::error("validation: {}", why);
    for (const auto& r : reports)
        if (r.status() == Severity::Warn)
            for (const auto& c : r.checks)
                if (c.status == Severity::Warn)
                    spdlog::debug("validation: {} {}: {}: {}", r.symbol, r.timeframe.name(), c.name,
                                  c.summary);

    if (ctx.json) {
        nlohmann::json series = nlohmann::json::array();
        for (const auto& r : reports)
            series.push_back(report_to_json(r));
        std::cout << nlohmann::json{{"status", failed   ? "FAIL"
                                               : warned ? "WARN"
                                                        : "PASS"},
                                    {"passed", failed == 0},
                                    {"series", series},
                                    {"reasons", reasons}}
                         .dump(2)
                  << "\n";
        return failed ? static_cast<int>(ExitCode::CheckFailed) : 0;
    }
    for (const auto& r : reports)
        std::cout << (a.brief ? brief_line(r) : format_report(r)) << "\n";
    if (a.brief)
        std::cout << "\n";
    const std::string tally =
        fmt::format("{} series checked: {} passed, {} with warnings, {} failed", reports.size(),
                    reports.size() - failed - warned, warned, failed);
    if (failed) {
        std::cout << "Validation FAILED (" << tally << ")\n";
        for (const auto& why : reasons)
            std::cout << "  - " << why << "\n";
        std::cout << "See docs/data-quality.md (Data Issues runbook).\n";
        return static_cast<int>(ExitCode::CheckFailed);
    }
    std::cout << "Validation PASSED (" << tally << ")\n";
    return 0;
}

// ----- resample ------------------------------------------------------------------------------

struct ResampleArgs {
    std::string symbol;
    std::string from = "1m";
    std::vector<std::string> to;
    bool all = false;
};

int run_resample(const ResampleArgs& a, CliContext& ctx) {
    const std::string symbol = normalize_symbol(a.symbol);
    const Timeframe from = Timeframe::parse_or_throw(a.from);
    std::vector<Timeframe> targets;
    if (a.all == !a.to.empty())
        throw InputError("resample: give either --to TIMEFRAME[,...] or --all");
    if (a.all) {
        for (const char* name : {"5m", "15m", "1h", "4h", "1d"}) {
            const Timeframe t = Timeframe::parse_or_throw(name);
            if (t.ms() > from.ms() && t.ms() % from.ms() == 0)
                targets.push_back(t);
        }
        if (targets.empty())
            throw InputError("resample --all: no standard timeframe above " + from.name());
    } else {
        for (const std::string& name : split_list(a.to)) {
            const Timeframe t = Timeframe::parse_or_throw(name);
            if (t.ms() <= from.ms() || t.ms() % from.ms() != 0)
                throw InputError("--to " + name +
                                 ": must be a whole multiple of --from-timeframe " + from.name() +
                                 " and larger");
            targets.push_back(t);
        }
    }
    const Instrument inst = ctx.instruments().get(symbol);
    auto store = ctx.open_store();
    const BarSeries in = store->load_bars(symbol, from);
    if (in.empty())
        throw InputError("no stored bars for " + symbol + " " + from.name() + " to resample");

    std::vector<ResampleResult> results;
    for (const Timeframe& t : targets)
        results.push_back(resample(in, t, &inst.sessions));
    auto writer = store->open_writer();
    for (const auto& r : results)
        writer->write(r.bars);
    const UpsertStats stats = writer->commit();

    if (ctx.json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& r : results) {
            nlohmann::json inc = nlohmann::json::array();
            for (const auto& b : r.incomplete)
                inc.push_back({{"time", format_iso(b.time)},
                               {"present", b.present},
                               {"expected", b.expected}});
            out.push_back({{"timeframe", r.bars.timeframe.name()},
                           {"bars", r.bars.size()},
                           {"sub_bars", r.sub_bars},
                           {"dropped_partial_last", r.dropped_partial_last},
                           {"incomplete", inc}});
        }
        std::cout << nlohmann::json{{"symbol", symbol},
                                    {"from", from.name()},
                                    {"targets", out},
                                    {"inserted", stats.inserted},
                                    {"updated", stats.updated}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    std::cout << fmt::format("Resampled {} {} ({} bars, {} .. {})\n", symbol, from.name(),
                             in.size(), format_time(in.time.front()), format_time(in.time.back()));
    for (const auto& r : results) {
        std::cout << fmt::format("  -> {:>4}: {} bars", r.bars.timeframe.name(), r.bars.size());
        if (r.dropped_partial_last)
            std::cout << fmt::format(", still-forming last bucket dropped ({} sub-bars)",
                                     r.dropped_partial_last);
        if (!r.incomplete.empty()) {
            std::cout << fmt::format(", {} incomplete (missing sub-bars), first at {} ({} of {})",
                                     r.incomplete.size(), format_time(r.incomplete.front().time),
                                     r.incomplete.front().present, r.incomplete.front().expected);
        }
        std::cout << "\n";
    }
    std::cout << fmt::format("  stored: {} inserted, {} replaced\n", stats.inserted, stats.updated);
    return 0;
}

} // namespace

void register_data_quality_commands(CLI::App& data, CliContext& ctx) {
    auto sa = std::make_shared<SynthArgs>();
    CLI::App* synth = data.add_subcommand(
        "synth",
        "Generate a deterministic synthetic market (regimes, volatility clustering, jumps, "
        "correlation) into the store; offline");
    synth->add_option(
        "--symbols", sa->symbols,
        "Symbols (comma-separated or repeated; default BTC/USDT,ETH/USDT,SOL/USDT,XAUUSD)");
    synth->add_option("--timeframe", sa->timeframe, "Bar timeframe (1m, 5m, 1h, 4h, 1d, ...)");
    synth->add_option("--days", sa->days, "Days of history")->check(CLI::Range(1, 36500));
    synth->add_option("--seed", sa->seed, "Random seed (same seed, same market)");
    synth->add_option("--start", sa->start, "First bar (UTC date or time)");
    synth->add_flag("--noise", sa->noise, "Pure noise: i.i.d. returns with no edge, no regimes");
    synth->add_option("--regimes-out", sa->regimes_out,
                      "Write the true regime per step to this CSV");
    synth->add_flag("--force", sa->force, "Overwrite --regimes-out if it exists");
    on_run(synth, ctx, [sa, &ctx] { return run_synth(*sa, ctx); });

    auto va = std::make_shared<ValidateArgs>();
    CLI::App* validate = data.add_subcommand(
        "validate",
        "Check stored candles: OHLC, duplicates, order, gaps vs sessions, outliers, zero "
        "volume, stale bars, spreads (exit 1 on failure)");
    validate->add_option("--symbol", va->symbol, "Only this symbol (default: every stored series)");
    validate->add_option("--timeframe", va->timeframe, "Only this timeframe");
    validate->add_option("--config", va->config,
                         "Thresholds file (default: <home>/config/validation.yaml)");
    validate->add_option("--since", va->since,
                         "Check only bars from this UTC date/time on (plus their join with the "
                         "last bar before): the morning check of new data");
    validate->add_flag("--brief", va->brief, "One line per series instead of every check");
    on_run(validate, ctx, [va, &ctx] { return run_validate(*va, ctx); });

    auto ra = std::make_shared<ResampleArgs>();
    CLI::App* res = data.add_subcommand(
        "resample", "Aggregate stored bars to coarser timeframes (open first, high max, low min, "
                    "close last, volume sum, spread mean)");
    res->add_option("--symbol", ra->symbol, "Symbol")->required();
    res->add_option("--from-timeframe", ra->from, "Source timeframe");
    res->add_option("--to", ra->to, "Target timeframe(s), comma-separated or repeated");
    res->add_flag("--all", ra->all, "Every standard target above the source: 5m, 15m, 1h, 4h, 1d");
    on_run(res, ctx, [ra, &ctx] { return run_resample(*ra, ctx); });
}

} // namespace aurum
