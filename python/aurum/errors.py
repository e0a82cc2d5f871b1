"""Aurum's errors as Python exceptions; each carries the CLI's message (what, where, value)."""


class Error(Exception):
    """Base of every error raised by aurum."""


class InputError(Error, ValueError):
    """Bad input: an argument, a file, a symbol, a config key (the CLI's exit code 2)."""


class CheckFailed(Error):
    """A check ran and failed: validation, gating (the CLI's exit code 1)."""


class SystemFailure(Error, OSError):
    """The environment failed: database unreachable, file not writable (exit code 2)."""


class InvariantError(Error, RuntimeError):
    """A broken internal invariant: a defect of Aurum Edge, please report it (exit code 3)."""


__all__ = ["Error", "InputError", "CheckFailed", "SystemFailure", "InvariantError"]
