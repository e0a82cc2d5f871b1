"""aurum.distributed (issue 18): a 1,000-task sweep of sma-cross (10 symbols x 1 year of 1h
bars x 100 parameter sets) in-process, then on a local Dask cluster of 1 and of 2 worker
processes. Reports the scaling 1 -> 2 workers and the per-task overhead of the distributed path
(Dask scheduling + result row written to the store) over the engine's own time, with the
cluster aurum.distributed starts (SHORT_TASK_CONFIG) and with Dask's default settings, and the
CPU seconds each side used during the sweep: the client's process (client, scheduler and
nannies of a local cluster) and the worker processes.

    PYTHONPATH=build/release/python /usr/bin/python3 bench/bench_distributed.py [WORKSPACE [RUNS]]

WORKSPACE (default: a temp dir) gets the synthetic bars on first use (`aurum data synth`).
Each configuration runs RUNS times (default 3) on 1 worker and on 2, alternately, each run on
a fresh cluster started before the clock: wall figures are the best run and the range, with the
load average the runs saw (other processes on the machine take their share of the cores).
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

import psutil

import aurum
from aurum import _core
from aurum import distributed as dist

SYMBOLS = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT", "ADA/USDT", "DOGE/USDT",
           "AVAX/USDT", "DOT/USDT", "LINK/USDT"]
GRID = "fast=5:50:5,slow=60:150:10"  # 10 x 10 = 100 combinations per symbol


def prepare(home):
    os.makedirs(home, exist_ok=True)
    if not os.path.exists(os.path.join(home, "data", "aurum.db")):
        subprocess.run([aurum.cli_path(), "--home", home, "data", "synth", "--symbols",
                        ",".join(SYMBOLS), "--timeframe", "1h", "--days", "365", "--start",
                        "2024-01-01", "--seed", "1"], check=True, capture_output=True)


def in_process(ws):
    """Every task's engine call, one after the other in this process (bars loaded once per
    symbol, as a worker caches them): the engine's own time."""
    total, n = 0.0, 0
    for sym in SYMBOLS:
        opts = dist._backtest_options(sym, "1h", "sma-cross", GRID, None, None, 10000, 0.001,
                                      "0", None)
        data = _core.SweepData(ws._h, opts)
        combos = data.combinations()["params"]
        t = time.perf_counter()
        for p in combos:
            data.run(p)
        total += time.perf_counter() - t
        n += len(combos)
    return total, n


def clear(home, job):
    with sqlite3.connect(os.path.join(home, "data", "aurum.db")) as db:
        db.execute("DELETE FROM research_results WHERE job = ?", (job,))


def on_cluster(ws, workers, batch=1, config=None):
    """One sweep on a fresh local cluster (as `aurum sweep` starts one; the workers load their
    bars in the sweep), started before the clock -> (wall seconds, CPU seconds of this process,
    CPU seconds of the workers)."""
    client = dist.connect(workers=workers, config=config)
    try:
        client.run(lambda: None)  # workers up and importing before the clock starts
        me = psutil.Process()
        procs = [me] + me.children(recursive=True)
        cpu0 = [sum(p.cpu_times()[:2]) for p in procs]
        t = time.perf_counter()
        r = dist.sweep(ws, SYMBOLS, ["1h"], GRID, client=client, batch=batch)
        wall = time.perf_counter() - t
        cpu = [sum(p.cpu_times()[:2]) - c for p, c in zip(procs, cpu0)]
        clear(ws.path, r.job)  # the next run computes every task again
        assert r.submitted == 1000, r
        return wall, cpu[0], sum(cpu[1:])
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()


def measure(ws, engine_s, n, runs, batch=1, config=None, prefix=""):
    """`runs` sweeps on 1 worker and on 2, alternately; figures keyed with `prefix`."""
    res, loads = {1: [], 2: []}, []
    for _ in range(runs):
        for w in (1, 2):
            res[w].append(on_cluster(ws, w, batch, config))
        loads.append(os.getloadavg()[0])
    one, two = (min(res[w]) for w in (1, 2))  # the best run (least disturbed)
    ms = lambda s: round(s / n * 1000, 3)  # noqa: E731 (per task)
    span = lambda w: [round(min(r[0] for r in res[w]), 3),  # noqa: E731 (wall, s)
                      round(max(r[0] for r in res[w]), 3)]
    cpu = lambda w, k: [ms(min(r[k] for r in res[w])),  # noqa: E731 (CPU per task)
                        ms(max(r[k] for r in res[w]))]
    return {
        prefix + "one_worker_s": round(one[0], 3),
        prefix + "two_workers_s": round(two[0], 3),
        prefix + "scaling_1_to_2": round(one[0] / two[0], 2),
        prefix + "one_worker_s_range": span(1),
        prefix + "two_workers_s_range": span(2),
        prefix + "overhead_ms_per_task": ms(one[0] - engine_s),
        prefix + "cpu_ms_per_task_one_worker": {"client_scheduler": cpu(1, 1),
                                                "workers": cpu(1, 2)},
        prefix + "cpu_ms_per_task_two_workers": {"client_scheduler": cpu(2, 1),
                                                 "workers": cpu(2, 2)},
        prefix + "loadavg_1min": [round(min(loads), 2), round(max(loads), 2)],
    }


def main():
    home = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="aurum-dist-bench-")
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    prepare(home)
    ws = aurum.Workspace(home)
    engine_s, n = in_process(ws)
    on_cluster(ws, 1)  # warm-up (page cache, imports)
    out = {"tasks": n, "engine_ms_per_task": round(engine_s / n * 1000, 3)}
    out.update(measure(ws, engine_s, n, runs))
    out.update(measure(ws, engine_s, n, runs, config={}, prefix="dask_defaults_"))
    # The same 1,000 rows with 10 combinations per Dask task (100 Dask tasks).
    out.update(measure(ws, engine_s, n, runs, batch=10, prefix="batch10_"))
    out["cores"] = os.cpu_count()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
