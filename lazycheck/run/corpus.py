"""Running many targets: ``ci``, ``matrix`` and the sweep share this one runner.

Each target is loaded and checked in a worker, and a *summarise* function
(a view: :func:`lazycheck.views.ci_rows.ci_row`, :func:`lazycheck.views.matrix.cell`)
turns its :class:`~lazycheck.outcome.Outcome` -- or the error that stopped it --
into a small row, which is all that crosses the process boundary.  Rows come
back in the order of the names asked for whatever ``jobs`` is, so output is
byte-stable; ``on_start``/``on_done`` follow progress.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from lazycheck.errors import LazycheckError
from lazycheck.outcome import Outcome, TargetError
from lazycheck.run.verify import run
from lazycheck.targets import load_target

R = TypeVar("R")
Summarize = Callable[[str, Path, Outcome | TargetError], R]


def check_one(name: str, root: Path, summarize: Summarize[R], max_memory: int = 0) -> R:
    """Load and check target ``name`` with the default engine, then summarise it."""
    try:
        got: Outcome | TargetError = run(load_target(name, root), root, max_memory=max_memory)
    except LazycheckError as err:
        got = TargetError(name, err)
    return summarize(name, root, got)


def run_many(names: list[str], root: Path, summarize: Summarize[R], jobs: int = 1,
             on_done: Callable[[R], None] | None = None,
             on_start: Callable[[str], None] | None = None, max_memory: int = 0) -> list[R]:
    """Rows in the order of ``names``; ``summarize`` must be a module-level function.

    ``max_memory`` is each worker's budget in bytes (0: none)."""
    if jobs <= 1 or len(names) <= 1:
        rows = []
        for n in names:
            if on_start is not None:
                on_start(n)
            r = check_one(n, root, summarize, max_memory)
            if on_done is not None:
                on_done(r)
            rows.append(r)
        return rows
    done: dict[str, R] = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(check_one, n, root, summarize, max_memory): n for n in names}
        if on_start is not None:
            for n in names[:jobs]:
                on_start(n)
        started = min(jobs, len(names))
        for fut in concurrent.futures.as_completed(futures):
            row = fut.result()
            done[futures[fut]] = row
            if on_done is not None:
                on_done(row)
            if on_start is not None and started < len(names):
                on_start(names[started])
                started += 1
    return [done[n] for n in names]
