"""Progress on long work, on stderr: a live line on a terminal, plain periodic lines in logs.

``verify`` (one target, per engine: depth, states, states/s, elapsed) and
``ci``/``matrix`` (many targets) show where they are.  On a terminal the line
is redrawn in place by rich and vanishes when the work ends; when stderr is
not a terminal (a CI log) a plain line is written every
:data:`PLAIN_INTERVAL_S` seconds, so a short run logs nothing and a long one
shows it is alive.  stdout and every written file never carry progress: a
``--format itf``/``svg``/``json`` stream stays machine-readable.

The engines report through :attr:`lazycheck.outcome.Limits.progress` and
never print; this module is the only place that draws.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from lazycheck.outcome import Progress

if TYPE_CHECKING:
    from rich.live import Live
    from rich.text import Text

    from lazycheck.views.ci_rows import CiRow

PLAIN_INTERVAL_S = 10.0  # a plain progress line at most this often (CI logs)
WIDTH = 100


def _clip(line: str) -> str:
    return line if len(line) <= WIDTH else line[:WIDTH - 3] + "..."


def _seconds(s: float) -> str:
    if s < 60:
        return f"{s:.1f} s"
    m, sec = divmod(int(s), 60)
    return f"{m} min {sec:02d} s"


def engine_line(p: Progress | None, elapsed_s: float) -> str:
    """``explicit: depth 12, 34,567 states, 12,345 states/s, 3.2 s`` (no states for bmc)."""
    if p is None:
        return f"loading the models, {_seconds(elapsed_s)}"
    what = "level" if p.states else "depth"
    parts = [f"{p.engine}: {what} {p.depth}"]
    if p.states:
        parts.append(f"{p.states:,} states")
        if p.elapsed_s > 0:
            parts.append(f"{p.states / p.elapsed_s:,.0f} states/s")
    parts.append(_seconds(elapsed_s))
    return ", ".join(parts)


class _Ticker:
    """What both progress displays share: a clock, a live rich line or a plain thread."""

    def __init__(self, stream: TextIO, live: bool, enabled: bool, interval_s: float,
                 clock: Callable[[], float]) -> None:
        self.stream = stream
        self.live = live and enabled
        self.enabled = enabled
        self.interval_s = interval_s
        self.clock = clock
        self.start = clock()
        self._live: Live | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def line(self) -> str:  # pragma: no cover - overridden
        """The current progress line."""
        raise NotImplementedError

    def __rich__(self) -> Text:
        """rich calls this at every refresh: the line with a fresh elapsed time."""
        from rich.text import Text

        return Text(_clip(self.line()), no_wrap=True, overflow="ellipsis")

    def write(self, text: str) -> None:
        """A plain line on the stream (never on a live terminal line)."""
        with self._lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def _beat(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.write("lazycheck: " + _clip(self.line()))

    def __enter__(self) -> _Ticker:
        if not self.enabled:
            return self
        if self.live:
            from rich.console import Console
            from rich.live import Live

            console = Console(file=self.stream, highlight=False)
            self._live = Live(self, console=console, transient=True, refresh_per_second=4,
                              redirect_stdout=False, redirect_stderr=False)
            self._live.start()
        elif self.interval_s > 0:
            self._thread = threading.Thread(target=self._beat, name="lazycheck-progress",
                                            daemon=True)
            self._thread.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._live is not None:
            self._live.stop()


class EngineProgress(_Ticker):
    """The callback for :attr:`Limits.progress` while one target is checked."""

    def __init__(self, label: str, stream: TextIO, live: bool, enabled: bool = True,
                 interval_s: float = PLAIN_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(stream, live, enabled, interval_s, clock)
        self.label = label
        self.last: Progress | None = None
        self.done: Progress | None = None  # the engine that ran before this one
        self.seen_at = self.start

    def __call__(self, p: Progress) -> None:
        """Record how far the engine got; the display picks it up."""
        if self.last is not None and self.last.engine != p.engine:
            self.done = self.last  # --engine both: the first engine has finished
        self.last, self.seen_at = p, self.clock()

    def line(self) -> str:
        """``verify TARGET: explicit: level 12, 34,567 states, 12,345 states/s, 3.2 s``."""
        p = self.last
        since = p.elapsed_s + self.clock() - self.seen_at if p else self.clock() - self.start
        first = f"{self.done.engine} done at {'level' if self.done.states else 'depth'} " \
                f"{self.done.depth}; " if self.done is not None else ""
        return f"{self.label}: {first}{engine_line(p, since)}"


class TargetProgress(_Ticker):
    """Progress of ``ci``/``matrix`` over many targets.

    Plain lines come in the order of the target names whatever ``-j`` is: a
    finished target is printed once every target before it has finished, so
    a log is byte-stable; a target still running after the interval gets a
    periodic line.  stdout never carries progress.
    """

    def __init__(self, command: str, names: list[str], stream: TextIO, live: bool,
                 enabled: bool, interval_s: float = PLAIN_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(stream, live, enabled, interval_s, clock)
        self.command = command
        self.names = names
        self.done: dict[str, str] = {}  # target -> status
        self.running: list[str] = []
        self.printed = 0
        self.engine: Progress | None = None  # with -j 1: the running target's engine

    def start_target(self, name: str) -> None:
        """A target started (``run_many``'s ``on_start``)."""
        self.running.append(name)
        self.engine = None

    def finish(self, target: str, status: str) -> None:
        """A target finished with ``status`` (ok, MISMATCH, ...)."""
        self.done[target] = status
        if target in self.running:
            self.running.remove(target)
        if not self.enabled or self.live:
            return
        while self.printed < len(self.names) and self.names[self.printed] in self.done:
            name = self.names[self.printed]
            self.printed += 1
            self.write(f"[{self.printed}/{len(self.names)}] {name}: {self.done[name]}")

    def finish_row(self, row: CiRow) -> None:
        """``run_many``'s ``on_done`` for ci rows."""
        self.finish(row.target, row.status)

    def on_engine(self, p: Progress) -> None:
        """The running target's engine progress (only with one job)."""
        self.engine = p

    def line(self) -> str:
        """``ci: 12/59 done, 1 not ok, 3 min 02 s; running: x (explicit: level 9, ...)``."""
        bad = sum(1 for s in self.done.values() if s != "ok")
        line = (f"{self.command}: {len(self.done)}/{len(self.names)} done"
                f"{f', {bad} not ok' if bad else ''}, {_seconds(self.clock() - self.start)}")
        if self.running:
            line += "; running: " + ", ".join(self.running)
            if self.engine is not None and len(self.running) == 1:
                line += f" ({engine_line(self.engine, self.engine.elapsed_s)})"
        return line
