"""Aurum Edge from Python: the workspace's data, backtests, training, walk-forward and RL agents.

Everything runs in the same C++ engine as the `aurum` command line (the composition root in
src/runtime); this package only turns results into pandas objects and charts. pandas,
matplotlib and the model code (XGBoost, libtorch) load on first use, so `import aurum` is fast.
"""
from .errors import CheckFailed, Error, InputError, InvariantError, SystemFailure
from .workspace import Model, Registry, Workspace
from .backtest import BacktestEngine, BacktestResults
from .research import TrainReport, train, walkforward
from .rl import HierarchicalTradingSystem, SimulationResult
from ._util import cli_path

__version__ = "0.1.0"

__all__ = [
    "Workspace", "Registry", "Model", "BacktestEngine", "BacktestResults", "train",
    "walkforward", "TrainReport", "HierarchicalTradingSystem", "SimulationResult", "cli_path", "Error", "InputError", "CheckFailed",
    "SystemFailure", "InvariantError",
]
