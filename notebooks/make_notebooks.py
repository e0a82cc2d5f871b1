#!/usr/bin/python3
"""Writes the notebooks (notebooks/*.ipynb) from the cells below: `make notebooks-generate`.

The .ipynb files are committed without outputs; this script is their source. Every notebook
starts from aurum_notebook.workspace() (your AURUM_HOME, or the prepared demo workspace on the
real data in ../shared/data or the synthetic market) and ends with assertions on what it
computed, so `make test` (nbclient, run_notebook.py) fails when a notebook shows nothing.
"""
import hashlib
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """%matplotlib inline
import json
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

import aurum
import aurum_notebook as nb

ws = nb.workspace()
SYMBOL, TF = nb.SYMBOL, nb.TF"""

NOTEBOOKS = {}


def notebook(name, title, intro, *cells, skip=None, setup=SETUP):
    out = [new_markdown_cell(f"# {title}\n\n{intro}")]
    if not skip:
        out.append(new_code_cell(setup))
    for c in cells:
        if c.startswith("## ") or c.startswith("**") or c.startswith("> "):
            out.append(new_markdown_cell(c))
        else:
            out.append(new_code_cell(c.strip("\n")))
    # Cell ids from the notebook's name and the cell's place: regenerating changes only what changed.
    for i, cell in enumerate(out):
        cell["id"] = hashlib.sha1(f"{name}:{i}".encode()).hexdigest()[:8]
    nb = new_notebook(cells=out)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    if skip:
        nb.metadata["aurum"] = {"skip": skip}
    NOTEBOOKS[name] = nb


# ---------------------------------------------------------------------------------------------
notebook("01_data_validation", "01 Data validation",
         "Seed 000, week 1: *sample of fetched data, data quality checks (missing values, "
         "outliers), feature distributions, correlation heatmaps*. The checks are the engine's "
         "(`aurum data validate`); the notebook recomputes some of them in pandas.",
"""ws.series()""",
"""btc = ws.bars(SYMBOL, TF)
btc.tail(10)""",
"## Data quality: the engine's checks",
"""reports = ws.validate()
checks = pd.DataFrame([{"series": f"{r['symbol']} {r['timeframe']}", "check": c["name"],
                        "status": c["status"], "count": c["count"], "summary": c["summary"]}
                       for r in reports for c in r["checks"]])
checks.pivot(index="check", columns="series", values="status")""",
"""checks[checks.status != "PASS"][["series", "check", "status", "count", "summary"]]""",
"## Missing values, gaps and outliers, recomputed here",
"""missing = {f"{s.symbol} {s.timeframe}": int(ws.bars(s.symbol, s.timeframe).isna().sum().sum())
           for s in ws.series().itertuples()}
step = btc.index.to_series().diff().dropna()
gaps = step[step > step.min()]
r = np.log(btc.close).diff().dropna()
z = (r - r.median()) / (1.4826 * (r - r.median()).abs().median())
outliers = r[z.abs() > 12]
print("missing values per series:", missing)
print(f"{len(gaps)} gaps in {SYMBOL} {TF}; largest {gaps.max() if len(gaps) else 'none'}")
print(f"{len(outliers)} returns beyond 12 robust z-scores")
outliers.head()""",
"""fig, ax = plt.subplots(1, 2, figsize=(12, 3.5))
btc.close.plot(ax=ax[0], title=f"{SYMBOL} {TF} close", logy=True)
r.hist(bins=200, ax=ax[1]); ax[1].set_title("log returns")""",
"## Feature distributions and correlation heatmap",
"""f = ws.features(SYMBOL, TF)
cols = ["log_return_1", "rsi_14", "atr_14_pct", "zscore_20", "volume_zscore_20", "adx_14"]
f[cols].hist(bins=60, figsize=(12, 6), layout=(2, 3));""",
"""corr = f.corr()
fig, ax = plt.subplots(figsize=(9, 8))
im = ax.imshow(corr.values, cmap="RdBu_r", vmin=-1, vmax=1)
ax.set_xticks(range(len(corr))); ax.set_xticklabels(corr.columns, rotation=90, fontsize=6)
ax.set_yticks(range(len(corr))); ax.set_yticklabels(corr.columns, fontsize=6)
fig.colorbar(im); ax.set_title("feature correlation");""",
"## Assertions",
"""# The statuses equal `aurum data validate --json` (exit 1 when a series FAILs).
cli = nb.cli_json(ws.path, "data", "validate", check=False)
assert [(s["symbol"], s["timeframe"], s["status"]) for s in cli["series"]] == \\
       [(r["symbol"], r["timeframe"], r["status"]) for r in reports]
assert all(v == 0 for v in missing.values()), missing
assert (btc.high >= btc[["open", "close"]].max(axis=1)).all()
assert (btc.low <= btc[["open", "close"]].min(axis=1)).all()
stored = ws.series().set_index(["symbol", "timeframe"]).loc[(SYMBOL, TF), "bars"]
assert len(btc) == stored
assert np.allclose(np.diag(corr.values), 1) and corr.shape == (f.shape[1], f.shape[1])
print("all checks hold")""")

# ---------------------------------------------------------------------------------------------
notebook("01b_feature_engineering_demo", "01b Feature engineering",
         "Interactive feature exploration. The matrix comes from the same streaming indicators "
         "that run live (`aurum features build`); here we look at it and recompute two columns "
         "in pandas to see that they mean what their names say.",
"""f = ws.features(SYMBOL, TF)
bars = ws.bars(SYMBOL, TF)
print(f.shape, "feature set", f.attrs["feature_set_id"][:12])
f.describe().T.head(15)""",
"""sample = f.loc[f.index[-500:]]
fig, ax = plt.subplots(3, 1, figsize=(12, 7), sharex=True)
bars.close.loc[sample.index].plot(ax=ax[0], title="close")
sample[["rsi_14", "rsi_7"]].plot(ax=ax[1], title="RSI")
sample[["ma_distance_20_ema", "ma_distance_50_sma"]].plot(ax=ax[2], title="distance to moving averages");""",
"## Recomputed in pandas",
"""lr1 = np.log(bars.close).diff().loc[f.index]
roc10 = (bars.close / bars.close.shift(10) - 1).loc[f.index]
print("max |log_return_1 - pandas|:", (f.log_return_1 - lr1).abs().max())
print("correlation roc_10 vs pandas:", np.corrcoef(f.roc_10, roc10)[0, 1])""",
"""# What a feature says about the next bar: mean next-bar return by RSI decile.
nxt = np.log(bars.close).diff().shift(-1).loc[f.index]
by_decile = nxt.groupby(pd.qcut(f.rsi_14, 10, labels=False)).mean() * 1e4
by_decile.plot.bar(title="mean next-bar return (bps) by RSI(14) decile");""",
"## Assertions",
"""cli = nb.cli_json(ws.path, "features", "show", "--symbol", SYMBOL, "--timeframe", TF)
assert cli["feature_set_id"] == f.attrs["feature_set_id"]
assert cli["names"] == list(f.columns) and cli["rows"] == len(f)
assert f.index.isin(bars.index).all() and f.index.is_monotonic_increasing
assert np.isfinite(f.values).all()
assert np.allclose(f.log_return_1, lr1, atol=1e-9)
assert np.allclose(f.roc_10, roc10, rtol=1e-6, atol=1e-9) or np.allclose(f.roc_10, roc10 * 100, rtol=1e-6)
print("all checks hold")""")

# ---------------------------------------------------------------------------------------------
notebook("02_lightgbm_training", "02 Baseline training (GBDT)",
         "Seed 000, week 2: *feature importance plot, cross-validation results, learning curves, "
         "confusion matrix, sample predictions*.\n\n**LightGBM is not packaged for Debian**, so "
         "the baseline is the project's gradient-boosted trees on XGBoost's `hist` algorithm (the "
         "same family, the same role). `aurum.train` runs exactly `aurum train`: purged "
         "walk-forward validation, leakage controls, gating, registration and reports.",
"""report = aurum.train(ws, [SYMBOL], TF, model="gbdt", end=nb.TRAIN_TO)
report""",
"""for rule in report.gating["rules"]:
    print("pass" if rule["passed"] else "FAIL", rule["detail"])
print("production:", report.report["promotion"])""",
"## Feature importance",
"""report.importance().head(20).sort_values().plot.barh(figsize=(8, 6), title="gain importance (last fold)");""",
"## Cross-validation (purged walk-forward folds)",
"""folds = report.folds()
folds[["train_from", "test_from", "test_to", "train_rows", "test_rows", "purged", "embargoed",
       "train_auc", "test_auc", "sharpe", "trades"]]""",
"## Learning curve",
"""lc = report.learning_curve()
ax = lc.plot(title=f"{lc.attrs['metric']} by boosting iteration")
ax.axvline(lc.attrs["best_iteration"], color="grey", ls="--");""",
"## Confusion matrix and sample predictions (out of sample)",
"""report.confusion_matrix()""",
"""oos = report.oos_predictions()
oos.tail(10)""",
"""fig, ax = plt.subplots(figsize=(12, 3.5))
report.equity.plot(ax=ax, label="walk-forward OOS"); report.buy_hold_equity.plot(ax=ax, label="buy and hold")
ax.legend(); ax.set_title("stitched out-of-sample equity");""",
"## Assertions",
"""# The registry and `aurum registry show --json` hold what this run reported.
rec = nb.cli_json(ws.path, "registry", "show", report.model.name, "--version", str(report.model.version))
assert rec["version"] == report.model.version and rec["kind"] == "gbdt"
assert abs(rec["metrics"]["walkforward"]["sharpe"] - report.report["sharpe"]) < 1e-9
assert rec["gating"]["passed"] == report.passed == report.gating["passed"]
cm = report.confusion_matrix().values
assert cm.sum() == len(oos) and ((oos >= 0) & (oos <= 1)).all()
assert len(lc) > 0 and 0 <= lc.attrs["best_iteration"] < len(lc)
assert (folds.test_auc.between(0, 1)).all() and len(folds) >= 2
assert report.importance().sum() > 0
print("all checks hold")""")

# ---------------------------------------------------------------------------------------------
notebook("02b_feature_importance_analysis", "02b Feature importance: what matters",
         "Global importance (gain) of the production model, against the per-prediction SHAP "
         "contributions the model reports for each decision (the ones paper/live store), and "
         "the latest prediction with its drivers, as `aurum predict` shows it.",
"""model = nb.model(ws)
imp = model.importance()
imp.head(15).sort_values().plot.barh(figsize=(8, 5), title=f"{model.name} v{model.version}: gain");""",
"""res = aurum.BacktestEngine(model=model, start_date=nb.TRAIN_TO).run()
pred = res.get_predictions()
contrib = pd.DataFrame([{"time": t, "feature": c["feature"], "value": c["value"]}
                        for t, top in zip(pred.time, pred.top_features) for c in top])
shap = contrib.groupby("feature").value.agg(mean_abs=lambda v: v.abs().mean(), times_in_top="size")
shap.sort_values("times_in_top", ascending=False).head(15)""",
"""both = shap.join(imp.rename("gain"), how="left").sort_values("times_in_top", ascending=False)
print("rank correlation gain vs times in the top-5 contributions:",
      round(both[["gain", "times_in_top"]].corr(method="spearman").iloc[0, 1], 3))
both.head(10)""",
"## The latest prediction and its drivers",
"""p = ws.predict(SYMBOL, timeframe=TF)
print(p["model"], "P(up) =", round(p["p_up"], 3), "->", p["reason"])
pd.DataFrame(p["drivers"], columns=["feature", "contribution"])""",
"## Assertions",
"""cli = nb.cli_json(ws.path, "predict", "--symbol", SYMBOL, "--timeframe", TF)
assert abs(cli["p_up"] - p["p_up"]) < 1e-12 and cli["model"] == p["model"]
assert [(d["feature"], round(d["value"], 9)) for d in cli["drivers"]] == \\
       [(f, round(v, 9)) for f, v in p["drivers"]]
assert set(contrib.feature) <= set(imp.index)
assert len(pred) > 0 and pred.p_up.between(0, 1).all()
assert imp.sum() > 0
print("all checks hold")""")

# ---------------------------------------------------------------------------------------------
notebook("02c_backtest_analysis", "02c Backtest analysis",
         "The seed's *Run Backtest Interactively*, verbatim apart from the import and the model "
         "loading (the model comes from the registry), then the trades and the per-regime view. "
         "The figures are the CLI's: the last cell runs `aurum backtest --strategy model` with "
         "the same inputs and compares.",
"""from aurum import BacktestEngine

# Load model
model = nb.model(ws)""",
"""# Run backtest
engine = BacktestEngine(
    model=model,
    start_date='2024-01-01',
    end_date='2024-06-01',
    initial_capital=10000,
    transaction_cost=0.001
)

results = engine.run()

# Visualize
results.plot_equity_curve()
results.plot_drawdown()
results.print_summary()""",
"""trades = results.get_trades()
trades[trades['pnl'] < 0]""",
"""results.plot_performance_by_regime()
results.performance_by_regime()""",
"""trades.groupby(["regime", "reason"], observed=True).pnl.agg(["count", "sum", "mean"])""",
"## Assertions",
"""cli = nb.cli_json(ws.path, "backtest", "--strategy", "model", "--model", model.name,
                  "--model-version", str(model.version), "--symbol", ",".join(model.symbols),
                  "--timeframe", model.timeframe, "--from", "2024-01-01", "--to", "2024-06-01",
                  "--capital", "10000", "--fee", "0.001")
assert cli == results.metrics, "Python and CLI disagree"
assert len(trades) == results.metrics["trades"]
assert abs(results.equity.iloc[-1] - results.metrics["final_equity"]) < 1e-6
assert results.drawdown.min() <= 0 and abs(results.drawdown.min() - results.metrics["max_drawdown"]) < 1e-9
assert (trades.exit_time >= trades.entry_time).all()
print("Python == CLI:", results.metrics["sharpe"], results.metrics["trades"], "trades")""")

# ---------------------------------------------------------------------------------------------
notebook("03_onchain_signals", "03 On-chain signals",
         "Seed 000, phase 3: *validate MVRV, SOPR, netflows*. The `onchain` feature set joins "
         "CoinMetrics series (MVRV, exchange netflow) and the Fear & Greed index as of each "
         "bar's close. They come from `aurum features external coinmetrics|fear-greed` (network) "
         "or `aurum features external import FILE.csv`; this notebook shows what the workspace "
         "holds and, when a series is missing, that the engine refuses to build the set rather "
         "than fill it with anything.",
"""stored = nb.cli_json(ws.path, "features", "external", "list")
stored""",
"""needed = ["coinmetrics:btc:CapMVRVCur", "coinmetrics:btc:NetFlowExNtv", "fng:value"]
have = {s.get("series", s.get("name")) for s in stored} if isinstance(stored, list) else set()
missing = [s for s in needed if s not in have]
print("on-chain series stored:", sorted(have) or "none", "| missing:", missing or "none")""",
"""import subprocess
p = subprocess.run([aurum.cli_path(), "--home", ws.path, "features", "build", "--symbol", SYMBOL,
                    "--timeframe", TF, "--set", "onchain"], capture_output=True, text=True)
print("exit", p.returncode, p.stderr.strip() or p.stdout.strip()[:500])""",
"## Assertions",
"""if missing:
    # Refused, naming a missing series, and nothing stored under the set.
    assert p.returncode == 2 and any(s.split(":")[0] in p.stderr for s in missing), p.stderr
    assert not any(m["feature_set"] == "onchain" for m in ws.feature_matrices().to_dict("records"))
else:
    f = ws.features(SYMBOL, TF, "onchain")
    assert {"mvrv_z", "netflow_z", "fear_greed"} <= set(f.columns)
    assert np.isfinite(f[["mvrv_z", "netflow_z", "fear_greed"]].values).all()
print("checks hold")""")

notebook("03b_sentiment_analysis", "03b Sentiment",
         "Seed 000, phase 3: *RVS scores, bot filtering*. Social-media sentiment (RVS, bot "
         "filtering) is **not built**: no sentiment source is packaged or reachable offline. What "
         "exists is the Fear & Greed index as an external daily series (`aurum features external "
         "fear-greed`, or `import` from CSV), joined causally into the `onchain` feature set. "
         "The notebook shows it when stored, and how it relates to next-day returns.",
"""stored = nb.cli_json(ws.path, "features", "external", "list")
fng = [s for s in stored if "fng" in json.dumps(s)] if isinstance(stored, list) else []
print("Fear & Greed stored:", bool(fng))""",
"""daily = ws.bars(SYMBOL, TF).close.resample("1D").last().dropna()
ret = np.log(daily).diff()
vol = ret.rolling(30).std() * np.sqrt(365)
ax = vol.plot(figsize=(12, 3), title="30-day realised volatility (the market's own fear gauge)")""",
"## Assertions",
"""assert len(daily) > 30 and (vol.dropna() > 0).all()
if not fng:
    print("no sentiment series in this workspace: RVS/bot filtering is not built; nothing to validate")
print("checks hold")""")

# ---------------------------------------------------------------------------------------------
notebook("03c_regime_detection", "03c Regime detection",
         "Verify the regime classifier: the labels stored by `aurum regimes build` equal the "
         "classifier run now; the regimes mean what they say (returns and volatility per regime); "
         "the HMM alternative for comparison.",
"""reg = ws.regimes(SYMBOL, TF)
bars = ws.bars(SYMBOL, TF)
reg.value_counts()""",
"""fig, ax = plt.subplots(figsize=(12, 4))
colors = {"bull": "tab:green", "bear": "tab:red", "ranging": "tab:gray", "high_vol": "tab:orange", "unknown": "white"}
close = bars.close.loc[reg.index]
for name, c in colors.items():
    m = reg == name
    ax.scatter(close.index[m], close[m], s=1, color=c, label=name)
ax.set_yscale("log"); ax.legend(markerscale=10); ax.set_title(f"{SYMBOL} {TF} by regime");""",
"""nxt = np.log(bars.close).diff().shift(-1).loc[reg.index]
trail = np.log(bars.close).diff().rolling(20).std().loc[reg.index]
stats = pd.DataFrame({"bars": reg.value_counts(),
                      "next_bar_return_bps": nxt.groupby(reg, observed=True).mean() * 1e4,
                      "trailing_vol_bps": trail.groupby(reg, observed=True).mean() * 1e4})
stats""",
"""hmm = ws.regimes(SYMBOL, TF, method="hmm", stored=False)
pd.crosstab(reg, hmm.loc[reg.index], rownames=["percentile"], colnames=["hmm"])""",
"## Assertions",
"""again = ws.regimes(SYMBOL, TF, stored=False)
assert (again.loc[reg.index] == reg).all(), "stored regimes differ from the classifier"
cli = nb.cli_json(ws.path, "regimes", "show", "--symbol", SYMBOL, "--timeframe", TF, "--rows", "50")
assert [r["regime"] for r in cli] == list(reg.iloc[-50:].astype(str))
known = stats.drop(index="unknown", errors="ignore")
assert known.loc["high_vol", "trailing_vol_bps"] > known.loc["ranging", "trailing_vol_bps"]
assert reg.index.isin(bars.index).all() and len(reg) >= 0.9 * len(bars)  # all but the warm-up
print("all checks hold")""")

# ---------------------------------------------------------------------------------------------
notebook("04_model_comparison", "04 Model comparison",
         "Seed 000, Sunday deep dive: *head-to-head performance across regimes*: returns, "
         "Sharpe, drawdowns, where each model excels or fails. Here: the production GBDT against "
         "the rule baselines (buy-and-hold, SMA cross, RSI reversion), over the seed's market "
         "phases that the data covers and per regime. LSTM and GNN are trained the same way "
         "(`aurum.train(ws, [SYMBOL], TF, model='lstm')`); they take minutes on a CPU, so this "
         "notebook trains them only when `AURUM_NOTEBOOK_NEURAL=1`.",
"""import os
model = nb.model(ws)
bars = ws.bars(SYMBOL, TF)
phases = {"bull (2023 Q1)": ("2023-01-01", "2023-04-01"), "bear (2022 Q2-Q4)": ("2022-04-01", "2023-01-01"),
          "ranging (2024 Q2)": ("2024-04-01", "2024-07-01"), "high vol (2021 May)": ("2021-05-01", "2021-06-01"),
          "after training": (nb.TRAIN_TO, None)}
first, last = bars.index[0], bars.index[-1]
phases = {k: v for k, v in phases.items()
          if pd.Timestamp(v[0], tz="UTC") >= first + pd.Timedelta(days=60) and pd.Timestamp(v[0], tz="UTC") < last}
list(phases)""",
"""contenders = {"gbdt": dict(model=model), "buy-hold": dict(strategy="buy-hold"),
              "sma-cross": dict(strategy="sma-cross"), "rsi-reversion": dict(strategy="rsi-reversion")}
runs = {}
for phase, (start, end) in phases.items():
    for name, how in contenders.items():
        extra = {} if "model" in how else dict(symbols=[SYMBOL], timeframe=TF)
        runs[phase, name] = aurum.BacktestEngine(**how, **extra, workspace=ws, start_date=start,
                                                 end_date=end, initial_capital=10000,
                                                 transaction_cost=0.001).run()
table = pd.DataFrame({k: {"return %": r.metrics["total_return"] * 100, "sharpe": r.metrics["sharpe"],
                          "max dd %": r.metrics["max_drawdown"] * 100, "trades": r.metrics["trades"]}
                      for k, r in runs.items()}).T
table""",
"""table["sharpe"].unstack().plot.bar(figsize=(10, 4), title="Sharpe by phase");""",
"""per_regime = pd.concat({name: runs["after training" if "after training" in phases else list(phases)[-1], name]
                        .performance_by_regime()[["total_return", "sharpe", "trades"]]
                        for name in contenders}, axis=1)
per_regime""",
"""if os.environ.get("AURUM_NOTEBOOK_NEURAL"):
    for kind in ("lstm", "gnn"):
        rep = aurum.train(ws, [SYMBOL], TF, model=kind, end=nb.TRAIN_TO)
        print(kind, rep)
else:
    print("LSTM/GNN not trained here (set AURUM_NOTEBOOK_NEURAL=1)")""",
"## Assertions",
"""for (phase, name), r in runs.items():
    m = r.metrics
    assert m["bars"] == len(r.equity) and abs(r.equity.iloc[-1] - m["final_equity"]) < 1e-6
    if name == "buy-hold":
        # Decided at the first close, filled at the next open with a 0.1 % fee, marked at the
        # last close: the strategy's return is the market's over those bars, less the fee.
        px = ws.bars(SYMBOL, TF, start=phases[phase][0], end=phases[phase][1])
        expected = px.close.iloc[-1] / px.open.iloc[1] - 1
        assert abs(m["total_return"] - expected) < 0.005 + 0.005 * abs(expected), (phase, m["total_return"], expected)
assert len(table) == len(phases) * len(contenders)
print("all checks hold")""")

# ---------------------------------------------------------------------------------------------
notebook("04b_ensemble_analysis", "04b Ensemble analysis",
         "How the ensemble combines signals. An ensemble (`aurum.train(..., model='ensemble')`) "
         "stacks GBDT, LSTM and GNN members; training the neural members takes minutes on a CPU, "
         "so by default this notebook analyses the agreement between the production GBDT and "
         "the rule signals (the members an ensemble of this workspace would vote with), and "
         "trains the real ensemble when `AURUM_NOTEBOOK_NEURAL=1`.",
"""import os
model = nb.model(ws)
res = aurum.BacktestEngine(model=model, start_date=nb.TRAIN_TO).run()
pred = res.get_predictions().set_index("time")
bars = ws.bars(SYMBOL, TF)
f = ws.features(SYMBOL, TF).loc[pred.index]
votes = pd.DataFrame({"gbdt": np.sign(pred.p_up - 0.5),
                      "trend (ema distance)": np.sign(f.ma_distance_20_ema),
                      "reversion (rsi)": np.sign(50 - f.rsi_14)})
votes.corr()""",
"""agree = (votes.abs().sum(axis=1) == votes.sum(axis=1).abs())
nxt = np.sign(np.log(bars.close).diff().shift(-1).loc[pred.index])
hit = (votes.eq(nxt, axis=0)).mean()
print(f"all members agree on {agree.mean():.0%} of bars")
hit.rename("hit rate")""",
"""if os.environ.get("AURUM_NOTEBOOK_NEURAL"):
    rep = aurum.train(ws, [SYMBOL], TF, model="ensemble", end=nb.TRAIN_TO)
    print(rep)
else:
    print("ensemble not trained here (set AURUM_NOTEBOOK_NEURAL=1)")""",
"## Assertions",
"""assert len(pred) == len(votes) > 0
assert ((hit >= 0) & (hit <= 1)).all()
assert np.allclose(np.diag(votes.corr().fillna(1).values), 1)
print("checks hold")""")

# ---------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------
# The RL notebooks train their own small agents in a scratch workspace (aurum_notebook.py).
RL_SETUP = """%matplotlib inline
import json
import subprocess
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt

import aurum
import aurum_notebook as nb

home = nb.scratch_home()  # the agents trained here are registered here, not in your workspace
CAP, GAP = 0.25, 0.05     # the risk limits' position cap; tolerance for the close -> next-open gap
SCENARIOS = ("bull", "bear", "flash-crash", "ranging")"""


def agent_levels(name):
    return f"""json.loads((home / "models/registry/{name}/v1/model/agent.json").read_text())["action_levels"]"""


META_YAML = """# a small, fast setup (config/meta.yaml ships the full one)
network: {seq_len: 8, hidden: 16, seed: 42}
tasks: {min_window: 60, max_window: 240}
reptile: {iterations: 100, inner_steps: 5, inner_lr: 0.003, batch: 32}
adapt: {shots: 30, steps: 10, lr: 0.003, query: 90}
evaluation: {test_fraction: 0.3, bootstrap: 300}
"""

notebook("04c_meta_learning_demo", "04c Meta-learning: few-shot adaptation tests",
         "Seed 000 lists *Few-shot adaptation tests* here, and *Consider meta-learning "
         "adaptation* when model accuracy degrades. `aurum meta train` meta-learns a small LSTM "
         "with first-order Reptile over tasks = (symbol, regime window) on BTC, ETH and gold; "
         "each held-out window is adapted on its first K bars and scored on the following bars "
         "after a gap of the label horizon. Three methods are compared on the same query bars: "
         "the meta-learned initialisation adapted (meta+adapt), the same initialisation without "
         "adaptation (meta), and the same network trained jointly on all the meta-training rows "
         "(joint; joint+adapt gets the same adaptation). Gains come with bootstrap confidence "
         "intervals over the windows, and gating decides whether adaptation is used. The numbers "
         "are whatever the data say (docs/meta-learning.md).",
"## Meta-train on BTC, ETH and gold",
"from pathlib import Path\nMETA_YAML = '''" + META_YAML + "'''\n" + """GOLD = "XAUUSD"
if TF != "1h":  # the demo workspace holds gold as MT5 H1 bars
    nb.cli(ws.path, "data", "resample", "--symbol", GOLD, "--from-timeframe", "1h", "--to", TF)
cfg = Path(ws.path) / "meta_demo.yaml"
cfg.write_text(META_YAML)
print(META_YAML)
out = nb.cli_json(ws.path, "meta", "train", "--config", cfg,
                  "--symbols", f"BTC/USDT,ETH/USDT,{GOLD}", "--timeframe", TF)
name = out["model"].split(" v")[0]
print(f"{out['model']}: parameters {out['params_hash']}, meta-training and evaluation {out['seconds']:.1f} s")
pd.DataFrame([{"fold": f["name"], "meta-train": ", ".join(f["train_symbols"]),
               "windows": f["train_tasks"], "held out": ", ".join(f["test_symbols"]),
               "windows scored": f["test_tasks"], "too short": f["skipped_tasks"],
               "split": f["split_time"]} for f in out["folds"]])""",
"## Held-out scores of the four methods",
"""methods = pd.DataFrame([{"fold": f["name"], "method": m, **v}
                        for f in out["folds"] for m, v in f["methods"].items()]).set_index(["fold", "method"])
methods.round(4)""",
"## Gains with 95 % bootstrap confidence intervals (positive = better)",
"""gains = pd.DataFrame([{"fold": f["name"], "comparison": f"{g['candidate']} vs {g['baseline']}",
                       **{f"{k} {part}": g[k][part] * (100 if k == "accuracy" else 1)
                          for k in ("logloss", "accuracy", "auc") for part in ("value", "low", "high")}}
                      for f in out["folds"] for g in f["gains"]])
gains.round(4)""",
"""fig, axes = plt.subplots(1, 2, figsize=(13, 4))
for ax, key, label in [(axes[0], "logloss", "log-loss gain"), (axes[1], "auc", "AUC gain")]:
    for i, comp in enumerate(gains.comparison.unique()):
        g = gains[gains.comparison == comp].reset_index(drop=True)
        x = np.arange(len(g)) + (i - 1.5) * 0.18
        ax.errorbar(x, g[f"{key} value"], yerr=[g[f"{key} value"] - g[f"{key} low"],
                    g[f"{key} high"] - g[f"{key} value"]], fmt="o", capsize=3, label=comp)
    ax.axhline(0, color="black", lw=0.7)
    ax.set_xticks(range(len(out["folds"])), [f["name"] for f in out["folds"]], rotation=15)
    ax.set_title(f"{label} with 95 % CI")
axes[0].legend(fontsize=8)
fig.tight_layout()""",
"## Per window: adapted against not adapted (new regime windows)",
"""f0 = out["folds"][0]
win = pd.DataFrame([{"symbol": t["symbol"], "regime": t["regime"], "support_from": t["support_from"],
                     "adapted": t["meta+adapt"]["logloss"], "not adapted": t["meta"]["logloss"],
                     "joint": t["joint"]["logloss"]} for t in f0["tasks"]])
fig, ax = plt.subplots(1, 2, figsize=(12, 4))
for r, g in win.groupby("regime"):
    ax[0].scatter(g["not adapted"], g["adapted"], s=12, label=r)
lim = [win[["adapted", "not adapted"]].min().min(), win[["adapted", "not adapted"]].max().max()]
ax[0].plot(lim, lim, color="black", lw=0.7); ax[0].legend(fontsize=8)
ax[0].set_xlabel("log-loss, meta-init without adaptation"); ax[0].set_ylabel("log-loss, adapted")
ax[0].set_title("below the line: adaptation helped that window")
pd.Series(f0["meta_curve"]).rolling(20).mean().plot(ax=ax[1], title="Reptile: inner loss per task (rolling 20)")
fig.tight_layout()
win.groupby("regime")[["adapted", "not adapted", "joint"]].mean().round(4)""",
"## Gating: is adaptation used?",
"""print(out["reason"])
pd.DataFrame(out["gating"]["rules"])[["name", "passed", "actual", "threshold"]]""",
"## Few-shot adaptation to gold after the meta-training data, K = 10, 30, 60",
"""since = f0["tasks"][-4]["support_from"]  # a late held-out window's first bar
adapts = {k: nb.cli_json(ws.path, "meta", "adapt", "--model", name, "--symbol", GOLD,
                         "--since", since, "--shots", k) for k in (10, 30, 60)}
pd.DataFrame({k: {"support": f"{a['support']['from']} .. {a['support']['to']}",
                  "gap rows": a["gap_rows"], "query rows": a["query"]["rows"],
                  "log-loss adapted": a["adapted"]["logloss"], "log-loss not adapted": a["not_adapted"]["logloss"],
                  "gain": a["gain"]["logloss"]["value"], "low": a["gain"]["logloss"]["low"],
                  "high": a["gain"]["logloss"]["high"], "used": a["adaptation_used"]}
              for k, a in adapts.items()}).T""",
"## Assertions",
"""assert [f["name"] for f in out["folds"]] == ["new-regime", "leave-out BTC/USDT", "leave-out ETH/USDT", f"leave-out {GOLD}"]
for f in out["folds"]:
    assert f["test_tasks"] > 0 and f["train_tasks"] > 0, f["name"]
    for m, v in f["methods"].items():
        assert 0.3 < v["logloss"] < 1.5 and 0 <= v["accuracy"] <= 1, (f["name"], m, v)
    for g in f["gains"]:
        for k in ("logloss", "accuracy", "auc"):
            assert g[k]["low"] <= g[k]["value"] + 1e-12 <= g[k]["high"] + 2e-12, (f["name"], g)
    for t in f["tasks"]:  # held-out windows start after the split; the query after the gap
        assert t["support_from"] >= f["split_time"] and t["gap"] >= 1, t
# Gating: adaptation is used exactly when the log-loss gain's CI is above 0 on new regime windows.
g0 = next(g for g in f0["gains"] if g["candidate"] == "meta+adapt" and g["baseline"] == "meta")
assert out["adaptation_used"] == out["gating"]["passed"] == (g0["logloss"]["low"] > 0)
assert out["reason"].startswith("used" if out["adaptation_used"] else "not used")
for k, a in adapts.items():
    assert a["support"]["rows"] == k and a["support"]["from"] >= since
    assert a["query"]["from"] > a["support"]["to"] and a["gap_rows"] >= 1
    assert a["adaptation_used"] == (out["adaptation_used"] and a["gain"]["logloss"]["low"] > 0)
print("all checks hold")""")

notebook("05_rl_agent_behavior", "05 RL agent behaviour",
         "Seed 000, phase 5: *understand agent decisions*. A small tactical PPO agent is trained "
         "here (`aurum rl train`, about a second) on the `momentum` market, a known edge; its "
         "learning curves are read from the run's `metrics.csv` and from its TensorBoard event "
         "file; then `aurum rl simulate --json` runs it through the four synthetic scenarios and "
         "we look at what it chose (the target fraction of equity at each bar) and what the "
         "shield let through. The strategic and execution levels are notebook 05c.",
"## Train a small tactical agent",
"""print(nb.TACTICAL_YAML)
train = nb.train_rl(home, nb.TACTICAL_YAML, "tactical")
levels = """ + agent_levels("nb-tactical") + """
print(f"{train['name']} v{train['version']}: {train['parameters']} parameters, "
      f"{train['env_steps']} bar steps in {train['seconds']:.1f} s; action levels {levels}")
pd.DataFrame(train["gating"]["rules"])[["name", "passed", "detail"]]""",
"## Learning curves (metrics.csv: one row per PPO update)",
"""run = home / "runs" / "tactical"
m = pd.read_csv(run / "metrics.csv").set_index("update")
curves = ["reward", "episode_length", "value_estimate", "policy_entropy", "approx_kl", "clip_fraction"]
fig, axes = plt.subplots(2, 3, figsize=(13, 6), sharex=True)
for ax, c in zip(axes.flat, curves):
    m[c].plot(ax=ax, title=c)
fig.tight_layout()""",
"## The same run from its TensorBoard event file",
"""# Decoded by the project's independent reader (own CRC-32C, hand-written protobuf parser);
# `tensorboard --logdir runs` shows the same scalars.
events = nb.read_tfevents(run)
tb = events.pivot_table(index="step", columns="tag", values="value")
tb.tail()""",
"## What the agent does in the four scenarios",
"""sims = {s: nb.simulation(home, s, "nb-tactical") for s in SCENARIOS}
pd.DataFrame({s: {"return %": j["total_return"] * 100, "buy-and-hold %": j["buy_hold_return"] * 100,
                  "Sharpe": j["sharpe"], "max DD %": -j["max_drawdown"] * 100, "trades": j["trades"],
                  "largest entry %": j["shield"]["max_entry_exposure"] * 100,
                  "shield interventions": j["shield"]["interventions"]}
              for s, (j, _) in sims.items()}).T.round(2)""",
"""# Action shares: the share of decisions at each target level, per scenario.
shares = pd.DataFrame({s: d.target.value_counts(normalize=True) for s, (_, d) in sims.items()}).fillna(0).sort_index()
shares.index = [f"target {t:.1%}" for t in shares.index]
(shares * 100).round(1)""",
"""# The decision by the regime the agent saw at the close (bear scenario).
_, bear = sims["bear"]
(pd.crosstab(bear.regime, bear.target, normalize="index") * 100).round(1)""",
"""j, d = sims["flash-crash"]
fig, ax = plt.subplots(3, 1, figsize=(12, 8), sharex=True)
d.close.plot(ax=ax[0], title="flash-crash scenario: close")
d.target.plot(ax=ax[1], drawstyle="steps-post", label="target")
d.position.plot(ax=ax[1], label="position / equity after the decision")
ax[1].axhline(CAP, color="red", lw=0.7, ls="--", label="25 % cap"); ax[1].legend(); ax[1].set_title("position size")
d.equity.plot(ax=ax[2], title="equity");
fig.tight_layout()""",
"""# Position sizes at the closes: entries are capped at 25 % of equity; a held position's share
# then moves with the price (mark to market), which is not an entry.
pos = pd.concat({s: d.position for s, (_, d) in sims.items()}, axis=1)
pos[pos > 0].plot.hist(bins=40, alpha=0.5, figsize=(10, 3.5), title="open position / equity at each close");""",
"## Assertions",
"""updates = 30  # nb.TACTICAL_YAML
assert list(m.index) == list(range(1, updates + 1)), "one metrics row per update"
assert np.isfinite(m[curves].values).all(), "a learning curve holds a non-finite value"
# Entropy of a distribution over the 3 levels lies in (0, ln 3]; it falls as the agent learns.
assert ((m.policy_entropy > 0) & (m.policy_entropy <= np.log(len(levels)) + 1e-6)).all()
assert m.policy_entropy.iloc[-5:].mean() < m.policy_entropy.iloc[:5].mean()
assert (m.approx_kl > -1e-6).all() and m.clip_fraction.between(0, 1).all()
assert m.episode_length.between(1, 128).all()
# The event file holds every curve at every update's step, equal to metrics.csv (as float32).
f32 = lambda v: np.asarray(v, dtype=np.float32)
for c in ["reward", "value_estimate", "policy_entropy", "approx_kl", "clip_fraction"]:
    got = tb[f"tactical/{c}"].reindex(m.env_steps)
    assert got.notna().all() and np.allclose(f32(got), f32(m[c]), rtol=1e-6, atol=0), c
assert len(tb["tactical/policy_entropy"].dropna()) == updates
# The momentum market is a known edge: the gate (t-stat, Sharpe vs buy-and-hold, caps) passes.
assert train["gating"]["passed"], train["gating"]
for s, (j, d) in sims.items():
    assert len(d) == j["decisions"] > 0, s
    assert set(d.target) <= set(levels), (s, set(d.target))
    assert j["shield"]["max_entry_exposure"] <= CAP * (1 + GAP), (s, j["shield"])
    assert j["shield"]["entries_past_halt"] == 0, s
    assert (d.position >= -1e-12).all(), "spot: never short"
    # a target of 0 is carried out: flat at the next close
    assert (d.position[d.target == 0].abs() < 1e-9).all(), s
print("all checks hold")""", setup=RL_SETUP)

notebook("05b_agent_safety_tests", "05b Agent safety tests",
         "Seed 000's safety notebook: the agent must respect the position cap, the drawdown "
         "halt and the loss limits in every scenario. `aurum rl safety --json` runs the trained "
         "agent through the bull, bear, flash-crash and ranging scenarios under the risk limits "
         "and reports PASS/WARN/FAIL; below, the shield's interventions (orders the account risk "
         "manager denied or cut, breaker closes, invalid actions), the scripted baseline asking "
         "for 100 % positions, and an account whose limits are too loose, which the suite "
         "FAILs.",
"## The trained agent through the safety suite",
"""train = nb.train_rl(home, nb.TACTICAL_YAML, "tactical")
safety = nb.cli_json(home, "rl", "safety", "--model", "nb-tactical", check=False)
for c in safety["checks"]:
    print(f"{c['level']}: {c['message']}")
checks = pd.DataFrame(safety["checks"])[["name", "level", "message"]]
checks""",
"""scen = pd.DataFrame([{"scenario": s["scenario"], "return %": s["total_return"] * 100,
                      "buy-and-hold %": s["buy_hold_return"] * 100, "max DD %": -s["max_drawdown"] * 100,
                      "trades": s["trades"], "largest entry %": s["max_entry_exposure"] * 100,
                      **{k: s["shield"][k] for k in ("orders", "denied", "reduced", "breaker_closes",
                                                     "invalid", "halts", "entries_past_halt")}}
                     for s in safety["scenarios"]]).set_index("scenario")
scen.round(2)""",
"""scen[["denied", "reduced", "breaker_closes", "invalid"]].plot.bar(
    stacked=True, figsize=(9, 3.5), title="the shield's interventions per scenario (trained agent)");""",
"## The shield at work: the baseline asks for 100 %",
"""# The scripted regime-trend baseline targets 100 % of equity in a bull regime; every order goes
# through the account risk manager, which cuts it to the 25 % cap.
base, bd = nb.simulation(home, "bull")
print(base["policy"]); print(base["shield"])
fig, ax = plt.subplots(figsize=(12, 3.5))
bd.target.plot(ax=ax, drawstyle="steps-post", label="target asked")
bd.position.plot(ax=ax, label="position / equity after the decision")
ax.axhline(CAP, color="red", ls="--", lw=0.7, label="25 % cap"); ax.legend();""",
"## A too-loose account fails the suite",
"""# The same suite in a workspace whose risk limits allow 50 % positions: the position check
# FAILs and the command exits 1 (what a CI job or a deployment script would stop on).
loose = nb.scratch_home()
(loose / "config").mkdir()
(loose / "config" / "risk.yaml").write_text("risk:\\n  max_position: 0.5\\n  max_correlated_exposure: 1.0\\n")
p = subprocess.run([aurum.cli_path(), "--home", str(loose), "--json", "rl", "safety", "--days", "200"],
                   capture_output=True, text=True)
bad = json.loads(p.stdout)
print("exit", p.returncode)
for c in bad["checks"]:
    print(f"{c['level']}: {c['message']}")""",
"## Assertions",
"""assert safety["passed"] and not (checks.level == "FAIL").any(), checks
assert set(checks.name) == {"position size", "drawdown halt", "bull capture", "crash loss"}
assert list(scen.index) == list(SCENARIOS)
assert (scen["largest entry %"] <= CAP * (1 + GAP) * 100).all()
assert (scen.entries_past_halt == 0).all()
for s in safety["scenarios"]:
    sh = s["shield"]
    assert sh["interventions"] == sh["denied"] + sh["reduced"] + sh["breaker_closes"] + sh["invalid"]
    assert s["shield_interventions"] == sh["interventions"] and sh["denied"] + sh["reduced"] <= sh["orders"]
# The baseline asked for 100 % and got at most the cap: the shield cut its entries.
assert (bd.target == 1.0).any() and base["shield"]["reduced"] + base["shield"]["denied"] > 0
assert base["shield"]["max_entry_exposure"] <= CAP * (1 + GAP)
# The loose account: exit 1, the position check FAILs.
assert p.returncode == 1 and not bad["passed"], (p.returncode, p.stderr)
assert bad["checks"][0]["name"] == "position size" and bad["checks"][0]["level"] == "FAIL"
print("all checks hold")""", setup=RL_SETUP)

notebook("05c_hierarchical_coordination", "05c Hierarchical coordination",
         "Strategic -> tactical flow. The strategic PPO agent sets an allocation every "
         "`cadence` bars; the tactical agent below it picks a level every bar; the target the "
         "engine gets is *allocation x level / max level*, then the shield. Both agents are "
         "trained here (about two seconds), the hierarchy runs through the bull and bear "
         "scenarios with `aurum rl simulate --model nb-strategic --json`, which reports each "
         "decision's allocation and tactical level. Below them, the execution agent decides "
         "how each order goes out: at market, or as a limit k bps better than the close, "
         "forced to market when a bar passes unfilled (its reward: minus the implementation "
         "shortfall).",
"## Train the tactical agent, then the strategic agent over it",
"""tac = nb.train_rl(home, nb.TACTICAL_YAML, "tactical")
print(nb.STRATEGIC_YAML)
strat = nb.train_rl(home, nb.STRATEGIC_YAML, "strategic")
rec = nb.cli_json(home, "registry", "show", "nb-strategic")
tactical_levels = """ + agent_levels("nb-tactical") + """
strategic_levels = """ + agent_levels("nb-strategic") + """
print("strategic", strat["name"], "v", strat["version"], "over", rec["extra"]["tactical_model"],
      "| allocations", strategic_levels, "| tactical levels", tactical_levels)
pd.DataFrame(strat["gating"]["rules"])[["name", "passed", "detail"]]""",
"""sm = pd.read_csv(home / "runs" / "strategic" / "metrics.csv").set_index("update")
fig, ax = plt.subplots(1, 3, figsize=(13, 3.2))
sm.reward.plot(ax=ax[0], title="differential Sharpe reward")
sm.mean_target.plot(ax=ax[1], title="mean allocation")
sm.policy_entropy.plot(ax=ax[2], title="policy entropy"); fig.tight_layout()""",
"## Each decision: allocation, tactical level, target",
"""sims = {s: nb.simulation(home, s, "nb-strategic") for s in ("bull", "bear")}
j, d = sims["bear"]
print(j["policy"]); print("hierarchy:", j["hierarchy"])
d[["regime", "allocation", "tactical_level", "target", "position"]].head(14)""",
"""window = d.iloc[:300]
fig, ax = plt.subplots(4, 1, figsize=(12, 9), sharex=True)
window.close.plot(ax=ax[0], title="bear scenario: close (first 300 decisions)")
window.allocation.plot(ax=ax[1], drawstyle="steps-post", title=f"strategic allocation (every {j['hierarchy']['cadence']} bars)")
window.tactical_level.plot(ax=ax[2], drawstyle="steps-post", title="tactical level")
window.target.plot(ax=ax[3], drawstyle="steps-post", label="target = allocation x level / max level")
window.position.plot(ax=ax[3], label="position / equity"); ax[3].legend(); fig.tight_layout()""",
"""# How the two levels combine, per scenario: share of decisions at each (allocation, level).
pd.concat({s: (pd.crosstab(d.allocation, d.tactical_level, normalize=True) * 100).round(1)
           for s, (_, d) in sims.items()})""",
"""pd.DataFrame({s: {"return %": j["total_return"] * 100, "buy-and-hold %": j["buy_hold_return"] * 100,
                  "mean allocation": d.allocation.mean(), "mean tactical level": d.tactical_level.mean(),
                  "mean target": d.target.mean(), "flat decisions %": (d.target == 0).mean() * 100,
                  "largest entry %": j["shield"]["max_entry_exposure"] * 100}
              for s, (j, d) in sims.items()}).T.round(3)""",
"## Assertions",
"""assert rec["extra"]["tactical_model"] == {"name": "nb-tactical", "version": tac["version"]}
top = max(tactical_levels)
for s, (j, d) in sims.items():
    h = j["hierarchy"]
    assert h["cadence"] == 6 and h["max_level"] == top, h
    assert len(d) == j["decisions"] > 0
    # target = allocation x tactical level / max level, at every decision
    assert np.allclose(d.target, d.allocation * d.tactical_level / top, rtol=0, atol=1e-12), s
    # the allocation is decided every `cadence` decisions (the first at the first bar) and held
    blocks = np.arange(len(d)) // h["cadence"]
    assert (d.allocation.groupby(blocks).nunique() == 1).all(), s
    assert set(d.allocation) <= set(strategic_levels) and set(d.tactical_level) <= set(tactical_levels)
    assert j["shield"]["max_entry_exposure"] <= CAP * (1 + GAP) and j["shield"]["entries_past_halt"] == 0
    assert (d.position[d.target == 0].abs() < 1e-9).all(), "a zero target is flat at the next close"
print("target = allocation x level / max level holds for",
      sum(len(d) for _, d in sims.values()), "decisions")""",
"## The execution level: market or a limit, for each order",
"""print(nb.EXECUTION_YAML)
ex = nb.train_rl(home, nb.EXECUTION_YAML, "execution")
x = ex["evaluation"][0]["execution"]
print(f"out of sample: {x['parent_orders']} parent orders, {x['limit_orders']} as limits "
      f"({x['forced_fills']} forced to market), shortfall {x['mean_shortfall_bps']:.2f} bps vs "
      f"{x['market_only_shortfall_bps']:.2f} bps all at market (gain t {x['gain_t_stat']:.2f})")
pd.DataFrame(ex["gating"]["rules"])[["name", "passed", "detail"]]""",
"""je, de = nb.simulation(home, "ranging", "nb-execution")
orders = de[de.limit_bps >= 0]
how = orders.limit_bps.map(lambda b: "market" if b == 0 else f"limit {b:g} bps")
print(je["policy"]); print(je["execution"])
# Strategic -> tactical -> execution: the regime seen, the target, how the order went out.
(pd.crosstab([orders.regime, orders.target], how, normalize="index") * 100).round(1)""",
"""assert 0 < je["execution"]["parent_orders"] <= len(orders)
assert je["execution"]["limit_orders"] <= (orders.limit_bps > 0).sum()
assert je["execution"]["forced_fills"] <= je["execution"]["limit_orders"]
assert set(orders.limit_bps) <= {0.0, 10.0, 25.0}
assert (de.limit_bps[de.limit_bps < 0] == -1).all(), "-1: no order at that decision"
print("execution choices consistent for", len(orders), "orders")""", setup=RL_SETUP)

# ---------------------------------------------------------------------------------------------
notebook("06_trade_analysis", "06 Trade analysis",
         "Seed 000, paper trading evening review: for each trade *what the model predicted, why "
         "the position was opened, the most important features, whether risk limits affected "
         "sizing, and the outcome*. It reads the workspace's latest paper/live session "
         "(read-only). The demo's session trades the model strategy, so no RL agent's decision "
         "is shown; a session run with `--strategy rl` stores the agent's decision (target, "
         "level, allocation, how the order went out) as each bar's prediction (docs/rl.md).",
"""trades = ws.trades()
preds = ws.predictions()
decisions = ws.risk_decisions()
print("session", trades.attrs["session"], ":", len(trades), "trades,", len(preds), "predictions,",
      len(decisions), "risk decisions")
trades.tail()""",
"""step = pd.Timedelta(TF)
# A decision is made at the close of bar t and fills at the next bar's open: the prediction
# behind a trade is the one of the bar before its entry bar.
by_time = preds.set_index(["symbol", "time"])
rows = []
for t in trades.itertuples():
    p = by_time.loc[(t.symbol, t.entry_time - step)] if (t.symbol, t.entry_time - step) in by_time.index else None
    d = decisions[(decisions.symbol == t.symbol) & (decisions.time <= t.entry_time) &
                  (decisions.time >= t.entry_time - 2 * step)]
    rows.append({"symbol": t.symbol, "opened": t.entry_time, "direction": t.direction,
                 "p_up": None if p is None else p.p_up,
                 "top features": None if p is None else ", ".join(f"{c['feature']} {c['value']:+.3f}" for c in p.top_features[:3]),
                 "risk": "; ".join(f"{r.verdict} {r.requested:.4f}->{r.approved:.4f} {r.rule}" for r in d.itertuples()) or "approved as asked",
                 "pnl": t.pnl})
review = pd.DataFrame(rows)
review.tail(10)""",
"""for r in review.tail(3).itertuples():
    print(f"Trade: {SYMBOL} {r.direction.upper()} opened {r.opened:%Y-%m-%d %H:%M}")
    print(f"  Model: {'UP' if (r.p_up or 0) >= 0.5 else 'DOWN'} ({r.p_up:.2f})")
    print(f"  Top features: {r._5}")
    print(f"  RL agent decision: none (this session trades the model strategy)")
    print(f"  Risk: {r.risk}")
    print(f"  Outcome: {r.pnl:+.2f}\\n")""",
"""fig, ax = plt.subplots(1, 2, figsize=(12, 3.5))
trades.pnl.cumsum().plot(ax=ax[0], title="cumulative P&L of closed trades")
decisions.verdict.value_counts().plot.bar(ax=ax[1], title="risk verdicts");""",
"## Assertions",
"""assert len(trades) > 0, "the paper session made no trade"
assert review.p_up.notna().all(), "a trade without the prediction that opened it"
assert (review.p_up.where(review.direction == "long") >= 0.5).dropna().all()
assert (decisions.approved.abs() <= decisions.requested.abs() + 1e-9).all()
print("checks hold;", len(trades), "trades reviewed")""")

# ---------------------------------------------------------------------------------------------
notebook("07_weekly_performance_review", "07 Weekly performance review",
         "Seed 000, Sunday: *compare to benchmarks* (BTC and ETH buy-and-hold) week by week: "
         "returns and Sharpe. The system's figures come from a backtest of the production model "
         "over the paper period (the paper engine is the backtest engine, see docs/architecture.md).",
"""model = nb.model(ws)
res = aurum.BacktestEngine(model=model, start_date=nb.REPLAY_FROM, end_date=nb.REPLAY_TO).run()
eq = res.equity
bench = {s: ws.bars(s, TF, start=nb.REPLAY_FROM, end=nb.REPLAY_TO).close for s in ("BTC/USDT", "ETH/USDT")}
weekly = pd.DataFrame({"system": eq.resample("W").last(),
                       **{f"{s} buy&hold": c.resample("W").last() for s, c in bench.items()}}).pct_change().dropna()
(weekly * 100).round(2).tail(8)""",
"""def sharpe(r):
    return r.mean() / r.std() * np.sqrt(52) if r.std() > 0 else 0.0
summary = pd.DataFrame({"total %": ((1 + weekly).prod() - 1) * 100, "weekly Sharpe": weekly.apply(sharpe),
                        "worst week %": weekly.min() * 100})
summary""",
"""((1 + weekly).cumprod()).plot(figsize=(12, 4), title="growth of 1, weekly");""",
"## Assertions",
"""first_week_end = eq.resample("W").last()
total_from_weeks = (1 + weekly["system"]).prod() * first_week_end.iloc[0] / eq.iloc[0] - 1
assert abs((eq.iloc[-1] / eq.iloc[0] - 1) - total_from_weeks) < 1e-9
assert abs(res.metrics["final_equity"] - eq.iloc[-1]) < 1e-6
assert np.isfinite(summary.values).all()
print("checks hold")""")

# ---------------------------------------------------------------------------------------------
notebook("08_model_drift_detection", "08 Model drift detection",
         "Seed 000: *check if models are degrading*. Rolling accuracy of the production model's "
         "predictions against what happened, compared with its walk-forward accuracy; and drift "
         "of its top features (population stability index) between the training window and the "
         "latest months.",
"""model = nb.model(ws)
res = aurum.BacktestEngine(model=model, start_date=nb.TRAIN_TO).run()
pred = res.get_predictions().set_index("time")
bars = ws.bars(SYMBOL, TF)
up = (np.log(bars.close).diff().shift(-1) > 0).loc[pred.index]
hit = ((pred.p_up >= 0.5) == up).astype(float)
wf_acc = model.metrics.get("walkforward", {}).get("oos_accuracy")
roll = hit.rolling(250, min_periods=50).mean()
ax = roll.plot(figsize=(12, 3.5), title="rolling directional accuracy (250 bars)")
if wf_acc: ax.axhline(wf_acc, color="grey", ls="--", label="walk-forward OOS")
ax.axhline(0.5, color="red", lw=0.5); ax.legend();""",
"""def psi(expected, actual, bins=10):
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, bins + 1)))
    e = np.histogram(expected, edges)[0] / len(expected) + 1e-6
    a = np.histogram(np.clip(actual, edges[0], edges[-1]), edges)[0] / len(actual) + 1e-6
    return float(((a - e) * np.log(a / e)).sum())
f = ws.features(SYMBOL, TF)
train = f[f.index < pd.Timestamp(nb.TRAIN_TO, tz="UTC")]
recent_from = (f.index[-1] - pd.Timedelta(days=180)).normalize()
recent = f[f.index >= recent_from]
top = model.importance().head(10).index
drift = pd.Series({c: psi(train[c].values, recent[c].values) for c in top}, name="PSI").sort_values(ascending=False)
drift.to_frame().assign(flag=lambda d: np.where(d.PSI > 0.25, "DRIFT", np.where(d.PSI > 0.1, "watch", "ok")))""",
"""# The same check from the command line (what `aurum health` and the weekly report use):
# `aurum monitor drift` computes every feature's PSI and KS itself, in C++.
cli = nb.cli_json(ws.path, "monitor", "drift", "--model", model.name, "--version", str(model.version),
                  "--symbol", SYMBOL, "--from", recent_from.strftime("%Y-%m-%d"), "--to", "2100-01-01",
                  check=False)["models"][0]
cli_psi = pd.Series({x["name"]: x["psi"] for x in cli["features"]}, name="aurum PSI")
pd.concat([drift, cli_psi.loc[drift.index]], axis=1)""",
"## Assertions",
"""assert len(pred) > 0 and hit.between(0, 1).all()
assert roll.dropna().between(0, 1).all()
assert (drift >= 0).all() and np.isfinite(drift).all()
assert psi(train[top[0]].values, train[top[0]].values) < 1e-3  # no drift against itself
# Two implementations, one answer: numpy's PSI on the CLI's own windows (the model's training
# range, the live range) equals the CLI's on every top feature.
assert cli["live"]["rows"] == len(recent), (cli["live"]["rows"], len(recent))
ms = lambda t: pd.Timestamp(t, unit="ms", tz="UTC")
ref = f[(f.index >= ms(cli["training"]["from"])) & (f.index < ms(cli["training"]["to"]))]
assert len(ref) == cli["training"]["rows"], (len(ref), cli["training"]["rows"])
again = pd.Series({c: psi(ref[c].values, recent[c].values) for c in top})
assert np.allclose(again.values, cli_psi.loc[top].values, atol=1e-3), pd.concat([again, cli_psi.loc[top]], axis=1)
print(f"accuracy since training {hit.mean():.3f}; most drifted feature {drift.index[0]} (PSI {drift.iloc[0]:.3f})")""")

# ---------------------------------------------------------------------------------------------
notebook("daily_prediction_accuracy", "Daily prediction accuracy",
         "Seed 000, evening: *what the models predicted, what actually happened, running "
         "accuracy, early warning if accuracy drops*. From the predictions the paper session "
         "stored (read-only).",
"""preds = ws.predictions()
bars = ws.bars(SYMBOL, TF)
nxt = np.log(bars.close).diff().shift(-1)
preds = preds[preds.symbol == SYMBOL].set_index("time")
preds["actual_up"] = (nxt.reindex(preds.index) > 0)
preds = preds[nxt.reindex(preds.index).notna()]
preds["hit"] = (preds.p_up >= 0.5) == preds.actual_up
daily = preds.hit.resample("1D").mean().dropna()
running = preds.hit.expanding().mean()
preds[["p_up", "actual_up", "hit"]].tail(10)""",
"""fig, ax = plt.subplots(figsize=(12, 3.5))
daily.rolling(7).mean().plot(ax=ax, label="7-day accuracy"); running.resample("1D").last().plot(ax=ax, label="running")
ax.axhline(0.5, color="red", lw=0.5); ax.legend()
warning = daily.rolling(7).mean().iloc[-1] < running.iloc[-1] - 0.05
print("EARLY WARNING: accuracy dropped more than 5 points" if warning else "accuracy steady")""",
"## Assertions",
"""assert len(preds) > 0 and preds.p_up.between(0, 1).all()
assert preds.index.is_unique
assert 0 <= running.iloc[-1] <= 1
assert abs(running.iloc[-1] - preds.hit.mean()) < 1e-12
print("checks hold")""")

notebook("monthly_strategy_review", "Monthly strategy review",
         "Month by month: the production model's returns next to buy-and-hold, from one backtest "
         "(the same monthly figures the HTML report's heatmap shows).",
"""model = nb.model(ws)
res = aurum.BacktestEngine(model=model, start_date=nb.TRAIN_TO).run()
monthly = pd.DataFrame(res.metrics["monthly_returns"]).set_index("month")["return"]
close = ws.bars(SYMBOL, TF, start=nb.TRAIN_TO).close
month_end = close.resample("M").last()
bh = month_end.pct_change()
bh.iloc[0] = month_end.iloc[0] / close.iloc[0] - 1
bh.index = bh.index.strftime("%Y-%m")
table = pd.DataFrame({"system %": monthly * 100, "buy&hold %": bh.reindex(monthly.index) * 100})
table.round(2).tail(12)""",
"""table.plot.bar(figsize=(12, 4), title="monthly returns (%)");""",
"## Assertions",
"""eq = res.equity
by_month = eq.resample("M").last()
recomputed = by_month.pct_change()
recomputed.iloc[0] = by_month.iloc[0] / res.metrics["initial_capital"] - 1
assert np.allclose(recomputed.values, monthly.values, atol=1e-9), (recomputed.values[:3], monthly.values[:3])
assert abs((1 + monthly).prod() - res.metrics["final_equity"] / res.metrics["initial_capital"]) < 1e-9
print("checks hold")""")


def main():
    names = sys.argv[1:] or list(NOTEBOOKS)
    for name in names:
        nbformat.write(NOTEBOOKS[name], HERE / f"{name}.ipynb")
        print("wrote", f"notebooks/{name}.ipynb")


if __name__ == "__main__":
    main()
