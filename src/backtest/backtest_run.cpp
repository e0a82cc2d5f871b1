#include "backtest/backtest_run.hpp"

#include <cmath>

#include "core/error.hpp"

namespace aurum {

std::vector<const BarSeries*> BacktestData::series() const {
    std::vector<const BarSeries*> out;
    for (const auto& b : bars)
        out.push_back(&b);
    return out;
}

std::vector<GridAxis> check_backtest_request(const BacktestRequest& req) {
    if (req.symbols.empty())
        throw InputError("--symbol: at least one symbol is required");
    if (req.range.from >= req.range.to)
        throw InputError("empty date range: --from " + format_time(req.range.from) +
                         " is not before --to " + format_time(req.range.to));
    const FillConfig& f = req.config.fill;
    if (!(f.fees.maker >= 0) || !(f.fees.taker >= 0) || f.fees.maker >= 1 || f.fees.taker >= 1)
        throw InputError("--fee must be in [0, 1) (got maker " + std::to_string(f.fees.maker) +
                         ", taker " + std::to_string(f.fees.taker) + ")");
    if (!(req.config.initial_capital > 0) || !std::isfinite(req.config.initial_capital))
        throw InputError("--capital must be positive (got " +
                         std::to_string(req.config.initial_capital) + ")");
    if (f.latency_ms < 0)
        throw InputError("--latency-ms must be >= 0");
    if (f.max_participation < 0 || f.max_participation > 1)
        throw InputError("--participation must be in [0, 1]");

    // Build the strategy once up front so bad parameters fail before any data is read.
    if (req.grid.empty())
        (void)make_strategy(req.strategy);
    std::vector<GridAxis> axes;
    if (!req.grid.empty() && req.strategy.build)
        throw InputError("--grid: strategy '" + req.strategy.name + "' has no parameters to sweep");
    if (!req.grid.empty()) {
        axes = parse_grid(req.grid);
        const auto defaults = default_params(req.strategy.name);
        for (const auto& a : axes)
            if (!defaults.count(a.name) && a.name != kStopLossParam &&
                a.name != kTakeProfitParam)
                throw InputError("--grid: strategy '" + req.strategy.name + "' has no parameter '" +
                                 a.name + "'");
    }
    return axes;
}

BacktestData load_backtest_data(MarketStore& store, const InstrumentRegistry& registry,
                                BacktestRequest& req) {
    BacktestData d;
    for (const auto& raw : req.symbols) {
        const std::string sym = normalize_symbol(raw);
        d.instruments.push_back(registry.get(sym));
        d.bars.push_back(store.load_bars(sym, req.timeframe, req.range));
        if (d.bars.back().empty()) {
            std::string have;
            for (const auto& s : store.list_series())
                have += (have.empty() ? "" : ", ") + s.symbol + " " + s.timeframe.name();
            throw InputError("no " + req.timeframe.name() + " bars for " + sym +
                             (req.range.from != INT64_MIN || req.range.to != INT64_MAX
                                  ? " in the requested date range"
                                  : "") +
                             " in the store (stored: " + (have.empty() ? "nothing" : have) +
                             "); import them with `aurum data import`");
        }
    }
    bool any_spread = false;
    for (const auto& b : d.bars)
        any_spread = any_spread || b.has_spread();
    if (!req.spread_set && any_spread)
        req.config.fill.spread.mode = SpreadModel::Mode::Column;
    // MetaTrader bars quote the bid; exchange trades print around the mid.
    req.config.fill.spread.basis =
        d.instruments[0].venue == "mt5" ? PriceBasis::Bid : PriceBasis::Mid;
    return d;
}

BacktestOutcome run_backtest_request(MarketStore& store, const InstrumentRegistry& registry,
                                     BacktestRequest req) {
    const std::vector<GridAxis> axes = check_backtest_request(req);
    const BacktestData loaded = load_backtest_data(store, registry, req);
    const std::vector<Instrument>& instruments = loaded.instruments;
    const std::vector<BarSeries>& bars = loaded.bars;
    const std::vector<const BarSeries*> data = loaded.series();

    BacktestOutcome out;
    if (!axes.empty()) {
        out.grid =
            run_grid(req.strategy, axes, instruments, data, req.config, req.rank_by, req.threads,
                     *req.runner);
        req.strategy.params = out.grid->rows.front().params; // full report of the best
    }

    RegimeTimeline regimes;
    std::string regime_source;
    if (!req.regimes_csv.empty()) {
        regimes = RegimeTimeline::load_csv(req.regimes_csv);
        regime_source = "file " + req.regimes_csv;
    } else {
        regimes = RegimeTimeline::classify(bars[0]);
        regime_source = "features percentile classifier on " + instruments[0].symbol;
    }

    auto strategy = make_strategy(req.strategy);
    out.result = req.runner->run(instruments, data, *strategy, req.config);
    out.metrics = compute_metrics(out.result, data, &regimes);
    out.info.strategy = req.strategy.name;
    if (!req.strategy.build)
        out.info.params = default_params(req.strategy.name);
    for (const auto& [k, v] : req.strategy.params)
        out.info.params[k] = v;
    for (const auto& i : instruments)
        out.info.symbols.push_back(i.symbol);
    out.info.timeframe = req.timeframe;
    out.info.config = req.config;
    out.info.sizing = req.sizing_label;
    out.info.regime_source = regime_source;
    out.info.risk = req.runner->risk_label();
    out.info.id = make_run_id(out.info, data[0]->time.front(), data[0]->time.back());
    if (out.grid)
        out.info.id += "_grid";
    out.report_dir = req.reports_root / out.info.id;
    const auto bh = buy_hold_curve(out.result, data);
    write_report(out.report_dir, out.info, out.metrics, out.result, bh, &regimes,
                 out.grid ? &out.grid->rows : nullptr);
    out.regimes = std::move(regimes);
    return out;
}

} // namespace aurum
