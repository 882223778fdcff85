"""Command-line limits: checked values (LZC406) and a watchdog for the whole command.

``--bound``, ``--timeout``, ``--max-states`` and ``ci --budget`` take their
values through the click types here, so 0, negative, NaN, infinite or absurd
values are coded diagnostics (exit 2) before anything runs.  ``--timeout``
arms :func:`arm` for the whole command -- trace choice and minimisation
included -- and :class:`TimeUp` ends it with UNKNOWN (exit 3).
"""

from __future__ import annotations

import math
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click

MAX_SECONDS = 7 * 24 * 3600.0  # a week: any larger time limit is a mistake
MAX_STATES = 1_000_000_000
GRACE_S = 1.0  # after --timeout, engines' own UNKNOWN has this long to be reported


class TimeUp(Exception):
    """The whole-command time limit (``--timeout`` or ``ci --budget``) has passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"time limit of {seconds:g} s reached")


class _Checked(click.ParamType[Any]):
    """A number in a closed range: anything else is LZC406 (exit 2)."""

    def __init__(self, kind: type, lo: float, hi: float, unit: str) -> None:
        self.kind, self.lo, self.hi, self.unit = kind, lo, hi, unit
        self.name = kind.__name__

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        """The value as ``kind``, or a usage error carrying LZC406."""
        if isinstance(value, self.kind) and not isinstance(value, bool):
            v = value
        else:
            text = str(value).strip()
            try:
                v = self.kind(text) if len(text) <= 32 else None
            except ValueError:
                v = None
        if not isinstance(v, (int, float)) or not math.isfinite(v) \
                or not self.lo <= v <= self.hi:
            span = (f"{int(self.lo)}..{int(self.hi)}" if self.kind is int
                    else f"{self.lo:g}..{self.hi:g}")
            self.fail(f"error[LZC406]: {str(value)[:40]!r} is not a {self.unit} in {span}",
                      param, ctx)
        return v


BOUND = _Checked(int, 1, 1_000_000_000, "depth bound")  # the target's own limit is checked later
SECONDS = _Checked(float, 0.001, MAX_SECONDS, "number of seconds")
STATES = _Checked(int, 1, MAX_STATES, "number of states")
SMALL = _Checked(int, 1, 64, "count")


def _raise(seconds: float) -> Any:
    def handler(signum: int, frame: FrameType | None) -> None:
        raise TimeUp(seconds)
    return handler


@contextmanager
def watchdog(seconds: float, grace: float | None = None) -> Iterator[None]:
    """Raise :class:`TimeUp` in the main thread ``seconds`` (+ grace, default GRACE_S) from now."""
    grace = GRACE_S if grace is None else grace
    if not hasattr(signal, "setitimer") or seconds <= 0:
        if seconds <= 0:
            raise TimeUp(seconds)
        yield
        return
    old = signal.signal(signal.SIGALRM, _raise(seconds))
    signal.setitimer(signal.ITIMER_REAL, seconds + grace)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def arm(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """A ``--timeout`` callback: the whole command runs under :func:`watchdog`."""
    if value is not None and not ctx.resilient_parsing:
        ctx.with_resource(watchdog(value))
    return value


def deadline_in(seconds: float | None) -> float | None:
    """The wall-clock time ``seconds`` from now (shared by worker processes)."""
    return None if seconds is None else time.time() + seconds


def check_writable(paths: list[Path | None]) -> str | None:
    """Why one of the output ``paths`` cannot be written, checked before any work; None if fine."""
    for p in paths:
        if p is None:
            continue
        if p.exists() and not p.is_file():
            return f"{p}: not a regular file"
        parent = p.parent if str(p.parent) else Path(".")
        if not parent.is_dir():
            return f"{p}: directory {parent} does not exist"
        try:
            with open(p, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            return f"{p}: {exc.strerror}"
    return None
