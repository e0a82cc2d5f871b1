"""Small helpers shared by the package's modules (no heavy imports here)."""
import os
from pathlib import Path

from . import _core

_models_module = None


def models():
    """aurum._models, imported on first use (it links XGBoost and libtorch)."""
    global _models_module
    if _models_module is None:
        from . import _models as m
        _models_module = m
    return _models_module


def times(ms):
    """Milliseconds since the epoch (numpy int64) -> a UTC DatetimeIndex."""
    import pandas as pd
    return pd.DatetimeIndex(pd.to_datetime(ms, unit="ms", utc=True), name="time")


def date_text(value, what):
    """A date argument as the engine parses it: None, 'YYYY-MM-DD[ HH:MM]', date or Timestamp."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M")
    from .errors import InputError
    raise InputError(f"{what}: expected a date like '2024-01-31', got {value!r}")


def cli_path():
    """The `aurum` binary built next to this package (or $AURUM_BIN)."""
    if os.environ.get("AURUM_BIN"):
        return os.environ["AURUM_BIN"]
    here = Path(__file__).resolve().parent
    return str(here.parent.parent / "bin" / "aurum")


def default_home():
    return os.environ.get("AURUM_HOME", ".")


__all__ = ["models", "times", "date_text", "cli_path", "default_home", "_core"]
