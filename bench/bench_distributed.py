"""aurum.distributed (issue 18): a 1,000-task sweep of sma-cross (10 symbols x 1 year of 1h
bars x 100 parameter sets) in-process, then on a local Dask cluster of 1 and of 2 worker
processes. Reports the scaling 1 -> 2 workers and the per-task overhead of the distributed path
(Dask scheduling + result row written to the store) over the engine's own time.

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


def on_cluster(ws, workers, batch=1):
    client = dist.connect(workers=workers)
    try:
        client.run(lambda: None)  # workers up and importing before the clock starts
        t = time.perf_counter()
        r = dist.sweep(ws, SYMBOLS, ["1h"], GRID, client=client, batch=batch)
        wall = time.perf_counter() - t
        assert r.submitted == 1000, r
        clear(ws.path, r.job)
        return wall
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()


def main():
    home = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="aurum-dist-bench-")
    prepare(home)
    ws = aurum.Workspace(home)
    engine_s, n = in_process(ws)
    # Warm-up run (page cache, imports), then the measured runs.
    on_cluster(ws, 1)
    t1 = min(on_cluster(ws, 1) for _ in range(2))
    t2 = min(on_cluster(ws, 2) for _ in range(2))
    # The same 1,000 rows with 10 combinations per Dask task (100 Dask tasks).
    b1 = min(on_cluster(ws, 1, 10) for _ in range(2))
    b2 = min(on_cluster(ws, 2, 10) for _ in range(2))
    out = {
        "tasks": n,
        "engine_ms_per_task": round(engine_s / n * 1000, 3),
        "one_worker_s": round(t1, 3),
        "two_workers_s": round(t2, 3),
        "scaling_1_to_2": round(t1 / t2, 2),
        "overhead_ms_per_task": round((t1 - engine_s) / n * 1000, 3),
        "batch10_one_worker_s": round(b1, 3),
        "batch10_two_workers_s": round(b2, 3),
        "batch10_scaling_1_to_2": round(b1 / b2, 2),
        "batch10_overhead_ms_per_combination": round((b1 - engine_s) / n * 1000, 3),
        "cores": os.cpu_count(),
        "loadavg_1min": os.getloadavg()[0],
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
