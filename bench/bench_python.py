#!/usr/bin/python3
"""Benchmarks of the Python module (figures in docs/benchmarks.md, "Python module"):

  import      `import aurum` in a fresh /usr/bin/python3 (best of N, minus a bare interpreter)
  backtest    sma-cross over N bars of the synthetic 1m market: BacktestEngine.run() vs the
              same run by the C++ CLI (`aurum backtest`, same inputs, same report); ratio
  trades      get_trades() of a run with >= 100k closed trades (sma-cross 2/3 on 1m bars)

Usage: PYTHONPATH=build/release/python AURUM_BIN=build/release/bin/aurum \\
       /usr/bin/python3 bench/bench_python.py [--bars 10000000] [--keep DIR]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import aurum


def best_of(n, fn):
    best = float("inf")
    for _ in range(n):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def cpu_of(n, args):
    """Best CPU time (user + sys) of a child process: robust on a loaded machine."""
    import resource
    best = float("inf")
    for _ in range(n):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(args, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        best = min(best, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return best


def bench_import(n=15):
    py = "/usr/bin/python3"
    bare = best_of(n, lambda: subprocess.run([py, "-c", "pass"], check=True))
    full = best_of(n, lambda: subprocess.run([py, "-c", "import aurum"], check=True))
    bare_cpu = cpu_of(n, [py, "-c", "pass"])
    full_cpu = cpu_of(n, [py, "-c", "import aurum"])
    print(f"import aurum: wall {full * 1e3:.0f} ms ({(full - bare) * 1e3:.0f} ms over a bare "
          f"interpreter's {bare * 1e3:.0f} ms); CPU {full_cpu * 1e3:.0f} ms "
          f"({(full_cpu - bare_cpu) * 1e3:.0f} ms over {bare_cpu * 1e3:.0f} ms); best of {n}")


def cli(home, *args):
    subprocess.run([aurum.cli_path(), "--home", home, *map(str, args)], check=True,
                   stdout=subprocess.DEVNULL)


def bench_backtest(home, bars):
    days = -(-bars // 1440)
    if not os.path.exists(os.path.join(home, "data", "aurum.db")):
        t = time.perf_counter()
        cli(home, "data", "synth", "--symbols", "BTC/USDT", "--timeframe", "1m", "--days", days,
            "--start", "2000-01-01", "--seed", "1")
        print(f"setup: {days} days of 1m bars stored in {time.perf_counter() - t:.0f} s")
    ws = aurum.Workspace(home)
    n = len(ws.bars("BTC/USDT", "1m"))
    args = ["backtest", "--strategy", "sma-cross", "--fast", "50", "--slow", "200", "--symbol",
            "BTC/USDT", "--timeframe", "1m", "--fee", "0.001"]
    engine = aurum.BacktestEngine(strategy="sma-cross", params={"fast": 50, "slow": 200},
                                  symbols=["BTC/USDT"], timeframe="1m", workspace=ws,
                                  transaction_cost=0.001)
    c = best_of(3, lambda: cli(home, *args))
    p = best_of(3, engine.run)
    print(f"backtest of {n} bars (load, run, metrics, report): C++ CLI {c:.2f} s, Python "
          f"{p:.2f} s, ratio {p / c:.3f}")


def bench_trades(home):
    ws = aurum.Workspace(home)
    res = aurum.BacktestEngine(strategy="sma-cross", params={"fast": 2, "slow": 3},
                               symbols=["BTC/USDT"], timeframe="1m", workspace=ws,
                               end_date="2001-01-01", transaction_cost=0.0).run()
    n = res.metrics["trades"]
    t = best_of(5, lambda: BacktestResultsFresh(res).get_trades())
    cpu = float("inf")
    for _ in range(5):
        c = time.process_time()
        BacktestResultsFresh(res).get_trades()
        cpu = min(cpu, time.process_time() - c)
    print(f"get_trades() of {n} trades: wall {t * 1e3:.1f} ms, CPU {cpu * 1e3:.1f} ms (best of 5)")


def BacktestResultsFresh(res):
    # get_trades() caches its DataFrame: time a fresh result object over the same run.
    return aurum.BacktestResults(res._run)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=10_000_000)
    ap.add_argument("--keep", help="workspace directory to reuse (the data takes a while)")
    a = ap.parse_args()
    bench_import()
    home = a.keep or tempfile.mkdtemp(prefix="aurum-bench-")
    os.makedirs(home, exist_ok=True)
    bench_backtest(home, a.bars)
    bench_trades(home)


if __name__ == "__main__":
    sys.exit(main())
