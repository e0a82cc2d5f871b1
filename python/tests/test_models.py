"""Training, walk-forward, the registry and model backtests from Python: the CLI's reports and
figures; bad input as InputError."""
import subprocess
import sys

import numpy as np
import pytest

import aurum
from conftest import cli, cli_json


def test_import_loads_neither_torch_nor_xgboost(ws):
    code = ("import aurum, sys; w = aurum.Workspace(sys.argv[1]); w.bars('BTC/USDT', '1h'); "
            "maps = open('/proc/self/maps').read(); "
            "print('torch' in maps, 'xgboost' in maps, 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code, ws.path], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False", "True"]


def test_train_report_equals_the_registry(trained, home, ws):
    r = trained.report
    rec = cli_json(home, "registry", "show", trained.model.name)
    assert rec["version"] == trained.model.version
    assert abs(rec["metrics"]["walkforward"]["sharpe"] - r["sharpe"]) < 1e-12
    assert rec["gating"]["passed"] == trained.passed
    assert r["experiment"] and (home / "reports" / "experiments" / "latest" / "summary.txt").exists()
    folds = trained.folds()
    assert len(folds) >= 2 and folds.test_auc.between(0, 1).all()
    cm = trained.confusion_matrix()
    assert cm.values.sum() == len(trained.oos_predictions())
    assert trained.importance().sum() > 0 and len(trained.learning_curve()) > 0
    assert len(trained.equity) == len(trained.buy_hold_equity) > 0


def test_registry_list_and_load(trained, ws):
    reg = ws.registry.list()
    assert trained.model.name in set(reg.name)
    m = ws.registry.load(trained.model.name, "production")
    assert (m.name, m.version, m.kind, m.timeframe) == (trained.model.name, trained.model.version,
                                                        "gbdt", "1h")
    assert ws.registry.load(trained.model.name, trained.model.version).version == m.version
    assert ws.registry.load(trained.model.name, "latest").version >= m.version
    assert m.importance().sum() > 0
    with pytest.raises(aurum.InputError, match="nope"):
        ws.registry.load("nope")
    with pytest.raises(aurum.InputError, match="expected production, latest or a version"):
        ws.registry.load(trained.model.name, "v-one")


def test_model_backtest_equals_the_cli(trained, ws, home):
    m = ws.registry.load(trained.model.name, "production")
    res = aurum.BacktestEngine(model=m, start_date="2024-05-01", end_date="2024-08-01",
                               initial_capital=10000, transaction_cost=0.001).run()
    cli_m = cli_json(home, "backtest", "--strategy", "model", "--model", m.name,
                     "--symbol", "BTC/USDT", "--timeframe", "1h", "--from", "2024-05-01",
                     "--to", "2024-08-01", "--capital", "10000", "--fee", "0.001")
    assert cli_m == res.metrics
    pred = res.get_predictions()
    assert len(pred) > 0 and pred.p_up.between(0, 1).all()
    assert all(len(t) > 0 for t in pred.top_features)
    assert set(pred.target.unique()) <= {-1.0, 0.0, 1.0}


def test_predict_equals_the_cli(trained, ws, home):
    p = ws.predict("BTC/USDT")
    c = cli_json(home, "predict", "--symbol", "BTC/USDT")
    assert p["model"] == c["model"] and abs(p["p_up"] - c["p_up"]) < 1e-12
    assert [f for f, _ in p["drivers"]] == [d["feature"] for d in c["drivers"]]


def test_walkforward_equals_the_cli(trained, ws, home):
    py = aurum.walkforward(ws, ["BTC/USDT"], "1h", risk="off")
    code, out, _ = cli(home, "--json", "walkforward", "--model", "gbdt", "--symbols", "BTC/USDT",
                       "--timeframe", "1h", "--risk", "off", check=False)
    c = __import__("json").loads(out)
    assert code == (0 if py.passed else 1)
    for key in ("sharpe", "max_drawdown", "trades", "oos_auc", "leakage_flags", "promotion"):
        assert c[key] == py.report[key], key
    assert c["gating"]["rules"] == py.report["gating"]["rules"]


@pytest.mark.parametrize("kw, error, message", [
    (dict(symbols=["BTC/USDT"], model="forest"), aurum.InputError, "gbdt, lstm, gnn or ensemble"),
    (dict(symbols=[]), aurum.InputError, "at least one symbol"),
    (dict(symbols=["SOL/USDT"]), aurum.InputError, "SOL/USDT"),
    (dict(symbols=["BTC/USDT"], start="someday"), aurum.InputError, "start: 'someday'"),
    (dict(symbols=["BTC/USDT"], risk="/no/risk.yaml"), aurum.InputError, "risk"),
])
def test_bad_training_input(ws, kw, error, message):
    with pytest.raises(error, match=message):
        aurum.train(ws, timeframe="1h", **kw)


def test_model_backtest_bad_input(trained, ws):
    m = ws.registry.load(trained.model.name, "production")
    with pytest.raises(aurum.InputError, match="either model= or strategy="):
        aurum.BacktestEngine(model=m, strategy="sma-cross")
    with pytest.raises(aurum.InputError, match="expected an aurum.Model"):
        aurum.BacktestEngine(model="gbdt-BTCUSDT-1h")
    with pytest.raises(aurum.InputError, match="4h"):
        aurum.BacktestEngine(model=m, timeframe="4h").run()


def test_cli_model_backtest_refuses_bad_input(trained, home):
    code, _, err = cli(home, "backtest", "--strategy", "model", "--model", "nope",
                       "--symbol", "BTC/USDT", "--timeframe", "1h", check=False)
    assert code == 2 and "no model named 'nope'" in err
    code, _, err = cli(home, "backtest", "--strategy", "model", "--fast", "5",
                       "--symbol", "BTC/USDT", "--timeframe", "1h", check=False)
    assert code == 2 and "takes no strategy parameters" in err
    code, _, err = cli(home, "backtest", "--strategy", "model", "--symbol", "ETH/USDT",
                       "--timeframe", "1h", check=False)
    assert code == 2 and "no production 1h model for ETH/USDT" in err
    code, _, err = cli(home, "backtest", "--strategy", "model", "--grid", "fast=5:10:5",
                       "--symbol", "BTC/USDT", "--timeframe", "1h", check=False)
    assert code == 2 and "no parameters to sweep" in err
