"""Running many checks: ``ci``, ``matrix``, ``sweep`` and ``swarm`` share this one runner.

The unit of work is one *(target, configuration)* pair: every configuration
a target claims (:attr:`lazycheck.targets.Target.claims`) is checked on its
own.  Each unit is loaded and checked in a worker, and a *summarise*
function (a view: :func:`lazycheck.views.ci_rows.ci_row`,
:func:`lazycheck.views.matrix.cell`) turns its
:class:`~lazycheck.outcome.Outcome` -- or the error that stopped it -- into
a small row, which is all that crosses the process boundary.  Rows come back
in the order of the units whatever ``jobs`` is, so output is byte-stable;
``on_start``/``on_done`` follow progress by unit key (``target[config]``).

Workers are dask.distributed: a ``LocalCluster`` of ``jobs`` single-threaded
processes by default, or the cluster behind ``scheduler``
(``tcp://HOST:8786``); the sweep's grid points and the swarm use the same
runner (:func:`map_ordered`).  With ``jobs <= 1`` and no scheduler everything
runs in this process and dask is not even imported.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from lazycheck.engines.swarm import SwarmResult
from lazycheck.errors import LazycheckError, ReplayError
from lazycheck.kernel.config import KernelConfig
from lazycheck.outcome import Limits, Outcome, Progress, TargetError
from lazycheck.run.verify import run
from lazycheck.targets import load_target

R = TypeVar("R")
T = TypeVar("T")
Summarize = Callable[[str, Path, Outcome | TargetError], R]
Unit = tuple[str, int]  # (target name, index of the claim); -1: the target did not load


@dataclass(frozen=True, slots=True)
class GridPoint:
    """One configuration of a sweep: a target with its kernel configuration overridden."""

    target: str
    preempt: str | None = None
    cpus: int | None = None
    tasks: int | None = None

    def config(self, base: KernelConfig) -> KernelConfig:
        """``base`` with this point's overrides (task programs reused in order)."""
        return base.overridden(self.cpus, self.tasks, self.preempt)


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
              progress: Callable[[Progress], None] | None = None, max_memory: int = 0) -> R:
    """Load target ``unit[0]``, check its claim ``unit[1]`` (explicit engine), summarise it."""
    name, i = unit
    try:
        t = load_target(name, root)
        got: Outcome | TargetError = run(t, root, t.claims[max(i, 0)].config,
                                         progress=progress, max_memory=max_memory)
    except LazycheckError as err:
        got = TargetError(name, err)
    return summarize(name, root, got)


def check_point(point: GridPoint, root: Path, summarize: Callable[[GridPoint, Outcome |
                TargetError], R], max_memory: int = 0, timeout_s: float = 600.0) -> R:
    """Check one grid point of a sweep, then summarise it."""
    try:
        t = load_target(point.target, root)
        got: Outcome | TargetError = run(t, root, point.config(t.config),
                                         max_memory=max_memory, timeout_s=timeout_s)
    except LazycheckError as err:
        got = TargetError(point.target, err)
    return summarize(point, got)


def run_many(names: list[str], root: Path, summarize: Summarize[R], jobs: int = 1,
             on_done: Callable[[R], None] | None = None,
             on_start: Callable[[str], None] | None = None,
             on_progress: Callable[[Progress], None] | None = None, max_memory: int = 0,
             scheduler: str | None = None) -> list[R]:
    """Rows of every claimed configuration of ``names``, in order; ``summarize`` must be
    a module-level function.

    ``on_progress`` gets the engine's progress of the running unit (in this
    process only); ``max_memory`` is each worker's budget in bytes (0: none)."""
    todo = units(names, root)
    key = {u: unit_key(u, root) for u in todo}

    def started(u: Unit) -> None:
        if on_start is not None:
            on_start(key[u])

    if scheduler is None and (jobs <= 1 or len(todo) <= 1):
        return map_ordered(check_one, todo, (root, summarize, on_progress, max_memory), 1,
                           None, on_done, started)
    return map_ordered(check_one, todo, (root, summarize, None, max_memory), jobs, scheduler,
                       on_done, started)


def map_ordered(fn: Callable[..., R], items: Sequence[T], args: tuple[Any, ...], jobs: int,
                scheduler: str | None, on_done: Callable[[R], None] | None = None,
                on_start: Callable[[T], None] | None = None) -> list[R]:
    """``[fn(item, *args) for item in items]``, on dask workers unless ``jobs <= 1``."""
    if scheduler is None and (jobs <= 1 or len(items) <= 1):
        rows = []
        for item in items:
            if on_start is not None:
                on_start(item)
            r = fn(item, *args)
            if on_done is not None:
                on_done(r)
            rows.append(r)
        return rows
    return _on_dask(fn, items, args, jobs, scheduler, on_done, on_start)


def _on_dask(fn: Callable[..., R], items: Sequence[T], args: tuple[Any, ...], jobs: int,
             scheduler: str | None, on_done: Callable[[R], None] | None,
             on_start: Callable[[T], None] | None) -> list[R]:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=max(jobs, 1), threads_per_worker=1, processes=True,
            dashboard_address=":0", silence_logs=40)
        client = Client(cluster)  # type: ignore[no-untyped-call]
    else:
        client = Client(scheduler)  # type: ignore[no-untyped-call]
    run_id = uuid.uuid4().hex[:12]  # keys stay unique on a shared scheduler
    try:
        futures = [client.submit(fn, item, *args, pure=False, key=f"lazycheck-{run_id}-{k}")
                   for k, item in enumerate(items)]
        index = {f.key: k for k, f in enumerate(futures)}
        if on_start is not None:
            for item in items[:max(jobs, 1)]:
                on_start(item)
        started = min(max(jobs, 1), len(items))
        done: dict[int, R] = {}
        for fut in as_completed(futures):  # type: ignore[no-untyped-call]
            row = fut.result()
            done[index[fut.key]] = row
            if on_done is not None:
                on_done(row)
            if on_start is not None and started < len(items):
                on_start(items[started])
                started += 1
        return [done[k] for k in range(len(items))]
    finally:
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None:
            cluster.close()


@dataclass(frozen=True, slots=True)
class SwarmRun:
    """One swarm member's result, its violation's property (replayed), or its error."""

    seed: int
    result: SwarmResult | None
    property_id: str = ""
    error: str = ""


def swarm_one(seed: int, root: Path, point: GridPoint, log2_bits: int, max_states: int,
              timeout_s: float) -> SwarmRun:
    """Run swarm member ``seed`` on ``point``; a violation is replayed before it is believed."""
    from lazycheck.engines.swarm import swarm_search
    from lazycheck.run.verify import build
    from lazycheck.semantics import Semantics

    try:
        t = load_target(point.target, root)
        _, system = build(t, root, point.config(t.config))
        r = swarm_search(system, Limits(t.bound, max_states, timeout_s), seed, log2_bits)
        prop = ""
        if r.violation_code:
            final = Semantics(system).replay(r.trace)[-1]
            if final[system.violation_var] != r.violation_code:
                raise ReplayError("the swarm trace does not end in its violation")
            prop = system.violation(r.violation_code).property_id
        return SwarmRun(seed, r, prop)
    except LazycheckError as err:
        return SwarmRun(seed, None, error=str(err).splitlines()[0] if str(err) else "error")
