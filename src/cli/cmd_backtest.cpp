// `aurum backtest`: run a built-in strategy (or a parameter sweep) over stored bars with
// realistic costs, print the summary, write reports/backtests/<id>/.
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "backtest/backtest_run.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "models/model_backtest.hpp"
#include "runtime/engine_stack.hpp"

namespace aurum {

namespace {

struct BacktestFlags {
    std::string strategy = "sma-cross";
    std::string symbols;
    std::string timeframe = "1h";
    std::string from, to;
    double capital = 10000;
    double fee = 0.001;
    double maker_fee = -1, taker_fee = -1;
    std::string spread, slippage = "0";
    long long latency_ms = 0;
    double participation = 0;
    std::string intrabar = "stop-first";
    double stop_limit_offset = 0; ///< --stop-limit-offset: protective stops as stop-limits
    double size_qty = 0, size_frac = 0, size_vol = 0, size_kelly = 0;
    bool allow_short = false;
    std::map<std::string, double> params;
    std::string signals, signals_table, signals_source = "default";
    std::string regimes;
    std::string grid, rank_by = "sharpe";
    unsigned threads = 0;
    std::size_t top = 10;
    const CLI::Option* risk_opt = nullptr; ///< --risk (given: count() > 0)
    std::string risk;      ///< its value: "" = the workspace's config/risk.yaml, "off", or a file
    std::string model = "production"; ///< --strategy model: production or a registry name
    int model_version = 0;            ///< --model-version (0: the production version)
};

TimeMs parse_when(const std::string& flag, const std::string& text) {
    const auto t = parse_time(text);
    if (!t)
        throw InputError(flag + ": '" + text +
                         "' is not a date (use 2024-01-31 or 2024-01-31 12:00)");
    return *t;
}

int run(CliContext& ctx, BacktestFlags& fl) {
    BacktestRequest req;
    req.strategy.name = fl.strategy;
    req.strategy.params = fl.params;
    std::stringstream ss(fl.symbols);
    for (std::string s; std::getline(ss, s, ',');)
        if (!s.empty())
            req.symbols.push_back(s);
    req.timeframe = Timeframe::parse_or_throw(fl.timeframe);
    if (!fl.from.empty())
        req.range.from = parse_when("--from", fl.from);
    if (!fl.to.empty())
        req.range.to = parse_when("--to", fl.to);

    if (fl.fee < 0)
        throw InputError("--fee must be >= 0 (got " + std::to_string(fl.fee) + ")");
    req.config.initial_capital = fl.capital;
    req.config.fill.fees.maker = fl.maker_fee >= 0 ? fl.maker_fee : fl.fee;
    req.config.fill.fees.taker = fl.taker_fee >= 0 ? fl.taker_fee : fl.fee;
    if (!fl.spread.empty()) {
        req.config.fill.spread = parse_spread(fl.spread);
        req.spread_set = true;
    }
    req.config.fill.slippage = parse_slippage(fl.slippage);
    req.config.fill.latency_ms = fl.latency_ms;
    req.config.fill.max_participation = fl.participation;
    if (!(fl.stop_limit_offset >= 0 && fl.stop_limit_offset <= 0.2))
        throw InputError(fmt::format("--stop-limit-offset must be in [0, 0.2], got {}",
                                     fl.stop_limit_offset));
    req.config.fill.stop_limit_offset = fl.stop_limit_offset;
    if (fl.intrabar == "stop-first")
        req.config.fill.intrabar = IntrabarPriority::StopFirst;
    else if (fl.intrabar == "tp-first")
        req.config.fill.intrabar = IntrabarPriority::TakeProfitFirst;
    else
        throw InputError("--intrabar must be stop-first or tp-first (got '" + fl.intrabar + "')");
    req.config.allow_short = fl.allow_short;

    const int modes =
        (fl.size_qty > 0) + (fl.size_frac > 0) + (fl.size_vol > 0) + (fl.size_kelly > 0);
    if (modes > 1)
        throw InputError("choose one of --size-qty, --size-frac, --size-vol, --size-kelly");
    if (fl.size_qty < 0 || fl.size_frac < 0 || fl.size_vol < 0 || fl.size_kelly < 0)
        throw InputError("sizing values must be positive");
    SizingConfig& sz = req.strategy.sizing;
    if (fl.size_qty > 0) {
        sz.mode = SizingConfig::Mode::FixedQty;
        sz.qty = fl.size_qty;
        req.sizing_label = fmt::format("fixed qty {:g}", fl.size_qty);
    } else if (fl.size_vol > 0) {
        sz.mode = SizingConfig::Mode::VolTarget;
        sz.vol_target = fl.size_vol;
        req.sizing_label = fmt::format("volatility target {:g}", fl.size_vol);
    } else if (fl.size_kelly > 0) {
        sz.mode = SizingConfig::Mode::Kelly;
        sz.kelly_cap = fl.size_kelly;
        req.sizing_label = fmt::format("half Kelly capped at {:g}", fl.size_kelly);
    } else {
        sz.mode = SizingConfig::Mode::EquityFraction;
        const double n = std::max<std::size_t>(1, req.symbols.size());
        sz.fraction = fl.size_frac > 0 ? fl.size_frac : 1.0 / n;
        req.sizing_label = fmt::format("fraction {:g} of equity", sz.fraction);
    }

    if (fl.strategy == "model") {
        // The registry model of paper/live as the strategy (models/model_backtest).
        if (!fl.params.empty())
            throw InputError("--strategy model takes no strategy parameters");
        ModelSelection sel;
        sel.model = fl.model;
        sel.version = fl.model_version;
        const auto models = load_backtest_models(ctx.workspace(), req.symbols, fl.timeframe, sel);
        req.strategy = model_strategy_spec(models, req.strategy.sizing);
    }

    if (!fl.signals.empty() && !fl.signals_table.empty())
        throw InputError("give either --signals FILE or --signals-table TABLE, not both");
    std::unique_ptr<MarketStore> store = ctx.open_store();
    if (!fl.signals.empty())
        req.strategy.signals = std::make_shared<SignalSeries>(SignalSeries::load_csv(fl.signals));
    else if (!fl.signals_table.empty())
        req.strategy.signals = std::make_shared<SignalSeries>(
            SignalSeries::load_table(store->database(), fl.signals_table, fl.signals_source));
    req.regimes_csv = fl.regimes;
    req.grid = fl.grid;
    req.rank_by = fl.rank_by;
    req.threads = fl.threads;
    req.reports_root = ctx.workspace().reports_dir() / "backtests";

    // Risk off by default (today's figures); --risk runs the account risk manager of paper/live.
    const SpecBacktestRunner runner(
        fl.risk_opt->count() > 0 ? parse_risk_option("--risk", fl.risk,
                                        ctx.workspace().config_file("risk.yaml").string())
                    : RiskSpec::off());
    req.runner = &runner;
    const BacktestOutcome out = run_backtest_request(*store, ctx.instruments(), req);
    const std::string html = (out.report_dir / "report.html").string();
    if (ctx.json) {
        nlohmann::json j = summary_json(out.info, out.metrics, out.result);
        j["report_dir"] = out.report_dir.string();
        if (out.grid) {
            auto& g = j["grid"] = nlohmann::json::array();
            for (const auto& r : out.grid->rows)
                g.push_back({{"params", r.params},
                             {"total_return", r.total_return},
                             {"sharpe", r.sharpe},
                             {"max_drawdown", r.max_drawdown},
                             {"win_rate", r.win_rate},
                             {"trades", r.trades},
                             {"profit_factor", std::isfinite(r.profit_factor)
                                                   ? nlohmann::json(r.profit_factor)
                                                   : nlohmann::json()}});
            j["grid_skipped"] = out.grid->skipped;
            j["rank_by"] = fl.rank_by;
        }
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    if (out.grid) {
        std::cout << "Parameter sweep: " << out.grid->rows.size() << " combinations ranked by "
                  << fl.rank_by;
        if (out.grid->skipped)
            std::cout << " (" << out.grid->skipped << " skipped: " << out.grid->first_skip_reason
                      << ")";
        std::cout << "\n" << grid_text(out.grid->rows, fl.top) << "\nBest combination:\n";
    }
    std::cout << summary_text(out.info, out.metrics, out.result);
    std::cout << "\nReport: " << html << "\n";
    return 0;
}

} // namespace

void register_backtest(CLI::App& app, CliContext& ctx) {
    auto fl = std::make_shared<BacktestFlags>();
    CLI::App* sub = app.add_subcommand(
        "backtest", "Backtest a strategy on stored bars with fees, spread and slippage");
    sub->add_option("--strategy", fl->strategy,
                    "buy-hold | sma-cross | rsi-reversion | donchian-breakout | signals | model");
    sub->add_option("--model", fl->model,
                    "--strategy model: production (each symbol's production model) or a registry "
                    "name");
    sub->add_option("--model-version", fl->model_version,
                    "--strategy model: the version of --model NAME (default: its production one)");
    sub->add_option("--symbol", fl->symbols, "Symbol(s), comma-separated (BTC/USDT,ETH/USDT)")
        ->required();
    sub->add_option("--timeframe", fl->timeframe, "Bar timeframe (1h, 4h, 1d, H1 ...)");
    sub->add_option("--from", fl->from, "First bar open time (UTC), e.g. 2024-01-01");
    sub->add_option("--to", fl->to, "End (exclusive), e.g. 2024-06-01");
    sub->add_option("--capital", fl->capital, "Initial capital in quote currency");
    sub->add_option("--fee", fl->fee,
                    "Fee as a fraction of notional, maker and taker (0.001 = 0.1%)");
    sub->add_option("--maker-fee", fl->maker_fee, "Maker fee (overrides --fee)");
    sub->add_option("--taker-fee", fl->taker_fee, "Taker fee (overrides --fee)");
    sub->add_option("--spread", fl->spread,
                    "none | column (per-bar MT5 spread) | PRICE (e.g. 0.25) | Nbps; default: the "
                    "bars' spread column when they have one, else none");
    sub->add_option("--slippage", fl->slippage,
                    "Comma-separated: Nbps (fixed), vol:K (K x EWMA bar range), sqrt:Y (Y x sigma "
                    "x sqrt(qty/volume)); 0 = none");
    sub->add_option("--latency-ms", fl->latency_ms, "Delay before an order is live, in ms");
    sub->add_option("--participation", fl->participation,
                    "Max fraction of a bar's volume one instrument may fill (0 = no cap)");
    sub->add_option("--intrabar", fl->intrabar,
                    "Take-profit and stop-loss in one bar: stop-first (default) | tp-first");
    sub->add_option("--size-qty", fl->size_qty, "Fixed quantity per position");
    sub->add_option("--size-frac", fl->size_frac, "Fraction of equity per position (default 1/N)");
    sub->add_option("--size-vol", fl->size_vol,
                    "Volatility target (annualised, ATR-based), e.g. 0.2");
    sub->add_option("--size-kelly", fl->size_kelly,
                    "Half-Kelly from past trades, capped at this fraction");
    sub->add_flag("--allow-short", fl->allow_short, "Allow shorts on shortable instruments (CFDs)");
    fl->risk_opt = sub->add_option("--risk", fl->risk,
                                   "Run with the account risk manager of paper/live: a "
                                   "risk.yaml (no value: the workspace's config/risk.yaml), or "
                                   "off (the default)")
                       ->expected(0, 1);
    for (const char* p : {"fast", "slow", "period", "lower", "upper", "exit", "entry", "long-above",
                          "short-below"}) {
        const std::string name = p;
        sub->add_option_function<double>(
            "--" + name, [fl, name](double v) { fl->params[name] = v; },
            "Strategy parameter '" + name + "' (see docs/backtesting.md)");
    }
    sub->add_option_function<double>(
        "--stop-loss", [fl](double v) { fl->params[kStopLossParam] = v; },
        "Protective stop on every entry, a fraction beyond the entry price (0.05 = 5 %)");
    sub->add_option_function<double>(
        "--take-profit", [fl](double v) { fl->params[kTakeProfitParam] = v; },
        "Take-profit target on every position, a fraction beyond the entry price (0.08 = 8 %); "
        "with --stop-loss the two are one OCO pair");
    sub->add_option("--stop-limit-offset", fl->stop_limit_offset,
                    "Protective stops as stop-limits, the limit this fraction beyond the trigger "
                    "(live.stop_limit_offset of paper/live; 0 = stop-market, the default)");
    sub->add_option("--signals", fl->signals, "Signals CSV for --strategy signals");
    sub->add_option("--signals-table", fl->signals_table, "Signals table in the store");
    sub->add_option("--signals-source", fl->signals_source, "Source name within --signals-table");
    sub->add_option("--regimes", fl->regimes,
                    "Regime labels CSV (time,regime); default: the features regime classifier");
    sub->add_option("--grid", fl->grid, "Parameter sweep, e.g. fast=5:50:5,slow=20:200:10");
    sub->add_option("--rank-by", fl->rank_by,
                    "Sweep ranking: sharpe | sortino | total_return | cagr | max_drawdown | "
                    "win_rate | profit_factor");
    sub->add_option("--threads", fl->threads, "Sweep threads (0 = all cores)");
    sub->add_option("--top", fl->top, "Rows of the sweep table to print");
    sub->add_flag("--json", ctx.json, "Print the summary (and the sweep table) as JSON");
    on_run(sub, ctx, [&ctx, fl] { return run(ctx, *fl); });
}

} // namespace aurum
