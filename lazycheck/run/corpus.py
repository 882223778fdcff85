"""Running many targets: ``ci``, ``matrix`` and the sweep share this one runner.

The unit of work is one *(target, configuration)* pair: every configuration
a target claims (:attr:`lazycheck.targets.Target.claims`) is checked on its
own.  Each unit is loaded and checked in a worker, and a *summarise*
function (a view: :func:`lazycheck.views.ci_rows.ci_row`,
:func:`lazycheck.views.matrix.cell`) turns its
:class:`~lazycheck.outcome.Outcome` -- or the error that stopped it -- into
a small row, which is all that crosses the process boundary.  Rows come back
in the order of the units whatever ``jobs`` is, so output is byte-stable;
``on_start``/``on_done`` follow progress by unit key (``target[config]``).
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from lazycheck.errors import LazycheckError
from lazycheck.outcome import Outcome, Progress, TargetError
from lazycheck.run.verify import run
from lazycheck.targets import load_target

R = TypeVar("R")
Summarize = Callable[[str, Path, Outcome | TargetError], R]
Unit = tuple[str, int]  # (target name, index of the claim); -1: the target did not load


def units(names: list[str], root: Path) -> list[Unit]:
    """Every (target, claimed configuration) pair of ``names``, in order."""
    out: list[Unit] = []
    for n in names:
        try:
            t = load_target(n, root)
        except LazycheckError:
            out.append((n, -1))
            continue
        out.extend((n, i) for i in range(len(t.claims)))
    return out


def unit_key(unit: Unit, root: Path) -> str:
    """``target[label]`` for a configuration among several, else the target's name."""
    name, i = unit
    if i < 0:
        return name
    label = load_target(name, root).claims[i].label
    return f"{name}[{label}]" if label else name


def check_one(unit: Unit, root: Path, summarize: Summarize[R],
              progress: Callable[[Progress], None] | None = None) -> R:
    """Load target ``unit[0]``, check its claim ``unit[1]`` (explicit engine), summarise it."""
    name, i = unit
    try:
        t = load_target(name, root)
        got: Outcome | TargetError = run(t, root, t.claims[max(i, 0)].config,
                                         progress=progress)
    except LazycheckError as err:
        got = TargetError(name, err)
    return summarize(name, root, got)


def run_many(names: list[str], root: Path, summarize: Summarize[R], jobs: int = 1,
             on_done: Callable[[R], None] | None = None,
             on_start: Callable[[str], None] | None = None,
             on_progress: Callable[[Progress], None] | None = None) -> list[R]:
    """Rows of every claimed configuration of ``names``, in order; ``summarize`` must be
    a module-level function.

    ``on_progress`` gets the engine's progress of the running unit (one job only)."""
    todo = units(names, root)
    keys = [unit_key(u, root) for u in todo]
    if jobs <= 1 or len(todo) <= 1:
        rows = []
        for u, k in zip(todo, keys, strict=True):
            if on_start is not None:
                on_start(k)
            r = check_one(u, root, summarize, on_progress)
            if on_done is not None:
                on_done(r)
            rows.append(r)
        return rows
    done: dict[Unit, R] = {}
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(check_one, u, root, summarize): u for u in todo}
        if on_start is not None:
            for k in keys[:jobs]:
                on_start(k)
        started = min(jobs, len(todo))
        for fut in concurrent.futures.as_completed(futures):
            row = fut.result()
            done[futures[fut]] = row
            if on_done is not None:
                on_done(row)
            if on_start is not None and started < len(todo):
                on_start(keys[started])
                started += 1
    return [done[u] for u in todo]
