"""Fixtures: a synthetic workspace built with the `aurum` CLI (the same build as the module)."""
import json
import os
import subprocess
from pathlib import Path

import pytest

import aurum

SHARED = Path(os.environ.get("AURUM_SHARED_DATA") or
              Path(__file__).resolve().parents[3] / "shared" / "data")


def cli(home, *args, check=True):
    """`aurum --home HOME ARGS` -> (exit code, stdout, stderr)."""
    p = subprocess.run([aurum.cli_path(), "--home", str(home), *map(str, args)],
                       capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"aurum {' '.join(map(str, args))}: exit {p.returncode}\n{p.stderr}")
    return p.returncode, p.stdout, p.stderr


def cli_json(home, *args, check=True):
    return json.loads(cli(home, "--json", *args, check=check)[1])


@pytest.fixture(scope="session")
def home(tmp_path_factory):
    """BTC/USDT and ETH/USDT, 1h, 240 days of the seeded synthetic market, with features, labels
    and regimes built."""
    h = tmp_path_factory.mktemp("ws") / "workspace"
    h.mkdir()
    cli(h, "data", "synth", "--symbols", "BTC/USDT,ETH/USDT", "--timeframe", "1h", "--days", "240",
        "--start", "2024-01-01", "--seed", "42")
    cli(h, "features", "build", "--all")
    cli(h, "labels", "build", "--all")
    cli(h, "regimes", "build", "--all")
    return h


@pytest.fixture(scope="session")
def ws(home):
    return aurum.Workspace(home)


@pytest.fixture(scope="session")
def trained(home, ws):
    """A GBDT trained from Python (aurum.train), promoted with --force semantics when gating
    fails so that the model paths can be exercised."""
    report = aurum.train(ws, ["BTC/USDT"], "1h", model="gbdt", risk="off")
    if report.model.status != "production":
        cli(home, "registry", "promote", report.model.name, "--force")
    return report


@pytest.fixture(scope="session")
def paper_session(home):
    """A short paper replay (rule strategy) so that the session readers have something to read."""
    cli(home, "run", "--mode", "paper", "--capital", "10000", "--symbols", "BTC/USDT",
        "--timeframe", "1h", "--strategy", "sma-cross", "--param", "fast=5", "--param", "slow=20",
        "--replay-from", "2024-03-01", "--replay-to", "2024-05-01", "--speed", "0")
    return home
