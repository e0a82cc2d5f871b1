"""aurum.Workspace: the read side, equal to what the CLI shows; bad input raises InputError."""
import sqlite3

import numpy as np
import pandas as pd
import pytest

import aurum
from conftest import cli_json


def test_series_lists_what_the_store_holds(ws):
    s = ws.series()
    assert set(zip(s.symbol, s.timeframe)) == {("BTC/USDT", "1h"), ("ETH/USDT", "1h")}
    assert (s.bars == 240 * 24).all()


def test_bars_equal_the_cli(ws, home):
    df = ws.bars("BTC/USDT", "1h", start="2024-03-01", end="2024-03-02")
    assert list(df.columns) == ["open", "high", "low", "close", "volume"]
    assert len(df) == 24 and str(df.index.tz) == "UTC"
    assert df.index[0] == pd.Timestamp("2024-03-01", tz="UTC")
    shown = cli_json(home, "data", "show", "--symbol", "BTC/USDT", "--timeframe", "1h",
                     "--limit", "3")["bars"]
    full = ws.bars("BTC/USDT", "1h")
    for row in shown:
        b = full.loc[pd.Timestamp(row["time"])]
        assert (b.open, b.high, b.low, b.close) == (row["open"], row["high"], row["low"], row["close"])


def test_bars_columns_are_not_copied(ws):
    df = ws.bars("BTC/USDT", "1h")
    arr = df["close"].to_numpy()
    assert not arr.flags.owndata  # a view of the engine's vector, owned through a capsule


@pytest.mark.parametrize("args, message", [
    (("DOGE/USDT", "1h"), "no 1h bars for DOGE/USDT"),
    (("BTC/USDT", "7x"), "timeframe"),
    (("BTC/USDT", "1h", "yesterday"), "start: 'yesterday' is not a date"),
    (("BTC/USDT", "1h", "2030-01-01"), "in the requested date range"),
])
def test_bad_bar_requests_raise_input_error(ws, args, message):
    with pytest.raises(aurum.InputError, match=message):
        ws.bars(*args)


def test_missing_workspace_is_an_input_error(tmp_path):
    with pytest.raises(aurum.InputError, match="no such directory"):
        aurum.Workspace(tmp_path / "nope")


def test_features_equal_the_cli_and_are_a_view(ws, home):
    f = ws.features("BTC/USDT", "1h")
    cli = cli_json(home, "features", "show", "--symbol", "BTC/USDT", "--timeframe", "1h")
    assert cli["feature_set_id"] == f.attrs["feature_set_id"]
    assert cli["names"] == list(f.columns) and cli["rows"] == len(f)
    assert np.isfinite(f.values).all()
    bars = ws.bars("BTC/USDT", "1h")
    assert np.allclose(f.log_return_1, np.log(bars.close).diff().loc[f.index])
    assert ws.features("BTC/USDT", "1h", start="2024-06-01").index.min() >= pd.Timestamp("2024-06-01", tz="UTC")
    with pytest.raises(aurum.InputError):
        ws.features("BTC/USDT", "1h", "no-such-set")


def test_labels_have_their_end_times(ws):
    lab = ws.labels("BTC/USDT", "1h")
    assert set(lab.label.unique()) <= {-1, 0, 1}
    assert (lab.t1 >= lab.index).all()
    with pytest.raises(aurum.InputError):
        ws.labels("BTC/USDT", "1h", "no-such-method")


def test_regimes_stored_equal_the_classifier_and_the_cli(ws, home):
    stored = ws.regimes("BTC/USDT", "1h")
    # Stored from the end of the classifier's warm-up on; equal to it run now.
    again = ws.regimes("BTC/USDT", "1h", stored=False)
    assert stored.index.isin(again.index).all() and len(stored) >= 0.9 * len(again)
    assert (again.loc[stored.index] == stored).all()
    cli = cli_json(home, "regimes", "show", "--symbol", "BTC/USDT", "--timeframe", "1h", "--rows", "20")
    assert [r["regime"] for r in cli] == list(stored.iloc[-20:].astype(str))
    hmm = ws.regimes("BTC/USDT", "1h", method="hmm", stored=False)
    assert len(hmm) == len(again)
    with pytest.raises(aurum.InputError, match="no stored hmm regimes"):
        ws.regimes("BTC/USDT", "1h", method="hmm")
    with pytest.raises(aurum.InputError, match="percentile or hmm"):
        ws.regimes("BTC/USDT", "1h", method="nope", stored=False)


def test_validation_equals_the_cli(ws, home):
    reports = ws.validate()
    cli = cli_json(home, "data", "validate", check=False)
    assert [(r["symbol"], r["status"], [c["status"] for c in r["checks"]]) for r in reports] == \
           [(r["symbol"], r["status"], [c["status"] for c in r["checks"]]) for r in cli["series"]]
    assert len(ws.validate("ETH/USDT")) == 1
    with pytest.raises(aurum.InputError, match="no stored bars for SOL/USDT"):
        ws.validate("SOL/USDT")


def test_feature_matrices_are_listed(ws):
    m = ws.feature_matrices()
    assert {"BTC/USDT", "ETH/USDT"} <= set(m.symbol)


def test_session_readers_before_any_session(tmp_path):
    (tmp_path / "w").mkdir()
    w = aurum.Workspace(tmp_path / "w")
    with pytest.raises(aurum.InputError, match="no paper or live session"):
        w.trades()
    assert w.sessions().empty and w.audit_log().empty


def test_session_readers_equal_the_database(ws, paper_session):
    sessions = ws.sessions()
    assert len(sessions) == 1 and sessions.iloc[0]["mode"] == "paper"
    trades = ws.trades()
    db = sqlite3.connect(paper_session / "data" / "aurum.db")
    rows = db.execute("SELECT symbol, pnl FROM live_trades ORDER BY seq").fetchall()
    assert len(trades) == len(rows) > 0
    assert np.allclose(trades.pnl, [r[1] for r in rows])
    decisions = ws.risk_decisions()
    n = db.execute("SELECT COUNT(*) FROM live_risk_decisions").fetchone()[0]
    assert len(decisions) == n > 0
    assert (decisions.approved.abs() <= decisions.requested.abs() + 1e-12).all()
    assert ws.predictions().empty  # a rule strategy makes no model predictions
    assert isinstance(ws.audit_log(), pd.DataFrame)
    with pytest.raises(aurum.InputError, match="no session 'nope'"):
        ws.trades("nope")
