// `aurum features build|show|export|external ...`, `aurum labels build|show`, `aurum regimes
// build|show`: thin handlers over the features layer.
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "features/external_data.hpp"
#include "features/feature_context.hpp"
#include "features/feature_set.hpp"
#include "features/feature_store.hpp"
#include "features/labels.hpp"
#include "features/regimes.hpp"

namespace aurum {

namespace {

/// --symbol/--timeframe/--from/--to, or --all (every stored series).
struct SeriesArgs {
    std::string symbol;
    std::string timeframe;
    std::string from, to;
    bool all = false;

    void add(CLI::App* sub, bool allow_all) {
        sub->add_option("--symbol,-s", symbol, "Symbol, e.g. BTC/USDT or XAUUSD");
        sub->add_option("--timeframe,-t", timeframe, "Timeframe, e.g. 4h, 1h, H1");
        sub->add_option("--from", from, "First bar open time (UTC date or datetime)");
        sub->add_option("--to", to, "End of range, exclusive (UTC date or datetime)");
        if (allow_all) sub->add_flag("--all", all, "Every (symbol, timeframe) in the store");
    }

    TimeRange range() const {
        TimeRange r;
        if (!from.empty()) {
            auto t = parse_time(from);
            if (!t) throw InputError("--from: expected a date like 2024-01-01, got '" + from + "'");
            r.from = *t;
        }
        if (!to.empty()) {
            auto t = parse_time(to);
            if (!t) throw InputError("--to: expected a date like 2024-06-01, got '" + to + "'");
            r.to = *t;
        }
        if (r.from >= r.to) throw InputError("--from must be before --to");
        return r;
    }

    /// The (symbol, timeframe) pairs to work on.
    std::vector<std::pair<std::string, Timeframe>> targets(MarketStore& store) const {
        std::vector<std::pair<std::string, Timeframe>> out;
        if (all) {
            if (!symbol.empty() || !timeframe.empty())
                throw InputError("--all cannot be combined with --symbol/--timeframe");
            for (const auto& s : store.list_series()) out.emplace_back(s.symbol, s.timeframe);
            if (out.empty())
                throw InputError("--all: the store holds no bars (run `aurum data import` or "
                                 "`make build-dataset` first)");
            return out;
        }
        if (symbol.empty()) throw InputError("--symbol is required (or --all)");
        if (timeframe.empty()) throw InputError("--timeframe is required (or --all)");
        out.emplace_back(normalize_symbol(symbol), Timeframe::parse_or_throw(timeframe));
        return out;
    }

    /// Runs `body(symbol, timeframe)` on each target. With --all a series that cannot be built
    /// (too short for the warm-up, say) is skipped with a warning so the others still are; it is
    /// an error only when nothing could be built.
    template <class Body> void for_each(MarketStore& store, Body body) const {
        const auto list = targets(store);
        std::size_t done = 0;
        std::string last_error;
        for (const auto& [symbol, tf] : list) {
            if (!all) {
                body(symbol, tf);
                ++done;
                continue;
            }
            try {
                body(symbol, tf);
                ++done;
            } catch (const InputError& e) {
                last_error = e.what();
                std::cerr << "skipped: " << e.what() << "\n";
            }
        }
        if (done == 0 && !list.empty())
            throw InputError("--all: no series could be built (last error: " + last_error + ")");
    }
};

BarSeries load_bars_or_throw(MarketStore& store, const std::string& symbol, Timeframe tf,
                             TimeRange range) {
    BarSeries bars = store.load_bars(symbol, tf, range);
    if (bars.empty())
        throw InputError("no " + tf.name() + " bars of " + symbol +
                         " in the store for the requested range (import them first: aurum data "
                         "import ...)");
    return bars;
}

FeatureConfig load_feature_config(const CliContext& ctx, const std::string& file) {
    if (!file.empty()) return FeatureConfig::load_file(file);
    return workspace_feature_config(ctx.workspace());
}

std::filesystem::path features_dir(const CliContext& ctx) {
    return ctx.workspace().data_dir() / "features";
}

std::string fmt_value(double v) {
    if (v != 0 && (std::fabs(v) >= 1e6 || std::fabs(v) < 1e-3)) return fmt::format("{:.4e}", v);
    return fmt::format("{:.5f}", v);
}

// ----- features build ------------------------------------------------------------------------

struct BuildArgs {
    SeriesArgs series;
    std::string set;
    std::string config;
};

int run_features_build(const BuildArgs& a, CliContext& ctx) {
    const FeatureConfig cfg = load_feature_config(ctx, a.config);
    const FeatureSetDef& def = cfg.get(a.set);
    auto store = ctx.open_store();
    const TimeRange range = a.series.range();
    const InstrumentRegistry instruments = ctx.instruments();
    FeatureStore fstore(store->database(), features_dir(ctx));
    ExternalStore ext(store->database());
    nlohmann::json out = nlohmann::json::array();
    a.series.for_each(*store, [&](const std::string& symbol, Timeframe tf) {
        const BarSeries bars = load_bars_or_throw(*store, symbol, tf, range);
        const FeatureContext fc = build_feature_context(def, symbol, tf, bars.has_spread(),
                                                        {store.get(), &ext, &instruments}, range.to);
        BuildReport rep;
        const FeatureMatrix m = build_feature_matrix(bars, def, fc, &rep);
        const StoredMatrixInfo info = fstore.save(m);
        if (ctx.json) {
            out.push_back({{"symbol", symbol},
                           {"timeframe", tf.name()},
                           {"set", def.name},
                           {"feature_set_id", m.feature_set_id},
                           {"rows", m.rows()},
                           {"columns", m.cols()},
                           {"bars", rep.bars},
                           {"warmup_rows", rep.warmup_rows},
                           {"gap_resets", rep.resets.size()},
                           {"first", format_iso(m.time.front())},
                           {"last", format_iso(m.time.back())},
                           {"file", (fstore.dir() / info.file).string()}});
        } else {
            std::cout << fmt::format(
                "{} {}: feature set '{}' ({}): {} rows x {} features, {} .. {}\n", symbol,
                tf.name(), def.name, m.feature_set_id.substr(0, 16), m.rows(), m.cols(),
                format_time(m.time.front()), format_time(m.time.back()));
            std::cout << fmt::format("  {} bars read, {} dropped for warm-up", rep.bars,
                                     rep.warmup_rows);
            if (!rep.resets.empty())
                std::cout << fmt::format(", {} gap(s) longer than {} bars reset the indicators "
                                         "(first before {})",
                                         rep.resets.size(), def.max_gap_bars,
                                         format_time(rep.resets.front()));
            std::cout << "\n  saved " << (fstore.dir() / info.file).string() << "\n";
        }
    });
    if (ctx.json) std::cout << out.dump(2) << "\n";
    return 0;
}

// ----- features show -------------------------------------------------------------------------

struct ShowArgs {
    SeriesArgs series;
    std::string set;
    std::string config;
    int rows = 5;
    bool indicators = false;
    bool sets = false;
};

int show_indicators(CliContext& ctx) {
    const auto cat = indicator_catalogue();
    if (ctx.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& i : cat)
            j.push_back({{"name", i.name}, {"summary", i.summary}, {"params", i.params},
                         {"outputs", i.outputs}});
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    for (const auto& i : cat) {
        std::string params, outputs;
        for (const auto& p : i.params) params += (params.empty() ? "" : " ") + p;
        for (const auto& o : i.outputs) outputs += (outputs.empty() ? "" : ", ") + o;
        std::cout << fmt::format("{:<14} {}\n{:<14}   params: {}\n{:<14}   outputs: {}\n", i.name,
                                 i.summary, "", params.empty() ? "-" : params, "", outputs);
    }
    return 0;
}

int show_sets(const FeatureConfig& cfg, CliContext& ctx) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& [name, def] : cfg.sets) {
        const auto cols = def.column_names();
        if (ctx.json) {
            j.push_back({{"name", name}, {"id", def.id()}, {"columns", cols},
                         {"max_gap_bars", def.max_gap_bars}, {"default", name == cfg.default_set}});
            continue;
        }
        std::cout << fmt::format("{}{}  id {}  {} columns\n", name,
                                 name == cfg.default_set ? " (default)" : "", def.id(), cols.size());
        std::string line = "   ";
        for (const auto& c : cols) {
            if (line.size() + c.size() > 98) {
                std::cout << line << "\n";
                line = "   ";
            }
            line += " " + c;
        }
        std::cout << line << "\n";
    }
    if (ctx.json) std::cout << j.dump(2) << "\n";
    return 0;
}

int run_features_show(const ShowArgs& a, CliContext& ctx) {
    if (a.indicators) return show_indicators(ctx);
    if (a.sets) return show_sets(load_feature_config(ctx, a.config), ctx);
    auto store = ctx.open_store();
    FeatureStore fstore(store->database(), features_dir(ctx));
    if (a.series.symbol.empty()) {
        // No symbol: list what is stored.
        const auto list = fstore.list();
        const auto labels = fstore.list_labels();
        if (ctx.json) {
            nlohmann::json j = {{"matrices", nlohmann::json::array()},
                                {"labels", nlohmann::json::array()}};
            for (const auto& i : list)
                j["matrices"].push_back({{"symbol", i.symbol}, {"timeframe", i.timeframe.name()},
                                         {"set", i.set_name}, {"feature_set_id", i.feature_set_id},
                                         {"rows", i.rows}, {"columns", i.columns.size()},
                                         {"first", format_iso(i.first)},
                                         {"last", format_iso(i.last)}});
            for (const auto& i : labels)
                j["labels"].push_back({{"symbol", i.symbol}, {"timeframe", i.timeframe.name()},
                                       {"method", i.method}, {"params", i.params},
                                       {"rows", i.rows}, {"negative", i.negative},
                                       {"neutral", i.neutral}, {"positive", i.positive}});
            std::cout << j.dump(2) << "\n";
            return 0;
        }
        if (list.empty() && labels.empty()) {
            std::cout << "no feature matrices or labels stored yet (aurum features build ...)\n";
            return 0;
        }
        std::cout << fmt::format("{:<12} {:<4} {:<10} {:<17} {:>8} {:>5}  {}\n", "symbol", "tf",
                                 "set", "id", "rows", "cols", "range");
        for (const auto& i : list)
            std::cout << fmt::format("{:<12} {:<4} {:<10} {:<17} {:>8} {:>5}  {} .. {}\n", i.symbol,
                                     i.timeframe.name(), i.set_name, i.feature_set_id.substr(0, 16),
                                     i.rows, i.columns.size(), format_time(i.first),
                                     format_time(i.last));
        if (!labels.empty()) {
            std::cout << fmt::format("\n{:<12} {:<4} {:<15} {:>8} {:>7} {:>7} {:>7}  {}\n", "symbol",
                                     "tf", "labels", "rows", "-1/0", "0", "+1/1", "params");
            for (const auto& i : labels)
                std::cout << fmt::format("{:<12} {:<4} {:<15} {:>8} {:>7} {:>7} {:>7}  {}\n",
                                         i.symbol, i.timeframe.name(), i.method, i.rows,
                                         i.negative, i.neutral, i.positive, i.params);
        }
        return 0;
    }
    const auto targets = a.series.targets(*store);
    const std::string set = a.set.empty() ? load_feature_config(ctx, a.config).default_set : a.set;
    FeatureMatrix m = fstore.load(targets[0].first, targets[0].second, set);
    if (!a.series.from.empty() || !a.series.to.empty()) m = m.slice(a.series.range());
    if (a.rows < 1) throw InputError("--rows: must be >= 1, got " + std::to_string(a.rows));
    const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(a.rows), m.rows());
    const std::size_t first = m.rows() - n;
    if (ctx.json) {
        nlohmann::json j = {{"symbol", m.symbol}, {"timeframe", m.timeframe.name()},
                            {"set", m.feature_set_name}, {"feature_set_id", m.feature_set_id},
                            {"rows", m.rows()}, {"names", m.names}, {"sample", nlohmann::json::array()}};
        for (std::size_t r = first; r < m.rows(); ++r) {
            nlohmann::json row = {{"time", format_iso(m.time[r])}};
            for (std::size_t c = 0; c < m.cols(); ++c) row[m.names[c]] = m.at(r, c);
            j["sample"].push_back(row);
        }
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::cout << fmt::format("{} {} set '{}' ({}), {} rows x {} features; last {} rows:\n\n",
                             m.symbol, m.timeframe.name(), m.feature_set_name,
                             m.feature_set_id.substr(0, 16), m.rows(), m.cols(), n);
    // One feature per line, one bar per column: wide sets stay readable in a terminal.
    std::cout << fmt::format("{:<24}", "feature");
    for (std::size_t r = first; r < m.rows(); ++r)
        std::cout << fmt::format(" {:>16}", format_time(m.time[r]).substr(0, 16));
    std::cout << "\n";
    for (std::size_t c = 0; c < m.cols(); ++c) {
        std::cout << fmt::format("{:<24}", m.names[c]);
        for (std::size_t r = first; r < m.rows(); ++r)
            std::cout << fmt::format(" {:>16}", fmt_value(m.at(r, c)));
        std::cout << "\n";
    }
    return 0;
}

// ----- features export -----------------------------------------------------------------------

struct ExportArgs {
    SeriesArgs series;
    std::string set;
    std::string config;
    std::string out;
    bool force = false;
    std::string labels;
};

int run_features_export(const ExportArgs& a, CliContext& ctx) {
    if (a.out.empty()) throw InputError("--out is required (a CSV file path)");
    ctx.check_output_path("--out", a.out, a.force);
    auto store = ctx.open_store();
    FeatureStore fstore(store->database(), features_dir(ctx));
    const auto targets = a.series.targets(*store);
    const std::string set = a.set.empty() ? load_feature_config(ctx, a.config).default_set : a.set;
    FeatureMatrix m = fstore.load(targets[0].first, targets[0].second, set);
    if (!a.series.from.empty() || !a.series.to.empty()) m = m.slice(a.series.range());
    LabelSet labels;
    if (!a.labels.empty()) {
        if (!parse_label_method(a.labels))
            throw InputError("--labels: unknown method '" + a.labels +
                             "' (fixed, triple-barrier, meta)");
        labels = fstore.load_labels(m.symbol, m.timeframe, to_string(*parse_label_method(a.labels)));
    }
    std::string csv = "timestamp";
    for (const auto& n : m.names) csv += "," + n;
    if (!a.labels.empty()) csv += ",label,label_t1,label_return";
    csv += "\n";
    std::size_t written = 0;
    for (std::size_t r = 0; r < m.rows(); ++r) {
        std::string line = format_iso(m.time[r]);
        for (std::size_t c = 0; c < m.cols(); ++c) line += fmt::format(",{:.17g}", m.at(r, c));
        if (!a.labels.empty()) {
            const auto k = labels.find(m.time[r]);
            if (!k) continue; // only rows with a label, so the file is a ready training table
            line += fmt::format(",{},{},{:.17g}", static_cast<int>(labels.label[*k]),
                                format_iso(labels.t1[*k]), labels.ret[*k]);
        }
        csv += line + "\n";
        ++written;
    }
    write_file_atomic(a.out, csv);
    if (ctx.json)
        std::cout << nlohmann::json{{"file", a.out}, {"rows", written}, {"columns", m.cols()},
                                    {"feature_set_id", m.feature_set_id}}
                         .dump(2)
                  << "\n";
    else
        std::cout << fmt::format("wrote {} rows x {} features of {} {} to {}\n", written, m.cols(),
                                 m.symbol, m.timeframe.name(), a.out);
    return 0;
}

// ----- features external ---------------------------------------------------------------------

std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> out;
    std::size_t a = 0;
    while (a <= s.size()) {
        const auto b = s.find(',', a);
        const std::string part = s.substr(a, b == std::string::npos ? std::string::npos : b - a);
        if (!part.empty()) out.push_back(part);
        if (b == std::string::npos) break;
        a = b + 1;
    }
    return out;
}

void report_series(const std::vector<ExternalSeries>& series, const std::string& source,
                   CliContext& ctx) {
    auto store = ctx.open_store();
    ExternalStore ext(store->database());
    nlohmann::json j = nlohmann::json::array();
    for (const auto& s : series) {
        ext.upsert(s, source);
        if (ctx.json) {
            j.push_back({{"series", s.name}, {"rows", s.size()},
                         {"first", s.size() ? format_date(s.time.front()) : ""},
                         {"last", s.size() ? format_date(s.time.back()) : ""}});
        } else {
            std::cout << fmt::format("{}: {} values", s.name, s.size());
            if (s.size())
                std::cout << fmt::format(", {} .. {}", format_date(s.time.front()),
                                         format_date(s.time.back()));
            std::cout << "\n";
        }
    }
    if (ctx.json) std::cout << j.dump(2) << "\n";
}

void register_external(CLI::App& features, CliContext& ctx) {
    CLI::App* ext = features.add_subcommand(
        "external", "External daily signals: CoinMetrics on-chain metrics, Fear & Greed, CSV");
    ext->require_subcommand(1);

    struct Cm {
        std::string asset = "btc";
        std::string metrics = "CapMVRVCur,FlowInExNtv,FlowOutExNtv";
        std::string from = "2018-01-01", to;
        std::string base_url = "https://community-api.coinmetrics.io";
        int page_size = 1000;
    };
    auto cm = std::make_shared<Cm>();
    CLI::App* c = ext->add_subcommand("coinmetrics",
                                      "Download daily asset metrics from the CoinMetrics community API");
    c->add_option("--asset", cm->asset, "Asset id (btc, eth, ...)");
    c->add_option("--metrics", cm->metrics, "Comma-separated metric ids");
    c->add_option("--from", cm->from, "First day (UTC)");
    c->add_option("--to", cm->to, "Last day (UTC, default: the --from date plus 20 years)");
    c->add_option("--base-url", cm->base_url, "API base URL")->envname("AURUM_COINMETRICS_URL");
    c->add_option("--page-size", cm->page_size, "Rows per page")->check(CLI::Range(1, 10000));
    on_run(c, ctx, [cm, &ctx] {
        const auto from = parse_time(cm->from);
        if (!from) throw InputError("--from: expected a date like 2018-01-01, got '" + cm->from + "'");
        TimeMs to = *from + 20 * 365 * kMsPerDay;
        if (!cm->to.empty()) {
            const auto t = parse_time(cm->to);
            if (!t) throw InputError("--to: expected a date, got '" + cm->to + "'");
            to = *t;
        }
        const auto series = CoinMetricsClient(cm->base_url)
                                .fetch_asset_metrics(cm->asset, split_commas(cm->metrics), *from,
                                                     to, cm->page_size);
        report_series(series, "coinmetrics", ctx);
        return 0;
    });

    struct Fg {
        int limit = 0;
        std::string base_url = "https://api.alternative.me";
    };
    auto fg = std::make_shared<Fg>();
    CLI::App* f = ext->add_subcommand("fear-greed", "Download the alternative.me Fear & Greed index");
    f->add_option("--limit", fg->limit, "Days to fetch (0 = all history)");
    f->add_option("--base-url", fg->base_url, "API base URL")->envname("AURUM_FNG_URL");
    on_run(f, ctx, [fg, &ctx] {
        report_series({FearGreedClient(fg->base_url).fetch(fg->limit)}, "alternative.me", ctx);
        return 0;
    });

    struct Imp {
        std::string file, series, column;
    };
    auto imp = std::make_shared<Imp>();
    CLI::App* i = ext->add_subcommand("import", "Import a daily series from CSV (date,value)");
    i->add_option("file", imp->file, "CSV file with a header line")->required();
    i->add_option("--series", imp->series, "Name to store it under, e.g. macro:dxy")->required();
    i->add_option("--column", imp->column, "Value column (default: 'value' or the second)");
    on_run(i, ctx, [imp, &ctx] {
        report_series({import_external_csv(imp->file, imp->series, imp->column)}, "csv:" + imp->file,
                      ctx);
        return 0;
    });

    CLI::App* l = ext->add_subcommand("list", "List stored external series");
    on_run(l, ctx, [&ctx] {
        auto store = ctx.open_store();
        const auto list = ExternalStore(store->database()).list();
        if (ctx.json) {
            nlohmann::json j = nlohmann::json::array();
            for (const auto& s : list)
                j.push_back({{"series", s.name}, {"source", s.source}, {"rows", s.rows},
                             {"first", format_date(s.first)}, {"last", format_date(s.last)}});
            std::cout << j.dump(2) << "\n";
            return 0;
        }
        if (list.empty()) std::cout << "no external series stored\n";
        for (const auto& s : list)
            std::cout << fmt::format("{:<36} {:>6} values  {} .. {}  ({})\n", s.name, s.rows,
                                     format_date(s.first), format_date(s.last), s.source);
        return 0;
    });
}

// ----- labels --------------------------------------------------------------------------------

struct LabelArgs {
    SeriesArgs series;
    std::string method = "triple-barrier";
    int horizon = 0; // 0: the method's default
    double dead_zone = 0.0, dead_zone_vol = 0.0;
    double pt = 2.0, sl = 1.0;
    int vol_window = 20;
    std::string both_hit = "stop-first";
    std::string vertical = "zero";
    int fast = 20, slow = 50;
};

int run_labels_build(const LabelArgs& a, CliContext& ctx) {
    const auto method = parse_label_method(a.method);
    if (!method)
        throw InputError("--method: unknown '" + a.method + "' (fixed, triple-barrier, meta)");
    TripleBarrierParams tb;
    tb.horizon = a.horizon > 0 ? a.horizon : 24;
    tb.pt_mult = a.pt;
    tb.sl_mult = a.sl;
    tb.vol_window = a.vol_window;
    if (a.both_hit == "stop-first")
        tb.both_hit = BothHitRule::StopFirst;
    else if (a.both_hit == "profit-first")
        tb.both_hit = BothHitRule::ProfitFirst;
    else
        throw InputError("--both-hit: expected stop-first or profit-first, got '" + a.both_hit + "'");
    if (a.vertical != "zero" && a.vertical != "sign")
        throw InputError("--vertical: expected zero or sign, got '" + a.vertical + "'");
    tb.vertical_sign = a.vertical == "sign";
    FixedHorizonParams fh;
    fh.horizon = a.horizon > 0 ? a.horizon : 6;
    fh.dead_zone = a.dead_zone;
    fh.dead_zone_vol = a.dead_zone_vol;
    fh.vol_window = a.vol_window;
    // Validate before touching the store so bad flags never open or write anything.
    if (*method == LabelMethod::FixedHorizon)
        validate(fh);
    else
        validate(tb);

    auto store = ctx.open_store();
    FeatureStore fstore(store->database(), features_dir(ctx));
    nlohmann::json out = nlohmann::json::array();
    a.series.for_each(*store, [&](const std::string& symbol, Timeframe tf) {
        const BarSeries bars = load_bars_or_throw(*store, symbol, tf, a.series.range());
        LabelSet l;
        switch (*method) {
        case LabelMethod::FixedHorizon:
            l = fixed_horizon_labels(bars, fh);
            break;
        case LabelMethod::TripleBarrier:
            l = triple_barrier_labels(bars, tb);
            break;
        case LabelMethod::Meta:
            l = meta_labels(bars, sma_cross_sides(bars, a.fast, a.slow), tb);
            l.params += ";primary=sma-cross:" + std::to_string(a.fast) + ":" + std::to_string(a.slow);
            break;
        }
        if (l.size() == 0)
            throw InputError(symbol + " " + tf.name() + ": " + std::to_string(bars.size()) +
                             " bars give no complete label (horizon or volatility window too long)");
        const StoredLabelsInfo info = fstore.save_labels(l);
        const double n = static_cast<double>(l.size());
        if (ctx.json) {
            out.push_back({{"symbol", symbol}, {"timeframe", tf.name()}, {"method", info.method},
                           {"params", l.params}, {"rows", l.size()}, {"negative", info.negative},
                           {"neutral", info.neutral}, {"positive", info.positive},
                           {"first", format_iso(l.time.front())}, {"last", format_iso(l.time.back())},
                           {"file", (fstore.dir() / info.file).string()}});
            return;
        }
        std::cout << fmt::format("{} {}: {} labels ({}), {} .. {}\n", symbol, tf.name(), l.size(),
                                 info.method, format_time(l.time.front()),
                                 format_time(l.time.back()));
        if (*method == LabelMethod::Meta)
            std::cout << fmt::format("  profitable 1: {} ({:.1f}%)   not 0: {} ({:.1f}%)\n",
                                     info.positive, 100 * info.positive / n, info.neutral,
                                     100 * info.neutral / n);
        else
            std::cout << fmt::format("  +1: {} ({:.1f}%)   0: {} ({:.1f}%)   -1: {} ({:.1f}%)\n",
                                     info.positive, 100 * info.positive / n, info.neutral,
                                     100 * info.neutral / n, info.negative,
                                     100 * info.negative / n);
        std::cout << "  params " << l.params << "\n  saved " << (fstore.dir() / info.file).string()
                  << "\n";
    });
    if (ctx.json) std::cout << out.dump(2) << "\n";
    return 0;
}

// ----- regimes -------------------------------------------------------------------------------

struct RegimeArgs {
    SeriesArgs series;
    std::string method = "percentile";
    int states = 4;
    std::uint64_t seed = 42;
    int lookback = RegimeParams{}.lookback;
    int trend_window = RegimeParams{}.trend_window;
};

int run_regimes_build(const RegimeArgs& a, CliContext& ctx) {
    if (a.method != "percentile" && a.method != "hmm")
        throw InputError("--method: expected percentile or hmm, got '" + a.method + "'");
    auto store = ctx.open_store();
    nlohmann::json out = nlohmann::json::array();
    a.series.for_each(*store, [&](const std::string& symbol, Timeframe tf) {
        const BarSeries bars = load_bars_or_throw(*store, symbol, tf, a.series.range());
        std::vector<Regime> r;
        if (a.method == "hmm") {
            HmmParams p;
            p.states = a.states;
            p.seed = a.seed;
            r = hmm_regimes(bars, p);
        } else {
            RegimeParams p;
            p.lookback = a.lookback;
            p.trend_window = a.trend_window;
            r = classify_regimes(bars, p);
        }
        store_regimes(store->database(), bars, a.method, r);
        const auto counts = regime_counts(r);
        const double n = static_cast<double>(bars.size());
        if (ctx.json) {
            nlohmann::json c;
            for (int k = 0; k < kRegimeCount; ++k) c[to_string(static_cast<Regime>(k))] = counts[k];
            out.push_back({{"symbol", symbol}, {"timeframe", tf.name()}, {"method", a.method},
                           {"bars", bars.size()}, {"counts", c}});
            return;
        }
        std::cout << fmt::format("{} {}: {} regimes over {} bars ({} .. {})\n", symbol, tf.name(),
                                 a.method, bars.size(), format_time(bars.time.front()),
                                 format_time(bars.time.back()));
        for (int k = 1; k < kRegimeCount; ++k)
            std::cout << fmt::format("  {:<9} {:>7} bars  {:5.1f}%\n",
                                     to_string(static_cast<Regime>(k)), counts[k],
                                     100 * counts[k] / n);
        std::cout << fmt::format("  {:<9} {:>7} bars  (warm-up)\n", "unknown", counts[0]);
    });
    if (ctx.json) std::cout << out.dump(2) << "\n";
    return 0;
}

int run_regimes_show(const SeriesArgs& s, const std::string& method, int rows, CliContext& ctx) {
    auto store = ctx.open_store();
    const auto targets = s.targets(*store);
    const RegimeSeries r = load_regimes(store->database(), targets[0].first, targets[0].second, method);
    if (r.time.empty())
        throw InputError("no " + method + " regimes stored for " + targets[0].first + " " +
                         targets[0].second.name() + " (run: aurum regimes build)");
    const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(std::max(rows, 1)), r.time.size());
    if (ctx.json) {
        nlohmann::json j = nlohmann::json::array();
        for (std::size_t i = r.time.size() - n; i < r.time.size(); ++i)
            j.push_back({{"time", format_iso(r.time[i])}, {"regime", to_string(r.regime[i])}});
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    for (std::size_t i = r.time.size() - n; i < r.time.size(); ++i)
        std::cout << format_time(r.time[i]) << "  " << to_string(r.regime[i]) << "\n";
    return 0;
}

} // namespace

void register_features_commands(CLI::App& app, CliContext& ctx) {
    CLI::App* features = app.add_subcommand(
        "features", "Build, inspect and export feature matrices; fetch external signals");
    features->require_subcommand(1);

    auto b = std::make_shared<BuildArgs>();
    CLI::App* build = features->add_subcommand(
        "build", "Run a feature set over stored bars and save the matrix (data/features/)");
    b->series.add(build, true);
    build->add_option("--set", b->set, "Feature set from config/features.yaml (default: its default_set)");
    build->add_option("--config", b->config, "Feature config file (default: <home>/config/features.yaml)");
    on_run(build, ctx, [b, &ctx] { return run_features_build(*b, ctx); });

    auto s = std::make_shared<ShowArgs>();
    CLI::App* show = features->add_subcommand(
        "show", "Last rows of a stored matrix; without --symbol, what is stored");
    s->series.add(show, false);
    show->add_option("--set", s->set, "Feature set name");
    show->add_option("--config", s->config, "Feature config file");
    show->add_option("--rows,-n", s->rows, "How many of the last rows to show");
    show->add_flag("--indicators", s->indicators, "List every indicator with parameters and outputs");
    show->add_flag("--sets", s->sets, "List the feature sets of the config with their IDs");
    on_run(show, ctx, [s, &ctx] { return run_features_show(*s, ctx); });

    auto e = std::make_shared<ExportArgs>();
    CLI::App* exp = features->add_subcommand(
        "export", "Write a stored matrix as CSV: timestamp plus one column per feature");
    e->series.add(exp, false);
    exp->add_option("--set", e->set, "Feature set name");
    exp->add_option("--config", e->config, "Feature config file");
    exp->add_option("--out,-o", e->out, "Output CSV file")->required();
    exp->add_flag("--force", e->force, "Overwrite --out if it exists (never the database, "
                                       "a config file or the registry)");
    exp->add_option("--labels", e->labels,
                    "Append label, label_t1 and label_return from stored labels of this method "
                    "(fixed, triple-barrier, meta); rows without a label are left out");
    on_run(exp, ctx, [e, &ctx] { return run_features_export(*e, ctx); });

    register_external(*features, ctx);

    CLI::App* labels = app.add_subcommand("labels", "Build supervised labels (with t1 for purging)");
    labels->require_subcommand(1);
    auto l = std::make_shared<LabelArgs>();
    CLI::App* lb = labels->add_subcommand("build", "Label stored bars and save the label set");
    l->series.add(lb, true);
    lb->add_option("--method,-m", l->method, "fixed | triple-barrier | meta");
    lb->add_option("--horizon", l->horizon, "Bars ahead (default: fixed 6, triple-barrier 24)");
    lb->add_option("--dead-zone", l->dead_zone, "fixed: |return| at or below this is 0");
    lb->add_option("--dead-zone-vol", l->dead_zone_vol,
                   "fixed: extra dead zone in units of volatility * sqrt(horizon)");
    lb->add_option("--pt", l->pt, "Profit-take at pt * volatility * sqrt(horizon)");
    lb->add_option("--sl", l->sl, "Stop-loss at sl * volatility * sqrt(horizon)");
    lb->add_option("--vol-window", l->vol_window, "Bars of the volatility estimate");
    lb->add_option("--both-hit", l->both_hit,
                   "Both barriers inside one bar: stop-first (pessimistic) | profit-first");
    lb->add_option("--vertical", l->vertical, "Label at the vertical barrier: zero | sign");
    lb->add_option("--fast", l->fast, "meta: fast SMA of the sma-cross primary signal");
    lb->add_option("--slow", l->slow, "meta: slow SMA of the sma-cross primary signal");
    on_run(lb, ctx, [l, &ctx] { return run_labels_build(*l, ctx); });

    CLI::App* regimes = app.add_subcommand("regimes", "Market regimes per bar (bull, bear, ranging, high_vol)");
    regimes->require_subcommand(1);
    auto r = std::make_shared<RegimeArgs>();
    CLI::App* rb = regimes->add_subcommand("build", "Classify stored bars and save the regimes");
    r->series.add(rb, true);
    rb->add_option("--method,-m", r->method, "percentile (causal) | hmm (Gaussian HMM, descriptive)");
    rb->add_option("--states", r->states, "hmm: hidden states (2..8)");
    rb->add_option("--seed", r->seed, "hmm: random seed");
    rb->add_option("--lookback", r->lookback, "percentile: bars of volatility history ranked against");
    rb->add_option("--trend-window", r->trend_window, "percentile: SMA length of the trend");
    on_run(rb, ctx, [r, &ctx] { return run_regimes_build(*r, ctx); });

    auto rs = std::make_shared<std::tuple<SeriesArgs, std::string, int>>(SeriesArgs{}, "percentile", 10);
    CLI::App* rsh = regimes->add_subcommand("show", "Last stored regimes of a series");
    std::get<0>(*rs).add(rsh, false);
    rsh->add_option("--method,-m", std::get<1>(*rs), "percentile | hmm");
    rsh->add_option("--rows,-n", std::get<2>(*rs), "How many of the last bars");
    on_run(rsh, ctx, [rs, &ctx] {
        return run_regimes_show(std::get<0>(*rs), std::get<1>(*rs), std::get<2>(*rs), ctx);
    });
}

} // namespace aurum
