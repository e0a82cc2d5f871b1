"""aurum.distributed on a local Dask cluster of 2 worker processes (127.0.0.1 only): sweeps and
universe walk-forwards equal the single-process CLI, a killed worker loses and duplicates
nothing, bad input and an unreachable scheduler exit 2 and write nothing."""
import gc
import json
import operator
import os
import signal
import socket
import sqlite3
import subprocess
import time

import pytest

import aurum
from aurum import distributed as dist

GRID = "fast=5:20:5,slow=20:60:10"
ROW_KEYS = ["params", "total_return", "sharpe", "max_drawdown", "win_rate", "trades",
            "profit_factor"]


def cli(home, *args):
    p = subprocess.run([aurum.cli_path(), "--home", str(home), *map(str, args)],
                       capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def cli_json(home, *args):
    code, out, err = cli(home, "--json", *args)
    assert code in (0, 1), err
    return json.loads(out)


def stored_rows(home):
    """(rows, distinct task keys) in research_results (0, 0 when the table does not exist)."""
    with sqlite3.connect(os.path.join(home, "data", "aurum.db")) as db:
        have = db.execute("SELECT count(*) FROM sqlite_master WHERE name='research_results'")
        if have.fetchone()[0] == 0:
            return 0, 0
        return db.execute("SELECT count(*), count(DISTINCT job || task_key) "
                          "FROM research_results").fetchone()


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    h = tmp_path_factory.mktemp("dist") / "workspace"
    h.mkdir()
    code, _, err = cli(h, "data", "synth", "--symbols", "BTC/USDT,ETH/USDT", "--timeframe", "1h",
                       "--days", "200", "--start", "2024-01-01", "--seed", "7")
    assert code == 0, err
    return str(h)


@pytest.fixture(scope="module")
def client():
    c = dist.connect(workers=2)
    yield c
    cluster = c.cluster
    c.close()
    cluster.close()


def grid_rows(home, symbol, grid=GRID, rank_by="sharpe"):
    """`aurum backtest --grid --json`: the single-process, multi-threaded sweep."""
    out = cli_json(home, "backtest", "--symbol", symbol, "--timeframe", "1h", "--grid", grid,
                   "--rank-by", rank_by)
    return [{k: r[k] for k in ROW_KEYS} for r in out["grid"]]


def dist_rows(result, symbol):
    rows = result.rows[result.rows["symbol"] == symbol]
    out = []
    for r in rows.to_dict("records"):
        out.append({k: r[k] for k in ROW_KEYS})
    return out


def test_sweep_equals_single_process_grid_bit_for_bit(home, client):
    r = dist.sweep(home, ["BTC/USDT", "ETH/USDT"], ["1h"], GRID, client=client)
    assert r.submitted == 38 and r.skipped_done == 0
    for sym in ("BTC/USDT", "ETH/USDT"):
        assert dist_rows(r, sym) == grid_rows(home, sym)
    assert stored_rows(home) == (38, 38)
    # Resume: the same job again runs nothing and reads the same rows.
    again = dist.sweep(home, ["BTC/USDT", "ETH/USDT"], ["1h"], GRID, client=client)
    assert again.job == r.job and again.submitted == 0 and again.skipped_done == 38
    assert again.rows.drop(columns="key").equals(r.rows.drop(columns="key"))


def test_batched_tasks_store_one_row_per_combination(home, client):
    grid = "fast=3:9:2,slow=25:45:10"  # 4 x 3 = 12 combinations, in Dask tasks of 5
    before = stored_rows(home)[0]
    r = dist.sweep(home, ["ETH/USDT"], ["1h"], grid, client=client, batch=5)
    assert r.submitted == 12 and stored_rows(home)[0] == before + 12
    assert dist_rows(r, "ETH/USDT") == grid_rows(home, "ETH/USDT", grid)
    with pytest.raises(aurum.InputError, match="--batch must be >= 1"):
        dist.sweep(home, ["ETH/USDT"], ["1h"], "fast=3,slow=50", client=client, batch=0)


def test_cli_front_door_local_cluster(home):
    code, out, err = cli(home, "--json", "sweep", "--symbols", "ETH/USDT", "--timeframes", "1h",
                         "--grid", "fast=5:15:5,slow=30", "--rank-by", "total_return",
                         "--workers", "2")
    assert code == 0, err
    assert "tasks done" in err  # progress: done/total, ETA
    j = json.loads(out)
    got = [{k: r[k] for k in ROW_KEYS} for r in j["rows"]]
    assert got == grid_rows(home, "ETH/USDT", "fast=5:15:5,slow=30", "total_return")
    code, text, err = cli(home, "sweep", "--symbols", "ETH/USDT", "--grid", "fast=5:15:5,slow=30",
                          "--rank-by", "total_return", "--workers", "2")
    assert code == 0, err
    assert "0 run, 3 already in the store" in text and "fast=5 slow=30" in text


def test_killed_worker_loses_no_task_and_duplicates_no_row(home, client):
    grid = "fast=2:40:1,slow=45:90:5"  # 39 x 10 = 390 tasks per symbol
    killed = {}

    def kill_one(done, total, eta):
        if done >= 10 and not killed:
            pids = client.run(os.getpid)
            addr, pid = sorted(pids.items())[0]
            os.kill(pid, signal.SIGKILL)
            killed.update(addr=addr, pid=pid, done=done, total=total)

    before = stored_rows(home)[0]
    r = dist.sweep(home, ["BTC/USDT"], ["1h"], grid, client=client, progress=kill_one)
    assert killed and killed["done"] < killed["total"], "the worker was killed mid-sweep"
    assert r.submitted == 390 and len(r.rows) == 390
    rows, distinct = stored_rows(home)
    assert rows == distinct == before + 390
    assert dist_rows(r, "BTC/USDT") == grid_rows(home, "BTC/USDT", grid)
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it


def test_short_task_plugins_on_the_cluster(client):
    """connect() batches the report streams (aurum.distributed_preload) on the scheduler and on
    every worker, a restarted one included, and freezes the workers' start-up objects."""
    from aurum import distributed_preload as tuning
    got = client.run(lambda dask_worker: (dask_worker.batched_stream.interval,
                                          gc.get_freeze_count() > 0))
    assert len(got) == 2 and set(got.values()) == {(tuning.REPORT_INTERVAL, True)}
    intervals = client.run_on_scheduler(lambda dask_scheduler: [
        s.interval for s in (*dask_scheduler.stream_comms.values(),
                             *dask_scheduler.client_comms.values())])
    assert len(intervals) >= 3 and set(intervals) == {tuning.REPORT_INTERVAL}


def test_chunked_submission_failed_and_cancelled_tasks(client):
    keys = [f"div-{i}" for i in range(100)]  # chunks of 25, 50, 25
    futures = dist._submit(client, operator.truediv, [[1.0] * 100, [2.0] * 99 + [0.0]], keys)
    assert [f.key for f in futures] == keys
    # More futures than are waited for directly: polled first, then waited for.
    with pytest.raises(aurum.SystemFailure, match="ZeroDivisionError"):
        dist._wait(client, futures, [1] * 100, None)
    assert sum(f.status == "finished" for f in futures) == 99
    futures = dist._submit(client, time.sleep, [[0.2] * 3], ["sleep-0", "sleep-1", "sleep-2"])
    client.cancel(futures[2:])
    with pytest.raises(aurum.SystemFailure, match="cancelled: sleep-2"):
        dist._wait(client, futures, [1] * 3, None)


def test_task_keys_tell_every_combination_apart():
    assert dist._params_text({"slow": 20.0, "fast": 5.0}) == "fast=5 slow=20"
    a = dist._params_text({"exit": 0.1234567})
    b = dist._params_text({"exit": 0.1234568})
    assert a != b and float(a.split("=")[1]) == 0.1234567


def test_task_rerun_writes_its_row_once(home):
    opts = json.dumps(dist._backtest_options("BTC/USDT", "1h", "sma-cross", GRID, None, None,
                                             10000, 0.001, "0", None), sort_keys=True)
    before = stored_rows(home)[0]
    for _ in range(2):
        dist.sweep_task("job-rerun", "BTC/USDT 1h fast=5 slow=20", home, "", opts,
                        {"fast": 5.0, "slow": 20.0})
    assert stored_rows(home)[0] == before + 1


def test_universe_walkforward_equals_single_process(home, client, tmp_path):
    code, _, err = cli(home, "features", "build", "--all")
    assert code == 0, err
    universe = tmp_path / "universe.txt"
    universe.write_text("# two symbols\nBTC/USDT\neth/usdt 1h  # lower case is normalised\n")
    r = dist.walkforward_universe(home, str(universe), "1h", risk="off", client=client)
    assert sorted(r.rows["symbol"]) == ["BTC/USDT", "ETH/USDT"]
    for row in r.rows.to_dict("records"):
        single = cli_json(home, "walkforward", "--symbols", row["symbol"], "--timeframe", "1h",
                          "--risk", "off")
        for k in ("gating", "sharpe", "max_drawdown", "trades", "oos_auc", "leakage_flags"):
            assert row["report"][k] == single[k], k
        assert row["passed"] == single["gating"]["passed"]
    again = dist.walkforward_universe(home, str(universe), "1h", risk="off", client=client)
    assert again.submitted == 0 and again.skipped_done == 2


@pytest.mark.parametrize("text,message", [
    ("BTC/USDT\nBTC/USDT\n", "universe.txt:2: BTC/USDT 1h listed twice"),
    ("BTC/USDT\nDOGE/USDT\n", "universe.txt:2: no 1h bars for DOGE/USDT"),
    ("BTC/USDT 1h extra\n", "universe.txt:1: expected 'SYMBOL [TIMEFRAME]'"),
    ("# nothing\n\n", "no symbols"),
])
def test_bad_universe_exits_2_and_writes_nothing(home, tmp_path, text, message):
    universe = tmp_path / "universe.txt"
    universe.write_text(text)
    before = stored_rows(home)
    code, _, err = cli(home, "walkforward", "--universe", universe, "--timeframe", "1h")
    assert code == 2 and message in err, err
    assert stored_rows(home) == before


def test_missing_universe_file_and_conflicting_flags_exit_2(home, tmp_path):
    code, _, err = cli(home, "walkforward", "--universe", tmp_path / "none.txt")
    assert code == 2 and "cannot read" in err
    code, _, err = cli(home, "walkforward", "--universe", tmp_path / "x", "--symbols", "BTC/USDT")
    assert code == 2 and "not both" in err
    code, _, err = cli(home, "walkforward", "--symbols", "BTC/USDT", "--scheduler", "tcp://x:1")
    assert code == 2 and "go with --universe" in err
    code, _, err = cli(home, "walkforward", "--timeframe", "1h")
    assert code == 2 and "--symbols is required (or --universe FILE)" in err


def test_unreachable_scheduler_exits_2_and_writes_nothing(home):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    before = stored_rows(home)
    code, _, err = cli(home, "sweep", "--symbols", "BTC/USDT", "--grid", "fast=7,slow=33",
                       "--scheduler", f"tcp://127.0.0.1:{port}")
    assert code == 2 and f"--scheduler tcp://127.0.0.1:{port}: cannot connect" in err, err
    assert stored_rows(home) == before


@pytest.mark.parametrize("args,message", [
    (["--grid", "fast=5:1:1"], "needs start <= stop"),
    (["--grid", "nope=3"], "has no parameter 'nope'"),
    (["--grid", "fast=5", "--rank-by", "luck"], "--rank-by 'luck'"),
    (["--grid", "fast=5", "--timeframes", "4h"], "no 4h bars for BTC/USDT"),
])
def test_bad_sweep_input_exits_2(home, args, message):
    before = stored_rows(home)
    code, _, err = cli(home, "sweep", "--symbols", "BTC/USDT", *args)
    assert code == 2 and message in err, err
    assert stored_rows(home) == before


# ----- PostgreSQL as the shared store -------------------------------------------------------------
@pytest.fixture(scope="module")
def pg_url():
    """A throwaway PostgreSQL server on 127.0.0.1 (own cluster in a temp dir, removed after)."""
    import glob
    import pwd
    import shutil
    import tempfile
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    bindir = os.path.dirname(found[-1])
    root = tempfile.mkdtemp(prefix="aurum-pg-dist-")
    as_pg = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        as_pg = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = lambda *a: subprocess.run(as_pg + list(a), check=True, capture_output=True)
    try:
        run(f"{bindir}/initdb", "-D", f"{root}/data", "-U", "aurum", "--auth=trust", "--no-sync",
            "-E", "UTF8", "--locale=C")
        run(f"{bindir}/pg_ctl", "-D", f"{root}/data", "-l", f"{root}/log", "-w", "-o",
            f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off", "start")
        run(f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "aurum", "market")
        yield f"postgresql://aurum@127.0.0.1:{port}/market"
    finally:
        subprocess.run(as_pg + [f"{bindir}/pg_ctl", "-D", f"{root}/data", "-m", "immediate",
                                "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_sweep_on_a_postgresql_store_equals_the_sqlite_grid(home, client, pg_url):
    code, _, err = cli(home, "--db", pg_url, "data", "synth", "--symbols", "BTC/USDT,ETH/USDT",
                       "--timeframe", "1h", "--days", "200", "--start", "2024-01-01", "--seed", "7")
    assert code == 0, err
    ws = aurum.Workspace(home, db=pg_url)
    r = dist.sweep(ws, ["BTC/USDT", "ETH/USDT"], ["1h"], GRID, client=client)
    assert r.submitted == 38
    for sym in ("BTC/USDT", "ETH/USDT"):  # same bars, other store: the same rows
        assert dist_rows(r, sym) == grid_rows(home, sym)
    assert len(aurum._core.results(ws._h, r.job)) == 38
    again = dist.sweep(ws, ["BTC/USDT", "ETH/USDT"], ["1h"], GRID, client=client)
    assert again.submitted == 0 and again.skipped_done == 38
