"""aurum.BacktestEngine: `aurum backtest` from Python (same request path, same engine stack)."""
from . import _core
from ._util import date_text, models, times
from .errors import InputError
from .workspace import Model, Workspace


class BacktestEngine:
    """A backtest of a registry model or a rule strategy over the workspace's stored bars.

    engine = BacktestEngine(model=model, start_date='2024-01-01', end_date='2024-06-01',
                            initial_capital=10000, transaction_cost=0.001)
    results = engine.run()

    model: an aurum.Model (ws.registry.load(...)): its symbols and timeframe unless given.
    strategy: a rule strategy name (buy-hold, sma-cross, rsi-reversion, donchian-breakout) with
        `params` ({"fast": 10, "slow": 30}); needs `symbols` and `timeframe`.
    transaction_cost: fee as a fraction of notional (0.001 = 0.1 %), maker and taker.
    slippage: the CLI's text ("2bps", "vol:0.1", "sqrt:0.5") or a number of basis points.
    risk: None/False (off, the CLI's default), True (the workspace's config/risk.yaml, as
        paper/live trade) or a risk.yaml path.
    position_size: fraction of equity per position (default 1 / number of symbols).
    """

    def __init__(self, model=None, strategy=None, symbols=None, timeframe=None, start_date=None,
                 end_date=None, initial_capital=10000, transaction_cost=0.001, slippage=0,
                 risk=None, workspace=None, params=None, position_size=None, spread=None,
                 regimes=None, allow_short=False):
        if model is not None and strategy is not None:
            raise InputError("give either model= or strategy=, not both")
        if model is not None and not isinstance(model, Model):
            raise InputError(f"model: expected an aurum.Model (ws.registry.load(...)), got {model!r}")
        if workspace is None:
            workspace = model.workspace if model is not None else Workspace()
        elif not isinstance(workspace, Workspace):
            workspace = Workspace(workspace)
        self.workspace = workspace
        self.model = model
        if isinstance(symbols, str):
            symbols = [s for s in symbols.split(",") if s]
        if model is None and not symbols:
            raise InputError("symbols: at least one symbol is required, e.g. symbols=['BTC/USDT']")
        self.options = {
            "strategy": strategy or "sma-cross",
            "params": dict(params or {}),
            "symbols": list(symbols) if symbols else None,
            "timeframe": timeframe if timeframe is not None else (None if model is not None else "1h"),
            "start_date": date_text(start_date, "start_date"),
            "end_date": date_text(end_date, "end_date"),
            "initial_capital": float(initial_capital),
            "transaction_cost": float(transaction_cost),
            "slippage": _slippage_text(slippage),
            "spread": spread,
            "risk": risk,
            "position_size": position_size,
            "regimes": regimes,
            "allow_short": bool(allow_short),
        }

    def run(self):
        """Runs the backtest (the GIL is released while the engine runs); writes the same
        reports/backtests/<id>/ as the CLI and returns BacktestResults."""
        if self.model is not None:
            run = models().backtest_model(self.workspace._mh, dict(self.options),
                                          self.model.name, int(self.model.version))
        else:
            run = _core.run_backtest(self.workspace._h, dict(self.options))
        return BacktestResults(run)


def _slippage_text(value):
    if value is None or value == 0:
        return "0"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and value > 0:
        return f"{float(value):g}bps"
    raise InputError(f"slippage: expected basis points or the CLI's text like '2bps', got {value!r}")


class BacktestResults:
    """What a backtest produced: metrics (the CLI's --json summary), equity, trades, charts."""

    def __init__(self, run):
        self._run = run
        self.metrics = run.summary_json
        self.report_dir = run.report_dir
        self._trades = None

    def __repr__(self):
        m = self.metrics
        return (f"<BacktestResults {m['strategy']} {','.join(m['symbols'])} {m['timeframe']}: "
                f"Sharpe {m['sharpe']:.2f}, {m['trades']} trades>")

    @property
    def equity(self):
        """Equity at each step's close (a view of the engine's curve)."""
        import pandas as pd
        return pd.Series(self._run.equity, index=times(self._run.equity_time), name="equity",
                         copy=False)

    @property
    def drawdown(self):
        """Equity / running peak - 1 (<= 0), as the report's equity.csv."""
        import numpy as np
        import pandas as pd
        eq = self._run.equity
        peak = np.maximum.accumulate(np.maximum(eq, self.metrics["initial_capital"]))
        return pd.Series(eq / peak - 1.0, index=times(self._run.equity_time), name="drawdown")

    def summary(self):
        """The CLI's readable summary (Sharpe Ratio, Max Drawdown, Win Rate, Profit Factor...)."""
        return self._run.summary_text

    def print_summary(self):
        print(self.summary(), end="")

    def get_trades(self):
        """Closed trades: symbol, direction, entry/exit time and price, qty, gross_pnl, fees,
        pnl (net), return_pct, bars_held, reason (signal, stop_loss, take_profit), regime."""
        if self._trades is None:
            import pandas as pd
            d = self._run.trades()
            cat = pd.Categorical.from_codes
            self._trades = pd.DataFrame({
                "symbol": cat(d["instrument"], categories=d["symbols"]),
                "direction": cat((d["direction"] < 0).astype("int8"), categories=["long", "short"]),
                "entry_time": pd.to_datetime(d["entry_time"], unit="ms", utc=True),
                "exit_time": pd.to_datetime(d["exit_time"], unit="ms", utc=True),
                "entry_price": d["entry_price"], "exit_price": d["exit_price"], "qty": d["qty"],
                "gross_pnl": d["gross_pnl"], "fees": d["fees"], "pnl": d["pnl"],
                "return_pct": d["return_pct"], "bars_held": d["bars_held"],
                "reason": cat(d["reason"], categories=d["reason_names"]),
                "regime": cat(d["regime"], categories=_unique(d["regime_names"])),
            }, copy=False)
        return self._trades.copy(deep=False)

    def get_predictions(self):
        """A model backtest's predictions: time, symbol, model, p_up, target, expected_value and
        the top contributing features (SHAP log-odds for GBDT). None for rule strategies."""
        import json
        import pandas as pd
        d = self._run.predictions()
        if d is None:
            return None
        return pd.DataFrame({"time": pd.to_datetime(d["time"], unit="ms", utc=True),
                             "symbol": d["symbol"], "model": d["model"], "p_up": d["p_up"],
                             "target": d["target"], "expected_value": d["expected_value"],
                             "top_features": [json.loads(t) for t in d["top_features"]]})

    def performance_by_regime(self):
        """The per-regime table of the report: bars, time share, return, Sharpe, trades."""
        import pandas as pd
        return pd.DataFrame(self.metrics["regimes"]).set_index("regime")

    # ----- charts (matplotlib, loaded on first use) ---------------------------------------
    def plot_equity_curve(self, ax=None):
        ax = _axes(ax)
        self.equity.plot(ax=ax, label="strategy")
        ax.set_title(f"Equity: {self.metrics['strategy']} on {', '.join(self.metrics['symbols'])}")
        ax.set_ylabel("equity")
        ax.legend()
        return ax

    def plot_drawdown(self, ax=None):
        ax = _axes(ax)
        dd = self.drawdown * 100
        ax.fill_between(dd.index, dd.values, 0, color="tab:red", alpha=0.4)
        ax.set_title(f"Drawdown (max {self.metrics['max_drawdown'] * 100:.1f}%)")
        ax.set_ylabel("%")
        return ax

    def plot_performance_by_regime(self, ax=None):
        ax = _axes(ax)
        t = self.performance_by_regime()
        (t[["total_return", "buy_hold_return"]] * 100).plot.bar(ax=ax)
        ax.set_title("Return by regime: strategy vs buy-and-hold (%)")
        ax.set_ylabel("%")
        return ax


def _unique(names):
    # Category names must be unique; the engine emits each label once (the empty label stays "").
    return [n if n else "none" for n in names]


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt
    _, ax = plt.subplots(figsize=(10, 4))
    return ax
