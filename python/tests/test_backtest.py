"""aurum.BacktestEngine: the figures of `aurum backtest` for the same inputs, bad input as
InputError with the CLI's words, the GIL released, no memory growth."""
import threading
import time

import numpy as np
import pandas as pd
import pytest

import aurum
from conftest import cli_json


def run(ws, **kw):
    args = dict(strategy="sma-cross", symbols=["BTC/USDT"], timeframe="1h", workspace=ws)
    args.update(kw)
    return aurum.BacktestEngine(**args).run()


def test_rule_backtest_equals_the_cli(ws, home):
    res = run(ws, params={"fast": 12, "slow": 48}, start_date="2024-02-01", end_date="2024-07-01",
              initial_capital=25000, transaction_cost=0.0015, slippage="3bps")
    cli = cli_json(home, "backtest", "--strategy", "sma-cross", "--fast", "12", "--slow", "48",
                   "--symbol", "BTC/USDT", "--timeframe", "1h", "--from", "2024-02-01",
                   "--to", "2024-07-01", "--capital", "25000", "--fee", "0.0015",
                   "--slippage", "3bps")
    assert cli == res.metrics
    assert res.metrics["trades"] > 0


def test_two_symbols_with_risk_on_equal_the_cli(ws, home):
    res = run(ws, strategy="donchian-breakout", symbols=["BTC/USDT", "ETH/USDT"], risk=True,
              slippage=2)
    cli = cli_json(home, "backtest", "--strategy", "donchian-breakout",
                   "--symbol", "BTC/USDT,ETH/USDT", "--timeframe", "1h", "--risk",
                   "--slippage", "2bps")
    assert cli == res.metrics
    assert res.metrics["risk"] != "off"


def test_trades_match_the_report(ws):
    res = run(ws)
    trades = res.get_trades()
    assert list(trades.columns) == ["symbol", "direction", "entry_time", "exit_time", "entry_price",
                                    "exit_price", "qty", "gross_pnl", "fees", "pnl", "return_pct",
                                    "bars_held", "reason", "regime"]
    csv = pd.read_csv(f"{res.report_dir}/trades.csv")
    assert len(trades) == len(csv) == res.metrics["trades"] > 0
    assert np.allclose(trades.pnl, csv.net_pnl, atol=1e-6)
    assert list(trades.regime.astype(str)) == list(csv.regime.fillna("none").astype(str))
    assert set(trades.reason) <= {"signal", "stop_loss", "take_profit"}
    assert (trades.exit_time >= trades.entry_time).all()
    losers = trades[trades["pnl"] < 0]
    assert (losers.pnl < 0).all()


def test_equity_and_drawdown(ws):
    res = run(ws)
    eq = res.equity
    assert len(eq) == res.metrics["bars"]
    assert not eq.to_numpy().flags.owndata  # a view of the engine's curve
    assert abs(eq.iloc[-1] - res.metrics["final_equity"]) < 1e-9
    assert abs(res.drawdown.min() - res.metrics["max_drawdown"]) < 1e-12


def test_summary_and_charts(ws, capsys):
    import matplotlib
    matplotlib.use("Agg")
    res = run(ws)
    res.print_summary()
    out = capsys.readouterr().out
    for line in ("Sharpe Ratio:", "Max Drawdown:", "Win Rate:", "Profit Factor:"):
        assert line in out
    assert len(res.plot_equity_curve().get_lines()) == 1
    assert len(res.plot_drawdown().collections) == 1
    regimes = res.performance_by_regime()
    assert len(res.plot_performance_by_regime().patches) == 2 * len(regimes) > 0
    assert "Sharpe" in repr(res)


@pytest.mark.parametrize("kw, message", [
    (dict(strategy="moon"), "unknown strategy 'moon'"),
    (dict(params={"fast": 30, "slow": 10}), "must be less than --slow"),
    (dict(params={"speed": 3}), "has no parameter 'speed'"),
    (dict(transaction_cost=-0.1), "transaction_cost must be >= 0"),
    (dict(initial_capital=0), "--capital must be positive"),
    (dict(timeframe="9q"), "timeframe"),
    (dict(symbols=["NOPE/USDT"]), "NOPE/USDT"),
    (dict(start_date="2024-05-01", end_date="2024-04-01"), "empty date range"),
    (dict(start_date="soon"), "start_date: 'soon' is not a date"),
    (dict(slippage="lots"), "slippage"),
    (dict(risk="/no/such/risk.yaml"), "risk"),
    (dict(symbols=[]), "at least one symbol"),
])
def test_bad_input_raises_input_error(ws, kw, message):
    with pytest.raises(aurum.InputError, match=message):
        run(ws, **kw)


def test_bad_input_writes_no_report(ws, home):
    before = set((home / "reports" / "backtests").glob("*"))
    with pytest.raises(aurum.InputError):
        run(ws, params={"fast": 30, "slow": 10})
    assert set((home / "reports" / "backtests").glob("*")) == before


def test_the_gil_is_released_while_the_engine_runs(ws):
    done = threading.Event()
    ticks = 0

    def work():
        for _ in range(5):
            run(ws, symbols=["BTC/USDT", "ETH/USDT"])
        done.set()

    t = threading.Thread(target=work)
    t.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.0005)
    t.join()
    # With the GIL held for the whole run this loop could not advance while the engine ran.
    assert ticks > 20


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1e6


def test_no_memory_growth_over_1000_backtests(ws):
    kw = dict(start_date="2024-03-01", end_date="2024-03-15")
    for _ in range(100):
        res = run(ws, **kw)
        res.get_trades()
    base = rss_mb()
    for _ in range(1000):
        res = run(ws, **kw)
        res.get_trades()
        _ = res.equity
    grown = rss_mb() - base
    assert grown < 16, f"RSS grew {grown:.1f} MB over 1000 backtests"
