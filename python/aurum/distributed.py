"""aurum.distributed: parameter sweeps and universe walk-forwards as Dask task graphs.

Each task runs the C++ engine through `import aurum` (the GIL is released while it runs) on a
Dask worker, reads its bars from the workspace's store and writes its result into the store's
`research_results` table under (job, task key): the first write wins, so a task re-run after a
lost worker leaves one row, and re-running a job skips the keys already stored (resume).

    sweep(ws, ["BTC/USDT", "ETH/USDT"], ["1h", "4h"], "fast=5:50:5,slow=20:200:10",
          scheduler="tcp://10.0.0.5:8786")
    walkforward_universe(ws, "universe.txt", "4h")

Without a scheduler a LocalCluster of the machine's cores runs the graph. `python3 -m
aurum.distributed sweep|walkforward ...` is what `aurum sweep` and `aurum walkforward
--universe` run.
"""
import contextlib
import gc
import hashlib
import json
import os
import sys
import threading
import time

from . import _core
from ._util import date_text, models
from .errors import Error, InputError, SystemFailure
from .workspace import Workspace

# ----- the worker side: one store connection and one bar cache per worker thread ----------------
_local = threading.local()
_CACHE_SERIES = 4  # (symbol, timeframe) bar sets kept per worker thread (1m years: ~30 MB each)


def _handle(home, db):
    handles = _local.__dict__.setdefault("handles", {})
    if (home, db) not in handles:
        handles[(home, db)] = _core.WorkspaceHandle(home, db)
    return handles[(home, db)]


def _sweep_data(home, db, options_json):
    cache = _local.__dict__.setdefault("sweep_data", {})
    key = (home, db, options_json)
    if key not in cache:
        if len(cache) >= _CACHE_SERIES:
            cache.pop(next(iter(cache)))
        cache[key] = _core.SweepData(_handle(home, db), json.loads(options_json))
    return cache[key]


def sweep_task(job, key, home, db, options_json, params):
    """One combination on one (symbol, timeframe): runs it and stores its row (once)."""
    row = _sweep_data(home, db, options_json).run(params)
    _core.results_put(_handle(home, db), job, key, "sweep", row)
    return key


def sweep_batch(job, items, home, db):
    """Several combinations in one Dask task (`batch` > 1): each still stores its own row under
    its own key, so resuming and re-runs behave exactly as with one task per key."""
    for key, options_json, params in items:
        sweep_task(job, key, home, db, options_json, params)
    return len(items)


def walkforward_task(job, key, home, db, options_json):
    """One symbol's purged walk-forward (aurum.walkforward): stores the CLI's --json report."""
    handles = _local.__dict__.setdefault("model_handles", {})
    if (home, db) not in handles:
        handles[(home, db)] = models().WorkspaceHandle(home, db)
    out = models().walkforward(handles[(home, db)], json.loads(options_json))
    report = dict(out["report"], passed=bool(out["passed"]))
    _core.results_put(_handle(home, db), job, key, "walkforward", json.dumps(report, sort_keys=True))
    return key


# ----- the client side --------------------------------------------------------------------------
class JobResult:
    """What a sweep or walk-forward left in the store: rows (a DataFrame), job id, counts."""

    def __init__(self, job, kind, rows, submitted, skipped_done, extra=None):
        self.job = job
        self.kind = kind
        self.rows = rows
        self.submitted = submitted
        self.skipped_done = skipped_done
        self.extra = extra or {}

    def __repr__(self):
        return (f"<JobResult {self.kind} {self.job}: {len(self.rows)} rows, {self.submitted} "
                f"tasks run, {self.skipped_done} already done>")


def _job_id(kind, definition):
    text = json.dumps({"kind": kind, **definition}, sort_keys=True)
    return kind + "-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _number(v):
    """The shortest text that reads back as the same double ("5", "0.25", "0.30000000000000004"):
    two combinations never share a task key."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def _params_text(params):
    return " ".join(f"{k}={_number(v)}" for k, v in sorted(params.items()))


def _backtest_options(symbol, timeframe, strategy, grid, start, end, capital, fee, slippage,
                      risk):
    return {"strategy": strategy, "symbols": [symbol], "timeframe": timeframe, "grid": grid,
            "start_date": date_text(start, "start"), "end_date": date_text(end, "end"),
            "initial_capital": float(capital), "transaction_cost": float(fee),
            "slippage": slippage or "0", "risk": risk}


def _workspace(workspace):
    return workspace if isinstance(workspace, Workspace) else Workspace(workspace)


def _as_list(value, what):
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    value = [v for v in (value or []) if v]
    if not value:
        raise InputError(f"{what}: at least one is required")
    return value


def sweep(workspace, symbols, timeframes, grid, strategy="sma-cross", scheduler=None,
          rank_by="sharpe", start=None, end=None, capital=10000, fee=0.001, slippage="0",
          risk=None, workers=None, progress=None, client=None, batch=1):
    """A parameter sweep of `strategy` over every symbol x timeframe, one task per combination
    (`batch` > 1: that many combinations per Dask task, still one stored row per combination).

    Each (symbol, timeframe) equals `aurum backtest --symbol S --timeframe T --grid GRID` row for
    row (same engine call, same ranking). Returns a JobResult whose rows are ranked by `rank_by`
    across all tasks. `progress(done, total, eta_seconds)` is called as tasks finish.
    """
    with _gc_frozen():
        return _sweep(_workspace(workspace), symbols, timeframes, grid, strategy, scheduler,
                      rank_by, start, end, capital, fee, slippage, risk, workers, progress,
                      client, batch)


@contextlib.contextmanager
def _gc_frozen():
    """The objects that exist when a job starts (dask, pandas, numpy, a local cluster's scheduler:
    ~10^5) out of Python's cyclic garbage collector while the job's graph is built, run and read
    back: the job's own objects (tasks, futures, messages, rows) otherwise set off a full
    collection of the whole heap in every other 1,000-task sweep (47-66 ms, the scheduler's
    thread of a local cluster stopped with it). The job's objects are still collected; a
    caller's own gc.freeze is left as it is."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _sweep(ws, symbols, timeframes, grid, strategy, scheduler, rank_by, start, end, capital,
           fee, slippage, risk, workers, progress, client, batch):
    if rank_by not in _core.grid_rank_keys():
        raise InputError(f"--rank-by '{rank_by}' is not one of {', '.join(_core.grid_rank_keys())}")
    symbols = [_core.normalize_symbol(s) for s in _as_list(symbols, "--symbols")]
    timeframes = _as_list(timeframes, "--timeframes")
    # Everything is checked (grid, symbols, stored bars) before a scheduler is contacted.
    tasks = []
    for tf in timeframes:
        for sym in symbols:
            opts = _backtest_options(sym, tf, strategy, grid, start, end, capital, fee, slippage,
                                     risk)
            combos = _core.SweepData(ws._h, opts).combinations()
            opts_json = json.dumps(opts, sort_keys=True)
            for p in combos["params"]:
                tasks.append((f"{sym} {tf} {_params_text(p)}", opts_json, p))
    job = _job_id("sweep", {"symbols": symbols, "timeframes": timeframes, "grid": grid,
                            "strategy": strategy, "start": date_text(start, "start"),
                            "end": date_text(end, "end"), "capital": float(capital),
                            "fee": float(fee), "slippage": slippage, "risk": risk})
    submitted, skipped = _run_graph(ws, job, tasks, sweep_task, scheduler, workers, progress,
                                    client, batch)
    return JobResult(job, "sweep", _sweep_rows(ws, job, rank_by), submitted, skipped,
                     {"rank_by": rank_by})


def _sweep_rows(ws, job, rank_by):
    import pandas as pd
    stored = _core.results(ws._h, job)
    texts = [r for _, r in stored]
    order = _core.rank_rows(texts, rank_by)
    out = []
    for k in order:
        key, row = stored[k][0], json.loads(texts[k])
        sym, tf, _ = key.split(" ", 2)
        pf = row["profit_factor"]
        out.append({"symbol": sym, "timeframe": tf, "params": row["params"],
                    "total_return": row["total_return"], "cagr": row["cagr"],
                    "sharpe": row["sharpe"], "sortino": row["sortino"],
                    "max_drawdown": row["max_drawdown"], "win_rate": row["win_rate"],
                    "trades": row["trades"], "profit_factor": pf, "fees": row["fees"],
                    "final_equity": row["final_equity"], "key": key})
    return pd.DataFrame(out)


def read_universe(path, timeframe):
    """A universe file: one `SYMBOL [TIMEFRAME]` per line, `#` comments.
    -> [(symbol, timeframe, line number)].
    Raises InputError naming file:line for a malformed line or a duplicate."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise InputError(f"--universe {path}: cannot read ({e.strerror})") from None
    out = []
    for n, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split()
        if len(parts) > 2 or ("/" not in parts[0] and not parts[0].isalnum()):
            raise InputError(f"{path}:{n}: expected 'SYMBOL [TIMEFRAME]', got {line.strip()!r}")
        entry = (_core.normalize_symbol(parts[0]), parts[1] if len(parts) == 2 else timeframe, n)
        if any(e[:2] == entry[:2] for e in out):
            raise InputError(f"{path}:{n}: {entry[0]} {entry[1]} listed twice")
        out.append(entry)
    if not out:
        raise InputError(f"--universe {path}: no symbols (one 'SYMBOL [TIMEFRAME]' per line)")
    return out


def walkforward_universe(workspace, universe, timeframe="4h", model="gbdt", scheduler=None,
                         start=None, end=None, risk=None, workers=None, progress=None,
                         client=None):
    """The purged walk-forward of `model` on every symbol of a universe file, one task per
    symbol: each equals `aurum walkforward --symbol S --timeframe T --model M --json`."""
    ws = _workspace(workspace)
    if model not in ("gbdt", "lstm", "gnn", "ensemble"):
        raise InputError(f"--model: expected gbdt, lstm, gnn or ensemble, got {model!r}")
    entries = read_universe(universe, timeframe)
    stored = {(s["symbol"], s["timeframe"]) for s in _core.series(ws._h)}
    tasks = []
    for sym, tf, line in entries:
        if (sym, tf) not in stored:
            have = ", ".join(f"{s} {t}" for s, t in sorted(stored)) or "nothing"
            raise InputError(f"{universe}:{line}: no {tf} bars for {sym} in the store "
                             f"(stored: {have})")
        opts = {"model": model, "symbols": [sym], "timeframe": tf,
                "start": date_text(start, "start") or None, "end": date_text(end, "end") or None,
                "name": None, "promote": False, "force": False, "risk": risk}
        tasks.append((f"{sym} {tf}", json.dumps(opts, sort_keys=True), None))
    job = _job_id("walkforward", {"universe": [e[:2] for e in entries], "model": model,
                                  "start": date_text(start, "start"),
                                  "end": date_text(end, "end"), "risk": risk})
    submitted, skipped = _run_graph(ws, job, tasks, walkforward_task, scheduler, workers,
                                    progress, client)
    return JobResult(job, "walkforward", _walkforward_rows(ws, job), submitted, skipped)


def _walkforward_rows(ws, job):
    import pandas as pd
    out = []
    for key, text in _core.results(ws._h, job):
        r = json.loads(text)
        sym, tf = key.split(" ", 1)
        out.append({"symbol": sym, "timeframe": tf, "passed": r["passed"],
                    "sharpe": r.get("sharpe"), "max_drawdown": r.get("max_drawdown"),
                    "trades": r.get("trades"), "oos_auc": r.get("oos_auc"), "report": r})
    df = pd.DataFrame(out)
    if len(df):
        df = df.sort_values("sharpe", ascending=False, kind="stable").reset_index(drop=True)
    return df


# Dask settings for a graph of many short tasks (a sweep's task is ~1 ms of C++), applied to the
# local cluster `connect` starts; a deployed scheduler and its workers take them from their own
# Dask config (docs/distributed.md, "Settings for short tasks").
SHORT_TASK_CONFIG = {
    # Every task goes to a worker at once (work stealing still evens the workers out). With the
    # default queuing (1.1) a worker holds one task beyond the running one and each refill is a
    # round trip through the scheduler: a worker sat idle about half the time between tasks.
    "distributed.scheduler.worker-saturation": "inf",
    # The statistical profiler samples every thread's stack every 10 ms (CPU and GIL time the
    # tasks lose); the tick and system monitors wake every 20 and 500 ms for the dashboard.
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "5s",
}


def connect(scheduler=None, workers=None, config=None):
    """A dask Client: on `scheduler` (tcp://HOST:PORT), else on a LocalCluster of `workers`
    processes (default: the machine's cores) on 127.0.0.1 with `config` (default
    SHORT_TASK_CONFIG; {} = Dask's defaults). InputError when unreachable. Unless `config` is
    {}, the workers get aurum.distributed_preload's plugin, and a local cluster's scheduler its
    own (a deployed scheduler loads it with `--preload`)."""
    import dask
    from dask.distributed import Client, LocalCluster
    from . import distributed_preload as tuning
    if scheduler:
        try:
            client = Client(scheduler, timeout="5s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise InputError(f"--scheduler {scheduler}: cannot connect ({e})") from None
    else:
        n = int(workers or os.cpu_count() or 1)
        # The scheduler and the workers read these when they start (the workers get the config
        # their nanny was created with).
        with dask.config.set(SHORT_TASK_CONFIG if config is None else config):
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None, silence_logs=40)
        client = Client(cluster, set_as_default=False)
        if config != {}:
            client.run_on_scheduler(tuning.install_on_scheduler)
    if config != {}:
        client.register_worker_plugin(tuning.ShortTaskWorker())
    return client


def _run_graph(ws, job, tasks, fn, scheduler, workers, progress, client, batch=1):
    """Submits the tasks whose keys are not stored yet (`batch` keys per Dask task); waits,
    reporting progress in keys. -> (submitted, already done)."""
    if int(batch) < 1:
        raise InputError(f"--batch must be >= 1 (got {batch})")
    own = client is None
    if own:
        client = connect(scheduler, workers)
    try:
        done = set(_core.results_done(ws._h, job))
        todo = [t for t in tasks if t[0] not in done]
        home, db = ws.path, ws.db
        groups = [todo[i:i + int(batch)] for i in range(0, len(todo), int(batch))]
        # Deterministic Dask keys: a resubmitted or retried task is the same Dask task.
        keys = [f"{fn.__name__}-{hashlib.sha256((job + g[0][0] + g[-1][0]).encode()).hexdigest()[:24]}"
                for g in groups]
        n = len(groups)
        if not groups:
            futures = []
        elif batch > 1:
            futures = _submit(client, sweep_batch, [[job] * n, groups, [home] * n, [db] * n], keys)
        else:
            columns = [[job] * n, [t[0] for t in todo], [home] * n, [db] * n,
                       [t[1] for t in todo]]
            if todo[0][2] is not None:
                columns.append([t[2] for t in todo])
            futures = _submit(client, fn, columns, keys)
        _wait(client, futures, [len(g) for g in groups], progress)
        return len(todo), len(tasks) - len(todo)
    finally:
        if own:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()


def _submit(client, fn, columns, keys, first=25):
    """client.map in chunks of 25, 50, 100 ... tasks: the workers start on the first chunk while
    the client builds the rest and the scheduler takes them in (a 1,000-task graph is 15-20 ms
    of each, which the workers otherwise waited out)."""
    futures, start, size = [], 0, first
    while start < len(keys):
        end = min(start + size, len(keys))
        futures += client.map(fn, *(c[start:end] for c in columns), key=keys[start:end],
                              pure=False, retries=2)
        start, size = end, size * 2
    return futures


def _wait(client, futures, sizes, progress):
    """Waits for every future, reporting progress in keys. Polls the futures' states every
    20 ms instead of iterating `as_completed`, which costs the client's process (where a local
    cluster's scheduler also runs) ~0.1 ms of CPU per task in a coroutine per future; the last
    few it waits for directly, so the end of a job is not a poll interval late."""
    from distributed.utils import CancelledError
    from dask.distributed import wait
    total, t0, failed, done = sum(sizes), time.monotonic(), None, 0
    pending = list(zip(futures, sizes))
    if progress:
        progress(0, total, None)
    while pending:
        if len(pending) <= _WAIT_DIRECTLY:
            try:
                with client.as_current():
                    wait([f for f, _ in pending], timeout=1.0)
            except (TimeoutError, CancelledError):
                pass  # progress, or the cancelled future found below
        else:
            time.sleep(0.02)
        still = []
        for fut, n in pending:
            status = fut.status  # set by the client's event loop thread
            if status not in ("finished", "error", "cancelled"):
                still.append((fut, n))
                continue
            done += n
            if status != "finished" and failed is None:
                failed = fut
        if progress and len(still) < len(pending):
            # No ETA from the first second: it is mostly the workers' start.
            elapsed = time.monotonic() - t0
            progress(done, total, (total - done) * elapsed / done if elapsed >= 1.0 else None)
        pending = still
    if failed is not None:
        err = failed.exception() if failed.status == "error" else None
        if isinstance(err, Error):
            raise err
        raise SystemFailure(f"a task failed: {err!r}" if err else
                            f"a task was cancelled: {failed.key}")


# Futures few enough to wait for directly (an event per future in the client's loop).
_WAIT_DIRECTLY = 32


# ----- python3 -m aurum.distributed (what `aurum sweep` and `aurum walkforward --universe` run) --
def _printer(label, stream=sys.stderr):
    last = [0.0]

    def show(done, total, eta):
        now = time.monotonic()
        if done not in (0, total) and now - last[0] < 1.0:
            return
        last[0] = now
        eta_text = "" if eta is None else f", ETA {eta:.0f}s"
        print(f"{label}: {done}/{total} tasks done{eta_text}", file=stream, flush=True)
    return show


def _fmt(x, pct=False):
    if x is None or (isinstance(x, float) and x != x):
        return "-"
    return f"{x * 100:.2f}%" if pct else f"{x:.2f}"


def sweep_table(rows, top):
    """The ranked sweep as text: rank, symbol, timeframe, params and the headline figures."""
    lines = [f"{'rank':>4}  {'symbol':<10} {'tf':<4} {'params':<24} {'return':>9} {'sharpe':>7} "
             f"{'max_dd':>8} {'win':>7} {'trades':>6} {'pf':>7}"]
    for k, r in enumerate(rows.head(top).itertuples(), 1):
        lines.append(f"{k:>4}  {r.symbol:<10} {r.timeframe:<4} {_params_text(r.params):<24} "
                     f"{_fmt(r.total_return, True):>9} {_fmt(r.sharpe):>7} "
                     f"{_fmt(r.max_drawdown, True):>8} {_fmt(r.win_rate, True):>7} "
                     f"{r.trades:>6} {_fmt(r.profit_factor if r.profit_factor is not None else float('inf')):>7}")
    return "\n".join(lines) + "\n"


def _parser():
    import argparse
    p = argparse.ArgumentParser(prog="aurum", description=__doc__.splitlines()[0])
    p.add_argument("--home", default=os.environ.get("AURUM_HOME", "."))
    p.add_argument("--db", default="")
    p.add_argument("--json", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sweep")
    s.add_argument("--symbols", required=True)
    s.add_argument("--timeframes", default="1h")
    s.add_argument("--strategy", default="sma-cross")
    s.add_argument("--grid", required=True)
    s.add_argument("--rank-by", default="sharpe")
    s.add_argument("--top", type=int, default=20)
    s.add_argument("--batch", type=int, default=1)
    w = sub.add_parser("walkforward")
    w.add_argument("--universe", required=True)
    w.add_argument("--timeframe", default="4h")
    w.add_argument("--model", default="gbdt")
    for q in (s, w):
        q.add_argument("--scheduler", default=None)
        q.add_argument("--workers", type=int, default=None)
        q.add_argument("--from", dest="start", default=None)
        q.add_argument("--to", dest="end", default=None)
        q.add_argument("--risk", default=None)
    s.add_argument("--capital", type=float, default=10000)
    s.add_argument("--fee", type=float, default=0.001)
    s.add_argument("--slippage", default="0")
    return p


def _run_cli(a):
    ws = Workspace(a.home, db=a.db or None)
    show = _printer(a.command)
    if a.command == "sweep":
        r = sweep(ws, a.symbols, a.timeframes, a.grid, strategy=a.strategy,
                  scheduler=a.scheduler, rank_by=a.rank_by, start=a.start, end=a.end,
                  capital=a.capital, fee=a.fee, slippage=a.slippage, risk=a.risk,
                  workers=a.workers, progress=show, batch=a.batch)
        if a.json:
            print(json.dumps({"job": r.job, "rank_by": a.rank_by, "tasks_run": r.submitted,
                              "tasks_already_done": r.skipped_done,
                              "rows": r.rows.drop(columns="key").to_dict("records")}, indent=2))
            return 0
        print(f"Sweep {r.job}: {len(r.rows)} results ranked by {a.rank_by} ({r.submitted} run, "
              f"{r.skipped_done} already in the store)")
        print(sweep_table(r.rows, a.top), end="")
        return 0
    r = walkforward_universe(ws, a.universe, a.timeframe, model=a.model, scheduler=a.scheduler,
                             start=a.start, end=a.end, risk=a.risk, workers=a.workers,
                             progress=show)
    if a.json:
        print(json.dumps({"job": r.job, "tasks_run": r.submitted,
                          "tasks_already_done": r.skipped_done,
                          "rows": r.rows.drop(columns="report").to_dict("records")}, indent=2))
        return 0
    print(f"Universe walk-forward {r.job}: {len(r.rows)} symbols ({r.submitted} run, "
          f"{r.skipped_done} already in the store)")
    print(r.rows.drop(columns="report").to_string(index=False))
    return 0


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        return _run_cli(args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the finished tasks are stored; run the same command again to resume",
              file=sys.stderr)
        return 130
    except Error as e:  # the CLI's exit codes: check failed 1, environment 2, defect 3
        print(f"error: {e}", file=sys.stderr)
        return {"CheckFailed": 1, "InvariantError": 3}.get(type(e).__name__, 2)


if __name__ == "__main__":
    # Run from the importable module, not __main__: tasks pickle their function by reference
    # (aurum.distributed.sweep_task), which every worker imports.
    from aurum.distributed import main as _main
    sys.exit(_main())
