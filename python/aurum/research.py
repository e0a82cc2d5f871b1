"""aurum.train / aurum.walkforward: `aurum train` and `aurum walkforward` from Python (the same
pipeline, engine stack, gating, registry and reports)."""
from ._util import date_text, models, times
from .errors import InputError
from .workspace import Model, Workspace


def train(workspace, symbols, timeframe="4h", model="gbdt", start=None, end=None, name=None,
          promote=False, force=False, risk=None):
    """Trains `model` (gbdt | lstm | gnn | ensemble) with purged walk-forward validation,
    leakage controls and gating; registers a candidate (promoted when `promote` and gating
    passes); writes reports/experiments/<id>/ and the walk-forward report. `risk`: None (the
    workspace's config/risk.yaml, as the CLI), "off" or a risk.yaml."""
    return _run(True, workspace, symbols, timeframe, model, start, end, name, promote, force, risk)


def walkforward(workspace, symbols, timeframe="4h", model="gbdt", start=None, end=None,
                name=None, promote=False, force=False, risk=None):
    """Re-runs the walk-forward of the latest version of the model (or validates the spec ad hoc)
    and writes reports/walkforward/summary.md; TrainReport.passed is the gating verdict."""
    return _run(False, workspace, symbols, timeframe, model, start, end, name, promote, force, risk)


def _run(is_train, workspace, symbols, timeframe, model, start, end, name, promote, force, risk):
    if not isinstance(workspace, Workspace):
        workspace = Workspace(workspace)
    if isinstance(symbols, str):
        symbols = [s for s in symbols.split(",") if s]
    if model not in ("gbdt", "lstm", "gnn", "ensemble"):
        raise InputError(f"model: expected gbdt, lstm, gnn or ensemble, got {model!r}")
    options = {"model": model, "symbols": list(symbols or []), "timeframe": timeframe,
               "start": date_text(start, "start") or None, "end": date_text(end, "end") or None,
               "name": name, "promote": bool(promote), "force": bool(force), "risk": risk}
    fn = models().train if is_train else models().walkforward
    return TrainReport(workspace, fn(workspace._mh, options))


class TrainReport:
    """What a training or walk-forward produced.

    report: the CLI's --json (gating rules, Sharpe, drawdown, trades, OOS AUC, promotion, paths)
    passed: the gating verdict; model: the registered aurum.Model (train)
    folds(), importance(), learning_curve(), confusion_matrix(), oos_predictions(), equity
    """

    def __init__(self, workspace, d):
        self._d = d
        self.workspace = workspace
        self.report = d["report"]
        self.passed = bool(d["passed"])
        self.model = Model(workspace, d["record"]) if d["record"] else None

    def __repr__(self):
        r = self.report
        return (f"<TrainReport gating {'PASSED' if self.passed else 'FAILED'}: Sharpe "
                f"{r['sharpe']:.2f}, max drawdown {r['max_drawdown'] * 100:.1f}%, "
                f"{r['trades']} trades; production: {r['promotion']}>")

    @property
    def gating(self):
        return self.report["gating"]

    def folds(self):
        """Per walk-forward fold: windows, rows, purged/embargoed, AUCs, backtest figures."""
        import pandas as pd
        df = pd.DataFrame(self._d["folds"])
        for c in ("train_from", "train_to", "test_from", "test_to"):
            if c in df:
                df[c] = pd.to_datetime(df[c], unit="ms", utc=True)
        return df.set_index("fold") if "fold" in df else df

    def importance(self):
        import pandas as pd
        s = pd.Series(dict(self._d["importance"]), name="importance", dtype=float)
        return s.sort_values(ascending=False)

    def learning_curve(self):
        import pandas as pd
        c = self._d["curve"]
        df = pd.DataFrame({"train": c["train"], "valid": c["valid"]})
        df.index.name = "iteration"
        df.attrs.update(metric=c["metric"], best_iteration=c["best_iteration"])
        return df

    def confusion_matrix(self):
        """Out-of-sample confusion matrix at P(up) = 0.5 (rows: actual, columns: predicted)."""
        import pandas as pd
        c = self._d["confusion"]
        return pd.DataFrame([[c["tn"], c["fp"]], [c["fn"], c["tp"]]],
                            index=["actual down", "actual up"],
                            columns=["predicted down", "predicted up"])

    def oos_predictions(self):
        import pandas as pd
        return pd.Series(self._d["oos_p"], index=times(self._d["oos_time"]), name="p_up")

    @property
    def equity(self):
        """The stitched out-of-sample equity of the walk-forward."""
        import pandas as pd
        return pd.Series(self._d["equity"], index=times(self._d["equity_time"]), name="equity")

    @property
    def buy_hold_equity(self):
        import pandas as pd
        return pd.Series(self._d["buy_hold_equity"], index=times(self._d["equity_time"]),
                         name="buy_hold")
