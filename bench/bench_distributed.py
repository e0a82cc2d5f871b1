"""aurum.distributed (issue 18): a 1,000-task sweep of sma-cross (10 symbols x 1 year of 1h
bars x 100 parameter sets) in-process, then on a local Dask cluster of 1 and of 2 worker
processes. Reports the scaling 1 -> 2 workers and the per-task overhead of the distributed path
(Dask scheduling + result row written to the store) over the engine's own time, with the
cluster aurum.distributed starts (SHORT_TASK_CONFIG) and with Dask's default settings, and the
CPU seconds each side used during the sweep: the client's process (client, scheduler and
nannies of a local cluster) and the worker processes.

    PYTHONPATH=build/release/python /usr/bin/python3 bench/bench_distributed.py [WORKSPACE]

WORKSPACE (default: a temp dir) gets the synthetic bars on first use (`aurum data synth`).
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
    """-> (wall seconds, CPU seconds of this process, CPU seconds of the workers) of the sweep."""
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


def measure(ws, engine_s, n, batch=1, config=None, prefix=""):
    """Best of 2 runs on 1 worker and on 2; figures keyed with `prefix`."""
    one = min(on_cluster(ws, 1, batch, config) for _ in range(2))
    two = min(on_cluster(ws, 2, batch, config) for _ in range(2))
    ms = lambda s: round(s / n * 1000, 3)  # noqa: E731 (per task)
    return {
        prefix + "one_worker_s": round(one[0], 3),
        prefix + "two_workers_s": round(two[0], 3),
        prefix + "scaling_1_to_2": round(one[0] / two[0], 2),
        prefix + "overhead_ms_per_task": ms(one[0] - engine_s),
        prefix + "cpu_ms_per_task_one_worker": {"client_scheduler": ms(one[1]),
                                                "workers": ms(one[2])},
        prefix + "cpu_ms_per_task_two_workers": {"client_scheduler": ms(two[1]),
                                                 "workers": ms(two[2])},
    }


def main():
    home = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="aurum-dist-bench-")
    prepare(home)
    ws = aurum.Workspace(home)
    engine_s, n = in_process(ws)
    on_cluster(ws, 1)  # warm-up (page cache, imports)
    out = {"tasks": n, "engine_ms_per_task": round(engine_s / n * 1000, 3)}
    out.update(measure(ws, engine_s, n))
    out.update(measure(ws, engine_s, n, config={}, prefix="dask_defaults_"))
    # The same 1,000 rows with 10 combinations per Dask task (100 Dask tasks).
    out.update(measure(ws, engine_s, n, batch=10, prefix="batch10_"))
    out.update({"cores": os.cpu_count(), "loadavg_1min": round(os.getloadavg()[0], 2)})
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
