"""aurum.Workspace: read a workspace's data, registry and paper/live session (read-only)."""
import json
import os

from . import _core
from ._util import date_text, default_home, models, times
from .errors import InputError


class Workspace:
    """A workspace directory as the CLI sees it (`--home PATH`, `--db SPEC`).

    ws = aurum.Workspace("workspace")
    ws.bars("BTC/USDT", "4h", start="2024-01-01", end="2024-06-01")   # DataFrame
    """

    def __init__(self, path=None, db=None):
        self.path = os.path.abspath(path if path is not None else default_home())
        self.db = db or ""
        if not os.path.isdir(self.path):
            raise InputError(f"workspace {self.path}: no such directory")
        self._core_handle = None
        self._models_handle = None

    def __repr__(self):
        return f"aurum.Workspace({self.path!r})"

    # Each extension module keeps its own handle (store connection) to the workspace.
    @property
    def _h(self):
        if self._core_handle is None:
            self._core_handle = _core.WorkspaceHandle(self.path, self.db)
        return self._core_handle

    @property
    def _mh(self):
        if self._models_handle is None:
            self._models_handle = models().WorkspaceHandle(self.path, self.db)
        return self._models_handle

    # ----- market data ---------------------------------------------------------------------
    def series(self):
        """Stored series: symbol, timeframe, bars, first, last."""
        import pandas as pd
        df = pd.DataFrame(_core.series(self._h), columns=["symbol", "timeframe", "bars", "first", "last"])
        for c in ("first", "last"):
            df[c] = pd.to_datetime(df[c], unit="ms", utc=True)
        return df

    def bars(self, symbol, timeframe, start=None, end=None):
        """OHLCV bars [start, end) indexed by open time (UTC): open, high, low, close, volume
        (and spread for MT5 data). Columns are the engine's arrays, not copies."""
        import pandas as pd
        d = _core.bars(self._h, symbol, timeframe, date_text(start, "start"), date_text(end, "end"))
        cols = {k: d[k] for k in ("open", "high", "low", "close", "volume", "spread") if k in d}
        return pd.DataFrame(cols, index=times(d["time"]), copy=False)

    def validate(self, symbol=None, timeframe=None):
        """`aurum data validate --json`'s per-series reports (status, checks with counts)."""
        return _core.validate(self._h, symbol or "", timeframe or "")

    # ----- features, labels, regimes -------------------------------------------------------
    def features(self, symbol, timeframe, feature_set="default", start=None, end=None):
        """The stored feature matrix (`aurum features build`): one row per bar, one column per
        feature; values are a view of the stored matrix."""
        import pandas as pd
        d = _core.features(self._h, symbol, timeframe, feature_set)
        df = pd.DataFrame(d["values"], index=times(d["time"]), columns=d["names"], copy=False)
        df.attrs["feature_set_id"] = d["feature_set_id"]
        return _slice(df, start, end)

    def feature_matrices(self):
        """Stored feature matrices: symbol, timeframe, feature set, rows."""
        import pandas as pd
        return pd.DataFrame(_core.stored_matrices(self._h))

    def labels(self, symbol, timeframe, method="triple-barrier"):
        """Stored labels (`aurum labels build`): label, ret, barrier, side, t1 per decision bar."""
        import pandas as pd
        d = _core.labels(self._h, symbol, timeframe, method)
        df = pd.DataFrame({"label": d["label"], "ret": d["ret"], "barrier": d["barrier"],
                           "side": d["side"]}, index=times(d["time"]))
        df["t1"] = pd.to_datetime(d["t1"], unit="ms", utc=True)
        df.attrs["params"] = d["params"]
        return df

    def regimes(self, symbol, timeframe, method="percentile", stored=True):
        """Regime per bar ("bull", "bear", "ranging", "high_vol", "unknown"): the labels stored by
        `aurum regimes build`, or (stored=False) the classifier run now over the stored bars."""
        import pandas as pd
        fn = _core.regimes if stored else _core.classify_regimes
        d = fn(self._h, symbol, timeframe, method)
        cat = pd.Categorical.from_codes(d["code"], categories=d["names"])
        return pd.Series(cat, index=times(d["time"]), name="regime")

    # ----- the registry --------------------------------------------------------------------
    @property
    def registry(self):
        """The model registry (models/registry/): list() and load(name, "production")."""
        return Registry(self)

    def predict(self, symbol, model="production", name=None, timeframe=None):
        """`aurum predict`: the latest decision of a registered model, with its drivers."""
        d = models().predict(self._mh, model, symbol, name or "", timeframe or "")
        return d

    # ----- the paper/live session (read-only) ----------------------------------------------
    def sessions(self):
        import pandas as pd
        df = pd.DataFrame(_core.sessions(self._h),
                          columns=["id", "mode", "symbols", "timeframe", "capital", "strategy",
                                   "status", "created_at"])
        df["created_at"] = pd.to_datetime(df["created_at"], unit="ms", utc=True)
        return df

    def trades(self, session=None):
        """Closed round trips of a session (default: the latest)."""
        import pandas as pd
        d = _core.session_trades(self._h, session or "")
        df = pd.DataFrame({k: d[k] for k in ("symbol", "direction", "entry_price", "exit_price",
                                             "qty", "pnl", "fees")})
        df.insert(2, "entry_time", pd.to_datetime(d["entry_time"], unit="ms", utc=True))
        df.insert(3, "exit_time", pd.to_datetime(d["exit_time"], unit="ms", utc=True))
        df["direction"] = df["direction"].map({1: "long", -1: "short"})
        df.attrs["session"] = d["session"]
        return df

    def risk_decisions(self, session=None, limit=10000):
        """Every risk verdict of a session: requested vs approved size, rule, reason."""
        import pandas as pd
        df = pd.DataFrame(_core.risk_decisions(self._h, session or "", limit),
                          columns=["time", "symbol", "source", "verdict", "requested",
                                   "approved", "rule", "reason"])
        df["time"] = pd.to_datetime(df["time"], unit="ms", utc=True)
        return df

    def predictions(self, session=None):
        """The model's predictions stored by a session, with their top contributing features."""
        import pandas as pd
        rows = []
        for p in _core.session_predictions(self._h, session or ""):
            detail = p["detail"] or {}
            rows.append({"time": p["time"], "symbol": p["symbol"], "p_up": p["p_up"],
                         "model": detail.get("model"), "signal": detail.get("signal"),
                         "expected_value": detail.get("ev"),
                         "contributions": detail.get("contributions"),
                         "top_features": detail.get("top", [])})
        df = pd.DataFrame(rows, columns=["time", "symbol", "p_up", "model", "signal",
                                         "expected_value", "contributions", "top_features"])
        df["time"] = pd.to_datetime(df["time"], unit="ms", utc=True)
        return df

    def audit_log(self, limit=10000):
        """The audit log (manual commands, risk changes, promotions), newest first."""
        import pandas as pd
        df = pd.DataFrame(_core.audit_log(self._h, limit),
                          columns=["time", "action", "reason", "details", "result"])
        df["time"] = pd.to_datetime(df["time"], unit="ms", utc=True)
        return df


def _slice(df, start, end):
    if start is not None:
        df = df[df.index >= _ts(start)]
    if end is not None:
        df = df[df.index < _ts(end)]
    return df


def _ts(value):
    import pandas as pd
    t = pd.Timestamp(value)
    return t.tz_localize("UTC") if t.tzinfo is None else t


class Registry:
    """The workspace's model registry."""

    def __init__(self, workspace):
        self.workspace = workspace

    def list(self, name=None):
        """Every registered version: name, version, kind, status, timeframe, symbols, Sharpe,
        max drawdown and the gating verdict (as `aurum registry list`)."""
        import pandas as pd
        rows = []
        for r in models().registry_list(self.workspace._mh, name or ""):
            wf = (r.get("metrics") or {}).get("walkforward", {})
            rows.append({"name": r["name"], "version": r["version"], "kind": r["kind"],
                         "status": r["status"], "timeframe": r["timeframe"],
                         "symbols": ",".join(r["symbols"]), "sharpe": wf.get("sharpe"),
                         "max_drawdown": wf.get("max_drawdown"),
                         "gating": "pass" if (r.get("gating") or {}).get("passed") else "FAIL"})
        return pd.DataFrame(rows, columns=["name", "version", "kind", "status", "timeframe",
                                           "symbols", "sharpe", "max_drawdown", "gating"])

    def load(self, name, version="production"):
        """A registered version: "production", "latest" or a number."""
        record = models().registry_get(self.workspace._mh, name, str(version))
        return Model(self.workspace, record)


class Model:
    """A registered model version (what BacktestEngine(model=...) trades)."""

    def __init__(self, workspace, record):
        self.workspace = workspace
        self.record = record
        self.name = record["name"]
        self.version = record["version"]
        self.kind = record["kind"]
        self.status = record["status"]
        self.symbols = list(record["symbols"])
        self.timeframe = record["timeframe"]

    def __repr__(self):
        return f"<aurum.Model {self.name} v{self.version} ({self.kind}, {self.status})>"

    @property
    def metrics(self):
        return self.record.get("metrics", {})

    @property
    def gating(self):
        return self.record.get("gating", {})

    def importance(self):
        """The model's global feature importance (gain for GBDT), largest first."""
        import pandas as pd
        pairs = models().importance(self.workspace._mh, self.name, self.version)
        s = pd.Series(dict(pairs), name="importance", dtype=float)
        return s.sort_values(ascending=False)

    def to_json(self):
        return json.dumps(self.record, indent=2)
